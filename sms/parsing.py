"""Reading an inbound message: ``MIB <code>`` in Latin or Bangla (``এমআইবি``, Bangla digits ০-৯), any case,
spaces and hyphens ignored.  The reply's language follows the message's script."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from signing.checkcodes import CODE_LENGTH, CheckCodeError, normalise_code

__all__ = ["Parsed", "parse_message"]

BANGLA_DIGITS = str.maketrans("০১২৩৪৫৬৭৮৯", "0123456789")
_BANGLA = re.compile(r"[\u0980-\u09FF]")
# the keyword: MIB, or its Bangla spelling (এমআইবি, also spaced or with a hyphen between its letters)
_KEYWORD = re.compile(r"^\s*(?:MIB|এম[\s\-]*আই[\s\-]*বি)(?=$|[\s\-:.,]|[0-9A-Z০-৯])[\s\-:.,]*", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s\-‐-―_.:,]+")


@dataclass(frozen=True)
class Parsed:
    """``kind``: ``code`` (a valid code, ``code`` normalised), ``typo`` (a code whose check character does not
    match: ``code`` is what was typed, cleaned), or ``help`` (no code to read)."""

    kind: str
    language: str
    code: str = ""


def message_language(text: str) -> str:
    return "bn" if _BANGLA.search(text) else "en"


def parse_message(text: str) -> Parsed:
    text = unicodedata.normalize("NFKC", text or "")
    language = message_language(text)
    rest = _KEYWORD.sub("", text, count=1).translate(BANGLA_DIGITS)
    compact = _SEPARATORS.sub("", rest).upper()
    whole = _SEPARATORS.sub("", text.translate(BANGLA_DIGITS)).upper()
    if len(compact) != CODE_LENGTH and len(whole) == CODE_LENGTH:
        compact = whole  # no keyword after all: a bare code typed with I for 1 ("MIB..." is then "M1B...")
    if not compact:
        return Parsed("help", language)
    try:
        return Parsed("code", language, normalise_code(compact))
    except CheckCodeError as exc:
        if exc.reason == "check":
            return Parsed("typo", language, compact.translate(str.maketrans("OIL", "011")))
        return Parsed(
            "help", language, compact[:CODE_LENGTH] if compact.isascii() and compact.isalnum() else ""
        )
