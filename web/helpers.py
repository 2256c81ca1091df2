"""What every page shares: the language choice, Bangla digits and dates, status words, error pages,
form-error handling."""

from __future__ import annotations

import math
import weakref
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from babel.dates import format_date
from flask import render_template, request
from flask_babel import format_datetime, get_translations, refresh
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from werkzeug.urls import iri_to_uri

from config import settings_of
from core.auth import ANONYMOUS, current_actor
from core.errors import ProblemError
from core.limits import MAX_PAGE
from web.field_errors import from_entry, from_problem, from_pydantic
from web.language import LANG_COOKIE, LANGUAGES, current_lang
from web.pages import PAGE_BLUEPRINTS

BN_DIGITS = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")

STATUS_LABELS = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted for review"),
    "rejected": _l("Rejected"),
    "licensed": _l("Licensed"),
    "suspended": _l("Suspended"),
    "revoked": _l("Revoked"),
    "expired": _l("Expired"),
    "pending": _l("Pending review"),
    "verified": _l("Verified"),
    "registered": _l("Registered"),
}
ACTION_LABELS = {
    "verify": _l("Verify"),
    "approve": _l("Approve"),
    "reject": _l("Reject"),
    "suspend": _l("Suspend"),
    "reinstate": _l("Reinstate"),
    "revoke": _l("Revoke"),
}


# A template's ``_()`` through Flask-Babel looks the request's locale and translations up again for every
# string (two Jinja context calls and five context-local lookups each): a verification page has about sixty.
# Templates get these instead: the same newstyle gettext (autoescaped Markup, always %-formatted), bound to
# one language's translations when the render starts, with each constant string translated once per process.
_BOUND: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()
MEMO_LIMIT = 4096  # distinct strings remembered per language and escaping (template constants: a few hundred)


def _bind_gettext(translations: Any, lang: str) -> dict[str, Any]:
    ugettext = translations.ugettext
    ungettext = translations.ungettext
    memo: dict[bool, dict[str, str]] = {True: {}, False: {}}

    @pass_context
    def gettext(context: Context, string: str, /, **variables: Any) -> str:
        autoescape = bool(context.eval_ctx.autoescape)
        if variables:
            text = ugettext(string)
            return (Markup(text) if autoescape else text) % variables  # noqa: S704 - as Jinja's own: our catalogue
        known = memo[autoescape]
        try:
            return known[string]
        except (KeyError, TypeError):  # TypeError: not hashable, left to ugettext to refuse as before
            pass
        text = ugettext(string)
        done = (Markup(text) if autoescape else text) % {}  # noqa: S704 - our catalogue
        if len(known) < MEMO_LIMIT:
            known[string] = done
        return done

    @pass_context
    def ngettext(context: Context, singular: str, plural: str, num: int, /, **variables: Any) -> str:
        variables.setdefault("num", num)
        text = ungettext(singular, plural, num)
        return (Markup(text) if context.eval_ctx.autoescape else text) % variables  # noqa: S704

    def page_lang() -> str:
        return lang

    return {"_": gettext, "gettext": gettext, "ngettext": ngettext, "current_lang": page_lang}


def template_i18n() -> dict[str, Any]:
    """``_``, ``gettext``, ``ngettext`` and ``current_lang`` for one render, in the request's language."""
    translations = get_translations()
    bound = _BOUND.get(translations)
    if bound is None:
        bound = _BOUND[translations] = _bind_gettext(translations, current_lang())
    return bound


def to_local_digits(value: Any) -> str:
    """Bangla digits when the page is in Bangla (numbers, dates, counts); ASCII digits otherwise."""
    text = "" if value is None else str(value)
    return text.translate(BN_DIGITS) if current_lang() == "bn" else text


def format_day(value: Any) -> str:
    """A day as people write it: 5 March 2026 / ৫ মার্চ ২০২৬."""
    if not value:
        return "—"
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = value.date()

    return to_local_digits(format_date(value, "d MMMM y", locale=current_lang()))


def format_moment(value: Any) -> str:
    """A point in time in Dhaka time: 5 March 2026, 14:05."""
    if not value:
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value

    return to_local_digits(format_datetime(value, "d MMMM y, HH:mm"))


def pick_language(obj: Any, field: str) -> str:
    """``obj.<field>_bn`` on Bangla pages and ``<field>_en`` on English ones, falling back to the other."""
    get = obj.get if isinstance(obj, dict) else lambda k, d=None: getattr(obj, k, d)
    first, second = ("bn", "en") if current_lang() == "bn" else ("en", "bn")
    return get(f"{field}_{first}") or get(f"{field}_{second}") or ""


def status_label(status: Any) -> str:
    label = STATUS_LABELS.get(str(status))
    return str(label) if label is not None else str(status)


def url_with_lang(code: str) -> str:
    """The current page in another language (the choice is then remembered in a cookie)."""

    args = request.args.to_dict(flat=False)
    args["lang"] = [code]

    return iri_to_uri(request.path + "?" + urlencode(args, doseq=True))


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site relative paths are followed after sign-in or a language switch."""
    if not target:
        return default
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return default
    return target


def render_error(status: int, title: str, detail: str) -> Any:
    return render_template("error.html", status=status, title=title, detail=detail), status


def too_many_attempts(retry_after: float) -> Any:
    """The bilingual 429 page of a rate limit (core.ratelimit), with Retry-After."""
    page, status = render_error(429, _("Too many attempts"), _("Please wait a few minutes and try again."))
    return page, status, {"Retry-After": str(math.ceil(retry_after))}


def pydantic_errors(exc: Any) -> dict[str, str]:
    """A pydantic ValidationError as {dotted field: message}."""

    out: dict[str, str] = {}
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "__root__") or "form"
        out.setdefault(loc, from_pydantic(err))
    return out


def domain_errors(exc: Any) -> dict[str, str]:
    """A registry/search/signing error as {field: reason} (``form`` for a general message)."""

    out = {e.get("field", "form"): from_entry(e) for e in getattr(exc, "errors", []) or []}
    out.setdefault("form", from_problem(exc))
    return out


def init_app(app: Any) -> None:
    app.jinja_env.filters["digits"] = to_local_digits
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.filters["moment"] = format_moment
    app.jinja_env.filters["status_label"] = status_label
    app.jinja_env.globals["pick"] = pick_language
    app.jinja_env.globals["lang_url"] = url_with_lang
    app.jinja_env.globals["current_lang"] = current_lang
    app.jinja_env.globals["ACTION_LABELS"] = ACTION_LABELS
    app.jinja_env.globals["web_pages"] = True
    app.context_processor(template_i18n)

    @app.before_request
    def _fresh_locale() -> None:
        # An app context can outlive one request (tests, CLI): the language is chosen per request.

        refresh()

    @app.context_processor
    def _page_context() -> dict[str, Any]:
        if request.blueprint not in PAGE_BLUEPRINTS:
            return {}

        try:
            actor = current_actor()
        except Exception:  # a bad Authorization header on a page: treat as anonymous
            actor = ANONYMOUS
        return {"actor": actor, "lang": current_lang()}

    @app.after_request
    def _remember_language(resp: Any) -> Any:
        wanted = request.args.get("lang")
        if wanted in LANGUAGES and request.cookies.get(LANG_COOKIE) != wanted:
            resp.set_cookie(
                LANG_COOKIE,
                wanted,
                max_age=365 * 24 * 3600,
                samesite="Lax",
                httponly=True,
                secure=settings_of(app).is_production,
            )
        if request.blueprint in ("web_portal", "web_console", "web_brands"):
            resp.headers.setdefault("Cache-Control", "no-store")
        if request.blueprint in PAGE_BLUEPRINTS:
            resp.headers.setdefault("Vary", "Cookie, Accept-Language")
        return resp


def register_error_pages(bp: Any) -> None:
    """Domain errors raised by a page render as an HTML page with the error's status."""

    def _page(exc: Any) -> Any:

        status = int(getattr(exc, "status_code", 400))
        titles = {
            401: _("Please sign in"),
            403: _("Not allowed"),
            404: _("Not found"),
            409: _("This change is not possible now"),
            422: _("Please check what you entered"),
            429: _("Too many attempts"),
            503: _("Temporarily unavailable"),
        }
        return render_error(
            status, titles.get(status, _("Something is not right")), getattr(exc, "detail", str(exc))
        )

    bp.register_error_handler(ProblemError, _page)  # every package's errors derive from it


def page_arg() -> int:
    """The ``page`` query argument, from 1 to MAX_PAGE: a bigger one would overflow the query's OFFSET."""
    return min(MAX_PAGE, max(1, request.args.get("page", 1, type=int) or 1))
