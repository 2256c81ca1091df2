"""Fixtures for the search tests: backends (parametrised), documents, a fresh database, an app with search."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from search.errors import SearchUnavailable
from search.interfaces import SearchBackend
from tests.conftest import rolled_back

OPENSEARCH_URL = os.environ.get("REGISTRY_TEST_OPENSEARCH_URL", "")
BACKENDS = [
    pytest.param("embedded", id="embedded"),
    pytest.param("opensearch", id="opensearch", marks=pytest.mark.opensearch),
]


def make_backend(kind: str, tmp_path: Path) -> SearchBackend:
    from search.backends import create_backend

    if kind == "embedded":
        return create_backend(f"embedded://{tmp_path / 'index'}", str(tmp_path))
    if not OPENSEARCH_URL:
        pytest.skip(
            "REGISTRY_TEST_OPENSEARCH_URL is not set (the test command starts OpenSearch and sets it)"
        )
    backend = create_backend(OPENSEARCH_URL, str(tmp_path))
    return backend


@pytest.fixture(params=BACKENDS)
def backend(request: Any, tmp_path: Path) -> Iterator[SearchBackend]:
    """An empty index on each backend (a reindex from nothing makes a fresh one)."""
    b = make_backend(request.param, tmp_path)
    b.reindex(lambda: iter(()), lambda: 0)
    yield b
    b.close()


def make_doc(doc_id: int, **overrides: Any) -> dict[str, Any]:
    """A catalogue document as ``search.documents`` builds it."""
    doc: dict[str, Any] = {
        "id": doc_id,
        "gtin": f"0280000000{doc_id:04d}",
        "name_en": f"Product {doc_id}",
        "name_bn": f"পণ্য {doc_id}",
        "brand": "Ekota",
        "model_number": f"EK-{doc_id:03d}",
        "hs_code": None,
        "manufacturer_id": 1,
        "manufacturer_name_en": "Ekota Electronics Ltd.",
        "manufacturer_name_bn": "একতা ইলেকট্রনিক্স লিমিটেড",
        "manufacturer_bin": f"00{doc_id:011d}",
        "district": "dhaka",
        "district_name_en": "Dhaka",
        "district_name_bn": "ঢাকা",
        "category": "phones",
        "category_name_en": "Mobile phones",
        "category_name_bn": "মোবাইল ফোন",
        "description_en": "",
        "description_bn": "",
        "specifications": {},
        "specifications_text": "",
        "certificates": [],
        "certificate_schemes": [],
        "licence_status": "licensed",
        "licence_number": f"MIB-{doc_id:06d}",
        "licence_valid_from": "2025-01-01",
        "licence_valid_until": "2027-12-31",
        "local_value_addition": 50.0,
        "launch_date": "2025-06-01",
        "created_at": "2025-01-01T00:00:00+00:00",
        "suggest": [],
    }
    doc.update(overrides)
    return doc


class StoppableBackend(SearchBackend):
    """Wraps a backend; while ``stopped`` (or after ``stop_after`` more writes) every call is unavailable.

    Stands for an engine that goes down and comes back; the same wrapper serves every backend.
    """

    def __init__(self, inner: SearchBackend) -> None:
        self.inner = inner
        self.name = inner.name
        self.stopped = False
        self.stop_after: int | None = None
        self.writes: list[tuple[str, list[int]]] = []

    def _check(self) -> None:
        if self.stop_after is not None:
            if self.stop_after <= 0:
                self.stopped = True
            self.stop_after -= 1
        if self.stopped:
            raise SearchUnavailable("the engine is stopped")

    def index_documents(self, docs: Iterable[dict[str, Any]]) -> int:
        batch = list(docs)
        self._check()
        self.writes.append(("index", [d["id"] for d in batch]))
        return self.inner.index_documents(batch)

    def delete_documents(self, ids: Iterable[int]) -> int:
        wanted = list(ids)
        self._check()
        self.writes.append(("delete", wanted))
        return self.inner.delete_documents(wanted)

    def search(self, query: Any) -> Any:
        if self.stopped:
            raise SearchUnavailable("the engine is stopped")
        return self.inner.search(query)

    def scan(self, query: Any, batch: int = 1000) -> Any:
        if self.stopped:
            raise SearchUnavailable("the engine is stopped")
        return self.inner.scan(query, batch)

    def suggest(self, prefix: str, limit: int = 10) -> Any:
        if self.stopped:
            raise SearchUnavailable("the engine is stopped")
        return self.inner.suggest(prefix, limit)

    def count(self) -> int:
        if self.stopped:
            raise SearchUnavailable("the engine is stopped")
        return self.inner.count()

    def reindex(self, source: Any, expected: Any) -> Any:
        return self.inner.reindex(source, expected)

    def ping(self) -> bool:
        return not self.stopped and self.inner.ping()

    def info(self) -> Any:
        return self.inner.info()

    def is_reindexing(self) -> bool:
        return self.inner.is_reindexing()


@pytest.fixture()
def fresh_db(tmp_path: Path) -> Iterator[Any]:
    """A database of its own (a SQLite file with every table), for sync tests that use threads."""
    from core.db import Base, Database, import_all_models

    import_all_models()
    db = Database(f"sqlite:///{tmp_path / 'registry.sqlite3'}")
    Base.metadata.create_all(db.engine)
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def _search_app(_app: Any, instance_path: Path, database_url: str) -> Iterator[Any]:
    """The application with search wired (app.py's own when it wires search, else one built here)."""
    if "search" in _app.extensions:
        yield _app
        return
    import search
    from app import create_app
    from tests.conftest import app_settings

    app = create_app(app_settings(instance_path / "search-app", database_url))
    search.init_app(app)
    yield app
    app.extensions["core.db"].dispose()


@pytest.fixture()
def search_app(_search_app: Any, tmp_path: Path) -> Iterator[Any]:
    """The app in a rolled-back transaction, with a fresh embedded index of its own."""
    from search.backends.embedded import EmbeddedSearchBackend

    app = _search_app
    previous = app.extensions["search"]
    app.extensions["search"] = EmbeddedSearchBackend(tmp_path / "app-index")
    try:
        with rolled_back(app):
            yield app
    finally:
        app.extensions["search"].close()
        app.extensions["search"] = previous
