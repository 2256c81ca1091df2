"""Recording scans of label URLs: in the request's own transaction, or buffered per worker and written in bulk.

Two implementations of one small interface, chosen by ``SIGNING_SCAN_FLUSH_MS`` (docs/architecture.md):

* :class:`ImmediateScanRecorder` writes the scan and the unit in the request's transaction (one write
  transaction per scan).  Used under ``ENV=testing`` (every test runs in a rolled-back transaction) and when
  ``SIGNING_SCAN_FLUSH_MS=0``.
* :class:`BufferedScanRecorder` (the default) answers from the database *plus* the scans this worker has not
  written yet, and a background thread writes the buffer every ``flush_ms`` milliseconds (or sooner, when
  ``max_rows`` are waiting) in one transaction: one unit upsert and one scan insert, each for many rows.
  The request path only reads, with one indexed ``SELECT`` on a connection the worker keeps.  The buffer is
  written at an orderly exit (``close()``, registered with ``atexit``); a hard crash of a worker loses at most
  the scans of its last ``flush_ms``.  Scans of one unit in *another* worker's unwritten buffer are not seen
  until that worker writes them: a count or a clone flag can show that much later.

Flask-free, like ``signing.verification``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import Table, bindparam, case, func, insert, or_, select, true, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from core import metrics
from signing.errors import Reason
from signing.models import Scan, Unit
from signing.recalls import find_unit_recall
from signing.settings import EPOCH, CloneRules, SigningSettings
from signing.verification import (
    UNIT_INSERT_COLUMNS,
    Outcome,
    ScanContext,
    UnitSighting,
    clone_flags,
    device_class,
    hash_device,
    locate_district,
    record_scan,
)

log = logging.getLogger("registry.signing.scans")

UNITS = cast(Table, Unit.__table__)
SCANS = cast(Table, Scan.__table__)

__all__ = ["BufferedScanRecorder", "ImmediateScanRecorder", "ScanRecorder", "build_scan_recorder"]


class ScanRecorder(Protocol):
    """Records the scan behind ``outcome`` and completes the outcome (unit sighting, clone flags, recall)."""

    needs_write_session: bool

    def record(self, session: Session, outcome: Outcome, context: ScanContext, *, now: datetime) -> None: ...

    def flush(self) -> int: ...

    def close(self) -> None: ...


class ImmediateScanRecorder:
    """The scan and its unit are written in the caller's transaction (``session``): nothing is buffered."""

    needs_write_session = True

    def __init__(self, settings: SigningSettings) -> None:
        self.settings = settings

    def record(self, session: Session, outcome: Outcome, context: ScanContext, *, now: datetime) -> None:
        record_scan(session, self.settings, outcome, context, now=now)
        metrics.SCANS_WRITTEN.inc()  # in the request's transaction, committed with it

    def flush(self) -> int:
        return 0

    def close(self) -> None:
        return None


# ---------------------------------------------------------------------------------------------- buffer

UnitKey = tuple[str, str]  # (gtin, serial)


@dataclass
class PendingUnit:
    """What this worker has seen of one unit since it last wrote its buffer."""

    batch_id: int
    product_id: int
    first_seen_at: datetime
    first_district: str | None
    scans: list[dict[str, Any]] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    flagged_at: datetime | None = None


@dataclass
class ScanBuffer:
    """Scans not written yet, and per unit what they add to its row."""

    scans: list[dict[str, Any]] = field(default_factory=list)
    units: dict[UnitKey, PendingUnit] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.scans)

    def absorb(self, later: ScanBuffer) -> ScanBuffer:
        """This buffer followed by ``later`` (a failed write goes back in front of what came since)."""
        merged = ScanBuffer(self.scans + later.scans, dict(self.units))
        for key, unit in later.units.items():
            earlier = merged.units.get(key)
            if earlier is None:
                merged.units[key] = unit
                continue
            merged.units[key] = PendingUnit(
                batch_id=earlier.batch_id,
                product_id=earlier.product_id,
                first_seen_at=earlier.first_seen_at,
                first_district=earlier.first_district,
                scans=earlier.scans + unit.scans,
                flags=earlier.flags | unit.flags,
                flagged_at=earlier.flagged_at or unit.flagged_at,
            )
        return merged


STORED_UNIT_COLUMNS = (
    "id",
    "first_seen_at",
    "first_district",
    "scan_count",
    "flags",
    "flagged_at",
    "recalled_at",
    "flags_cleared_at",
)


@dataclass
class StoredUnit:
    """A unit row as the database has it (read without the ORM)."""

    id: int
    first_seen_at: datetime | None
    first_district: str | None
    scan_count: int
    flags: list[str]
    flagged_at: datetime | None
    recalled_at: datetime | None
    flags_cleared_at: datetime | None
    recent_districts: set[
        tuple[str, str]
    ]  # (district, client) of its stored scans in the window, since clearing


_INHERITED: list[
    OwnConnection
] = []  # a parent process's connections that a forked child must neither use nor close


class OwnConnection:
    """A DBAPI connection one thread keeps for its life, outside the pool (detached), so no session ever gets it:
    with autocommit switched on (psycopg: every read sees the latest commits, and no transaction stays open), a
    session's ROLLBACK on it would do nothing. Closed by :meth:`close`, or when the thread's state is dropped.

    SQLite's connections already run each SELECT on its own (the engine sets ``isolation_level`` None); Python
    3.12+ sqlite3 also has an ``autocommit`` attribute, with other semantics, so it is left alone there."""

    def __init__(self, engine: Engine) -> None:
        self.fairy = engine.raw_connection()
        driver = self.fairy.driver_connection
        self.fairy.detach()
        if engine.dialect.name == "postgresql":
            driver.autocommit = True  # type: ignore[union-attr]
        self.pid = os.getpid()
        self.cursor = driver.cursor()  # type: ignore[union-attr]
        self._closed = False

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.pid != os.getpid():  # inherited through fork: the parent's session on the server, not ours
            _INHERITED.append(self)
            return
        with contextlib.suppress(
            Exception
        ):  # already unusable (a dropped server) is fine: closing is the point
            self.fairy.close()  # detached: this closes the DBAPI connection itself

    def __del__(self) -> None:
        self.close()


class UnitReader:
    """Reads unit rows and their recent scans on one autocommit DBAPI connection per thread.

    The request path runs one indexed ``SELECT`` per scan; through a session it would cost a connection
    checkout, ``BEGIN`` and ``ROLLBACK`` around it, here it costs the statement.  Result values are converted
    with the columns' own SQLAlchemy type processors, so they equal what the ORM would return."""

    def __init__(self, engine: Engine, max_devices: int) -> None:
        self.engine = engine
        dialect = engine.dialect
        # the unit row with, one row each, the districts of its scans within the clone window (a unit scanned
        # again needs them for the district rule): one round trip instead of two
        unit_id = (
            select(UNITS.c.id)
            .where(UNITS.c.gtin == bindparam("gtin"), UNITS.c.serial == bindparam("serial"))
            .scalar_subquery()
        )
        recent = (
            select(SCANS.c.district, SCANS.c.device_hash, SCANS.c.scanned_at)
            .where(
                SCANS.c.unit_id == unit_id,
                SCANS.c.scanned_at >= bindparam("since"),
                SCANS.c.district.is_not(None),
            )
            .distinct()
            .subquery("recent")
        )
        self.unit_sql = self._compile(
            select(
                *(UNITS.c[name] for name in STORED_UNIT_COLUMNS),
                recent.c.district,
                recent.c.device_hash,
                recent.c.scanned_at,
            )
            .select_from(UNITS.outerjoin(recent, true()))
            .where(UNITS.c.gtin == bindparam("gtin"), UNITS.c.serial == bindparam("serial"))
        )
        self.devices_sql = self._compile(  # enough to tell whether there are more than max_devices
            select(SCANS.c.device_hash)
            .where(SCANS.c.unit_id == bindparam("unit_id"), SCANS.c.scanned_at > bindparam("since"))
            .distinct()
            .limit(max_devices + 1)
        )
        self._load_moment = UNITS.c.first_seen_at.type._cached_result_processor(dialect, None)
        self._bind_moment = SCANS.c.scanned_at.type._cached_bind_processor(dialect)
        self._local = threading.local()

    def _compile(self, stmt: Any) -> tuple[str, tuple[str, ...] | None, dict[str, Any]]:
        """(SQL in the driver's parameter style, positional parameter order or None, constant parameters)."""
        compiled = stmt.compile(dialect=self.engine.dialect)
        order = tuple(compiled.positiontup) if compiled.positiontup else None
        return str(compiled), order, dict(compiled.params)

    def _cursor(self) -> Any:
        own = getattr(self._local, "own", None)
        if own is None or own.pid != os.getpid():
            own = self._local.own = OwnConnection(self.engine)
        return own.cursor

    def _execute(self, query: tuple[str, tuple[str, ...] | None, dict[str, Any]], **values: Any) -> list[Any]:
        sql, order, constants = query
        params = constants | values
        arguments = tuple(params[name] for name in order) if order else params
        for attempt in (1, 2):
            try:
                cursor = self._cursor()
                cursor.execute(sql, arguments)
                return list(cursor.fetchall())
            except Exception:
                self.reset()  # a connection the server dropped is replaced, and the read tried once more
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def reset(self) -> None:
        own = getattr(self._local, "own", None)
        self._local.own = None
        if own is not None:
            own.close()

    def _moment(self, value: Any) -> datetime | None:
        return self._load_moment(value) if self._load_moment else value

    def unit(self, gtin: str, serial: str, *, since: datetime) -> StoredUnit | None:
        """The unit row, with the districts of its scans at or after ``since``; ``None`` if it has none yet."""
        bound = self._bind_moment(since) if self._bind_moment else since
        rows = self._execute(self.unit_sql, gtin=gtin, serial=serial, since=bound)
        if not rows:
            return None
        unit_id, first_seen, first_district, count, flags, flagged_at, recalled_at, cleared = rows[0][:8]
        if isinstance(flags, str | bytes):
            flags = json.loads(flags)
        cleared_at = self._moment(cleared)
        recent = set()
        for row in rows:
            district, client, scanned = row[-3:]
            if district is None:
                continue
            if cleared_at is None or (self._moment(scanned) or EPOCH) > cleared_at:
                recent.add((district, client))
        return StoredUnit(
            id=int(unit_id),
            first_seen_at=self._moment(first_seen),
            first_district=first_district,
            scan_count=int(count or 0),
            flags=list(flags or []),
            flagged_at=self._moment(flagged_at),
            recalled_at=self._moment(recalled_at),
            flags_cleared_at=cleared_at,
            recent_districts=recent,
        )

    def devices(self, unit_id: int, *, since: datetime | None) -> set[str]:
        """Distinct client hashes of the unit's stored scans after ``since`` (its last flag clearing)."""
        moment = since or EPOCH
        bound = self._bind_moment(moment) if self._bind_moment else moment
        return {row[0] for row in self._execute(self.devices_sql, unit_id=unit_id, since=bound)}


# ---------------------------------------------------------------------------------------------- writing


@functools.cache
def unit_upsert_many(dialect: str) -> Any:
    """Add a worker's scans to their units: create the row, or add to its count; the earliest first sighting
    of all workers wins (``executemany``, one parameter set per unit)."""
    units = UNITS
    dialect_insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    stmt = dialect_insert(units).values(
        {name: bindparam(name, type_=units.c[name].type) for name in UNIT_INSERT_COLUMNS}
    )
    earlier = or_(units.c.first_seen_at.is_(None), stmt.excluded.first_seen_at < units.c.first_seen_at)
    return stmt.on_conflict_do_update(
        index_elements=[units.c.gtin, units.c.serial],
        set_={
            "scan_count": func.coalesce(units.c.scan_count, 0) + stmt.excluded.scan_count,
            "first_seen_at": case((earlier, stmt.excluded.first_seen_at), else_=units.c.first_seen_at),
            "first_district": case((earlier, stmt.excluded.first_district), else_=units.c.first_district),
        },
    )


SCAN_INSERT_MANY = insert(SCANS).values(
    unit_id=select(UNITS.c.id)
    .where(UNITS.c.gtin == bindparam("gtin"), UNITS.c.serial == bindparam("unit_serial"))
    .scalar_subquery(),
    gtin=bindparam("gtin"),
    serial=bindparam("serial"),
    scanned_at=bindparam("scanned_at", type_=SCANS.c.scanned_at.type),
    verdict=bindparam("verdict"),
    district=bindparam("district"),
    location_source=bindparam("location_source"),
    device_class=bindparam("device_class"),
    device_hash=bindparam("device_hash"),
)


class BulkStatement:
    """A Core statement compiled once for a dialect and run with the driver's own ``executemany``.

    SQLAlchemy's ``executemany`` converts every parameter set in Python (a few microseconds each, per column);
    here only the columns whose type needs it (times, JSON) are converted, with the same type processors."""

    def __init__(self, stmt: Any, dialect: Any) -> None:
        compiled = stmt.compile(dialect=dialect)
        self.sql = str(compiled)
        self.order = tuple(compiled.positiontup) if compiled.positiontup else None
        self.constants = dict(compiled.params)  # literals the statement binds itself (the 0 of coalesce)
        processors = {
            name: bind.type._cached_bind_processor(dialect) for name, bind in compiled.binds.items()
        }
        self.processors = [(name, process) for name, process in processors.items() if process is not None]

    def execute(self, connection: Connection, rows: list[dict[str, Any]]) -> None:
        converted: list[Any] = []
        for row in rows:
            values = self.constants | row
            for name, process in self.processors:
                values[name] = process(values[name])
            converted.append(tuple(values[name] for name in self.order) if self.order else values)
        cursor = connection.connection.cursor()
        try:
            cursor.executemany(self.sql, converted)
        finally:
            cursor.close()


@functools.cache
def bulk_statements(dialect: Any) -> tuple[BulkStatement, BulkStatement]:
    """(unit upsert, scan insert) compiled for ``dialect``."""
    return BulkStatement(unit_upsert_many(dialect.name), dialect), BulkStatement(SCAN_INSERT_MANY, dialect)


def write_buffer(connection: Connection, buffer: ScanBuffer) -> None:
    """Write ``buffer`` in the caller's transaction: units (in key order, so two workers lock rows in the same
    order), new clone flags, then the scans, each as one statement with many parameter sets."""
    keys = sorted(buffer.units)
    upsert_units, insert_scans = bulk_statements(connection.dialect)
    if keys:
        upsert_units.execute(
            connection,
            [
                {
                    "gtin": gtin,
                    "serial": serial,
                    "batch_id": unit.batch_id,
                    "product_id": unit.product_id,
                    "first_seen_at": unit.first_seen_at,
                    "first_district": unit.first_district,
                    "scan_count": len(unit.scans),
                    "flags": [],
                }
                for (gtin, serial), unit in ((key, buffer.units[key]) for key in keys)
            ],
        )
    for key in keys:
        unit = buffer.units[key]
        if not unit.flags:
            continue
        where = (UNITS.c.gtin == key[0], UNITS.c.serial == key[1])
        row = connection.execute(
            select(UNITS.c.flags, UNITS.c.flagged_at, UNITS.c.flags_cleared_at)
            .where(*where)
            .with_for_update()
        ).one()
        if (
            row.flags_cleared_at is not None
            and unit.flagged_at is not None
            and unit.flagged_at <= row.flags_cleared_at
        ):
            continue  # cleared by a manufacturer or reviewer after this worker raised them
        flags = sorted(set(row.flags or []) | unit.flags)
        if flags != list(row.flags or []):
            connection.execute(
                update(UNITS).where(*where).values(flags=flags, flagged_at=row.flagged_at or unit.flagged_at)
            )
    if buffer.scans:
        insert_scans.execute(connection, buffer.scans)


# ---------------------------------------------------------------------------------------------- recorder


class BufferedScanRecorder:
    """Scans wait in this worker's memory for at most ``flush_ms`` and are written in bulk (module docstring).

    Thread-safe: gthread workers record from several threads; one background thread writes."""

    needs_write_session = False

    def __init__(
        self,
        settings: SigningSettings,
        engine: Engine,
        *,
        flush_ms: int = 100,
        max_rows: int = 1000,
        hard_limit: int = 100_000,
        read_engine: Engine | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.interval = flush_ms / 1000
        self.max_rows = max_rows
        self.hard_limit = hard_limit  # beyond this (the database has been failing) a request writes itself
        self.reader = UnitReader(read_engine or engine, settings.clone_rules.max_devices)
        self._lock = threading.RLock()  # the buffers, and reads that combine them with the database
        self._flush_lock = threading.Lock()  # one write at a time
        self._pending = ScanBuffer()
        self._inflight: ScanBuffer | None = None  # being written; still counted until its commit
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self.failures = 0

    # -- the request path

    def record(self, session: Session, outcome: Outcome, context: ScanContext, *, now: datetime) -> None:
        label = outcome.label
        if label is None:
            return
        self._ensure_thread()
        settings = self.settings
        district, source = locate_district(settings, context)
        scan: dict[str, Any] = {
            "gtin": label.gtin,
            "serial": label.serial,
            "unit_serial": None,
            "scanned_at": now,
            "verdict": outcome.verdict.value,
            "district": district,
            "location_source": source,
            "device_class": device_class(context),
            "device_hash": hash_device(settings.secret_key, context),
        }
        batch = outcome.batch
        if label.serial is None or batch is None:
            with self._lock:
                self._pending.scans.append(scan)
                waiting = len(self._pending)
        else:
            key = (label.gtin, label.serial)
            scan["unit_serial"] = label.serial
            with self._lock:
                since = now - timedelta(hours=settings.clone_rules.window_hours)
                stored = self.reader.unit(*key, since=since)
                earlier = self._pending_scans(key)
                flags_before = self._known_flags(stored, key)
                first = earlier[0] if earlier else None
                if stored is not None and stored.first_seen_at is not None:
                    first_seen, first_district = stored.first_seen_at, stored.first_district
                elif first is not None:
                    first_seen, first_district = first["scanned_at"], first["district"]
                else:
                    first_seen, first_district = now, district
                count = (stored.scan_count if stored else 0) + len(earlier) + 1
                if stored is not None and stored.recalled_at is not None:
                    outcome.recalled(find_unit_recall(session, *key), Reason.UNIT_RECALLED)
                    scan["verdict"] = outcome.verdict.value
                flags = self._clone_flags(
                    stored, earlier, scan, flags_before, count, settings.clone_rules, now=now
                )
                pending = self._pending.units.get(key)
                if pending is None:
                    pending = self._pending.units[key] = PendingUnit(
                        batch_id=batch.id,
                        product_id=batch.product_id,
                        first_seen_at=now,
                        first_district=district,
                    )
                pending.scans.append(scan)
                if not flags <= flags_before:
                    pending.flags |= flags
                    pending.flagged_at = pending.flagged_at or now
                self._pending.scans.append(scan)
                waiting = len(self._pending)
            outcome.unit = UnitSighting(
                first_seen_at=first_seen, first_district=first_district, scan_count=count
            )
            outcome.flags = sorted(flags)
        metrics.SCAN_BUFFER.set(waiting)
        if waiting >= self.hard_limit:
            self.flush()  # the writer has been failing: make this request wait rather than grow without end
        elif waiting >= self.max_rows:
            self._wake.set()

    def _pending_scans(self, key: UnitKey) -> list[dict[str, Any]]:
        scans: list[dict[str, Any]] = []
        for buffer in (self._inflight, self._pending):
            unit = buffer.units.get(key) if buffer is not None else None
            if unit is not None:
                scans += unit.scans
        return scans

    def _known_flags(self, stored: StoredUnit | None, key: UnitKey) -> set[str]:
        flags = set(stored.flags) if stored is not None else set()
        for buffer in (self._inflight, self._pending):
            unit = buffer.units.get(key) if buffer is not None else None
            if unit is not None:
                flags |= unit.flags
        return flags

    def _clone_flags(
        self,
        stored: StoredUnit | None,
        earlier: list[dict[str, Any]],
        scan: dict[str, Any],
        flags_before: set[str],
        count: int,
        rules: CloneRules,
        *,
        now: datetime,
    ) -> set[str]:
        """The clone rules (``services.clone_flags``) over the stored scans and the buffered ones."""
        cleared = stored.flags_cleared_at if stored is not None else None
        devices_since = rules.devices_since(now, cleared)
        districts_since = rules.districts_since(now, cleared)
        client = scan["device_hash"]

        def devices() -> set[str]:
            found = {s["device_hash"] for s in earlier if s["scanned_at"] > devices_since} | {client}
            if stored is not None:
                found |= self.reader.devices(stored.id, since=devices_since)
            return found

        def recent() -> set[tuple[str, str]]:
            found = {
                (s["district"], s["device_hash"])
                for s in earlier
                if s["district"] and s["scanned_at"] >= districts_since
            }
            if stored is not None:
                found |= stored.recent_districts
            return found

        return clone_flags(
            rules,
            flags=flags_before,
            scan_count=count,
            client=client,
            district=scan["district"],
            devices=devices,
            recent=recent,
        )

    # -- writing

    def _ensure_thread(self) -> None:
        if self._pid != os.getpid():  # forked after the buffer was made (gunicorn --preload): start clean
            self._pid = os.getpid()
            self._pending, self._inflight, self._thread = ScanBuffer(), None, None
            self._flush_lock = threading.Lock()
            self._lock = threading.RLock()
        if self._thread is None or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self._stop.clear()
                    self._thread = threading.Thread(target=self._run, name="scan-writer", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.flush()
            except Exception:
                self.failures += 1
                log.exception(
                    "scans: writing the buffer failed (%d scans kept, retrying)", len(self._pending)
                )
                self._stop.wait(min(5.0, self.interval * 2 ** min(self.failures, 6)))
            else:
                self.failures = 0

    def flush(self) -> int:
        """Write every buffered scan now, in one transaction; returns how many.  On failure the scans stay
        buffered (in their order) and the error propagates."""
        with self._flush_lock:
            with self._lock:
                buffer, self._pending = self._pending, ScanBuffer()
                if not buffer.scans:
                    return 0
                self._inflight = buffer
            try:
                with self.engine.connect() as connection, self._lock:
                    # Reads wait while the buffer is written and committed: a read then sees either the
                    # buffer or its rows, never both (PostgreSQL showed both now and then when only the
                    # commit was inside the lock).
                    transaction = connection.begin()
                    try:
                        write_buffer(connection, buffer)
                        transaction.commit()
                        self._inflight = None
                        metrics.SCANS_WRITTEN.inc(len(buffer.scans))
                        metrics.SCAN_BUFFER.set(len(self._pending))
                    except BaseException:
                        if transaction.is_active:
                            transaction.rollback()
                        raise
            except BaseException:
                with self._lock:
                    if self._inflight is buffer:
                        self._pending = buffer.absorb(self._pending)
                        self._inflight = None
                raise
            return len(buffer.scans)

    @property
    def waiting(self) -> int:
        with self._lock:
            return len(self._pending) + (len(self._inflight) if self._inflight else 0)

    def close(self) -> None:
        """Stop the writer thread and write what is left (orderly exit of the worker)."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread.is_alive() and thread is not threading.current_thread():
            thread.join(timeout=10)
        for attempt in range(3):
            try:
                self.flush()
                break
            except Exception:
                log.exception("scans: final write failed (attempt %d, %d scans)", attempt + 1, self.waiting)
                time.sleep(0.2)
        self.reader.reset()


def build_scan_recorder(settings: SigningSettings, database: Any, flush_ms: int) -> ScanRecorder:
    """``flush_ms`` > 0: buffered (the default outside tests); 0: each scan in its request's transaction."""
    if flush_ms <= 0:
        return ImmediateScanRecorder(settings)
    return BufferedScanRecorder(
        settings, database.engine, flush_ms=flush_ms, read_engine=database.read_engine
    )
