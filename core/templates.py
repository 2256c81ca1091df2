"""Templates compiled per language: a page's fixed ``_('...')`` words folded in as literals (Flask-Babel's
translations for the request), so the hot verification page renders without sixty gettext calls. Plumbing
that the signing package's verdict page and web's pages share."""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable
from typing import Any

from flask import current_app
from flask_babel import get_translations
from jinja2 import BaseLoader, Environment, Template
from markupsafe import Markup

# Precompiled per language: a page's constant ``_('...')`` calls (no variables) replaced by their translation
# in the template source, so a page renders its fixed words as literals. The output is what ``_()`` returns
# (the translation as Markup, %-formatted with no variables); strings with variables stay calls.
_CONSTANT_GETTEXT = re.compile(r"""\b_\(\s*(?P<q>['"])(?P<s>(?:\\.|(?!(?P=q)).)*)(?P=q)\s*\)""", re.DOTALL)
_TRANSLATED_ENVS: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def _jinja_literal(text: str) -> str:
    return '"' + text.encode("unicode-escape").decode("ascii").replace('"', '\\"') + '"'


def fold_constant_gettext(source: str, ugettext: Callable[[str], str]) -> str:
    """``source`` with every ``_('constant')`` replaced by its translation, as Jinja's newstyle gettext
    returns it in an autoescaped template."""

    def replace(match: re.Match[str]) -> str:
        msgid = match.group("s").encode("ascii", "backslashreplace").decode("unicode-escape")  # Jinja's lexer
        done = Markup(ugettext(msgid)) % {}  # noqa: S704 - our catalogue, as Jinja's own gettext does
        return f"({_jinja_literal(str(done))}|safe)"

    return _CONSTANT_GETTEXT.sub(replace, source)


class _TranslatedLoader(BaseLoader):
    def __init__(self, inner: BaseLoader, ugettext: Callable[[str], str]) -> None:
        self.inner = inner
        self.ugettext = ugettext

    def get_source(self, environment: Environment, template: str) -> tuple[str, str | None, Any]:
        source, filename, uptodate = self.inner.get_source(environment, template)
        if template.endswith(".html"):  # autoescaped, where the folded Markup is what _() returns
            source = fold_constant_gettext(source, self.ugettext)
        return source, filename, uptodate


def translated_template(name: str) -> Template:
    """The template ``name`` compiled for the request's language (a Jinja overlay per language, sharing the
    app's globals and filters; its own template cache)."""
    app_env = current_app.jinja_env
    translations = get_translations()
    env = _TRANSLATED_ENVS.get(translations)
    if env is None or env.globals is not app_env.globals:
        env = app_env.overlay(loader=_TranslatedLoader(app_env.loader, translations.ugettext))
        _TRANSLATED_ENVS[translations] = env
    return env.get_template(name)
