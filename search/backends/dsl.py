"""Index settings, engine documents and query bodies for OpenSearch and Elasticsearch, as pure functions.

Everything here is derived from ``search.fields`` and shared by both cluster backends (their query
languages are the same for what we use). Nothing talks to a server: each function turns data into a
request body or a response into our result types, so each is tested against golden dicts.

Mapping (``build_index_body``), field by field of ``FIELDS``:

==========  =====================================================================================
kind        mapping
==========  =====================================================================================
text_en     ``text`` with the ``english`` analyzer (stemming: "phones" finds "phone")
text_bn     ``text`` with the ``bengali`` analyzer (normalisation + light stemming: "ফোনগুলো" → "ফোন")
code        ``keyword`` (exact GTIN / model number)
keyword     ``keyword``; ``facet`` → ``keyword`` counted with a ``terms`` aggregation
number      ``float``; ``date`` → ``date``
suggest     stored, not indexed: suggestions are prefix queries on the folded name and brand fields
==========  =====================================================================================

The engine's own analyzers cannot fold Bangla spelling variants the way ``search.text`` does, nor
make Banglish skeletons, so each engine document also carries ``x`` — derived fields computed by the
same Python functions the embedded backend uses, left out of every answer's ``_source``:

``x.f_w<boost>``  the folded tokens of the text fields of that boost (``x.f_w6`` = both names), whitespace
                 analysed, boosted like them;
``x.words``      every folded token of every text field (prefix and fuzzy match);
``x.translit_name``, ``x.translit``  Banglish skeletons of name and brand, of the rest; ``x.codes`` every suffix of the GTIN and
                 model number (a prefix query on it is a substring query: partial codes);
``x.id``, ``x.newest``, ``x.name_sort``, ``x.brand``  sort keys and the brand as a keyword;
``x.licence_from``, ``x.licence_until``  the licence dates with open ends filled in (plain range filters).

Queries: each word of the query text is a group of alternatives (language fields, folded fields, its
prefix while typed, a fuzzy match within ``max_typos`` edits, its Banglish skeleton, its code form as
a substring), groups ANDed — or ORed when nothing has every word. Highlights come from the same pure
highlighter as the embedded backend so they look the same on every backend.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from registry.data.districts import DISTRICTS
from registry.data.taxonomy import CATEGORIES, CERTIFICATE_SCHEMES
from search.fields import FACETS, FIELDS, LVA_BANDS, Field, code_fields, text_fields
from search.interfaces import Document, FacetCount, SearchHit, SearchResult, Suggestion
from search.matching import (
    TRANSLIT_BOOST,
    banglish_terms,
    code_terms,
    highlight_text,
    index_tokens,
    snippet,
)
from search.queries import MAX_TERMS, CatalogueQuery, QueryTerm, best_corrections
from search.text import (
    fold_text,
    looks_like_code,
    max_typos,
    normalise_text,
    skeletonise,
    tokenise,
    unique,
)

DERIVED = "x"
HIGHLIGHT_FIELDS = ("name_en", "name_bn", "brand", "model_number", "description_en", "description_bn")
PREFIX_FIELDS = ("name_en", "name_bn", "brand")  # folded fields that also match the word being typed
SUGGEST_FIELDS = PREFIX_FIELDS  # what product suggestions complete
FUZZY_BOOST = 0.5
# A Banglish word's skeleton found in a name stands for a name match, so it weighs like one. Only words
# the index lacks as typed get skeleton clauses, so this cannot outweigh a real name match; weighed
# lower (the embedded backend's 2), BM25's length norm let "Ghori Smart Plug" (its description says
# "meter") outrank "Ghori Prepaid Smart Meter" for "ghori smart miter".
SKELETON_NAME_BOOST = max(f.boost for f in text_fields())
FACET_SIZES = {"category": 200, "district": 100, "manufacturer": 2000}
ENTITY_LIMIT = 5000

LANGUAGE_ANALYZERS: dict[str, str] = {"text_en": "english", "text_bn": "bengali"}
FALLBACK_ANALYZER = (
    "standard"  # when the engine lacks its language analyzers (Elasticsearch's integ-test zip)
)
# No field is matched as a phrase except ``x.words`` (codes typed with separators), and highlights are
# made in Python: term frequencies without positions are all the scoring needs, and skipping
# positions makes indexing cheaper and the index smaller.
_WHITESPACE = {"type": "text", "analyzer": "whitespace", "norms": True, "index_options": "freqs"}
_FACET_KEYWORD = {"type": "keyword", "eager_global_ordinals": True}
DATE_FORMAT = "strict_date_optional_time||strict_date"  # ISO dates, with or without a time
_DATE_RANGE = {"type": "date_range", "format": DATE_FORMAT}
OPEN_START, OPEN_END = "0001-01-01", "9999-12-31"  # a licence without a start or an end date
SOURCE_EXCLUDES: dict[str, list[str]] = {"excludes": [DERIVED]}  # what a hit's ``_source`` leaves out


# Raised whenever a change to the mapping below needs the index rebuilt (queries rely on its fields): an
# index built by an older release is refused with "run flask search reindex" instead of answering wrongly.
MAPPING_VERSION = 4  # 4: licence_number and manufacturer_bin are codes (issue 22)


def _folded_groups() -> dict[str, tuple[Field, ...]]:
    """Text fields of equal boost share one folded field (``x.f_w6`` = both names, ``x.f_w3`` = maker and
    category names, …), as they share one FTS5 column in the embedded backend: six fields for a query
    word to look up instead of fourteen."""
    groups: dict[str, list[Field]] = {}
    for f in sorted(text_fields(), key=lambda f: -f.boost):
        groups.setdefault(f"f_w{f.boost:g}".replace(".", "_"), []).append(f)
    return {name: tuple(fields) for name, fields in groups.items()}


FOLDED_GROUPS: dict[str, tuple[Field, ...]] = _folded_groups()
_GROUP_OF: dict[str, str] = {f.name: group for group, fields in FOLDED_GROUPS.items() for f in fields}


def folded_name(field: Field | str) -> str:
    """The folded field (``x.f_w<boost>``) that holds a text field's folded tokens."""
    name = field if isinstance(field, str) else field.name
    return f"{DERIVED}.{_GROUP_OF[name]}"


# --- mapping -----------------------------------------------------------------------------------


def build_field_mapping(field: Field, analyzers: dict[str, str] | None = None) -> dict[str, Any]:
    """The engine mapping of one declared field (``analyzers``: kind → analyzer, default the language ones)."""
    analyzers = LANGUAGE_ANALYZERS if analyzers is None else analyzers
    if field.kind in analyzers:
        return {"type": "text", "analyzer": analyzers[field.kind], "index_options": "freqs"}
    if field.kind == "facet":
        return dict(_FACET_KEYWORD)  # global ordinals built at refresh, not by the first facet query after it
    if field.kind in ("keyword", "code"):
        return {"type": "keyword"}
    if field.kind == "number":
        return {"type": "float"}
    if field.kind == "date":
        return {"type": "date", "format": DATE_FORMAT}
    if field.kind == "suggest":
        # suggestions complete the folded name fields (x.f_name_en, x.f_name_bn, x.f_brand) by prefix;
        # search_as_you_type / index_prefixes cost 2-3x the bulk indexing rate here (docs/search-engines.md)
        return {"type": "keyword", "index": False, "doc_values": False}
    raise ValueError(f"no mapping for field kind {field.kind!r}")


def build_mappings(analyzers: dict[str, str] | None = None) -> dict[str, Any]:
    """``mappings`` of a catalogue index: declared fields, certificates (kept, not indexed), derived ``x`` fields.

    A certificate's validity is indexed as a date range under its scheme (``x.certs.BTRC``), not as a
    nested document: nested certificates more than doubled the index's Lucene documents, and every
    query then had to skip them (at 1,000,000 products the bench's hit requests took p95 20.6 ms
    nested, 14.0 ms flat; docs/search-engines.md).
    """
    analyzers = LANGUAGE_ANALYZERS if analyzers is None else analyzers
    properties: dict[str, Any] = {f.name: build_field_mapping(f, analyzers) for f in FIELDS}
    properties["certificates"] = {"type": "object", "enabled": False}
    derived: dict[str, Any] = {group: dict(_WHITESPACE) for group in FOLDED_GROUPS}
    derived["words"] = {**_WHITESPACE, "norms": False, "index_options": "positions"}  # match_phrase
    derived["translit_name"] = derived["translit"] = {**_WHITESPACE, "norms": False}
    derived["codes"] = {**_WHITESPACE, "norms": False, "index_options": "docs"}  # prefix queries only
    derived["licence_from"] = derived["licence_until"] = {"type": "date", "format": DATE_FORMAT}
    derived["certs"] = {"properties": {scheme: dict(_DATE_RANGE) for scheme in CERTIFICATE_SCHEMES}}
    derived["id"] = {"type": "long"}
    derived["newest"] = {"type": "keyword"}
    derived["name_sort"] = {"type": "keyword"}
    derived["brand"] = dict(_FACET_KEYWORD)
    properties[DERIVED] = {"properties": derived}
    return {
        "dynamic": False,  # documents carry more (specifications, licence_number): stored, not indexed
        # ``x`` stays in the stored _source and searches leave it out of their answers (SOURCE_EXCLUDES):
        # a mapping-level ``excludes`` costs every indexed document a second parse and serialisation of
        # its source, and a full extra copy (``_recovery_source``) until merges prune it.
        "_meta": {"analyzers": dict(analyzers), "mapping_version": MAPPING_VERSION},
        "properties": properties,
    }


def build_index_body(
    *,
    shards: int = 1,
    replicas: str | int = "0-1",
    refresh_interval: str | None = None,
    analyzers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The body that creates a catalogue index (``replicas`` "0-1" = one replica once a second node exists).

    ``refresh_interval`` None leaves the engine's default: a refresh every second while the index is
    searched, none on a shard nobody searched for 30 s ("search idle"; the next search waits for one
    instead, so it still finds every write). Pinning "1s" refreshed an idle index through a bulk load
    too, and every refresh is a small segment to merge: 100,000 upserts at 1,000,000 products ran at
    5,173-5,940/s pinned and 5,867-6,765/s left to the default, alternating (docs/search-engines.md).
    """
    settings: dict[str, Any] = {"number_of_shards": shards, "max_result_window": 10_000}
    if refresh_interval is not None:
        settings["refresh_interval"] = refresh_interval
    if isinstance(replicas, str) and "-" in replicas:
        settings["auto_expand_replicas"] = replicas
    else:
        settings["number_of_replicas"] = int(replicas)
    return {"settings": {"index": settings}, "mappings": build_mappings(analyzers)}


# --- documents ---------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def _tokens(text: str) -> tuple[str, ...]:
    """Folded index tokens of a text (cached: makers, categories, places and descriptions repeat)."""
    return tuple(index_tokens(text))


def _certificate_ranges(certificates: Any) -> dict[str, list[dict[str, str]]]:
    """Scheme → the date ranges its certificates are valid in (both ends inclusive, as the embedded
    backend compares them); a certificate without an end date is never valid there, nor here."""
    ranges: dict[str, list[dict[str, str]]] = {}
    for cert in certificates:
        if not cert.get("valid_until"):
            continue
        valid = {"lte": str(cert["valid_until"])}
        if cert.get("valid_from"):
            valid["gte"] = str(cert["valid_from"])
        ranges.setdefault(str(cert["scheme"]), []).append(valid)
    return ranges


@lru_cache(maxsize=65536)
def _group_tokens(values: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
    """The folded tokens of one folded group's field values, and them joined (makers, categories,
    places and descriptions repeat across products: most documents find their groups here)."""
    tokens = tuple(token for value in values for token in _tokens(value))
    return tokens, " ".join(tokens)


_GROUP_FIELDS = tuple((group, tuple(f.name for f in fields)) for group, fields in FOLDED_GROUPS.items())


def build_engine_document(doc: Document) -> Document:
    """The document as sent to the engine: the catalogue document plus its derived ``x`` fields."""
    body = dict(doc)
    derived: dict[str, Any] = {}
    words: list[str] = []
    for group, names in _GROUP_FIELDS:
        tokens, joined = _group_tokens(tuple(str(doc.get(name) or "") for name in names))
        derived[group] = joined
        words.extend(tokens)
    derived["words"] = " ".join(unique(words))
    derived["codes"] = code_terms(doc)
    derived["translit_name"], derived["translit"] = banglish_terms(doc)
    derived["certs"] = _certificate_ranges(doc.get("certificates") or ())
    derived["licence_from"] = doc.get("licence_valid_from") or OPEN_START
    derived["licence_until"] = doc.get("licence_valid_until") or OPEN_END
    derived["id"] = int(doc["id"])
    derived["newest"] = doc.get("launch_date") or (doc.get("created_at") or "")[:10]
    derived["name_sort"] = fold_text(str(doc.get("name_en") or ""))[:200]
    derived["brand"] = str(doc.get("brand") or "")
    body[DERIVED] = derived
    return body


# --- filters, sorts, facets --------------------------------------------------------------------


def build_filters(query: CatalogueQuery) -> list[dict[str, Any]]:
    """The filter clauses of a query: licence valid on a day, certificates, LVA, district, maker, category.

    The licence bounds are ``x.licence_from`` / ``x.licence_until``, where an open bound is stored as
    ``OPEN_START`` / ``OPEN_END``: two plain range filters on points instead of "missing or in range"
    (an ``exists`` test walks every document's doc values).
    """
    day = query.licence_valid_on.isoformat()
    filters: list[dict[str, Any]] = [
        {"range": {f"{DERIVED}.licence_from": {"lte": day}}},
        {"range": {f"{DERIVED}.licence_until": {"gte": day}}},
    ]
    cert_day = query.certificate_valid_on.isoformat()
    filters.extend(_certificate_valid(scheme, cert_day) for scheme in query.certificates)
    if query.lva_min is not None:
        filters.append({"range": {"local_value_addition": {"gte": query.lva_min}}})
    for field, values in (
        ("district", query.districts),
        ("manufacturer_id", [str(m) for m in query.manufacturers]),
        ("category", query.categories),
    ):
        if values:
            filters.append({"terms": {field: list(values)}})
    return filters


def _certificate_valid(scheme: str, day: str) -> dict[str, Any]:
    """Products with a certificate of ``scheme`` valid on ``day`` (a range of ``x.certs.<scheme>`` holds it)."""
    return {"range": {f"{DERIVED}.certs.{scheme}": {"gte": day, "lte": day, "relation": "contains"}}}


def build_sort(query: CatalogueQuery, has_text: bool, *, total_order: bool = False) -> list[Any]:
    """Sort keys, ending in the id so that every order is total (search_after, stable pages).

    Relevance alone is by score only unless ``total_order`` (``search_after`` needs it): with a
    second key the engine must score every match, with the score alone it skips the documents that
    cannot reach the page (block-max WAND) — 33 ms → 3 ms for "ডেস্কটপ কম্পিউটার" at 1,000,000
    products. Ties then keep index order, which a reindex makes id order.
    """
    sort = query.sort if has_text or query.sort != "relevance" else "newest"
    by_id = {f"{DERIVED}.id": "asc"}
    if sort == "relevance":
        return ["_score", by_id] if total_order else ["_score"]
    if sort == "newest":
        return [{f"{DERIVED}.newest": "desc"}, {f"{DERIVED}.id": "desc"}]
    if sort == "name":
        return [{f"{DERIVED}.name_sort": "asc"}, by_id]
    return [{"local_value_addition": "desc"}, by_id]


def build_aggregations(query: CatalogueQuery) -> dict[str, Any]:
    """Aggregations for the facets the query asks for (from ``FACETS``)."""
    aggs: dict[str, Any] = {}
    for name in query.facets:
        facet = FACETS[name]
        if facet.kind == "bands":
            ranges = []
            for i, (label, low, high) in enumerate(LVA_BANDS):
                band: dict[str, Any] = {"key": label, "from": low}
                if i < len(LVA_BANDS) - 1:
                    band["to"] = high
                ranges.append(band)
            aggs[name] = {"range": {"field": facet.field, "ranges": ranges}}
        elif facet.field == "certificate_schemes":
            day = query.certificate_valid_on.isoformat()
            aggs[name] = {
                "filters": {
                    "filters": {scheme: _certificate_valid(scheme, day) for scheme in CERTIFICATE_SCHEMES}
                }
            }
        else:
            aggs[name] = {
                "terms": {
                    "field": facet.field,
                    "size": FACET_SIZES.get(name, 500),
                    "order": [{"_count": "desc"}, {"_key": "asc"}],
                }
            }
    return aggs


def _facet_key(value: Any) -> Any:
    text = str(value)
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


def read_facets(query: CatalogueQuery, aggregations: dict[str, Any] | None) -> dict[str, list[FacetCount]]:
    """Facet counts from an aggregation response, ordered by count then value (like the embedded backend)."""
    out: dict[str, list[FacetCount]] = {}
    aggregations = aggregations or {}
    for name in query.facets:
        facet = FACETS[name]
        agg = aggregations.get(name)
        if agg is None:
            out[name] = []
            continue
        if facet.kind == "bands":
            counts = {b["key"]: int(b["doc_count"]) for b in agg["buckets"]}
            out[name] = [FacetCount(label, counts.get(label, 0)) for label, _lo, _hi in LVA_BANDS]
            continue
        if facet.field == "certificate_schemes":
            buckets = [(scheme, int(b["doc_count"])) for scheme, b in agg["buckets"].items()]
        else:
            buckets = [(b["key"], int(b["doc_count"])) for b in agg["buckets"]]
        buckets = [(str(k), n) for k, n in buckets if n > 0]
        buckets.sort(key=lambda kv: (-kv[1], _facet_key(kv[0])))
        out[name] = [FacetCount(k, n) for k, n in buckets]
    return out


# --- text --------------------------------------------------------------------------------------


def _text_field_boosts() -> list[str]:
    return [f"{f.name}^{f.boost:g}" for f in text_fields()]


def _folded_field_boosts() -> list[str]:
    return [f"{DERIVED}.{group}^{fields[0].boost:g}" for group, fields in FOLDED_GROUPS.items()]


def original_words(q: str) -> list[str]:
    """The query's words as typed (normalised, not folded), one per term of ``analyse_query_text(q)``.

    The engine's language analyzers get these: folding first would hide a Bangla word's
    hasant and ya-phala from the ``bengali`` stemmer.
    """
    out: list[str] = []
    for word in normalise_text(q).split(" ") if q.strip() else []:
        parts = tokenise(word)
        if not parts:
            continue
        out.extend([word] * (len(parts) if len(parts) > 1 and not looks_like_code(word) else 1))
    return out[:MAX_TERMS]


def build_term_clause(term: QueryTerm, word: str | None = None) -> dict[str, Any]:
    """Every way one query word may match, as one ``bool.should`` (``word``: as typed).

    A word the index has as typed (``term.known``) matches its folded form only, as in the embedded
    backend; the language analyzers (stemming: "ফোনগুলো" → "ফোন", "phones" → "phone") and the wider
    alternatives serve the words that match nothing as typed. At 1,000,000 products this halves the
    engine's CPU per search: a common word's fourteen language fields are scored on every document
    that has it.
    """
    folded = {"multi_match": {"query": term.token, "fields": _folded_field_boosts(), "type": "best_fields"}}
    if term.known:
        return {"bool": {"should": [folded], "minimum_should_match": 1}}
    should: list[dict[str, Any]] = [
        {"multi_match": {"query": word or term.token, "fields": _text_field_boosts(), "type": "best_fields"}},
        folded,
        *_alternative_clauses(term),
    ]
    if term.code:
        code_boost = max(f.boost for f in code_fields())
        should.append({"prefix": {f"{DERIVED}.codes": {"value": term.code, "boost": code_boost}}})
        if len(term.parts) > 1:
            should.append(
                {
                    "match_phrase": {
                        f"{DERIVED}.words": {"query": " ".join(term.parts), "boost": code_boost / 2}
                    }
                }
            )
    return {"bool": {"should": should, "minimum_should_match": 1}}


def _alternative_clauses(term: QueryTerm) -> list[dict[str, Any]]:
    """The wider matches of a word the index lacks as typed: prefix, near spellings, Banglish skeleton."""
    should: list[dict[str, Any]] = []
    if term.prefix and len(term.token) >= 2:
        boosts = {f.name: f.boost for f in text_fields()}
        for name in unique(folded_name(n) for n in PREFIX_FIELDS):
            boost = max(boosts[n] for n in PREFIX_FIELDS if folded_name(n) == name)
            should.append({"prefix": {name: {"value": term.token, "boost": boost * 0.8}}})
        should.append({"prefix": {f"{DERIVED}.words": {"value": term.token, "boost": 0.6}}})
    typos = max_typos(term.token)
    if typos and not term.code:
        should.append(
            {
                "match": {
                    f"{DERIVED}.words": {
                        "query": term.token,
                        "fuzziness": typos,
                        "prefix_length": 0,
                        "max_expansions": 30,
                        "boost": FUZZY_BOOST,
                    }
                }
            }
        )
    if term.skeleton:
        kind = "prefix" if term.prefix and len(term.skeleton) >= 2 else "term"
        for name, boost in (("translit_name", SKELETON_NAME_BOOST), ("translit", TRANSLIT_BOOST)):
            should.append({kind: {f"{DERIVED}.{name}": {"value": term.skeleton, "boost": boost}}})
    return should


def build_known_words_body(token: str) -> dict[str, Any]:
    """Whether any document has ``token`` among its folded words (one ``_msearch`` line per word)."""
    return {"size": 0, "track_total_hits": 1, "query": {"term": {f"{DERIVED}.words": token}}}


def mark_known_terms(terms: list[QueryTerm], known: set[str]) -> list[QueryTerm]:
    """``terms`` with the words in ``known`` (found in the index as typed) marked to match as typed only."""
    return [
        QueryTerm(token=t.token, code=t.code, parts=t.parts, known=True)
        if t.token in known and not t.code
        else t
        for t in terms
    ]


def build_query(query: CatalogueQuery, terms: list[QueryTerm], *, any_term: bool = False) -> dict[str, Any]:
    """The ``query`` of a catalogue search: the text's term groups (AND, or OR) under the filters."""
    body: dict[str, Any] = {"filter": build_filters(query)}
    if terms:
        words = original_words(query.q)
        if len(words) != len(terms):
            words = [t.token for t in terms]
        groups = [build_term_clause(t, w) for t, w in zip(terms, words, strict=True)]
        if any_term:
            body["should"] = groups
            body["minimum_should_match"] = 1
        else:
            body["must"] = groups
    return {"bool": body}


def build_search_body(
    query: CatalogueQuery,
    terms: list[QueryTerm],
    *,
    any_term: bool = False,
    with_facets: bool = True,
    count_total: bool = True,
    total_order: bool = False,
) -> dict[str, Any]:
    """A whole ``_search`` body for one page of a catalogue query.

    ``count_total=False`` lets the engine skip documents that cannot reach the page (block-max WAND);
    the count then comes from ``build_count_body``.
    """
    body: dict[str, Any] = {
        "query": build_query(query, terms, any_term=any_term),
        "sort": build_sort(query, bool(terms), total_order=total_order),
        "from": query.offset,
        "size": query.per_page,
        "track_total_hits": count_total,
        "_source": SOURCE_EXCLUDES,
    }
    if with_facets and query.facets:
        body["aggs"] = build_aggregations(query)
    corrections = [t.token for t in terms if max_typos(t.token) and not t.code and not t.known]
    if corrections:
        body["suggest"] = {
            f"fix{i}": {
                "text": token,
                "term": {
                    "field": f"{DERIVED}.words",
                    "suggest_mode": "missing",
                    # one edit more than a typo may be: a word that sounds the same still counts (fone → phone)
                    "max_edits": min(2, max_typos(token) + 1),
                    "prefix_length": 0,
                    "min_word_length": 4,
                    "size": 20,
                },
            }
            for i, token in enumerate(corrections)
        }
    return body


def build_count_body(
    query: CatalogueQuery, terms: list[QueryTerm], *, any_term: bool = False
) -> dict[str, Any]:
    """The exact total and the facet counts, no hits: ``size`` 0, so the engine's request cache keeps
    the answer until the next refresh (pages of one result, and popular queries, share it)."""
    body: dict[str, Any] = {
        "query": build_query(query, terms, any_term=any_term),
        "size": 0,
        "track_total_hits": True,
    }
    if query.facets:
        body["aggs"] = build_aggregations(query)
    return body


def read_corrections(
    suggest: dict[str, Any] | None, terms: list[QueryTerm], hits: list[Document] | tuple[()] = ()
) -> dict[str, list[str]]:
    """Typo corrections (word → the best candidates) from a term-suggester response, picked among its
    options as the embedded backend picks among its vocabulary (``best_corrections``).

    The suggester offers nothing two edits from a four-letter word (``fone`` → phone), so the name words
    of the ``hits`` that sound like a word (its Banglish skeleton matched them) are candidates too."""
    by_token = {t.token: t for t in terms}
    out: dict[str, list[str]] = {}
    for entries in (suggest or {}).values():
        for entry in entries:
            term = by_token.get(entry["text"])
            if term is None:
                continue
            options = [o["text"] for o in entry.get("options") or []]
            best = best_corrections(term, [*options, *_sound_alikes(term, hits)])
            if best:
                out[entry["text"]] = best
    return out


def _sound_alikes(term: QueryTerm, hits: list[Document] | tuple[()]) -> list[str]:
    if not term.skeleton:
        return []
    words = (w for doc in hits for name in PREFIX_FIELDS for w in tokenise(str(doc.get(name) or "")))
    return [w for w in unique(words) if skeletonise(w) == term.skeleton]


def build_highlights(
    doc: Document, terms: list[QueryTerm], corrections: dict[str, list[str]]
) -> dict[str, str]:
    """Highlighted fields of a hit: matches in ``<mark>``, long texts cut to a snippet around the first."""
    if not terms:
        return {}
    out = {}
    for name in HIGHLIGHT_FIELDS:
        text = str(doc.get(name) or "")
        if not text:
            continue
        marked = highlight_text(text, terms, corrections)
        if marked is not None:
            out[name] = snippet(text, marked)
    return out


def read_search_response(
    query: CatalogueQuery,
    response: dict[str, Any],
    terms: list[QueryTerm],
    corrections: dict[str, list[str]],
) -> SearchResult:
    """Our ``SearchResult`` from a ``_search`` response."""
    hits_block = response.get("hits") or {}
    total_block = hits_block.get("total") or 0
    total = int(total_block["value"] if isinstance(total_block, dict) else total_block)
    hits = []
    for hit in hits_block.get("hits") or []:
        doc = hit["_source"]
        hits.append(
            SearchHit(
                document=doc,
                score=float(hit.get("_score") or 0.0),
                highlights=build_highlights(doc, terms, corrections),
            )
        )
    corrected_q = None
    if corrections:
        corrected_q = " ".join(corrections.get(t.token, [t.token])[0] for t in terms)
    facets = read_facets(query, response.get("aggregations")) if total else {}
    return SearchResult(hits=hits, total=total, facets=facets, corrected_q=corrected_q)


# --- suggestions -------------------------------------------------------------------------------


def build_suggest_body(terms: list[QueryTerm], limit: int) -> dict[str, Any]:
    """Product-name completions: every word must match name, brand, skeleton or code; the last as a prefix."""
    must = []
    for t in terms:
        kind = "prefix" if t.prefix else "term"
        should: list[dict[str, Any]] = [
            {kind: {name: t.token}} for name in unique(folded_name(n) for n in SUGGEST_FIELDS)
        ]
        if t.skeleton:
            should.append({kind: {f"{DERIVED}.translit_name": t.skeleton}})
        if t.code:
            should.append({"prefix": {f"{DERIVED}.codes": t.code}})
        must.append({"bool": {"should": should, "minimum_should_match": 1}})
    return {
        "query": {"bool": {"must": must}},
        "size": limit * 4,
        "_source": ["id", "name_en", "name_bn"],
        # by score only (ties in index order) and no count: the engine stops once the list is full
        "track_total_hits": False,
    }


def build_entities_body() -> dict[str, Any]:
    """Aggregations listing brands, categories, districts and manufacturers with product counts."""
    return {
        "size": 0,
        "query": {"match_all": {}},
        "aggs": {
            "brand": {"terms": {"field": f"{DERIVED}.brand", "size": ENTITY_LIMIT}},
            "category": {"terms": {"field": "category", "size": 500}},
            "district": {"terms": {"field": "district", "size": 200}},
            "manufacturer": {
                "terms": {"field": "manufacturer_id", "size": ENTITY_LIMIT},
                "aggs": {
                    "names": {
                        "top_hits": {"size": 1, "_source": ["manufacturer_name_en", "manufacturer_name_bn"]}
                    }
                },
            },
        },
    }


def read_entities(response: dict[str, Any]) -> list[dict[str, Any]]:
    """Suggestion entries (text, kind, value, count, folded words and skeletons) from the entity aggregations."""

    aggs = response.get("aggregations") or {}
    entries: list[dict[str, Any]] = []

    def add(text: str, kind: str, value: str, count: int) -> None:
        if text:
            words = tokenise(text)
            entries.append(
                {
                    "text": text,
                    "kind": kind,
                    "value": value,
                    "count": count,
                    "words": words,
                    "skeletons": [skeletonise(w) for w in words],
                }
            )

    for b in aggs.get("brand", {}).get("buckets", []):
        add(str(b["key"]), "brand", str(b["key"]), int(b["doc_count"]))
    for b in aggs.get("category", {}).get("buckets", []):
        cat = CATEGORIES.get(b["key"])
        add(cat.name_en if cat else b["key"], "category", b["key"], int(b["doc_count"]))
        if cat:
            add(cat.name_bn, "category", b["key"], int(b["doc_count"]))
    for b in aggs.get("district", {}).get("buckets", []):
        dist = DISTRICTS.get(b["key"])
        add(dist.name_en if dist else b["key"], "district", b["key"], int(b["doc_count"]))
        if dist:
            add(dist.name_bn, "district", b["key"], int(b["doc_count"]))
    for b in aggs.get("manufacturer", {}).get("buckets", []):
        hits = b["names"]["hits"]["hits"]
        source = hits[0]["_source"] if hits else {}
        add(source.get("manufacturer_name_en") or "", "manufacturer", str(b["key"]), int(b["doc_count"]))
        add(source.get("manufacturer_name_bn") or "", "manufacturer", str(b["key"]), int(b["doc_count"]))
    entries.sort(key=lambda e: -e["count"])
    return entries


def read_product_suggestions(
    response: dict[str, Any], *, bangla: bool, limit: int, names: set[str] | None = None
) -> list[Suggestion]:
    """Distinct product names from a suggestion search, in the script the user types in."""
    names = set() if names is None else names
    out: list[Suggestion] = []
    for hit in (response.get("hits") or {}).get("hits") or []:
        doc = hit["_source"]
        text = doc.get("name_bn") if bangla and doc.get("name_bn") else doc.get("name_en")
        if not text or text in names:
            continue
        names.add(text)
        out.append(Suggestion(text, "product", str(doc["id"]), 1))
        if len(out) >= limit:
            break
    return out
