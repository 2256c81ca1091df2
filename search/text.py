"""Text analysis shared by every backend: Unicode normalisation, Bangla folding, Banglish skeletons.

Pure functions, no I/O. Three layers, each built on the one before:

``normalise_text``
    NFC, zero-width characters removed, Bangla digits to ASCII digits. Safe for display.
``fold_text`` / ``tokenise``
    For matching only: lower case, Latin accents dropped, and the Bangla spelling variants that
    people mix up folded together (long/short i and u, chandrabindu, nukta forms, ড়/র, ণ/ন,
    শ/ষ/স, ঙ/ং, hasant). The index and the query pass through the same fold, so a query matches
    whatever variant the manufacturer typed.
``skeletonise``
    A Latin consonant skeleton of a word in either script, so romanised Bangla ("mobail fon",
    "dhaka") meets the Bangla spelling ("মোবাইল ফোন", "ঢাকা") and the English one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from core.bangla import BANGLA_DIGITS, HASANT, INVISIBLE, NUKTA, TO_ASCII_DIGITS, fold_spelling

_TO_BANGLA_DIGITS = str.maketrans("0123456789", BANGLA_DIGITS)

# A token is a run of letters/digits of any script, or of Bangla letters and signs (which
# Python's \w does not count as word characters).
_TOKEN = re.compile(r"(?:[^\W_]|[\u0980-\u09f1])+")
_BANGLA_CHAR = re.compile(r"[\u0980-\u09ff]")


def normalise_text(text: str) -> str:
    """NFC, invisible characters removed, Bangla digits as ASCII digits, whitespace collapsed."""
    text = unicodedata.normalize("NFC", text).translate(INVISIBLE).translate(TO_ASCII_DIGITS)
    return " ".join(text.split())


def to_bangla_digits(text: str) -> str:
    """ASCII digits as Bangla digits (for display)."""
    return text.translate(_TO_BANGLA_DIGITS)


def to_ascii_digits(text: str) -> str:
    """Bangla digits as ASCII digits."""
    return text.translate(TO_ASCII_DIGITS)


def _strip_latin_accents(text: str) -> str:
    if text.isascii():
        return text
    out = []
    for ch in text:
        if _BANGLA_CHAR.match(ch) or ch.isascii():
            out.append(ch)
            continue
        for part in unicodedata.normalize("NFKD", ch):
            if not unicodedata.combining(part):
                out.append(part)
    return "".join(out)


def fold_text(text: str) -> str:
    """The matching form of ``text``: normalised, lower case, spelling variants folded."""
    text = _strip_latin_accents(normalise_text(text).casefold())
    return fold_spelling(text)


def tokenise(text: str) -> list[str]:
    """The folded tokens of ``text`` in order (what every backend indexes and queries)."""
    out: list[str] = []
    for word in text.split():
        out.extend(tokenise_word(word))
    return out


@lru_cache(maxsize=262_144)
def tokenise_word(word: str) -> tuple[str, ...]:
    """The folded tokens of one whitespace-free word (cached: catalogues repeat their words)."""
    return tuple(_TOKEN.findall(fold_text(word)))


def has_bangla(text: str) -> bool:
    return _BANGLA_CHAR.search(text) is not None


# --- Banglish ------------------------------------------------------------------------------

_BN_TO_LATIN: dict[str, str] = {
    # independent vowels
    "অ": "o",
    "আ": "a",
    "ই": "i",
    "ঈ": "i",
    "উ": "u",
    "ঊ": "u",
    "ঋ": "ri",
    "এ": "e",
    "ঐ": "oi",
    "ও": "o",
    "ঔ": "ou",
    # vowel signs
    "া": "a",
    "ি": "i",
    "ী": "i",
    "ু": "u",
    "ূ": "u",
    "ৃ": "ri",
    "ে": "e",
    "ৈ": "oi",
    "ো": "o",
    "ৌ": "ou",
    "ৗ": "ou",
    # consonants
    "ক": "k",
    "খ": "kh",
    "গ": "g",
    "ঘ": "gh",
    "ঙ": "ng",
    "চ": "ch",
    "ছ": "chh",
    "জ": "j",
    "ঝ": "jh",
    "ঞ": "n",
    "ট": "t",
    "ঠ": "th",
    "ড": "d",
    "ঢ": "dh",
    "ণ": "n",
    "ত": "t",
    "থ": "th",
    "দ": "d",
    "ধ": "dh",
    "ন": "n",
    "প": "p",
    "ফ": "ph",
    "ব": "b",
    "ভ": "bh",
    "ম": "m",
    "য": "j",
    "র": "r",
    "ল": "l",
    "শ": "sh",
    "ষ": "sh",
    "স": "s",
    "হ": "h",
    "ৎ": "t",
    "ং": "ng",
    "ঃ": "h",
    "ঁ": "",
}
# Multi-character sequences first: nukta letters, ya-phala and ba-phala (pronounced as vowel
# colour or consonant doubling, never as j/b).
_BN_SEQUENCES: tuple[tuple[str, str], ...] = (
    ("ড" + NUKTA, "r"),
    ("ঢ" + NUKTA, "rh"),
    ("য" + NUKTA, "y"),
    (HASANT + "য", "y"),
    (HASANT + "ব", "w"),
    (HASANT, ""),
    (NUKTA, ""),
)
# Latin spelling variants collapsed to one consonant; order matters (longest first).
_LATIN_DIGRAPHS: tuple[tuple[str, str], ...] = (
    ("chh", "c"),
    ("ch", "c"),
    ("sh", "s"),
    ("ph", "f"),
    ("bh", "b"),
    ("kh", "k"),
    ("gh", "g"),
    ("jh", "j"),
    ("th", "t"),
    ("dh", "d"),
    ("rh", "r"),
    ("ng", "n"),
    ("ck", "k"),
    ("qu", "k"),
    ("x", "ks"),
    ("q", "k"),
    ("z", "j"),
    ("v", "b"),
)
_SOFT_C = re.compile(r"c(?=[eiy])")
_DROPPED = re.compile(r"[aeiouywh]")
_DOUBLED = re.compile(r"([a-z])\1+")


def transliterate_bangla(text: str) -> str:
    """A rough phonetic romanisation of Bangla text (Latin text passes through folded)."""
    text = normalise_text(text).casefold()
    for old, new in _BN_SEQUENCES:
        if old in text:
            text = text.replace(old, new)
    return "".join(_BN_TO_LATIN.get(ch, ch) for ch in text)


@lru_cache(maxsize=262_144)
def skeletonise(word: str) -> str:
    """The Latin consonant skeleton of one word in Bangla or Latin script ("" if too short).

    ``skeletonise("ফোন") == skeletonise("phone") == skeletonise("fon") == "fn"``.
    """
    latin = transliterate_bangla(word) if has_bangla(word) else _strip_latin_accents(word.casefold())
    latin = _SOFT_C.sub("s", latin)
    for old, new in _LATIN_DIGRAPHS:
        if old in latin:
            latin = latin.replace(old, new)
    latin = latin.replace("c", "k")
    skeleton = _DOUBLED.sub(r"\1", _DROPPED.sub("", latin))
    skeleton = "".join(ch for ch in skeleton if ch.isascii() and ch.isalnum())
    return skeleton if len(skeleton) >= 2 else ""


def skeletonise_text(text: str) -> list[str]:
    """Skeletons of every word of ``text`` (words whose skeleton is too short are left out)."""
    out = []
    for word in _words_of(text):
        skeleton = skeletonise(word)
        if skeleton:
            out.append(skeleton)
    return out


@lru_cache(maxsize=262_144)
def _words(chunk: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(normalise_text(chunk)))


def _words_of(text: str) -> list[str]:
    out: list[str] = []
    for chunk in text.split():
        out.extend(_words(chunk))
    return out


_NOT_CODE = re.compile(r"[^0-9A-Za-z]+")  # what is not an ASCII letter or digit


@lru_cache(maxsize=65_536)
def normalise_code(text: str) -> str:
    """A GTIN or model number as compared: ASCII digits, lower case, no separators."""
    return _NOT_CODE.sub("", fold_text(text))


def looks_like_code(word: str) -> bool:
    """Whether a query word is (part of) a GTIN or model number: it has a digit and is short."""
    code = normalise_code(word)
    return len(code) >= 3 and any(ch.isdigit() for ch in code) and len(code) <= 40


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, or ``limit + 1`` once it exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        row_min = cur[0]
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
            row_min = min(row_min, cur[j])
        if row_min > limit:
            return limit + 1
        prev2, prev = prev, cur
    return min(prev[-1], limit + 1)


def max_typos(word: str) -> int:
    """Edits tolerated in a query word: none below 4 characters, one up to 7, two beyond."""
    n = len(word)
    if n < 4:
        return 0
    return 1 if n <= 7 else 2


def unique(items: Iterable[str]) -> list[str]:
    """Items in first-seen order without repeats."""
    return list(dict.fromkeys(items))
