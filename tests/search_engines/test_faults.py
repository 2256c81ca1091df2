"""The engine dies while the outbox is draining and comes back: the index converges to the database with
nothing lost or duplicated; meanwhile the catalogue answers 503 problem+json and registry writes succeed.

A real OpenSearch node of this module's own is killed (SIGKILL) at a fixed point of the drain — just
before its fourth bulk write — and started again on its data directory.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bench.relevance.dataset import seed_database
from core.models import OutboxEntry
from registry.models import Product
from search.backends.cluster import ClusterSearchBackend
from search.documents import iter_public_product_ids
from search.indexing import SyncLock, drain_outbox
from search.interfaces import Document, SearchBackend
from search.queries import parse_catalogue_query
from tests.search_engines.conftest import engine_backend, services_module, unique_alias

pytestmark = [pytest.mark.opensearch, pytest.mark.slow]
TODAY = date(2026, 6, 1)


class KilledMidway(SearchBackend):
    """Passes every call to a real backend; just before write number ``kill_at`` it kills the node."""

    def __init__(self, inner: ClusterSearchBackend, kill: Any, kill_at: int) -> None:
        self.inner, self.kill, self.kill_at, self.writes = inner, kill, kill_at, 0
        self.name = inner.name

    def _count_write(self) -> None:
        self.writes += 1
        if self.writes == self.kill_at:
            self.kill()

    def index_documents(self, docs: Iterable[Document]) -> int:
        self._count_write()
        return self.inner.index_documents(docs)

    def delete_documents(self, ids: Iterable[int]) -> int:
        self._count_write()
        return self.inner.delete_documents(ids)

    def search(self, query: Any) -> Any:
        return self.inner.search(query)

    def scan(self, query: Any, batch: int = 1000) -> Any:
        return self.inner.scan(query, batch)

    def suggest(self, prefix: str, limit: int = 10) -> Any:
        return self.inner.suggest(prefix, limit)

    def count(self) -> int:
        return self.inner.count()

    def reindex(self, source: Any, expected: Any) -> Any:
        return self.inner.reindex(source, expected)

    def ping(self) -> bool:
        return self.inner.ping()

    def info(self) -> Any:
        return self.inner.info()

    def is_reindexing(self) -> bool:
        return self.inner.is_reindexing()


def pending(db: Any) -> int:
    with db.session(write=False) as s:
        return int(s.scalar(select(func.count(OutboxEntry.id))))


def public_ids(db: Any) -> set[int]:
    with db.session(write=False) as s:
        return {i for batch in iter_public_product_ids(s, TODAY) for i in batch}


def indexed_ids(backend: SearchBackend) -> list[int]:
    query = parse_catalogue_query({"sort": ["name"]}, TODAY)
    return [d["id"] for d in backend.scan(query)]


def make_due(db: Any) -> None:
    with db.session() as s:
        s.execute(update(OutboxEntry).values(available_at=datetime.now(UTC) - timedelta(seconds=1)))
        s.commit()


def test_the_engine_dies_mid_sync_and_the_index_converges(
    own_opensearch_node: Any, fresh_db: Any, _search_app: Any, tmp_path: Path
) -> None:
    services = services_module()
    node = own_opensearch_node
    alias = unique_alias("t-fault")
    backend = engine_backend("opensearch", node.url, alias, timeout="30")
    with fresh_db.session() as session:
        seeded = seed_database(session)
        session.add_all(OutboxEntry(entity_type="product", entity_id=i) for i in seeded.values())
        session.commit()
    lock = SyncLock(tmp_path / "sync.lock")

    dying = KilledMidway(backend, kill=lambda: services.stop_node(node, 0, kill=True), kill_at=4)
    first = drain_outbox(fresh_db, dying, lock, batch_size=40, today=TODAY)
    assert first.failed_rows == 40 and first.errors, first
    assert "cannot be reached" in first.errors[0]
    applied = first.rows - first.failed_rows
    assert 0 < applied < len(seeded) and pending(fresh_db) == len(seeded) - applied

    # while it is down: registry writes succeed (the row and its outbox entry, one transaction) ...
    with fresh_db.session() as s:
        for key, values in (
            ("nova5-64", {"status": "revoked"}),
            ("titan-rtx3050", {"name_en": "Titan Reborn"}),
        ):
            product = s.get(Product, seeded[key])
            for name, value in values.items():
                setattr(product, name, value)
            s.add(OutboxEntry(entity_type="product", entity_id=product.id))
        s.commit()
    # ... the catalogue answers 503 problem+json ...
    app = _search_app
    previous = app.extensions["search"]
    app.extensions["search"] = backend
    try:
        response = app.test_client().get("/api/v1/catalogue/search", query_string={"q": "router"})
        assert response.status_code == 503 and response.mimetype == "application/problem+json"
        assert response.get_json()["title"] == "Catalogue search is unavailable"
        assert response.headers["Retry-After"] == "5"
        assert (
            app.test_client().get("/api/v1/catalogue/suggest", query_string={"q": "rou"}).status_code == 503
        )
    finally:
        app.extensions["search"] = previous
    # ... and draining again keeps every row
    make_due(fresh_db)
    still_down = drain_outbox(fresh_db, backend, lock, today=TODAY)
    assert still_down.failed_rows == still_down.rows > 0
    assert pending(fresh_db) == len(seeded) - applied + 2

    # the engine comes back on its data directory (maybe on another port)
    services.start_node(node, 0)
    backend.close()
    backend = engine_backend("opensearch", services.read_service(node.name).url, alias)
    try:
        assert backend.count() > 0  # what was acknowledged before the crash survived it
        make_due(fresh_db)
        drain_outbox(fresh_db, backend, lock, today=TODAY)
        assert pending(fresh_db) == 0
        in_index = indexed_ids(backend)
        assert len(in_index) == len(set(in_index)) == backend.count()
        assert set(in_index) == public_ids(fresh_db)
        assert seeded["nova5-64"] not in in_index
        assert backend.search(parse_catalogue_query({"q": ["reborn"]}, TODAY)).total == 1
    finally:
        backend.drop_all()
        backend.close()
