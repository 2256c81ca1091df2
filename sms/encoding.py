"""How long a reply is on the air: GSM 03.38 (GSM-7) septets and UCS-2 code units.

One SMS holds 160 GSM-7 characters or 70 UCS-2 characters; a reply of the check is always one SMS.  Bangla is
outside GSM-7, so a Bangla reply goes as UCS-2 (``type=unicode`` at the aggregator)."""

from __future__ import annotations

import unicodedata

__all__ = ["GSM7_LIMIT", "UCS2_LIMIT", "gsm7_length", "is_gsm7", "to_gsm7", "ucs2_length"]

GSM7_LIMIT = 160
UCS2_LIMIT = 70

# the GSM 03.38 default alphabet (one septet each), escape excluded
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# the extension table: an escape septet and the character, two septets each
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")


def is_gsm7(text: str) -> bool:
    return all(char in GSM7_BASIC or char in GSM7_EXTENDED for char in text)


def gsm7_length(text: str) -> int:
    """Septets ``text`` takes in GSM-7; raises ``ValueError`` if a character is not in the alphabet."""
    length = 0
    for char in text:
        if char in GSM7_BASIC:
            length += 1
        elif char in GSM7_EXTENDED:
            length += 2
        else:
            raise ValueError(f"{char!r} (U+{ord(char):04X}) is not in the GSM-7 alphabet")
    return length


def ucs2_length(text: str) -> int:
    """UCS-2 code units (a character outside the Basic Multilingual Plane takes two)."""
    return len(text.encode("utf-16-le")) // 2


_PUNCTUATION = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "..."})


def to_gsm7(text: str) -> str:
    """``text`` with what GSM-7 cannot carry dropped: accents stripped where that leaves a GSM-7 letter, curly
    quotes and dashes made plain, anything else (another script) left out."""
    out = []
    for char in text.translate(_PUNCTUATION):
        if char in GSM7_BASIC:
            out.append(char)
            continue
        base = unicodedata.normalize("NFKD", char)[:1]
        if base and base in GSM7_BASIC and base not in "\n\r":
            out.append(base)
    return " ".join("".join(out).split())
