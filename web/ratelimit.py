"""Per-client rate limiting of the password-reset and report forms (a sliding window in memory).

Sign-in has its own limits on every path (``registry.signin``); this limit stops one address from
asking for many reset mails or filing many reports. Limits are written ``"<count>/<seconds>"``
(``WEB_LOGIN_RATE_LIMIT``).
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from registry.signin import SlidingWindowLimiter, parse_rate

__all__ = ["SlidingWindowLimiter", "parse_rate", "init_app", "check_login_rate"]


def init_app(app: Any) -> None:
    limit, window = parse_rate(app.config["WEB_LOGIN_RATE_LIMIT"])
    app.extensions["web.login_limiter"] = SlidingWindowLimiter(limit, window)


def check_login_rate(client: str) -> float | None:
    """Count a reset or report attempt from ``client``; the seconds to wait when over the limit."""

    limiter: SlidingWindowLimiter = current_app.extensions["web.login_limiter"]
    return limiter.hit(client)
