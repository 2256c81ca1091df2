"""What any text a client sends may contain: one place for the pydantic models and the hand-parsed bodies of
every package (``read_text_field`` answers a 422 naming the field)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from core.error_codes import coded
from core.errors import ValidationFailed

# ---- text: what every text field refuses (one place for the pydantic models and the hand-parsed bodies)

# C0 controls but tab, line feed and carriage return; DEL and the C1 controls; lone surrogates, which JSON's
# \ud800 escapes can carry and no database can store as UTF-8. NUL is among them: PostgreSQL refuses it in text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_BANGLA = range(0x0980, 0x0A00)
_JOINERS = frozenset({"\u200c", "\u200d"})  # zero-width non-joiner and joiner: Bangla conjuncts need them


def describe_character(ch: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``, or ``U+0000`` for a character without a name."""
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" {name}" if name else "")


def refused(code: str, what: str, ch: str, tail: str = "") -> ValueError:
    """The error of a refused character: English names it in full, ``char`` (its code point) goes to the
    sentence of ``code`` (core.error_codes)."""
    return coded(code, f"contains the {what} {describe_character(ch)}{tail}", char=f"U+{ord(ch):04X}")


def check_text(value: str) -> str:
    """Text that may span lines (an address, a description, a reason): no control characters but tab and
    line breaks."""
    found = _CONTROL.search(value)
    if found:
        raise refused("text.control_character", "control character", found.group())
    return value


def check_line(value: str) -> str:
    """A single line of text, such as a name: no control characters at all (tab and line breaks included),
    no line or paragraph separators, and no invisible formatting characters (Unicode category Cf: the
    right-to-left and other direction overrides and isolates, zero-width space, word joiner, soft hyphen,
    byte order mark), which make a name look like another. The zero-width joiner and non-joiner are allowed
    next to Bangla letters, where they choose how a conjunct is written."""
    for i, ch in enumerate(value):
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs"):
            raise refused("text.control_character", "control character", ch)
        if category in ("Zl", "Zp"):
            raise refused("text.line_break", "line break", ch, "; write it on one line")
        if category == "Cf" and not (ch in _JOINERS and _next_to_bangla(value, i)):
            raise refused("text.invisible_character", "invisible formatting character", ch)
    return value


def _next_to_bangla(value: str, i: int) -> bool:
    return any(0 <= j < len(value) and ord(value[j]) in _BANGLA for j in (i - 1, i + 1))


def read_text_field(body: Mapping[str, Any], name: str, *, single_line: bool = False) -> str:
    """Field ``name`` of a hand-parsed body or query, stripped ('' when absent), checked like the pydantic
    models check theirs; a 422 naming the field otherwise."""
    value = body.get(name)
    text = "" if value is None else str(value).strip()
    try:
        return check_line(text) if single_line else check_text(text)
    except ValueError as exc:
        raise ValidationFailed.from_exception(name, exc) from exc


def check_strings(value: Any) -> Any:
    """``check_text`` on every string in ``value``, also inside lists and as dictionary keys and values."""
    if isinstance(value, str):
        return check_text(value)
    if isinstance(value, list | tuple | set | frozenset):
        for item in value:
            check_strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_strings(key)
            check_strings(item)
    return value
