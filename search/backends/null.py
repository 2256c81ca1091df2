"""The backend used when catalogue search is switched off: accepts writes, finds nothing."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime

from search.interfaces import Document, DocumentSource, IndexInfo, SearchBackend, SearchResult, Suggestion
from search.queries import CatalogueQuery


class NullSearchBackend(SearchBackend):
    """Search off (``SEARCH_URL=null://``). Warns outside development: the catalogue will look empty."""

    name = "null"

    def __init__(self, env: str = "development") -> None:
        if env != "development":
            warnings.warn(
                "catalogue search is switched off (SEARCH_URL=null://): the public catalogue finds nothing",
                RuntimeWarning,
                stacklevel=2,
            )

    def index_documents(self, docs: Iterable[Document]) -> int:
        return len(list(docs))

    def delete_documents(self, ids: Iterable[int]) -> int:
        return len(set(ids))

    def search(self, query: CatalogueQuery) -> SearchResult:
        return SearchResult(hits=[], total=0, facets={name: [] for name in query.facets})

    def scan(self, query: CatalogueQuery, batch: int = 1000) -> Iterator[Document]:
        return iter(())

    def suggest(self, prefix: str, limit: int = 10) -> list[Suggestion]:
        return []

    def count(self) -> int:
        return 0

    def reindex(self, source: DocumentSource, expected: Callable[[], int]) -> IndexInfo:
        return IndexInfo(name="null", created_at=datetime.now(UTC), documents=0)

    def ping(self) -> bool:
        return True

    def info(self) -> IndexInfo:
        return IndexInfo(name="null", created_at=None, documents=0)
