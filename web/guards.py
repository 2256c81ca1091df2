"""Who may open the portal and the console: signed-in users with the right role."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import redirect, request, url_for
from flask_babel import gettext as _

from core.auth import Actor, current_actor
from web.helpers import render_error


def signed_in(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Send anonymous visitors to the sign-in page; answer 403 to a signed-in user of another role."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            actor = current_actor()
            if actor.user is None or actor.via != "session":
                return redirect(url_for("web_public.login", next=request.full_path.rstrip("?")), 303)
            if roles and actor.user.role not in roles:
                return render_error(403, _("Not allowed"), _("Your account cannot open this page."))
            return view(actor, *args, **kwargs)

        wrapper.page_access = roles or ("signed in",)  # type: ignore[attr-defined]  # read by the route walk
        return wrapper

    return decorate


def public_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """Declare a page of a signed-in area that anyone may open (e.g. registration)."""
    view.page_access = "public"  # type: ignore[attr-defined]
    return view


__all__ = ["Actor", "public_page", "signed_in"]
