"""Catalogue queries as small pure functions: request arguments → ``CatalogueQuery`` → analysed terms.

Nothing here touches a backend, the database or the clock (``today`` is always passed in), so
each step is tested against golden dicts and every backend builds its own engine query from
the same ``CatalogueQuery`` and ``QueryTerm`` list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from registry.data.districts import DISTRICTS
from registry.data.taxonomy import CATEGORIES, CERTIFICATE_SCHEMES
from search.errors import InvalidQuery
from search.fields import FACETS, SORTS
from search.text import (
    edit_distance,
    has_bangla,
    looks_like_code,
    max_typos,
    normalise_code,
    normalise_text,
    skeletonise,
    tokenise,
    unique,
)

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
MAX_RESULT_WINDOW = 10_000  # deeper than this, use /export (OpenSearch's default window too)
MAX_FILTER_VALUES = 50
MAX_SUGGEST_LENGTH = 100
MAX_COMPARE = 5

PARAMETERS: tuple[str, ...] = (
    "q",
    "licence_valid_on",
    "certificate",
    "certificate_valid_on",
    "lva_min",
    "district",
    "manufacturer",
    "category",
    "sort",
    "page",
    "per_page",
    "facets",
)

Args = Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class CatalogueQuery:
    """A validated catalogue search: text, filters, sort, page, facets."""

    licence_valid_on: date
    certificate_valid_on: date
    q: str = ""
    certificates: tuple[str, ...] = ()
    lva_min: float | None = None
    districts: tuple[str, ...] = ()
    manufacturers: tuple[int, ...] = ()
    categories: tuple[str, ...] = ()
    sort: str = "relevance"
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    facets: tuple[str, ...] = ()

    @property
    def stop_words_only(self) -> bool:
        """The text is only words like ``and`` or ``the``: it asks for nothing, so nothing matches."""
        return only_stop_words(self.q)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["licence_valid_on"] = self.licence_valid_on.isoformat()
        out["certificate_valid_on"] = self.certificate_valid_on.isoformat()
        for key in ("certificates", "districts", "manufacturers", "categories", "facets"):
            out[key] = list(out[key])
        return out


@dataclass(frozen=True)
class QueryTerm:
    """One word of the query text as every backend matches it.

    ``token`` is the folded word, ``skeleton`` its Latin consonant skeleton (Banglish), ``code``
    the GTIN/model-number form when the word looks like one, ``prefix`` whether it may match as a
    prefix (the word being typed), ``parts`` the folded tokens of a word with separators (WX-5500).
    ``known`` says a backend found the word in its index as typed: it is then matched as typed only,
    without prefix, skeleton or typo alternatives (they widen and slow only words that match nothing).
    """

    token: str
    skeleton: str = ""
    code: str = ""
    prefix: bool = False
    parts: tuple[str, ...] = field(default_factory=tuple)
    known: bool = False


def _values(args: Args, name: str) -> list[str]:
    raw = args.get(name, ())
    if isinstance(raw, str):
        raw = [raw]
    out: list[str] = []
    for item in raw:
        out.extend(part.strip() for part in str(item).split(",") if part.strip())
    return out


def _single(args: Args, name: str, errors: list[dict[str, str]]) -> str | None:
    values = _values(args, name)
    if len(values) > 1:
        errors.append({"field": name, "reason": "give this parameter once"})
        return None
    return values[0] if values else None


def parse_date(value: str | None, name: str, default: date, errors: list[dict[str, str]]) -> date:
    if value is None:
        return default
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        errors.append({"field": name, "reason": "must be a date as YYYY-MM-DD"})
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append({"field": name, "reason": "is not a real calendar date"})
        return default


def parse_int(
    value: str | None, name: str, default: int, low: int, high: int, errors: list[dict[str, str]]
) -> int:
    if value is None:
        return default
    if not re.fullmatch(r"[0-9]{1,9}", value):
        errors.append({"field": name, "reason": f"must be a whole number from {low} to {high}"})
        return default
    number = int(value)
    if not low <= number <= high:
        errors.append({"field": name, "reason": f"must be from {low} to {high}"})
        return default
    return number


def _choices(
    values: list[str], name: str, allowed: Mapping[str, object] | Sequence[str], errors: list[dict[str, str]]
) -> tuple[str, ...]:
    if len(values) > MAX_FILTER_VALUES:
        errors.append({"field": name, "reason": f"at most {MAX_FILTER_VALUES} values"})
        return ()
    unknown = [v for v in values if v not in allowed]
    if unknown:
        errors.append({"field": name, "reason": f"unknown value(s): {', '.join(sorted(unknown)[:5])}"})
    return tuple(unique(v for v in values if v in allowed))


def parse_catalogue_query(args: Args, today: date) -> CatalogueQuery:
    """Validate request arguments (name → values); raise ``InvalidQuery`` listing every bad field."""
    errors: list[dict[str, str]] = []
    q = normalise_text(_single(args, "q", errors) or "")
    if len(q) > MAX_QUERY_LENGTH:
        errors.append({"field": "q", "reason": f"at most {MAX_QUERY_LENGTH} characters"})
        q = ""
    licence_valid_on = parse_date(
        _single(args, "licence_valid_on", errors), "licence_valid_on", today, errors
    )
    certificate_valid_on = parse_date(
        _single(args, "certificate_valid_on", errors), "certificate_valid_on", today, errors
    )
    certificates = _choices(
        [c.upper() for c in _values(args, "certificate")], "certificate", CERTIFICATE_SCHEMES, errors
    )
    districts = _choices([d.lower() for d in _values(args, "district")], "district", DISTRICTS, errors)
    categories = _choices([c.lower() for c in _values(args, "category")], "category", CATEGORIES, errors)
    manufacturers: list[int] = []
    raw_manufacturers = _values(args, "manufacturer")
    if len(raw_manufacturers) > MAX_FILTER_VALUES:
        errors.append({"field": "manufacturer", "reason": f"at most {MAX_FILTER_VALUES} values"})
    else:
        for raw in raw_manufacturers:
            if re.fullmatch(r"[0-9]{1,9}", raw) and int(raw) > 0:
                manufacturers.append(int(raw))
            else:
                errors.append(
                    {"field": "manufacturer", "reason": "must be manufacturer ids (positive whole numbers)"}
                )
                break
    lva_min: float | None = None
    raw_lva = _single(args, "lva_min", errors)
    if raw_lva is not None:
        try:
            lva_min = float(raw_lva)
        except ValueError:
            lva_min = None
        if lva_min is None or not 0.0 <= lva_min <= 100.0:
            errors.append({"field": "lva_min", "reason": "must be a percentage from 0 to 100"})
            lva_min = None
    sort = _single(args, "sort", errors) or ("relevance" if q else "newest")
    if sort not in SORTS:
        errors.append({"field": "sort", "reason": f"must be one of {', '.join(SORTS)}"})
        sort = "relevance"
    page = parse_int(_single(args, "page", errors), "page", 1, 1, MAX_RESULT_WINDOW, errors)
    per_page = parse_int(
        _single(args, "per_page", errors), "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE, errors
    )
    if page * per_page > MAX_RESULT_WINDOW and not any(e["field"] in ("page", "per_page") for e in errors):
        errors.append(
            {
                "field": "page",
                "reason": f"results beyond the first {MAX_RESULT_WINDOW} are not paged; use /export",
            }
        )
    if "facets" in args:
        facets = _choices(_values(args, "facets"), "facets", FACETS, errors)
    else:
        facets = tuple(FACETS)
    if errors:
        raise InvalidQuery("the catalogue query has invalid parameters", errors)
    return CatalogueQuery(
        q=q,
        licence_valid_on=licence_valid_on,
        certificate_valid_on=certificate_valid_on,
        certificates=certificates,
        lva_min=lva_min,
        districts=districts,
        manufacturers=tuple(dict.fromkeys(manufacturers)),
        categories=categories,
        sort=sort,
        page=page,
        per_page=per_page,
        facets=facets,
    )


def correction_preference(term: QueryTerm, candidate: str) -> tuple[int, int]:
    """How a typo correction ranks among those as few edits away: one that sounds the same (the same
    Banglish skeleton: ``fone`` → phone) first, then one that keeps the first letter; never ``one``."""
    same_sound = bool(term.skeleton) and skeletonise(candidate) == term.skeleton
    return (0 if same_sound else 1, 0 if candidate[:1] == term.token[:1] else 1)


def best_corrections(term: QueryTerm, candidates: Iterable[str]) -> list[str]:
    """The best typo corrections of ``term`` among ``candidates`` (words of the index), best first, at most 5.

    A candidate is at most ``max_typos`` edits away, or one edit more when it sounds the same; the
    nearest of those that sound the same win (``correction_preference``). Every backend picks with this."""
    limit = max_typos(term.token)
    scored = []
    for candidate in unique(candidates):
        distance = edit_distance(term.token, candidate, limit)
        if term.prefix and distance > limit and len(candidate) > len(term.token):
            distance = edit_distance(term.token, candidate[: len(term.token)], limit)
        sound, letter = correction_preference(term, candidate)
        if distance <= limit or (sound == 0 and edit_distance(term.token, candidate, limit + 1) <= limit + 1):
            # a word that sounds the same may be one edit further (fone → phone, not one)
            scored.append((sound, min(distance, limit + 1), letter, candidate))
    if not scored:
        return []
    scored.sort()
    return [c[-1] for c in scored if c[:2] == scored[0][:2]][:5]


def query_skeleton(token: str) -> str:
    """The Banglish skeleton a query word is also matched by.

    Romanised words need even two-letter skeletons (fon → fn, dhaka → dk); a Bangla word only
    looks for Latin-script names through it, and two letters would collide too often.
    """
    skeleton = skeletonise(token)
    return skeleton if len(skeleton) >= 3 or not has_bangla(token) else ""


# Words that say nothing about a product: dropped from a query that has other words; a query of nothing
# else asks for nothing and finds nothing (``AND`` alone would otherwise match every description).
STOPWORDS = frozenset(
    {
        "and",
        "or",
        "not",
        "the",
        "a",
        "an",
        "of",
        "for",
        "with",
        "in",
        "on",
        "to",
        "by",
        "ও",
        "এবং",
        "বা",
        "আর",
        "জন্য",
        "সহ",
    }
)
STOP_WORDS_ONLY = "stop_words_only"  # SearchResult.hint: the query had only words like these


def only_stop_words(q: str) -> bool:
    """Whether ``q`` has words and every one of them is a stop word (``AND``, ``the of``, ``এবং``)."""
    words = [w for w in normalise_text(q).split(" ") if tokenise(w)] if q.strip() else []
    return bool(words) and all("".join(tokenise(w)) in STOPWORDS for w in words)


def join_spelled_letters(words: list[str]) -> list[str]:
    """Letters typed one by one are one word: ``ইউ পি এস`` → ``ইউপিএস``, ``u p s`` → ``ups``.

    A run of two or more single Latin letters, or of Bangla letter names (at most three characters each,
    as ইউ, পি, এস), is joined."""

    def spelled(word: str) -> bool:
        return (len(word) == 1 and word.isascii() and word.isalpha()) or (
            has_bangla(word) and len(word) <= 3 and not any(ch.isdigit() for ch in word)
        )

    out: list[str] = []
    run: list[str] = []
    for word in [*words, ""]:
        if word and spelled(word) and (not run or has_bangla(word) == has_bangla(run[0])):
            run.append(word)
            continue
        out.extend(["".join(run)] if len(run) >= 2 else run)
        run = [word] if word and spelled(word) else []
        if word and not run:
            out.append(word)
    return out


def analyse_query_text(q: str, *, prefix_last: bool = True) -> list[QueryTerm]:
    """The terms of a query text: folded words with their Banglish skeleton and code form.

    Syntax characters of any engine (``"*():^-``) are separators here, so nothing the user types
    reaches an engine's query parser. The last word matches as a prefix when ``prefix_last``
    and the text does not end in a space (the user is still typing it).
    """
    words = join_spelled_letters(normalise_text(q).split(" ")) if q.strip() else []
    words = [w for w in words if "".join(tokenise(w)) not in STOPWORDS]
    terms: list[QueryTerm] = []
    for word in words:
        parts = tuple(tokenise(word))
        if not parts:
            continue
        code = normalise_code(word) if looks_like_code(word) else ""
        token = "".join(parts) if code else parts[0]
        if len(parts) > 1 and not code:
            # "wi-fi", "5g/4g": each part is a term of its own
            for part in parts:
                terms.append(QueryTerm(token=part, skeleton=query_skeleton(part)))
            continue
        terms.append(
            QueryTerm(token=token, skeleton="" if code else query_skeleton(token), code=code, parts=parts)
        )
        if len(terms) >= MAX_TERMS:
            break
    terms = terms[:MAX_TERMS]
    if terms and prefix_last and not q.endswith(" "):
        last = terms[-1]
        terms[-1] = QueryTerm(
            token=last.token, skeleton=last.skeleton, code=last.code, prefix=True, parts=last.parts
        )
    return terms


def parse_suggest_prefix(args: Args) -> tuple[str, int]:
    """The ``q`` and ``limit`` of a suggestion request."""
    errors: list[dict[str, str]] = []
    q = normalise_text(_single(args, "q", errors) or "")
    if len(q) > MAX_SUGGEST_LENGTH:
        errors.append({"field": "q", "reason": f"at most {MAX_SUGGEST_LENGTH} characters"})
    limit = parse_int(_single(args, "limit", errors), "limit", 10, 1, 20, errors)
    if errors:
        raise InvalidQuery("the suggestion request has invalid parameters", errors)
    return q, limit


def parse_compare_ids(args: Args) -> list[int]:
    """The product ids of a comparison: 1 to 5 distinct positive ids in the order given."""
    values = _values(args, "ids")
    if not values:
        raise InvalidQuery("name the products to compare", [{"field": "ids", "reason": "required"}])
    if not all(re.fullmatch(r"[0-9]{1,9}", v) and int(v) > 0 for v in values):
        raise InvalidQuery(
            "ids must be product ids", [{"field": "ids", "reason": "must be positive whole numbers"}]
        )
    ids = list(dict.fromkeys(int(v) for v in values))
    if len(ids) > MAX_COMPARE:
        raise InvalidQuery(
            f"compare at most {MAX_COMPARE} products",
            [{"field": "ids", "reason": f"at most {MAX_COMPARE} ids"}],
        )
    return ids


def page_count(total: int, per_page: int) -> int:
    return (total + per_page - 1) // per_page if total else 0
