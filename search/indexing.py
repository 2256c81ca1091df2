"""Keeping the index equal to the database: the outbox worker, the full reindex, the status report.

Registry services write an ``OutboxEntry`` (table ``search_outbox``) in the same transaction as
every catalogue change. ``drain_outbox`` turns those rows into index writes:

1. take the oldest due rows (``available_at <= now``) in one batch, under a lock so that only one
   worker drains at a time (two workers could otherwise write an older document last);
2. coalesce them into product ids (a manufacturer row stands for all its products);
3. rebuild those products' documents from the database *now* — never from the row — so applying
   a row twice, or out of order, gives the same index;
4. upsert the public ones and delete the rest from the backend;
5. only when the backend confirmed, delete exactly the rows read in step 1 (rows written since
   stay for the next round). If the backend failed, the rows stay, with ``attempts`` + 1,
   ``last_error`` and ``available_at`` pushed back exponentially (1 s, 2 s, 4 s … 5 min).

While a reindex builds a new index the worker still applies rows to the live index but keeps
them (due again a few seconds later): once the new index goes live they are applied to it too,
so a change made during the reindex cannot be lost between the two indexes.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session

from config import settings_of
from core.models import OutboxEntry
from search.documents import (
    build_product_documents,
    count_public_products,
    expired_product_ids,
    iter_public_documents,
    product_ids_of_manufacturers,
    today_utc,
)
from search.errors import SearchError
from search.interfaces import IndexInfo, SearchBackend

log = logging.getLogger(__name__)

BATCH_SIZE = 500
MAX_BACKOFF_SECONDS = 300
REINDEX_RECHECK_SECONDS = 5
SWEEP_EVERY_SECONDS = 3600
SWEEP_DAYS = 30


class SessionSource(Protocol):
    """What ``core.db.Database`` offers: ``session(write=...)``."""

    def session(self, *, write: bool = True) -> Session: ...


@dataclass
class SyncReport:
    rows: int = 0
    indexed: int = 0
    deleted: int = 0
    failed_rows: int = 0
    kept_rows: int = 0
    batches: int = 0
    busy: bool = False  # another worker holds the lock
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _now() -> datetime:
    return datetime.now(UTC)


def backoff_seconds(attempts: int) -> int:
    """Delay before the next try after ``attempts`` failures: 1, 2, 4, … capped at 5 minutes."""
    return int(min(2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS))


def sync_lock_path(app: Any) -> str:
    """The lock file that lets one process at a time drain the outbox (beside the instance's data)."""
    return str(settings_of(app).instance_file("search-sync.lock"))


class SyncLock:
    """One draining worker at a time: a thread lock plus an flock on a file shared by processes."""

    _thread_locks: dict[str, threading.Lock] = {}
    _guard = threading.Lock()

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        with self._guard:
            self._thread_lock = self._thread_locks.setdefault(str(self.path), threading.Lock())

    @contextlib.contextmanager
    def hold(self, blocking: bool = False) -> Iterator[bool]:
        if not self._thread_lock.acquire(blocking=blocking):
            yield False
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a+b") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
                except BlockingIOError:
                    yield False
                    return
                try:
                    yield True
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()


def _due_rows(session: Session, now: datetime, limit: int) -> list[OutboxEntry]:
    stmt = select(OutboxEntry).where(OutboxEntry.available_at <= now).order_by(OutboxEntry.id).limit(limit)
    return list(session.scalars(stmt))


def _product_ids(session: Session, rows: list[OutboxEntry]) -> set[int]:
    products = {r.entity_id for r in rows if r.entity_type == "product"}
    manufacturers = {r.entity_id for r in rows if r.entity_type == "manufacturer"}
    if manufacturers:
        products.update(product_ids_of_manufacturers(session, manufacturers))
    unknown = {r.entity_type for r in rows} - {"product", "manufacturer"}
    if unknown:
        log.warning("search outbox: ignoring unknown entity types %s", sorted(unknown))
    return products


def drain_outbox_once(
    db: SessionSource, backend: SearchBackend, *, batch_size: int = BATCH_SIZE, today: date | None = None
) -> SyncReport:
    """Apply one batch of due outbox rows (the caller holds the sync lock)."""
    report = SyncReport()
    now = _now()
    with db.session(write=False) as session:
        rows = _due_rows(session, now, batch_size)
        if not rows:
            return report
        row_ids = [r.id for r in rows]
        attempts = {r.id: r.attempts for r in rows}
        product_ids = _product_ids(session, rows)
        docs, gone = build_product_documents(session, product_ids, today)
        session.rollback()
    report.rows = len(row_ids)
    report.batches = 1
    reindexing = backend.is_reindexing()
    try:
        report.indexed = backend.index_documents(docs) if docs else 0
        report.deleted = backend.delete_documents(gone) if gone else 0
    except SearchError as exc:
        report.failed_rows = len(row_ids)
        report.errors.append(str(exc))
        _postpone(db, row_ids, attempts, str(exc))
        log.warning("search sync: %d outbox rows postponed: %s", len(row_ids), exc)
        return report
    with db.session(write=True) as session:
        if reindexing:
            session.execute(
                update(OutboxEntry)
                .where(OutboxEntry.id.in_(row_ids))
                .values(available_at=_now() + timedelta(seconds=REINDEX_RECHECK_SECONDS))
            )
            report.kept_rows = len(row_ids)
        else:
            session.execute(delete(OutboxEntry).where(OutboxEntry.id.in_(row_ids)))
        session.commit()
    return report


def _postpone(db: SessionSource, row_ids: list[int], attempts: dict[int, int], error: str) -> None:
    now = _now()
    with db.session(write=True) as session:
        by_attempts: dict[int, list[int]] = {}
        for row_id in row_ids:
            by_attempts.setdefault(attempts[row_id] + 1, []).append(row_id)
        for count, ids in by_attempts.items():
            session.execute(
                update(OutboxEntry)
                .where(OutboxEntry.id.in_(ids))
                .values(
                    attempts=count,
                    available_at=now + timedelta(seconds=backoff_seconds(count)),
                    last_error=error[:2000],
                )
            )
        session.commit()


def drain_outbox(
    db: SessionSource,
    backend: SearchBackend,
    lock: SyncLock,
    *,
    batch_size: int = BATCH_SIZE,
    max_batches: int | None = None,
    today: date | None = None,
) -> SyncReport:
    """Drain every due outbox row, batch after batch, until none is due or the backend fails."""
    total = SyncReport()
    with lock.hold() as held:
        if not held:
            total.busy = True
            return total
        while max_batches is None or total.batches < max_batches:
            report = drain_outbox_once(db, backend, batch_size=batch_size, today=today)
            for name in ("rows", "indexed", "deleted", "failed_rows", "kept_rows", "batches"):
                setattr(total, name, getattr(total, name) + getattr(report, name))
            total.errors += report.errors
            if report.rows == 0 or report.failed_rows or report.kept_rows:
                break
    return total


def sweep_expired(
    db: SessionSource, backend: SearchBackend, *, days: int = SWEEP_DAYS, today: date | None = None
) -> int:
    """Delete products whose licence ran out in the last ``days`` (no outbox row announces expiry)."""
    today = today or today_utc()
    with db.session(write=False) as session:
        ids = expired_product_ids(session, today - timedelta(days=days), today)
    return backend.delete_documents(ids) if ids else 0


def reindex_catalogue(db: SessionSource, backend: SearchBackend, *, today: date | None = None) -> IndexInfo:
    """Build a fresh index of every public product and switch to it once its count matches the database.

    Documents and the expected count are read in one transaction (one snapshot), so they agree.
    """
    today = today or today_utc()
    with db.session(write=False) as session:
        bind = session.get_bind()
        # A session bound to an engine gets a snapshot of its own; one joined to an outer transaction
        # (the tests' rolled-back connection) already reads inside that transaction.
        if bind.dialect.name == "postgresql" and isinstance(bind, Engine):
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})

        def source() -> Iterator[list[dict[str, Any]]]:
            return iter_public_documents(session, today)

        def expected() -> int:
            return count_public_products(session, today)

        info = backend.reindex(source, expected)
        session.rollback()
    return info


def sync_status(db: SessionSource, backend: SearchBackend, *, today: date | None = None) -> dict[str, Any]:
    """What ``flask search status`` prints: lag, failures, index age and size, database count."""
    now = _now()
    with db.session(write=False) as session:
        pending, oldest = session.execute(
            select(func.count(OutboxEntry.id), func.min(OutboxEntry.created_at))
        ).one()
        failing, max_attempts = session.execute(
            select(func.count(OutboxEntry.id), func.max(OutboxEntry.attempts)).where(OutboxEntry.attempts > 0)
        ).one()
        last_error = session.scalar(
            select(OutboxEntry.last_error)
            .where(OutboxEntry.last_error.is_not(None))
            .order_by(OutboxEntry.id.desc())
            .limit(1)
        )
        public = count_public_products(session, today)
        session.rollback()
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    status: dict[str, Any] = {
        "backend": backend.name,
        "reachable": backend.ping(),
        "pending": int(pending or 0),
        "lag_seconds": round((now - oldest).total_seconds(), 3) if oldest else 0.0,
        "failing": int(failing or 0),
        "max_attempts": int(max_attempts or 0),
        "last_error": last_error,
        "public_products": public,
        "reindexing": backend.is_reindexing(),
    }
    if status["reachable"]:
        try:
            info = backend.info()
        except SearchError as exc:
            status["reachable"] = False
            status["error"] = str(exc)
        else:
            status["index"] = info.name
            status["documents"] = info.documents
            status["index_created_at"] = info.created_at.isoformat() if info.created_at else None
            status["index_age_seconds"] = (
                round((now - info.created_at).total_seconds()) if info.created_at else None
            )
            status["in_sync"] = status["pending"] == 0 and info.documents == public
    return status


class SyncWorker:
    """Drains the outbox every ``interval`` seconds until stopped (the embedded run's background thread)."""

    def __init__(
        self,
        db: SessionSource,
        backend: SearchBackend,
        lock: SyncLock,
        *,
        interval: float = 0.5,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.db, self.backend, self.lock, self.interval = db, backend, lock, interval
        self.stopped = threading.Event()
        self.thread: threading.Thread | None = None
        self._last_sweep = 0.0
        self._on_error = on_error

    def run_once(self) -> SyncReport:
        report = drain_outbox(self.db, self.backend, self.lock)
        if time.monotonic() - self._last_sweep > SWEEP_EVERY_SECONDS and not report.failed_rows:
            try:
                sweep_expired(self.db, self.backend)
                self._last_sweep = time.monotonic()
            except SearchError as exc:
                log.warning("search sync: expiry sweep failed: %s", exc)
        return report

    def run(self) -> None:
        failures = 0
        while not self.stopped.is_set():
            try:
                report = self.run_once()
                failures = failures + 1 if report.failed_rows else 0
            except Exception as exc:  # noqa: BLE001 - the worker must outlive a bad round (missing tables, DB restart)
                failures += 1
                log.exception("search sync round failed")
                if self._on_error:
                    self._on_error(exc)
            delay = self.interval if failures == 0 else min(self.interval * 2**failures, 30.0)
            self.stopped.wait(delay)

    def start(self) -> threading.Thread:
        self.thread = threading.Thread(target=self.run, name="search-sync", daemon=True)
        self.thread.start()
        return self.thread

    def stop(self, timeout: float = 5.0) -> None:
        self.stopped.set()
        if self.thread is not None:
            self.thread.join(timeout)
