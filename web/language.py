"""The page's language: Bangla or English, chosen by ``?lang=``, the ``lang`` cookie, then Accept-Language."""

from __future__ import annotations

from flask import request
from flask_babel import get_locale

LANGUAGES = ("bn", "en")
LANG_COOKIE = "lang"


def select_locale() -> str:
    """``?lang=`` (remembered by the language links), then the ``lang`` cookie, then Accept-Language."""
    wanted = request.args.get("lang") or request.cookies.get(LANG_COOKIE)
    if wanted in LANGUAGES:
        return wanted
    best = request.accept_languages.best_match(LANGUAGES)
    return best or "bn"


def current_lang() -> str:
    return str(get_locale() or "bn")
