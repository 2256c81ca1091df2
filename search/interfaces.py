"""What a search backend is: the interface every engine implements, and what it answers.

Backends: ``EmbeddedSearchBackend`` (SQLite FTS5, default), ``NullSearchBackend`` (search off),
and the OpenSearch / Elasticsearch backends that plug in later. Application code talks only to
``SearchBackend``; it never sees an engine's client or query language.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from search.queries import CatalogueQuery

Document = dict[str, Any]


@dataclass
class FacetCount:
    value: str
    count: int


@dataclass
class SearchHit:
    document: Document
    score: float = 0.0
    # field name → the field's text with matches wrapped in <mark>…</mark> (HTML-escaped)
    highlights: dict[str, str] = field(default_factory=dict)


@dataclass
class SearchResult:
    hits: list[SearchHit]
    total: int
    facets: dict[str, list[FacetCount]] = field(default_factory=dict)
    # the query as the engine understood it after typo correction, when it corrected something
    corrected_q: str | None = None
    # why the result is empty although the text was not, for a hint to the user ("stop_words_only")
    hint: str | None = None


@dataclass
class Suggestion:
    text: str
    kind: str  # "product", "brand", "category", "manufacturer", "district"
    value: str | None = None  # the filter value for kind != "product", the product id for products
    count: int = 0


@dataclass
class IndexInfo:
    name: str
    created_at: datetime | None
    documents: int
    extra: dict[str, Any] = field(default_factory=dict)


DocumentSource = Callable[[], Iterable[list[Document]]]


class SearchBackend(ABC):
    """A catalogue search engine. Every write is idempotent (upsert by id, delete of a missing id is fine).

    Methods raise ``SearchUnavailable`` when the engine cannot be reached and ``SearchError`` for
    anything else that went wrong; they never let an engine client's exception escape.
    """

    name: str = "abstract"

    @abstractmethod
    def index_documents(self, docs: Iterable[Document]) -> int:
        """Insert or replace documents by ``id``; return how many were written."""

    @abstractmethod
    def delete_documents(self, ids: Iterable[int]) -> int:
        """Remove documents by id (missing ids are ignored); return how many ids were processed."""

    @abstractmethod
    def search(self, query: CatalogueQuery) -> SearchResult:
        """Hits of one page, the total, requested facet counts, highlights."""

    @abstractmethod
    def scan(self, query: CatalogueQuery, batch: int = 1000) -> Iterator[Document]:
        """Every document matching ``query`` (page and per_page ignored) in its sort order: for exports."""

    @abstractmethod
    def suggest(self, prefix: str, limit: int = 10) -> list[Suggestion]:
        """Completions of what the user is typing (product names, brands, categories, places)."""

    @abstractmethod
    def count(self) -> int:
        """Documents in the live index."""

    @abstractmethod
    def reindex(self, source: DocumentSource, expected: Callable[[], int]) -> IndexInfo:
        """Build a new index from ``source``, check its count equals ``expected()``, then make it live.

        On a count mismatch raise ``ReindexFailed`` and leave the live index untouched.
        """

    @abstractmethod
    def ping(self) -> bool:
        """True when the engine answers (never raises)."""

    @abstractmethod
    def info(self) -> IndexInfo:
        """Name, creation time and size of the live index."""

    def is_reindexing(self) -> bool:
        """True while a reindex is building a new index (the sync worker then keeps outbox rows)."""
        return False

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
