"""Form errors in the reader's language, by their stable code (``core.error_codes``).

The rules live in ``registry`` and the other packages (pydantic schemas, validators, services); each error names
its code and the values its message needs. A page shows the table's sentence for the code in the page's
language. A code that names only a class of error (a ``lead``) keeps the raise site's own English words: as
they are on an English page, after the Bangla lead on a Bangla one, so nothing is ever hidden.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext

from core.error_codes import GENERIC, MESSAGES, code_of_pydantic, plain_params
from web.language import current_lang


def message(code: str, params: dict[str, Any] | None = None, english: str = "") -> str:
    """The sentence of ``code`` in the page's language (``english``: the raise site's words, for a lead)."""
    entry = MESSAGES.get(code) or MESSAGES[GENERIC]
    if entry.lead and english:
        if current_lang() != "bn":
            return english
        return gettext(entry.text) + ": " + english
    values = {key: str(value) for key, value in (params or {}).items()}
    try:
        return gettext(entry.text, **values)
    except (KeyError, ValueError):  # params that do not fill the sentence: say what we can
        return message(GENERIC, None, english or entry.text)


def from_pydantic(err: dict[str, Any]) -> str:
    """One pydantic error dict as a message in the page's language."""
    english = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    return message(code_of_pydantic(err), plain_params(err.get("ctx")), english)


def from_entry(entry: dict[str, Any]) -> str:
    """One ``errors`` entry of a problem (``field``, ``reason``, ``code``, ``params``)."""
    return message(str(entry.get("code") or GENERIC), entry.get("params"), str(entry.get("reason", "")))


def from_problem(exc: Any) -> str:
    """A problem's own sentence (its code and params; its detail for a lead)."""
    detail = str(getattr(exc, "detail", None) or exc)
    code = getattr(exc, "code", None)
    if not isinstance(code, str) or code not in MESSAGES:
        code = GENERIC
    return message(code, getattr(exc, "params", None), detail)
