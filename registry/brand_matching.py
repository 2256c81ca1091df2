"""How the registry compares brand names: pure functions, no I/O (docs/formats.md, *Brand names*).

A brand has an English (Latin) and a Bangla spelling. Each spelling gives up to three keys, every one a
plain string that is stored in ``brand_keys`` and compared exactly (an index look-up) or by edit distance:

``v`` — the visual key
    NFKC, look-alike letters of other scripts mapped to the Latin letter they imitate (Cyrillic ``а``,
    Greek ``ο``), case folded, digits and signs that pass for letters mapped to them (``0`` → ``o``;
    ``1``, ``I``, ``l``, ``i``, ``|`` → ``l``; ``5`` and ``$`` → ``s``), spaces and punctuation dropped,
    letter pairs that pass for one letter joined (``rn`` → ``m``, ``vv`` → ``w``, ``cl`` → ``d``); Bangla
    letters stay Bangla, with the spelling variants people mix up folded together (ী/ি, ূ/ু, ণ/ন,
    শ/ষ/স, ড়/র, chandrabindu, nukta). "Walton", "WALTON", "Wal ton", "Wa1ton" and "Wаlton" (Cyrillic а)
    share one visual key.
``s`` — the sound key
    Latin letters as they sound: Bangla transliterated letter by letter (``transliterate_bangla``), Latin
    spelling variants folded (``ph`` → ``f``, ``sh`` → ``s``, ``kh`` → ``k``, ``z`` → ``j``, ``v`` → ``b``,
    ``w`` → ``o``, ``y`` → ``i``, ``ee`` → ``i``, ``oo`` → ``u``), doubled letters single. "তারা" and
    "Tara" share it.
``k`` — the consonant skeleton
    The sound key without its vowels (and ``h``), kept only when it has at least three consonants: vowels
    are where romanisations of Bangla differ most ("ওয়ালটন" is "oyaltn" letter by letter, "Walton" in
    English), and with three consonants a shared skeleton is rarely chance.

Two brands conflict when any key of one equals a key of the same kind of the other, or when their
visual or sound keys are near: at most one edit (insertion, deletion, substitution or swap of two
neighbours) for visual keys of 5 to 8 characters, two from 9 on, none below 5 (short brands differ by a
letter); sound keys need one character more for each step.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from core.bangla import HASANT, INVISIBLE, NUKTA, TO_ASCII_DIGITS, fold_spelling

# Look-alikes of Latin letters from other scripts (Unicode TR39's confusables, the few that matter for
# brand names): Cyrillic, Greek, Armenian and fullwidth forms (NFKC already maps fullwidth and styled
# mathematical letters). Applied before case folding, so upper-case look-alikes are listed too.
_LOOKALIKES = {
    # Cyrillic
    "а": "a", "А": "a", "в": "b", "В": "b", "с": "c", "С": "c", "е": "e", "Е": "e", "ё": "e",
    "һ": "h", "Н": "h", "і": "i", "І": "i", "ј": "j", "Ј": "j", "к": "k", "К": "k", "м": "m",
    "М": "m", "о": "o", "О": "o", "р": "p", "Р": "p", "ԛ": "q", "ѕ": "s", "Ѕ": "s", "т": "t",
    "Т": "t", "и": "u", "х": "x", "Х": "x", "у": "y", "У": "y", "ү": "y", "ԝ": "w", "Ԝ": "w",
    "п": "n", "г": "r", "ь": "b", "ӏ": "l", "Ӏ": "l",
    # Greek
    "α": "a", "Α": "a", "β": "b", "Β": "b", "ε": "e", "Ε": "e", "Ζ": "z", "η": "n", "Η": "h",
    "ι": "i", "Ι": "i", "κ": "k", "Κ": "k", "Μ": "m", "ν": "v", "Ν": "n", "ο": "o", "Ο": "o",
    "ρ": "p", "Ρ": "p", "τ": "t", "Τ": "t", "υ": "u", "Υ": "y", "χ": "x", "Χ": "x", "ω": "w",
    # Armenian and Latin variants NFKC keeps
    "օ": "o", "ս": "u", "ց": "g", "ı": "i", "ȷ": "j", "ɑ": "a", "ɡ": "g", "ʏ": "y", "ℓ": "l",
}  # fmt: skip
# Digits and signs that pass for letters in a brand name, and the letters that pass for each other
# (capital I and small l look alike in most fonts; so do 0 and O).
_LETTER_CLASSES = str.maketrans(
    {"0": "o", "1": "l", "i": "l", "|": "l", "!": "l", "5": "s", "$": "s", "@": "a", "€": "e"}
)
_PAIRS = (("rn", "m"), ("vv", "w"), ("cl", "d"))

_BANGLA = re.compile(r"[\u0980-\u09ff]")

# Bangla → Latin, letter by letter (consonants without their inherent vowel: it is silent or spoken
# differently from word to word, and the keys below do not depend on it).
_BN_LETTERS = {
    "অ": "o", "আ": "a", "ই": "i", "ঈ": "i", "উ": "u", "ঊ": "u", "ঋ": "ri", "এ": "e", "ঐ": "oi", "ও": "o",
    "ঔ": "ou", "া": "a", "ি": "i", "ী": "i", "ু": "u", "ূ": "u", "ৃ": "ri", "ে": "e", "ৈ": "oi", "ো": "o",
    "ৌ": "ou", "ৗ": "ou", "ক": "k", "খ": "kh", "গ": "g", "ঘ": "gh", "ঙ": "ng", "চ": "ch", "ছ": "chh",
    "জ": "j", "ঝ": "jh", "ঞ": "n", "ট": "t", "ঠ": "th", "ড": "d", "ঢ": "dh", "ণ": "n", "ত": "t",
    "থ": "th", "দ": "d", "ধ": "dh", "ন": "n", "প": "p", "ফ": "ph", "ব": "b", "ভ": "bh", "ম": "m",
    "য": "j", "র": "r", "ল": "l", "শ": "sh", "ষ": "sh", "স": "s", "হ": "h", "ৎ": "t", "ং": "ng",
    "ঃ": "h", "ঁ": "",
}  # fmt: skip
# Chandrabindu before a stop is heard as n ("চাঁদ" chand), elsewhere as a nasal vowel ("সিঁড়ি" shiri).
_NASAL_STOP = re.compile("\u0981(?=[কখগঘচছজঝটঠডঢতথদধপফবভ](?!\u09bc))")
_CONSONANT = "[কখগঘঙচছজঝঞটঠডঢণতথদধনপফবভমযরলশষসহ]\u09bc?"
# The inherent vowel, spoken "o": after a consonant followed by another consonant (or by ং, ঃ) with no
# vowel sign or hasant between them, and after a word's final conjunct ("শঙ্খ" shongkho); a word's last
# single consonant is silent ("লালন" lalon, "চাঁদ" chand).
_INHERENT = re.compile(f"({_CONSONANT})(?=[কখগঘঙচছজঝঞটঠডঢণতথদধনপফবভমযরলশষসহংঃ])")
_FINAL_CONJUNCT = re.compile(f"(\u09cd{_CONSONANT})(?![\u0980-\u09ff])")
# Sequences first: nukta letters, ya-phala and ba-phala (vowel colour or doubling, never j or b).
_BN_SEQUENCES = (
    ("ড" + NUKTA, "r"),
    ("ঢ" + NUKTA, "r"),
    ("য" + NUKTA, "y"),
    ("ক" + HASANT + "ষ", "kh"),  # khio, spoken kh (or kkh)
    ("র" + HASANT + "য", "rj"),  # reph over ya: "সূর্য" surjo
    ("র" + HASANT, "r"),  # reph: the next letter is a full consonant ("অনির্বাণ" onirban)
    (HASANT + "য", "y"),  # ya-phala
    (HASANT + "ব", ""),  # ba-phala doubles the consonant
    (HASANT, ""),
    (NUKTA, ""),
)
# Latin spellings of one sound, longest first.
_SOUNDS = (
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
    ("ck", "k"),
    ("qu", "k"),
    ("ng", "n"),
    ("ee", "i"),
    ("oo", "u"),
    ("ou", "o"),
    ("x", "ks"),
    ("q", "k"),
    ("z", "j"),
    ("v", "b"),
    ("w", "o"),
    ("y", "i"),
)
_SOFT_C = re.compile(r"c(?=[ei])")
_DOUBLED = re.compile(r"(.)\1+")
_NOT_ALNUM = re.compile(r"[^0-9a-z\u0980-\u09ff]+")
_VOWELS_AND_H = re.compile(r"[aeiouh]")

MIN_SKELETON = 3  # consonants a skeleton needs before two brands sharing it are said to sound alike


def has_bangla(text: str) -> bool:
    return _BANGLA.search(text) is not None


def _letters(text: str) -> str:
    """NFKC, invisible characters and Bangla digits removed or mapped, other scripts' look-alikes as Latin."""
    text = unicodedata.normalize("NFKC", text).translate(INVISIBLE).translate(TO_ASCII_DIGITS)
    text = "".join(_LOOKALIKES.get(ch, ch) for ch in text)
    # Latin accents dropped (é → e): NFD, marks removed, but Bangla signs (also category M) kept.
    decomposed = unicodedata.normalize("NFD", text.casefold())
    kept = "".join(ch for ch in decomposed if not (unicodedata.category(ch) == "Mn" and ch < "\u0900"))
    return unicodedata.normalize("NFC", kept)


def visual_key(name: str) -> str:
    """What a brand name looks like: see the module docstring."""
    text = _NOT_ALNUM.sub("", _letters(name).translate(_LETTER_CLASSES))
    for pair, letter in _PAIRS:
        text = text.replace(pair, letter)
    text = fold_spelling(text)
    return _DOUBLED.sub(r"\1", text) if has_bangla(text) else text


def transliterate_bangla(text: str) -> str:
    """Bangla letters as Latin ones, letter by letter with the inherent vowel where it is spoken (Latin
    text passes through)."""
    if not has_bangla(text):
        return text
    text = _FINAL_CONJUNCT.sub(r"\1o", _INHERENT.sub(r"\1o", text))
    text = _NASAL_STOP.sub("n", text)
    for old, new in _BN_SEQUENCES:
        if old in text:
            text = text.replace(old, new)
    return "".join(_BN_LETTERS.get(ch, ch) for ch in text)


def sound_key(name: str) -> str:
    """What a brand name sounds like, in Latin letters: see the module docstring."""
    text = transliterate_bangla(_letters(name))
    text = _NOT_ALNUM.sub("", text)
    text = _SOFT_C.sub("s", text)
    for old, new in _SOUNDS:
        if old in text:
            text = text.replace(old, new)
    text = text.replace("c", "k")
    return _DOUBLED.sub(r"\1", text)


def skeleton_key(name: str) -> str:
    """The sound key's consonants, or "" when fewer than ``MIN_SKELETON``."""
    skeleton = _DOUBLED.sub(r"\1", _VOWELS_AND_H.sub("", sound_key(name)))
    return skeleton if len(skeleton) >= MIN_SKELETON else ""


@dataclass(frozen=True)
class Key:
    kind: str  # "v", "s" or "k"
    value: str


def brand_keys(*names: str) -> list[Key]:
    """Every key of a brand's spellings, without repeats (empty keys left out)."""
    out: dict[Key, None] = {}
    for name in names:
        for kind, make in (("v", visual_key), ("s", sound_key), ("k", skeleton_key)):
            value = make(name)
            if value:
                out[Key(kind, value)] = None
    return list(out)


def allowed_edits(kind: str, key: str) -> int:
    """Edits that still make two keys of this kind and length confusable (0: only an exact match). Sound
    keys need one letter more than visual ones: Bangla spellings read with their inherent vowels are
    alike in more letters than Latin spellings are ("কদম" kodom, "কলম" kolom)."""
    n = len(key) - (kind == "s")
    if n < 5:
        return 0
    return 1 if n <= 8 else 2


# Why two brands conflict, by the kind of key they share (the reviewer reads these).
REASONS = {
    "v": "same_letters",  # identical once case, spacing, punctuation and look-alike characters are ignored
    "s": "same_sound",  # spelled alike across scripts or romanisations
    "k": "same_consonants",  # the same consonants in the same order (vowels differ)
    "near": "near_spelling",  # one or two letters apart
}


@dataclass(frozen=True)
class Match:
    """One reason a candidate brand conflicts: the kind of key, the new brand's key and the existing one's."""

    reason: str
    new: str
    existing: str
    distance: int

    def to_dict(self) -> dict[str, object]:
        return {"reason": self.reason, "new": self.new, "existing": self.existing, "distance": self.distance}


def compare_keys(new: list[Key], existing: Iterable[tuple[int, Key]]) -> dict[int, list[Match]]:
    """Which of the ``existing`` brands (``(brand_id, key)`` pairs) conflict with a brand whose keys are
    ``new``, and why: equal keys of one kind, or visual or sound keys within ``allowed_edits`` of both."""
    exact = {(k.kind, k.value) for k in new}
    found: dict[int, dict[Match, None]] = {}
    candidates: dict[str, tuple[list[int], list[str]]] = {kind: ([], []) for kind in NEAR_KINDS}
    for brand_id, key in existing:
        if (key.kind, key.value) in exact:
            found.setdefault(brand_id, {})[Match(REASONS[key.kind], key.value, key.value, 0)] = None
        elif key.kind in candidates:
            candidates[key.kind][0].append(brand_id)
            candidates[key.kind][1].append(key.value)
    for kind, (ids, values) in candidates.items():
        for brand_id, matches in near_matches(new, kind, ids, values).items():
            found.setdefault(brand_id, {}).update(dict.fromkeys(matches))
    return {brand_id: list(matches) for brand_id, matches in sorted(found.items())}


def near_matches(new: list[Key], kind: str, ids: list[int], values: list[str]) -> dict[int, list[Match]]:
    """The brands (``ids[i]`` owning key ``values[i]`` of ``kind``) whose key is within ``allowed_edits`` of
    a key of that kind in ``new``, both ways, but not equal (rapidfuzz's OSA distance in C++)."""
    found: dict[int, list[Match]] = {}
    for k in new:
        limit = allowed_edits(kind, k.value) if k.kind == kind else 0
        if not limit or not values:
            continue
        for _, distance, index in process.extract_iter(
            k.value, values, scorer=OSA.distance, score_cutoff=limit
        ):
            value = values[index]
            if 0 < distance <= allowed_edits(kind, value):
                found.setdefault(ids[index], []).append(Match(REASONS["near"], k.value, value, int(distance)))
    return found


NEAR_KINDS = ("v", "s")
