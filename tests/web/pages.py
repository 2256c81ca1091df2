"""Helpers for the page tests: post forms with their CSRF token, sign in."""

from __future__ import annotations

import importlib
import re
from typing import Any

PASSWORD = "correct horse battery"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: Any, url: str = "/login") -> str:
    html = client.get(url).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def post_form(
    client: Any, url: str, data: dict[str, Any] | None = None, *, form_page: str | None = None, **kwargs: Any
) -> Any:
    """POST a form the way a browser does: with the CSRF token of the page that shows it."""
    payload = dict(data or {})
    payload["csrf_token"] = csrf_token(client, form_page or "/login")
    return client.post(url, data=payload, **kwargs)


def sign_in(client: Any, user: Any) -> Any:
    resp = post_form(client, "/login", {"email": user.email, "password": PASSWORD})
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    return resp


def wire_pages(app: Any) -> Any:
    """Wire search, signing, labels and the pages when app.py does not (yet) list them."""
    from app import WIRED_PACKAGES

    for name in ("search", "signing", "labels", "web"):
        if name in WIRED_PACKAGES:
            continue
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        init = getattr(module, "init_app", None)
        marker = {"search": "search", "web": "babel"}.get(name)
        if init is not None and (marker is None or marker not in app.extensions):
            init(app)
    return app
