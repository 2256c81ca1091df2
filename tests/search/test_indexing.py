"""Outbox sync: drained in bulk, idempotent, retried with backoff, nothing lost when the index stops mid-way."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bench.relevance.dataset import TODAY, seed_database
from core.models import OutboxEntry
from registry.models import Manufacturer, Product
from search import indexing
from search.documents import count_public_products, iter_public_product_ids
from search.indexing import (
    SyncLock,
    SyncWorker,
    backoff_seconds,
    drain_outbox,
    reindex_catalogue,
    sweep_expired,
    sync_status,
)
from search.interfaces import SearchBackend
from search.queries import parse_catalogue_query
from tests.search.conftest import StoppableBackend


@pytest.fixture()
def seeded(fresh_db: Any) -> dict[str, int]:
    with fresh_db.session() as session:
        ids = seed_database(session)
        session.add_all(OutboxEntry(entity_type="product", entity_id=i) for i in ids.values())
        session.commit()
    return ids


@pytest.fixture()
def lock(tmp_path: Path) -> SyncLock:
    return SyncLock(tmp_path / "sync.lock")


def pending(db: Any) -> int:
    with db.session(write=False) as s:
        return int(s.scalar(select(func.count(OutboxEntry.id))))


def public_ids(db: Any) -> set[int]:
    with db.session(write=False) as s:
        return {i for batch in iter_public_product_ids(s, TODAY) for i in batch}


def indexed_ids(backend: SearchBackend) -> list[int]:
    query = parse_catalogue_query({"licence_valid_on": [TODAY.isoformat()], "sort": ["name"]}, TODAY)
    return [d["id"] for d in backend.scan(query)]


def touch(db: Any, **changes: Any) -> None:
    """Change products the way registry services do: the row and an outbox entry in one transaction."""
    with db.session() as s:
        for product_id, values in changes.items():
            product = s.get(Product, int(product_id))
            for key, value in values.items():
                setattr(product, key, value)
            s.add(OutboxEntry(entity_type="product", entity_id=product.id))
        s.commit()


def test_the_outbox_drains_into_the_index(
    fresh_db: Any, backend: SearchBackend, seeded: dict[str, int], lock: SyncLock
) -> None:
    report = drain_outbox(fresh_db, backend, lock, batch_size=100, today=TODAY)
    assert report.rows == len(seeded) and report.batches == 4
    assert report.indexed == len(seeded) - 4 and report.deleted == 4
    assert pending(fresh_db) == 0
    assert sorted(indexed_ids(backend)) == sorted(public_ids(fresh_db))


def test_draining_is_idempotent(
    fresh_db: Any, backend: SearchBackend, seeded: dict[str, int], lock: SyncLock
) -> None:
    drain_outbox(fresh_db, backend, lock, today=TODAY)
    first = indexed_ids(backend)
    with fresh_db.session() as s:  # every row again, twice
        s.add_all(OutboxEntry(entity_type="product", entity_id=i) for i in list(seeded.values()) * 2)
        s.commit()
    drain_outbox(fresh_db, backend, lock, today=TODAY)
    assert indexed_ids(backend) == first
    assert backend.count() == len(first)


def test_a_suspended_product_leaves_the_results(
    fresh_db: Any, backend: SearchBackend, seeded: dict[str, int], lock: SyncLock
) -> None:
    drain_outbox(fresh_db, backend, lock, today=TODAY)
    nova = seeded["nova7-128"]
    assert nova in indexed_ids(backend)
    touch(fresh_db, **{str(nova): {"status": "suspended"}})
    drain_outbox(fresh_db, backend, lock, today=TODAY)
    assert nova not in indexed_ids(backend)
    touch(fresh_db, **{str(nova): {"status": "licensed"}})
    drain_outbox(fresh_db, backend, lock, today=TODAY)
    assert nova in indexed_ids(backend)


def test_a_manufacturer_change_reaches_all_its_products(
    fresh_db: Any, backend: SearchBackend, seeded: dict[str, int], lock: SyncLock
) -> None:
    drain_outbox(fresh_db, backend, lock, today=TODAY)
    with fresh_db.session() as s:
        maker = s.get(Product, seeded["durgo-1u"]).manufacturer
        maker.legal_name_en = "Nilachol Compute Ltd."
        s.add(OutboxEntry(entity_type="manufacturer", entity_id=maker.id))
        s.commit()
        product_count = s.scalar(select(func.count(Product.id)).where(Product.manufacturer_id == maker.id))
    drain_outbox(fresh_db, backend, lock, today=TODAY)
    result = backend.search(parse_catalogue_query({"q": ["nilachol"], "per_page": ["100"]}, TODAY))
    assert result.total == product_count


def test_a_failing_index_keeps_the_rows_and_backs_off(
    fresh_db: Any, backend: SearchBackend, seeded: dict[str, int], lock: SyncLock, monkeypatch: Any
) -> None:
    # the sync clock stands still: on a loaded machine the 1 s back-off could pass between two drains
    clock = datetime.now(UTC)
    monkeypatch.setattr(indexing, "_now", lambda: clock)
    stoppable = StoppableBackend(backend)
    stoppable.stopped = True
    report = drain_outbox(fresh_db, stoppable, lock, batch_size=100, today=TODAY)
    assert report.failed_rows == 100 and report.errors == ["the engine is stopped"]
    assert pending(fresh_db) == len(seeded)
    with fresh_db.session(write=False) as s:
        failed = s.scalars(select(OutboxEntry).where(OutboxEntry.attempts == 1)).all()
        assert len(failed) == 100
        assert all(r.last_error == "the engine is stopped" for r in failed)
        assert all(r.available_at > clock for r in failed)
    # not due yet: nothing is retried at once
    stoppable.stopped = False
    assert drain_outbox(fresh_db, stoppable, lock, today=TODAY).rows == len(seeded) - 100
    assert pending(fresh_db) == 100


def test_backoff_grows_exponentially_to_a_cap() -> None:
    assert [backoff_seconds(n) for n in (1, 2, 3, 4, 10, 20)] == [1, 2, 4, 8, 300, 300]


def test_stopping_the_index_mid_sync_loses_and_duplicates_nothing(
    fresh_db: Any, backend: SearchBackend, seeded: dict[str, int], lock: SyncLock
) -> None:
    stoppable = StoppableBackend(backend)
    stoppable.stop_after = 3  # the engine dies after three writes
    first = drain_outbox(fresh_db, stoppable, lock, batch_size=40, today=TODAY)
    assert first.failed_rows == 40 and 0 < first.rows - first.failed_rows < len(seeded)
    assert 0 < pending(fresh_db) < len(seeded)
    # while it is down, the catalogue keeps changing
    touch(
        fresh_db,
        **{
            str(seeded["nova5-64"]): {"status": "revoked"},
            str(seeded["titan-rtx3050"]): {"name_en": "Titan Reborn"},
        },
    )
    # the engine comes back; time passes
    stoppable.stopped = False
    stoppable.stop_after = None
    with fresh_db.session() as s:
        s.execute(update(OutboxEntry).values(available_at=datetime.now(UTC) - timedelta(seconds=1)))
        s.commit()
    drain_outbox(fresh_db, stoppable, lock, batch_size=40, today=TODAY)
    assert pending(fresh_db) == 0
    in_index = indexed_ids(backend)
    assert len(in_index) == len(set(in_index)) == backend.count()
    assert set(in_index) == public_ids(fresh_db)
    assert seeded["nova5-64"] not in in_index
    assert backend.search(parse_catalogue_query({"q": ["reborn"]}, TODAY)).total == 1


def test_rows_written_during_a_reindex_are_kept_until_it_is_live(
    fresh_db: Any, seeded: dict[str, int], lock: SyncLock, tmp_path: Path
) -> None:
    from search.backends.embedded import EmbeddedSearchBackend

    backend = EmbeddedSearchBackend(tmp_path / "idx")
    backend.marker_path.parent.mkdir(parents=True, exist_ok=True)
    backend.marker_path.write_text(f'{{"pid": 1, "started": {time.time()}}}')
    report = drain_outbox(fresh_db, backend, lock, today=TODAY)
    assert report.kept_rows == report.rows > 0
    assert pending(fresh_db) == len(seeded)  # applied to the live index, but kept for the new one
    backend.marker_path.unlink()
    with fresh_db.session() as s:
        s.execute(update(OutboxEntry).values(available_at=datetime.now(UTC) - timedelta(seconds=1)))
        s.commit()
    drain_outbox(fresh_db, backend, lock, today=TODAY)
    assert pending(fresh_db) == 0


def test_only_one_worker_drains_at_a_time(
    fresh_db: Any, backend: SearchBackend, seeded: dict[str, int], lock: SyncLock
) -> None:
    other = SyncLock(lock.path)
    with lock.hold() as held:
        assert held
        assert drain_outbox(fresh_db, backend, other, today=TODAY).busy
    assert not drain_outbox(fresh_db, backend, other, today=TODAY).busy


def test_reindex_builds_the_catalogue_from_the_database(
    fresh_db: Any, backend: SearchBackend, seeded: dict[str, int]
) -> None:
    info = reindex_catalogue(fresh_db, backend, today=TODAY)
    with fresh_db.session(write=False) as s:
        assert info.documents == backend.count() == count_public_products(s, TODAY)


def test_expired_licences_are_swept(fresh_db: Any, backend: SearchBackend, seeded: dict[str, int]) -> None:
    polash = seeded["polash-32"]
    backend.index_documents([{"id": polash, **_bare_doc()}])  # as if indexed while it was valid
    assert sweep_expired(fresh_db, backend, days=365, today=TODAY) == 1
    assert polash not in [
        d["id"] for d in backend.scan(parse_catalogue_query({"licence_valid_on": ["2025-06-01"]}, TODAY))
    ]


def _bare_doc() -> dict[str, Any]:
    from tests.search.conftest import make_doc

    doc = make_doc(0)
    doc.pop("id")
    return doc


def test_status_reports_lag_failures_and_index(
    fresh_db: Any, backend: SearchBackend, seeded: dict[str, int], lock: SyncLock
) -> None:
    status = sync_status(fresh_db, backend, today=TODAY)
    assert status["pending"] == len(seeded) and status["lag_seconds"] >= 0
    assert status["in_sync"] is False and status["reachable"] is True
    stoppable = StoppableBackend(backend)
    stoppable.stopped = True
    drain_outbox(fresh_db, stoppable, lock, batch_size=100, today=TODAY)
    status = sync_status(fresh_db, stoppable, today=TODAY)
    assert status["failing"] == 100 and status["last_error"] == "the engine is stopped"
    assert status["reachable"] is False
    stoppable.stopped = False
    with fresh_db.session() as s:
        s.execute(update(OutboxEntry).values(available_at=datetime.now(UTC) - timedelta(seconds=1)))
        s.commit()
    drain_outbox(fresh_db, stoppable, lock, today=TODAY)
    status = sync_status(fresh_db, backend, today=TODAY)
    assert status["pending"] == 0 and status["lag_seconds"] == 0.0
    assert status["documents"] == status["public_products"] and status["in_sync"] is True


def test_the_background_worker_applies_changes(
    fresh_db: Any, backend: SearchBackend, seeded: dict[str, int], lock: SyncLock
) -> None:
    worker = SyncWorker(fresh_db, backend, lock, interval=0.05)
    worker.start()
    try:
        deadline = time.monotonic() + 30
        while pending(fresh_db) and time.monotonic() < deadline:
            time.sleep(0.05)
        with fresh_db.session() as s:
            maker = s.scalars(select(Manufacturer).where(Manufacturer.legal_name_en.like("Hishab%"))).one()
            maker.status = "suspended"
            s.add(OutboxEntry(entity_type="manufacturer", entity_id=maker.id))
            s.commit()
        deadline = time.monotonic() + 30
        while pending(fresh_db) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()
    assert not worker.thread.is_alive()
    assert pending(fresh_db) == 0
    assert set(indexed_ids(backend)) == public_ids(fresh_db)
