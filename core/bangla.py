"""Bangla text primitives that search and the brand-name rules share: digits, invisible characters, and the
spelling variants people mix up (long/short i and u, chandrabindu, nukta forms, ড়/র, ণ/ন, শ/ষ/স, ঙ/ং,
hasant), folded together for matching only — never for display."""

from __future__ import annotations

BANGLA_DIGITS = "০১২৩৪৫৬৭৮৯"
TO_ASCII_DIGITS = str.maketrans(BANGLA_DIGITS, "0123456789")
# Zero-width space, non-joiner, joiner, word joiner, BOM, soft hyphen.
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
NUKTA = "\u09bc"
HASANT = "\u09cd"

# Applied after NFC (which already splits য় ড় ঢ় into letter + nukta and joins the two-part vowel signs ো ৌ).
# Order matters: ড় and ঢ় become র before the nukta itself is dropped (য় then becomes য).
SPELLING_FOLDS: tuple[tuple[str, str], ...] = (
    ("ড" + NUKTA, "র"),
    ("ঢ" + NUKTA, "র"),
    (NUKTA, ""),
    ("\u0981", ""),  # chandrabindu is optional
    ("ী", "ি"),
    ("ঈ", "ই"),
    ("ূ", "ু"),
    ("ঊ", "উ"),
    ("ৎ", "ত"),
    ("ণ", "ন"),
    ("ষ", "স"),
    ("শ", "স"),
    ("ঙ", "ং"),
    ("ঞ", "ন"),
    (HASANT, ""),
)


def fold_spelling(text: str) -> str:
    """``text`` (NFC) with the Bangla spelling variants of :data:`SPELLING_FOLDS` folded together."""
    for old, new in SPELLING_FOLDS:
        if old in text:
            text = text.replace(old, new)
    return text
