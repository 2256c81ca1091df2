"""Per-client rate limiting of the sign-in and password-reset forms (a sliding window in memory).

Account lockout after repeated failures lives in ``registry.auth``; this limit stops one address
from trying many accounts. Limits are written ``"<count>/<seconds>"`` (``WEB_LOGIN_RATE_LIMIT``).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any


class SlidingWindowLimiter:
    """At most ``limit`` hits per ``window`` seconds per key."""

    def __init__(self, limit: int, window: float, clock: Any = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Count a hit; return ``None`` if allowed, else the seconds until the next hit is allowed."""
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(1.0, hits[0] + self.window - now)
            hits.append(now)
            if len(self._hits) > 50_000:  # bound memory: forget idle clients
                for k in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
                    del self._hits[k]
            return None

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()


def parse_rate(text: str) -> tuple[int, float]:
    count, _, seconds = str(text).partition("/")
    return int(count), float(seconds or 60)


def init_app(app: Any) -> None:
    limit, window = parse_rate(app.config["WEB_LOGIN_RATE_LIMIT"])
    app.extensions["web.login_limiter"] = SlidingWindowLimiter(limit, window)


def check_login_rate(client: str) -> float | None:
    """Count a sign-in or reset attempt from ``client``; the seconds to wait when over the limit."""
    from flask import current_app

    limiter: SlidingWindowLimiter = current_app.extensions["web.login_limiter"]
    return limiter.hit(client)
