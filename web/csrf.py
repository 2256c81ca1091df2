"""CSRF protection for every form of the pages: a per-session secret token in a hidden field.

The token lives in the (signed, HttpOnly, SameSite) session cookie; every unsafe request to a page
blueprint must echo it in the ``csrf_token`` form field (or the ``X-CSRF-Token`` header), compared in
constant time. The JSON API is not covered: it authenticates with bearer tokens or its own session
and is not reachable from a cross-site form (it requires a JSON body).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from flask import request, session
from flask_babel import gettext as _

from web.helpers import render_error
from web.pages import PAGE_BLUEPRINTS

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SESSION_KEY = "_csrf"
PROTECTED_BLUEPRINTS = PAGE_BLUEPRINTS
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def get_csrf_token() -> str:
    """The session's token, created on first use (only pages with a form create a session)."""
    token = session.get(SESSION_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        session[SESSION_KEY] = token
    return str(token)


def is_valid_csrf_token(sent: str | None) -> bool:
    expected = session.get(SESSION_KEY)
    return bool(expected and sent and hmac.compare_digest(str(expected), str(sent)))


def init_app(app: Any) -> None:

    @app.before_request
    def _check_csrf() -> Any:
        if request.method not in UNSAFE_METHODS or request.blueprint not in PROTECTED_BLUEPRINTS:
            return None
        sent = request.form.get(FIELD) or request.headers.get(HEADER)
        if not is_valid_csrf_token(sent):
            return render_error(
                400,
                _("The form has expired"),
                _("For your safety this form could not be accepted. Go back, reload the page and try again."),
            )
        return None

    app.jinja_env.globals["csrf_token"] = get_csrf_token
