"""The embedded backend: SQLite FTS5 in its own index file, no server, the default.

Layout under ``<INSTANCE_PATH>/search/``::

    catalogue-20261128T011900123456.sqlite3   one index (documents, FTS5 tables, vocabulary)
    CURRENT                                   the live index's file name, replaced atomically
    REINDEXING                                present while a reindex builds a new index

Each index file holds:

* ``docs`` — one row per document: the JSON body plus the filter/sort/facet columns;
* ``doc_certs`` — (document, scheme, valid_from, valid_until) for certificate filters and facets;
* ``fts`` — FTS5 over the folded text fields of ``search.fields`` (one column each, bm25 weight =
  the field's boost), ``codes`` (every suffix of the GTIN and model number, so a prefix query is a
  substring query), ``translit_name`` and ``translit`` (Banglish skeletons of the name and brand,
  and of the other Banglish fields, weighted apart so a romanised name outranks a category);
* ``vocab`` + ``vocab_tri`` — the words of the text fields and an FTS5 trigram index over them,
  from which typo corrections within edit distance 2 are found.
"""

# SQL here is assembled only from this module's constants and "?" placeholders; values are always bound.
# ruff: noqa: S608

from __future__ import annotations

import contextlib
import heapq
import json
import logging
import os
import queue
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from registry.data.districts import DISTRICTS
from registry.data.taxonomy import CATEGORIES
from search.backends.bitsets import DocFacts, FacetIndex, Membership, bits_from_ids, ids_from_bits
from search.errors import ReindexFailed, SearchError, SearchUnavailable
from search.fields import LVA_BANDS, Field, code_fields, lva_band, text_fields
from search.interfaces import (
    Document,
    DocumentSource,
    FacetCount,
    IndexInfo,
    SearchBackend,
    SearchHit,
    SearchResult,
    Suggestion,
)
from search.matching import (
    NAME_BOOST,
    TRANSLIT_BOOST,
    banglish_terms,
    code_terms,
    entity_matches,
    highlight_text,
    index_tokens,
    snippet,
)
from search.queries import (
    STOP_WORDS_ONLY,
    CatalogueQuery,
    QueryTerm,
    analyse_query_text,
    best_corrections,
)
from search.text import (
    fold_text,
    has_bangla,
    max_typos,
    skeletonise,
    tokenise,
    unique,
)

log = logging.getLogger(__name__)


def _text_groups() -> dict[str, tuple[Field, ...]]:
    """Text fields of equal boost share one FTS5 column (fewer columns: faster matching and ranking)."""
    groups: dict[str, list[Field]] = {}
    for f in sorted(text_fields(), key=lambda f: -f.boost):
        groups.setdefault(f"text_w{f.boost:g}".replace(".", "_"), []).append(f)
    return {name: tuple(fields) for name, fields in groups.items()}


TEXT_GROUPS: dict[str, tuple[Field, ...]] = _text_groups()
TEXT_COLUMNS: tuple[str, ...] = tuple(TEXT_GROUPS)
RANK_ALL_LIMIT = 3000  # larger match sets rank their name matches first (see _text_matches)
FTS_COLUMNS: tuple[str, ...] = (*TEXT_COLUMNS, "codes", "translit_name", "translit")
NAME_COLUMNS: tuple[str, ...] = tuple(c for c, fields in TEXT_GROUPS.items() if fields[0].boost >= NAME_BOOST)
CODE_BOOST = max(f.boost for f in code_fields())
TRANSLIT_NAME_BOOST = 2.0
POINTER = "CURRENT"
REINDEX_MARKER = "REINDEXING"
REINDEX_MARKER_STALE_SECONDS = 3600
KEEP_OLD_INDEXES = 1
HIGHLIGHT_FIELDS = (
    "name_en",
    "name_bn",
    "brand",
    "model_number",
    "manufacturer_name_en",
    "manufacturer_name_bn",
    "category_name_en",
    "category_name_bn",
    "description_en",
    "description_bn",
)

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    id INTEGER PRIMARY KEY,
    category TEXT NOT NULL,
    manufacturer_id INTEGER NOT NULL,
    district TEXT NOT NULL,
    brand TEXT NOT NULL,
    lva REAL NOT NULL,
    lva_band TEXT NOT NULL,
    licence_valid_from TEXT,
    licence_valid_until TEXT,
    newest TEXT NOT NULL,
    name_sort TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS doc_certs (
    doc_id INTEGER NOT NULL, scheme TEXT NOT NULL, valid_from TEXT NOT NULL, valid_until TEXT NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
    {", ".join(FTS_COLUMNS)}, tokenize = 'ascii', prefix = '2 3'
);
CREATE VIRTUAL TABLE IF NOT EXISTS fts_vocab USING fts5vocab(fts, 'row');
CREATE TABLE IF NOT EXISTS vocab (id INTEGER PRIMARY KEY, term TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS changes (seq INTEGER PRIMARY KEY, doc_id INTEGER NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS vocab_tri USING fts5(
    term, tokenize = 'trigram', content = 'vocab', content_rowid = 'id'
);
CREATE TRIGGER IF NOT EXISTS vocab_added AFTER INSERT ON vocab BEGIN
    INSERT INTO vocab_tri (rowid, term) VALUES (new.id, new.term);
END;
"""
_INDEXES = """
CREATE INDEX IF NOT EXISTS docs_category ON docs (category);
CREATE INDEX IF NOT EXISTS docs_manufacturer ON docs (manufacturer_id);
CREATE INDEX IF NOT EXISTS docs_district ON docs (district);
CREATE INDEX IF NOT EXISTS docs_lva ON docs (lva);
CREATE INDEX IF NOT EXISTS docs_newest ON docs (newest);
CREATE INDEX IF NOT EXISTS docs_name ON docs (name_sort);
CREATE INDEX IF NOT EXISTS doc_certs_doc ON doc_certs (doc_id);
CREATE INDEX IF NOT EXISTS doc_certs_scheme ON doc_certs (scheme, valid_until);
"""
# SQLite errors that mean "the index is not there or busy", as opposed to a bug
_UNAVAILABLE = re.compile(
    r"locked|busy|unable to open|disk i/o|no such table|readonly|malformed|not a database"
)
_SORTS = {
    "relevance": "rank, d.id",
    "newest": "d.newest DESC, d.id DESC",
    "name": "d.name_sort, d.id",
    "lva": "d.lva DESC, d.id DESC",
}
CHANGE_LOG_KEEP = 100_000
DIRECT_SORT_LIMIT = 20_000  # up to this many results, sort in memory; beyond, walk the sort index


def _licence_valid_on(day: str) -> Callable[[DocFacts], bool]:
    def valid(f: DocFacts) -> bool:
        return (f.licence_from is None or f.licence_from <= day) and (
            f.licence_until is None or f.licence_until >= day
        )

    return valid


def _certificate_valid_on(scheme: str, day: str) -> Callable[[DocFacts], bool]:
    def valid(f: DocFacts) -> bool:
        return any(s == scheme and valid_from <= day <= valid_until for s, valid_from, valid_until in f.certs)

    return valid


def _lva_at_least(minimum: float) -> Callable[[DocFacts], bool]:
    def enough(f: DocFacts) -> bool:
        return f.lva >= minimum

    return enough


def _bm25_config() -> str:
    weights = [fields[0].boost for fields in TEXT_GROUPS.values()] + [
        CODE_BOOST,
        TRANSLIT_NAME_BOOST,
        TRANSLIT_BOOST,
    ]
    return "bm25(" + ", ".join(f"{w:g}" for w in weights) + ")"


def _quote(token: str) -> str:
    """An FTS5 string literal (tokens never contain quotes, but be safe)."""
    return '"' + token.replace('"', '""') + '"'


@lru_cache(maxsize=65_536)
def _indexed_text(text: str) -> str:
    return " ".join(index_tokens(text))


@lru_cache(maxsize=65_536)
def _vocabulary(indexed: str) -> frozenset[str]:
    """The words of an indexed text that typo correction may suggest (3+ characters, not numbers)."""
    return frozenset(t for t in indexed.split() if len(t) >= 3 and not t.isdigit())


def build_index_row(doc: Document) -> dict[str, Any]:
    """The FTS5 column values of a document (folded text, code suffixes, Banglish skeletons).

    Field values repeat across a catalogue (makers, categories, districts, series descriptions),
    so their analysis is cached by value.
    """
    row: dict[str, Any] = {
        column: " ".join(_indexed_text(str(doc.get(f.name) or "")) for f in fields)
        for column, fields in TEXT_GROUPS.items()
    }
    row["codes"] = code_terms(doc)
    row["translit_name"], row["translit"] = banglish_terms(doc)
    return row


def build_match_expression(
    terms: list[QueryTerm],
    corrections: dict[str, list[str]],
    *,
    any_term: bool = False,
    names_only: bool = False,
) -> str:
    """The FTS5 MATCH expression of analysed query terms (pure; every token is quoted).

    Each term is a group of alternatives — the word in the text columns (as a prefix when it is
    being typed), its typo corrections, its Banglish skeleton in ``translit``, its code form as a
    substring of a GTIN or model number — and the groups are ANDed (ORed when ``any_term``).
    ``names_only`` restricts the text and skeleton alternatives to the name and brand columns.
    """
    text_cols = "{" + " ".join(NAME_COLUMNS if names_only else TEXT_COLUMNS) + "}"
    skeleton_cols = "translit_name" if names_only else "{translit_name translit}"
    groups: list[str] = []
    for term in terms:
        alts: list[str] = []
        star = "*" if term.prefix and len(term.token) >= 2 else ""
        if term.code and len(term.parts) > 1:
            alts.append(f"{text_cols} : {_quote(' '.join(term.parts))}")
        alts.append(f"{text_cols} : {_quote(term.token)}{star}")
        alts.extend(f"{text_cols} : {_quote(c)}" for c in corrections.get(term.token, ()))
        if term.skeleton:
            skeleton_star = "*" if term.prefix and len(term.skeleton) >= 2 else ""
            alts.append(f"{skeleton_cols} : {_quote(term.skeleton)}{skeleton_star}")
        if term.code:
            alts.append(f"codes : {_quote(term.code)}*")
        groups.append("(" + " OR ".join(alts) + ")")
    return (" OR " if any_term else " AND ").join(groups)


def build_filter_sql(query: CatalogueQuery) -> tuple[str, list[Any]]:
    """The WHERE clause (over ``docs d``) of a query's filters, and its parameters (pure)."""
    clauses = [
        "(d.licence_valid_from IS NULL OR d.licence_valid_from <= ?)",
        "(d.licence_valid_until IS NULL OR d.licence_valid_until >= ?)",
    ]
    lic = query.licence_valid_on.isoformat()
    params: list[Any] = [lic, lic]
    cert_day = query.certificate_valid_on.isoformat()
    for scheme in query.certificates:
        clauses.append(
            "EXISTS (SELECT 1 FROM doc_certs c WHERE c.doc_id = d.id AND c.scheme = ?"
            " AND c.valid_from <= ? AND c.valid_until >= ?)"
        )
        params += [scheme, cert_day, cert_day]
    if query.lva_min is not None:
        clauses.append("d.lva >= ?")
        params.append(query.lva_min)
    for column, values in (
        ("d.district", query.districts),
        ("d.manufacturer_id", query.manufacturers),
        ("d.category", query.categories),
    ):
        if values:
            clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
            params.extend(values)
    return " AND ".join(clauses), params


@dataclass
class PreparedRows:
    """The table rows of a batch of documents, ready to insert."""

    docs: list[tuple[Any, ...]] = field(default_factory=list)
    certs: list[tuple[Any, ...]] = field(default_factory=list)
    fts: list[tuple[Any, ...]] = field(default_factory=list)
    vocab: set[str] = field(default_factory=set)


def prepare_rows(docs: Iterable[Document]) -> PreparedRows:
    """Rows of ``docs`` for the docs, doc_certs, fts and vocab tables."""
    out = PreparedRows()
    for doc in docs:
        doc_id = int(doc["id"])
        lva = float(doc.get("local_value_addition") or 0.0)
        newest = doc.get("launch_date") or (doc.get("created_at") or "")[:10]
        out.docs.append(
            (
                doc_id,
                doc.get("category") or "",
                int(doc.get("manufacturer_id") or 0),
                doc.get("district") or "",
                doc.get("brand") or "",
                lva,
                lva_band(lva),
                doc.get("licence_valid_from"),
                doc.get("licence_valid_until"),
                newest,
                fold_text(str(doc.get("name_en") or "")),
                json.dumps(doc, ensure_ascii=False, separators=(",", ":")),
            )
        )
        for cert in doc.get("certificates") or ():
            out.certs.append(
                (doc_id, cert["scheme"], cert.get("valid_from") or "", cert.get("valid_until") or "")
            )
        row = build_index_row(doc)
        out.fts.append((doc_id, *(row[c] for c in FTS_COLUMNS)))
        for column in TEXT_COLUMNS:
            out.vocab.update(_vocabulary(row[column]))
    return out


def _utcnow() -> datetime:
    return datetime.now(UTC)


class EmbeddedSearchBackend(SearchBackend):
    """SQLite FTS5 index files under ``directory``; safe to share between threads and processes."""

    name = "embedded"

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._bitsets: tuple[str, FacetIndex] | None = None
        self._bitsets_lock = threading.Lock()
        self._entities: tuple[tuple[str, int], list[dict[str, Any]]] | None = None
        # manufacturer names by id, read again whenever the index changed (a maker may be renamed)
        self._manufacturer_names: dict[str, tuple[str, str]] = {}
        self._entities_lock = threading.Lock()

    # --- files and connections -------------------------------------------------------------

    @property
    def pointer_path(self) -> Path:
        return self.directory / POINTER

    def _ensure_directory(self) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SearchUnavailable(f"cannot create the search index directory: {exc}") from exc

    def _live_file(self, create: bool) -> Path:
        try:
            name = self.pointer_path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            name = ""
        except OSError as exc:
            raise SearchUnavailable(f"cannot read the search index pointer: {exc}") from exc
        if name:
            path = self.directory / name
            if not path.exists():
                raise SearchUnavailable(
                    f"the live search index {name} is missing; run `flask search reindex`"
                )
            return path
        if not create:
            raise SearchUnavailable("there is no search index yet; run `flask search reindex`")
        self._ensure_directory()
        path = self._new_file()
        conn = self._open(path)
        try:
            self._create_schema(conn)
        finally:
            conn.close()
        self._point_to(path)
        return path

    def _new_file(self) -> Path:
        stamp = _utcnow().strftime("%Y%m%dT%H%M%S%f")
        return self.directory / f"catalogue-{stamp}.sqlite3"

    def _point_to(self, path: Path) -> None:
        tmp = self.directory / f".{POINTER}.{os.getpid()}.{threading.get_ident()}"
        tmp.write_text(path.name + "\n", encoding="utf-8")
        os.replace(tmp, self.pointer_path)

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute("PRAGMA cache_size=-65536")
        conn.execute("PRAGMA mmap_size=268435456")
        return conn

    @staticmethod
    def _create_schema(conn: sqlite3.Connection) -> None:
        conn.executescript(_SCHEMA + _INDEXES)
        conn.execute("INSERT INTO fts (fts, rank) VALUES ('rank', ?)", (_bm25_config(),))
        conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('created_at', ?), ('generation', '0')",
            (_utcnow().isoformat(timespec="seconds"),),
        )

    def _conn(self, create: bool = True) -> sqlite3.Connection:
        """This thread's connection to the live index, reopened when the pointer moved."""
        try:
            stat = self.pointer_path.stat()
            key: tuple[int, int] | None = (stat.st_ino, stat.st_mtime_ns)
        except FileNotFoundError:
            key = None
        except OSError as exc:
            raise SearchUnavailable(f"cannot read the search index pointer: {exc}") from exc
        cached: tuple[tuple[int, int], sqlite3.Connection] | None = getattr(self._local, "conn", None)
        if cached is not None and key is not None and cached[0] == key:
            return cached[1]
        if cached is not None:
            cached[1].close()
            self._local.conn = None
        path = self._live_file(create=create)
        try:
            conn = self._open(path)
            # index files written before the change log existed
            conn.execute(
                "CREATE TABLE IF NOT EXISTS changes (seq INTEGER PRIMARY KEY, doc_id INTEGER NOT NULL)"
            )
        except sqlite3.Error as exc:
            raise SearchUnavailable(f"cannot open the search index: {exc}") from exc
        stat = self.pointer_path.stat()
        self._local.conn = ((stat.st_ino, stat.st_mtime_ns), conn)
        return conn

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except SearchError:
            raise
        except sqlite3.OperationalError as exc:
            if _UNAVAILABLE.search(str(exc)):
                raise SearchUnavailable(f"the search index cannot answer: {exc}") from exc
            raise SearchError(f"search index error: {exc}") from exc
        except sqlite3.Error as exc:
            raise SearchError(f"search index error: {exc}") from exc

    def _generation(self, conn: sqlite3.Connection) -> tuple[str, int]:
        row = conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        name = self.pointer_path.read_text(encoding="utf-8").strip() if self.pointer_path.exists() else ""
        return name, int(row[0]) if row else 0

    # --- writes ------------------------------------------------------------------------------

    @staticmethod
    def _write_documents(conn: sqlite3.Connection, docs: list[Document], *, replace: bool) -> None:
        ids = [int(d["id"]) for d in docs]
        if replace and ids:
            EmbeddedSearchBackend._delete_rows(conn, ids)
        EmbeddedSearchBackend._insert_rows(conn, prepare_rows(docs))

    @staticmethod
    def _insert_rows(conn: sqlite3.Connection, rows: PreparedRows) -> None:
        conn.executemany("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows.docs)
        conn.executemany("INSERT INTO doc_certs VALUES (?, ?, ?, ?)", rows.certs)
        placeholders = ", ".join("?" * (len(FTS_COLUMNS) + 1))
        conn.executemany(
            f"INSERT INTO fts (rowid, {', '.join(FTS_COLUMNS)}) VALUES ({placeholders})", rows.fts
        )
        conn.executemany("INSERT OR IGNORE INTO vocab (term) VALUES (?)", ((t,) for t in sorted(rows.vocab)))

    @staticmethod
    def _delete_rows(conn: sqlite3.Connection, ids: list[int]) -> None:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            conn.execute(f"DELETE FROM docs WHERE id IN ({marks})", chunk)
            conn.execute(f"DELETE FROM doc_certs WHERE doc_id IN ({marks})", chunk)
            conn.execute(f"DELETE FROM fts WHERE rowid IN ({marks})", chunk)

    @staticmethod
    def _log_changes(conn: sqlite3.Connection, ids: list[int]) -> None:
        """Tell every reader's bitsets which documents changed (the log keeps the last 100,000 changes)."""
        conn.executemany("INSERT INTO changes (doc_id) VALUES (?)", ((i,) for i in ids))
        conn.execute("DELETE FROM changes WHERE seq < (SELECT max(seq) FROM changes) - ?", (CHANGE_LOG_KEEP,))

    def _bump(self, conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")

    def index_documents(self, docs: Iterable[Document]) -> int:
        batch = list(docs)
        if not batch:
            return 0
        with self._errors(), self._write_lock:
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                self._write_documents(conn, batch, replace=True)
                self._log_changes(conn, [int(d["id"]) for d in batch])
                self._bump(conn)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return len(batch)

    def delete_documents(self, ids: Iterable[int]) -> int:
        wanted = sorted({int(i) for i in ids})
        if not wanted:
            return 0
        with self._errors(), self._write_lock:
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                self._delete_rows(conn, wanted)
                self._log_changes(conn, wanted)
                self._bump(conn)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return len(wanted)

    # --- reads -------------------------------------------------------------------------------

    def _plan_terms(self, conn: sqlite3.Connection, terms: list[QueryTerm]) -> list[QueryTerm]:
        """Drop the costly alternatives of words the index has as they are.

        A word found as typed needs no prefix match, no Banglish skeleton and no correction;
        those widen (and slow) only the words that match nothing.
        """
        planned = []
        for term in terms:
            if not term.code and self._doc_frequency(conn, term.token) > 0:
                term = QueryTerm(token=term.token, parts=term.parts)
            planned.append(term)
        return planned

    def _corrections(self, conn: sqlite3.Connection, terms: list[QueryTerm]) -> dict[str, list[str]]:
        """Typo corrections of the words that match nothing (edit distance ≤ 1 or 2 by length)."""
        out: dict[str, list[str]] = {}
        for term in terms:
            limit = max_typos(term.token)
            if term.code or limit == 0 or self._term_exists(conn, term):
                continue
            grams = unique(term.token[i : i + 3] for i in range(len(term.token) - 2))
            if not grams:
                continue
            expression = " OR ".join(_quote(g) for g in grams)
            rows = conn.execute(
                "SELECT term FROM vocab_tri WHERE vocab_tri MATCH ? ORDER BY rank LIMIT 200", (expression,)
            ).fetchall()
            best = best_corrections(term, (candidate for (candidate,) in rows))
            existing = [c for c in best if self._doc_frequency(conn, c) > 0]
            if existing:
                out[term.token] = existing
        return out

    @staticmethod
    def _doc_frequency(conn: sqlite3.Connection, token: str) -> int:
        row = conn.execute("SELECT doc FROM fts_vocab WHERE term = ?", (token,)).fetchone()
        return int(row[0]) if row else 0

    def _term_exists(self, conn: sqlite3.Connection, term: QueryTerm) -> bool:
        if self._doc_frequency(conn, term.token) > 0:
            return True
        if term.prefix:
            row = conn.execute(
                "SELECT 1 FROM fts_vocab WHERE term > ? AND term < ? LIMIT 1",
                (term.token, term.token + "\U0010ffff"),
            ).fetchone()
            return row is not None
        return False

    def _match_base(
        self, conn: sqlite3.Connection, query: CatalogueQuery
    ) -> tuple[str, list[Any], str | None, list[QueryTerm], dict[str, list[str]]]:
        """FROM/WHERE SQL over the documents matching ``query`` (text and filters)."""
        where, params = build_filter_sql(query)
        terms = self._plan_terms(conn, analyse_query_text(query.q))
        if not terms:
            return f"docs d WHERE {where}", params, None, terms, {}
        corrections = self._corrections(conn, terms)
        corrected_q = None
        if corrections:
            corrected_q = " ".join(corrections.get(t.token, [t.token])[0] for t in terms)
        match = build_match_expression(terms, corrections)
        if len(terms) > 1:
            probe = conn.execute(
                f"SELECT 1 FROM fts JOIN docs d ON d.id = fts.rowid WHERE fts MATCH ? AND {where} LIMIT 1",
                [match, *params],
            ).fetchone()
            if probe is None:
                # nothing has every word: rank by how many (and how well) words match instead
                match = build_match_expression(terms, corrections, any_term=True)
        base = f"fts JOIN docs d ON d.id = fts.rowid WHERE fts MATCH ? AND {where}"
        return base, [match, *params], corrected_q, terms, corrections

    def _facet_index(self, conn: sqlite3.Connection) -> FacetIndex:
        """The bitsets of the live index file, caught up with its change log."""
        name = self.pointer_path.read_text(encoding="utf-8").strip()
        with self._bitsets_lock:
            current = self._bitsets
            if current is None or current[0] != name:
                current = (name, FacetIndex())
                self._bitsets = current
        current[1].refresh(conn)
        return current[1]

    @staticmethod
    def _filter_bits(fx: FacetIndex, query: CatalogueQuery) -> int:
        day = query.licence_valid_on.isoformat()
        bits = fx.all & fx.derived(("licence", day), _licence_valid_on(day))
        cert_day = query.certificate_valid_on.isoformat()
        for scheme in query.certificates:
            bits &= fx.derived(("certificate", scheme, cert_day), _certificate_valid_on(scheme, cert_day))
        if query.lva_min is not None:
            bits &= fx.derived(("lva_min", query.lva_min), _lva_at_least(query.lva_min))
        if query.districts:
            bits &= fx.any_of("district", query.districts)
        if query.manufacturers:
            bits &= fx.any_of("manufacturer", [str(m) for m in query.manufacturers])
        if query.categories:
            bits &= fx.any_of("category", query.categories)
        return bits

    @staticmethod
    def _count_facets(fx: FacetIndex, final: int, query: CatalogueQuery) -> dict[str, list[FacetCount]]:
        out: dict[str, list[FacetCount]] = {}
        for name in query.facets:
            if name == "lva":
                table = fx.values["lva"]
                out[name] = [
                    FacetCount(label, (final & table.get(label, 0)).bit_count())
                    for label, _l, _h in LVA_BANDS
                ]
                continue
            if name == "certificate":
                day = query.certificate_valid_on.isoformat()
                counts = [
                    FacetCount(
                        scheme,
                        (
                            final
                            & fx.derived(("certificate", scheme, day), _certificate_valid_on(scheme, day))
                        ).bit_count(),
                    )
                    for scheme, holders in fx.cert_values.items()
                    if final & holders
                ]
            else:
                counts = [
                    FacetCount(value, (final & bits).bit_count()) for value, bits in fx.values[name].items()
                ]
            out[name] = sorted((c for c in counts if c.count), key=lambda c: (-c.count, c.value))
        return out

    def _text_matches(
        self,
        conn: sqlite3.Connection,
        terms: list[QueryTerm],
        corrections: dict[str, list[str]],
        member: Membership,
        wanted: int | None,
    ) -> tuple[list[tuple[float, int]], list[int]]:
        """The documents matching every term (or, failing that, any term) and the filters.

        Returns the (rank, id) pairs the page is chosen from and every matching id. ``wanted`` is
        how many top-ranked documents the page needs (None: no ranking). bm25 costs several times
        the match itself, so a large match set (over ``RANK_ALL_LIMIT``) is ranked in two steps:
        the documents whose name, brand or code matches come first — by bm25, or newest first
        when they too are more than ``RANK_ALL_LIMIT`` — and only if they cannot fill the page is
        every match ranked.
        """
        any_term = False
        match = build_match_expression(terms, corrections)
        ids = [
            r[0] for r in conn.execute("SELECT rowid FROM fts WHERE fts MATCH ?", (match,)) if r[0] in member
        ]
        if not ids and len(terms) > 1:
            # nothing has every word: rank by how many (and how well) words match instead
            any_term = True
            match = build_match_expression(terms, corrections, any_term=True)
            ids = [
                r[0]
                for r in conn.execute("SELECT rowid FROM fts WHERE fts MATCH ?", (match,))
                if r[0] in member
            ]
        if wanted is None or not ids:
            return [(0.0, i) for i in ids], ids
        ranked_sql = "SELECT rank, rowid FROM fts WHERE fts MATCH ?"
        if len(ids) > RANK_ALL_LIMIT:
            # the names-only expression matches a subset of the full one
            names = build_match_expression(terms, corrections, any_term=any_term, names_only=True)
            named = [
                r[0]
                for r in conn.execute("SELECT rowid FROM fts WHERE fts MATCH ?", (names,))
                if r[0] in member
            ]
            if len(named) > RANK_ALL_LIMIT and len(named) >= wanted:
                # thousands of products carry the words in their very name ("smartphone"): bm25
                # would only tell their name lengths apart, so the newest registrations come first
                newest = heapq.nlargest(wanted, named)
                return [(-1.0 - i / 1e12, i) for i in newest], ids
            if len(named) >= wanted:
                return [r for r in conn.execute(ranked_sql, (names,)) if r[1] in member], ids
        return [r for r in conn.execute(ranked_sql, (match,)) if r[1] in member], ids

    def _page_ids(
        self,
        conn: sqlite3.Connection,
        fx: FacetIndex,
        query: CatalogueQuery,
        final: int,
        total: int,
        matches: list[tuple[float, int]] | None,
    ) -> list[tuple[int, float]]:
        """(id, score) of the requested page, in the requested order."""
        wanted = query.offset + query.per_page
        if query.offset >= total:
            return []
        sort = query.sort if matches is not None or query.sort != "relevance" else "newest"
        if sort == "relevance" and matches is not None:
            page = heapq.nsmallest(wanted, matches)[query.offset :]
            return [(doc_id, -rank) for rank, doc_id in page]
        facts = fx.facts
        keys: dict[str, Callable[[int], Any]] = {
            "newest": lambda i: (facts[i].newest, i),
            "lva": lambda i: (facts[i].lva, i),
        }
        if matches is not None or total <= DIRECT_SORT_LIMIT:
            ids = [doc_id for _r, doc_id in matches] if matches is not None else ids_from_bits(final)
            chosen = (
                heapq.nlargest(wanted, ids, key=keys[sort])
                if sort != "name"
                else heapq.nsmallest(wanted, ids, key=lambda i: (facts[i].name_sort, i))
            )
            return [(i, 0.0) for i in chosen[query.offset :]]
        # many documents: walk the sort column's index until the page is full
        member = Membership(final)
        found: list[int] = []
        for (doc_id,) in conn.execute(f"SELECT d.id FROM docs d ORDER BY {_SORTS[sort]}"):
            if doc_id in member:
                found.append(doc_id)
                if len(found) >= wanted:
                    break
        return [(i, 0.0) for i in found[query.offset :]]

    def search(self, query: CatalogueQuery) -> SearchResult:
        if query.stop_words_only:
            return SearchResult(hits=[], total=0, hint=STOP_WORDS_ONLY)
        with self._errors():
            conn = self._conn()
            fx = self._facet_index(conn)
            filters = self._filter_bits(fx, query)
            terms = analyse_query_text(query.q)
            corrections: dict[str, list[str]] = {}
            corrected_q = None
            matches: list[tuple[float, int]] | None = None
            if terms:
                terms = self._plan_terms(conn, terms)
                corrections = self._corrections(conn, terms)
                if corrections:
                    corrected_q = " ".join(corrections.get(t.token, [t.token])[0] for t in terms)
                wanted = query.offset + query.per_page if query.sort == "relevance" else None
                matches, matched_ids = self._text_matches(
                    conn, terms, corrections, Membership(filters), wanted
                )
                final = bits_from_ids(matched_ids)
                total = len(matched_ids)
            else:
                final = filters
                total = final.bit_count()
            page = self._page_ids(conn, fx, query, final, total, matches)
            bodies: dict[int, str] = {}
            if page:
                marks = ", ".join("?" * len(page))
                bodies = dict(
                    conn.execute(f"SELECT id, body FROM docs WHERE id IN ({marks})", [i for i, _s in page])
                )
            hits = []
            for doc_id, score in page:
                if doc_id not in bodies:
                    continue
                doc = json.loads(bodies[doc_id])
                hits.append(
                    SearchHit(document=doc, score=score, highlights=self._highlights(doc, terms, corrections))
                )
            facets = self._count_facets(fx, final, query) if query.facets else {}
            return SearchResult(hits=hits, total=total, facets=facets, corrected_q=corrected_q)

    @staticmethod
    def _highlights(
        doc: Document, terms: list[QueryTerm], corrections: dict[str, list[str]]
    ) -> dict[str, str]:
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

    def scan(self, query: CatalogueQuery, batch: int = 1000) -> Iterator[Document]:
        if query.stop_words_only:
            return
        with self._errors():
            conn = self._conn()
            base, params, _corrected, terms, _corr = self._match_base(conn, query)
            rank = "fts.rank" if terms else "0"
            order = _SORTS[query.sort] if terms or query.sort != "relevance" else _SORTS["newest"]
            order = order.replace("rank", rank)
            ids = [r[0] for r in conn.execute(f"SELECT d.id FROM {base} ORDER BY {order}", params)]
        for start in range(0, len(ids), batch):
            chunk = ids[start : start + batch]
            with self._errors():
                marks = ", ".join("?" * len(chunk))
                bodies = dict(
                    conn.execute(f"SELECT id, body FROM docs WHERE id IN ({marks})", chunk).fetchall()
                )
            for i in chunk:
                if i in bodies:
                    yield json.loads(bodies[i])

    def get_documents(self, ids: Iterable[int]) -> list[Document]:
        wanted = [int(i) for i in ids]
        if not wanted:
            return []
        with self._errors():
            conn = self._conn()
            marks = ", ".join("?" * len(wanted))
            bodies = dict(conn.execute(f"SELECT id, body FROM docs WHERE id IN ({marks})", wanted).fetchall())
        return [json.loads(bodies[i]) for i in wanted if i in bodies]

    # --- suggestions -------------------------------------------------------------------------

    def _entity_suggestions(self, conn: sqlite3.Connection) -> list[dict[str, Any]]:
        """Brands, categories, manufacturers, districts and their product counts (from the bitsets)."""
        fx = self._facet_index(conn)
        key = (self.pointer_path.read_text(encoding="utf-8").strip(), fx.seq)
        with self._entities_lock:
            if self._entities is not None and self._entities[0] == key:
                return self._entities[1]

        entries: list[dict[str, Any]] = []
        self._manufacturer_names = {}

        def add(text: str, kind: str, value: str, count: int) -> None:
            if text and count:
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

        for brand, bits in fx.values["brand"].items():
            add(brand, "brand", brand, bits.bit_count())
        for code, bits in fx.values["category"].items():
            cat = CATEGORIES.get(code)
            add(cat.name_en if cat else code, "category", code, bits.bit_count())
            if cat:
                add(cat.name_bn, "category", code, bits.bit_count())
        for code, bits in fx.values["district"].items():
            dist = DISTRICTS.get(code)
            add(dist.name_en if dist else code, "district", code, bits.bit_count())
            if dist:
                add(dist.name_bn, "district", code, bits.bit_count())
        for mid, bits in fx.values["manufacturer"].items():
            count = bits.bit_count()
            if not count:
                continue
            names = self._manufacturer_names.get(mid)
            if names is None:
                row = conn.execute(
                    "SELECT body FROM docs WHERE manufacturer_id = ? LIMIT 1", (int(mid),)
                ).fetchone()
                doc = json.loads(row[0]) if row else {}
                names = (doc.get("manufacturer_name_en") or "", doc.get("manufacturer_name_bn") or "")
                self._manufacturer_names[mid] = names
            add(names[0], "manufacturer", mid, count)
            add(names[1], "manufacturer", mid, count)
        entries.sort(key=lambda e: -e["count"])
        with self._entities_lock:
            self._entities = (key, entries)
        return entries

    def suggest(self, prefix: str, limit: int = 10) -> list[Suggestion]:
        terms = analyse_query_text(prefix, prefix_last=True)
        terms = [t for t in terms if t.token]
        if not terms:
            return []
        with self._errors():
            conn = self._conn()
            out: list[Suggestion] = []
            seen: set[tuple[str, str]] = set()
            bangla = any(has_bangla(t.token) for t in terms)
            matches = [e for e in self._entity_suggestions(conn) if entity_matches(e, terms)]
            # labels in the script the user types in first, then by product count
            matches.sort(key=lambda e: (has_bangla(e["text"]) != bangla, -e["count"]))
            for entry in matches:
                key = (entry["kind"], entry["value"])
                if key in seen:
                    continue
                seen.add(key)
                out.append(Suggestion(entry["text"], entry["kind"], entry["value"], entry["count"]))
                if len(out) >= max(1, limit // 2):
                    break
            name_cols = (
                "{" + " ".join(c for c, fields in TEXT_GROUPS.items() if fields[0].boost >= NAME_BOOST) + "}"
            )
            groups = []
            for t in terms:
                star = "*" if t.prefix else ""
                alts = [f"{name_cols} : {_quote(t.token)}{star}"]
                if t.skeleton:
                    alts.append(f"translit_name : {_quote(t.skeleton)}{star}")
                if t.code:
                    alts.append(f"codes : {_quote(t.code)}*")
                groups.append("(" + " OR ".join(alts) + ")")
            match = " AND ".join(groups)
            rows = conn.execute(
                "SELECT d.id, d.body FROM docs d "
                "WHERE d.id IN (SELECT rowid FROM fts WHERE fts MATCH ? LIMIT ?)",
                (match, limit * 4),
            ).fetchall()
            names: set[str] = set()
            for _id, body in rows:
                doc = json.loads(body)
                text = doc.get("name_bn") if bangla and doc.get("name_bn") else doc.get("name_en")
                if not text or text in names:
                    continue
                names.add(text)
                out.append(Suggestion(text, "product", str(doc["id"]), 1))
                if len(out) >= limit:
                    break
            return out[:limit]

    # --- index management --------------------------------------------------------------------

    def count(self) -> int:
        with self._errors():
            return int(self._conn().execute("SELECT count(*) FROM docs").fetchone()[0])

    def ping(self) -> bool:
        try:
            self._conn().execute("SELECT 1 FROM meta LIMIT 1").fetchone()
        except (SearchError, sqlite3.Error, OSError):
            return False
        return True

    def info(self) -> IndexInfo:
        with self._errors():
            conn = self._conn()
            created = conn.execute("SELECT value FROM meta WHERE key = 'created_at'").fetchone()
            name = self.pointer_path.read_text(encoding="utf-8").strip()
            size = (self.directory / name).stat().st_size
            return IndexInfo(
                name=name,
                created_at=datetime.fromisoformat(created[0]) if created else None,
                documents=self.count(),
                extra={"bytes": size, "directory": str(self.directory)},
            )

    @property
    def marker_path(self) -> Path:
        return self.directory / REINDEX_MARKER

    def is_reindexing(self) -> bool:
        try:
            data = json.loads(self.marker_path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return False
        return time.time() - float(data.get("started", 0)) < REINDEX_MARKER_STALE_SECONDS

    def reindex(self, source: DocumentSource, expected: Callable[[], int]) -> IndexInfo:
        self._ensure_directory()
        self.marker_path.write_text(
            json.dumps({"pid": os.getpid(), "started": time.time()}), encoding="utf-8"
        )
        path = self._new_file()
        try:
            conn = self._open(path)
            try:
                conn.execute("PRAGMA journal_mode=OFF")
                conn.execute("PRAGMA synchronous=OFF")
                conn.executescript(_SCHEMA)
                conn.execute("INSERT INTO fts (fts, rank) VALUES ('rank', ?)", (_bm25_config(),))
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('created_at', ?), ('generation', '0')",
                    (_utcnow().isoformat(timespec="seconds"),),
                )
                conn.execute("BEGIN")
                # a producer thread reads the database and analyses text while this one inserts
                # (sqlite3 releases the GIL while SQLite works, so the two overlap)
                for rows in _prepared_in_background(source):
                    self._insert_rows(conn, rows)
                conn.execute("COMMIT")
                conn.executescript(_INDEXES)
                conn.execute("INSERT INTO fts (fts) VALUES ('optimize')")
                conn.execute("ANALYZE")
                loaded = int(conn.execute("SELECT count(*) FROM docs").fetchone()[0])
                indexed = int(conn.execute("SELECT count(*) FROM fts").fetchone()[0])
                wanted = expected()
                if not loaded == indexed == wanted:
                    raise ReindexFailed(
                        f"the new index holds {loaded} documents ({indexed} in full text) but the database "
                        f"has {wanted} public products; the live index was kept"
                    )
                conn.execute("PRAGMA journal_mode=WAL")
            finally:
                conn.close()
        except BaseException:
            with contextlib.suppress(OSError):
                path.unlink()
            with contextlib.suppress(OSError):
                self.marker_path.unlink()
            raise
        self._point_to(path)
        with contextlib.suppress(OSError):
            self.marker_path.unlink()
        self._prune(keep=path)
        return IndexInfo(name=path.name, created_at=_utcnow(), documents=loaded)

    def _prune(self, keep: Path) -> None:
        """Remove index files older than the live one, keeping ``KEEP_OLD_INDEXES`` for a rollback."""
        files = sorted(self.directory.glob("catalogue-*.sqlite3"))
        older = [f for f in files if f.name < keep.name]
        for old in older[: max(0, len(older) - KEEP_OLD_INDEXES)]:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(OSError):
                    Path(str(old) + suffix).unlink()

    def close(self) -> None:
        cached = getattr(self._local, "conn", None)
        if cached is not None:
            cached[1].close()
            self._local.conn = None


def _prepared_in_background(source: DocumentSource, depth: int = 4) -> Iterator[PreparedRows]:
    """Prepared rows of ``source``'s batches (duplicates dropped), built in a producer thread."""
    batches: queue.Queue[PreparedRows | BaseException | None] = queue.Queue(maxsize=depth)

    def produce() -> None:
        seen: set[int] = set()
        try:
            for docs in source():
                fresh = [d for d in docs if int(d["id"]) not in seen]
                seen.update(int(d["id"]) for d in fresh)
                batches.put(prepare_rows(fresh))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            batches.put(exc)
        else:
            batches.put(None)

    thread = threading.Thread(target=produce, name="search-reindex-reader", daemon=True)
    thread.start()
    while True:
        item = batches.get()
        if item is None:
            break
        if isinstance(item, BaseException):
            raise item
        yield item
    thread.join()
