"""What the embedded and the engine backends match and mark the same way: the tokens a text is indexed
as, code suffixes, highlighting, snippets and the suggestion entities a prefix matches."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from html import escape
from typing import Any

from search.fields import banglish_fields, code_fields
from search.queries import QueryTerm
from search.text import normalise_code, skeletonise, skeletonise_text, tokenise, tokenise_word, unique

NAME_BOOST = 5.0  # fields boosted at least this much are names (translit_name, suggestions)
TRANSLIT_BOOST = 0.5
SNIPPET_CHARS = 160
_CODE_FIELDS = tuple(f.name for f in code_fields())
_NAME_SKELETON_FIELDS = tuple(f.name for f in banglish_fields() if f.boost >= NAME_BOOST)
_OTHER_SKELETON_FIELDS = tuple(f.name for f in banglish_fields() if f.boost < NAME_BOOST)


def code_suffixes(code: str) -> list[str]:
    """Every suffix of at least 3 characters: a prefix query over these is a substring query."""
    return [code[i:] for i in range(max(len(code) - 2, 1))] if code else []


def code_terms(doc: Mapping[str, Any]) -> str:
    """Every suffix of a document's codes (GTIN, model number), space-separated: the ``codes`` field."""
    codes: list[str] = []
    for name in _CODE_FIELDS:
        codes.extend(code_suffixes(normalise_code(str(doc.get(name) or ""))))
    return " ".join(unique(codes))


def banglish_terms(doc: Mapping[str, Any]) -> tuple[str, str]:
    """The Banglish skeletons of a document's names, and of its other Banglish fields (makers,
    categories, places: cached together, they repeat across products): ``translit_name``, ``translit``."""
    names: list[str] = []
    for name in _NAME_SKELETON_FIELDS:
        names.extend(_skeletons(str(doc.get(name) or "")))
    others = _other_skeletons(tuple(str(doc.get(name) or "") for name in _OTHER_SKELETON_FIELDS))
    return " ".join(unique(names)), " ".join(unique(others))


@lru_cache(maxsize=65_536)
def _skeletons(text: str) -> tuple[str, ...]:
    return tuple(skeletonise_text(text))


@lru_cache(maxsize=65_536)
def _other_skeletons(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(skeleton for value in values for skeleton in _skeletons(value))


def index_tokens(text: str) -> list[str]:
    """The tokens indexed for ``text``: its words, plus hyphenated words joined ("Wi-Fi" → wi, fi, wifi)."""
    tokens: list[str] = []
    for word in text.split():
        parts = tokenise_word(word)
        tokens.extend(parts)
        if len(parts) > 1:
            tokens.append("".join(parts))
    return tokens


def highlight_text(text: str, terms: list[QueryTerm], corrections: dict[str, list[str]]) -> str | None:
    """``text`` HTML-escaped with the words matching the query wrapped in ``<mark>``; None when none match."""
    exact: set[str] = set()
    prefixes: list[str] = []
    skeletons: set[str] = set()
    for t in terms:
        exact.add(t.token)
        exact.update(t.parts)
        exact.update(corrections.get(t.token, ()))
        if t.prefix and len(t.token) >= 2:
            prefixes.append(t.token)
        if t.skeleton:
            skeletons.add(t.skeleton)
    out: list[str] = []
    pos = 0
    marked = False
    for match in re.finditer(r"(?:[^\W_]|[\u0980-\u09f1])+", text):
        word = match.group(0)
        folded = "".join(tokenise(word))
        if folded and (
            folded in exact
            or any(folded.startswith(p) for p in prefixes)
            or (skeletons and skeletonise(word) in skeletons)
        ):
            out.append(escape(text[pos : match.start()]))
            out.append(f"<mark>{escape(word)}</mark>")
            pos = match.end()
            marked = True
    if not marked:
        return None
    out.append(escape(text[pos:]))
    return "".join(out)


def snippet(text: str, highlighted: str) -> str:
    """A window of about SNIPPET_CHARS around the first mark of a long highlighted text."""
    if len(text) <= SNIPPET_CHARS:
        return highlighted
    first = highlighted.find("<mark>")
    start = max(0, first - SNIPPET_CHARS // 3)
    # do not cut inside a tag or an entity
    while start > 0 and highlighted[start - 1] not in " ":
        start -= 1
    end = highlighted.find(" ", start + SNIPPET_CHARS)
    if end == -1:
        end = len(highlighted)
    last_open = highlighted.rfind("<mark>", 0, end)
    if last_open > highlighted.rfind("</mark>", 0, end):
        end = highlighted.find("</mark>", end) + len("</mark>")
    return ("…" if start else "") + highlighted[start:end] + ("…" if end < len(highlighted) else "")


def entity_matches(entry: dict[str, Any], terms: list[QueryTerm]) -> bool:
    """True when every query word starts (or, when finished, is) a word or Banglish skeleton of the entry."""
    words: list[str] = entry["words"]
    skeletons: list[str] = entry["skeletons"]
    for t in terms:
        if t.prefix:
            ok = any(w.startswith(t.token) for w in words) or (
                bool(t.skeleton) and len(t.skeleton) >= 2 and any(s.startswith(t.skeleton) for s in skeletons)
            )
        else:
            ok = t.token in words or (bool(t.skeleton) and t.skeleton in skeletons)
        if not ok:
            return False
    return True
