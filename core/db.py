"""Database engine and sessions. Flask-free except for ``init_app``/``get_session``.

One ``Database`` per application. On SQLite (the embedded default) write transactions start
with ``BEGIN IMMEDIATE`` so that two writers queue on the busy timeout instead of failing on a
lock upgrade; reads use deferred transactions and WAL so they never wait for writers.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from flask import current_app, g, has_request_context, request
from sqlalchemy import JSON, Date, DateTime, Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from config import Settings

# Python 3.12 deprecated sqlite3's implicit date/datetime adapters; these are the same conversions, made explicit
# (SQLAlchemy converts its own parameters; these serve raw driver-level statements).
sqlite3.register_adapter(datetime, lambda value: value.isoformat(" "))
sqlite3.register_adapter(date, lambda value: value.isoformat())


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {
        dict[str, Any]: JSON,
        list[Any]: JSON,
        datetime: UTCDateTime(),
        date: Date,
    }


def _make_engine(url: str, *, immediate: bool) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the sqlite3 module, issue BEGIN (documented pysqlite recipe).
            dbapi_connection.isolation_level = None
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        lock_path = _writer_lock_path(engine)

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            if immediate and lock_path is not None:
                _acquire_writer_lock(conn, lock_path)
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
            except BaseException:
                _release_writer_lock(conn)
                raise

        if immediate and lock_path is not None:
            _release_after_end(engine)
        return engine
    engine = create_engine(url, pool_size=10, max_overflow=10)
    _ping_when_idle(engine)
    return engine


IDLE_PING_SECONDS = 5.0


def _ping_when_idle(engine: Engine, idle_seconds: float = IDLE_PING_SECONDS) -> None:
    """Check a pooled connection before use only when it has been idle for ``idle_seconds``.

    ``pool_pre_ping`` pings on every checkout: one more round trip per request, a seventh of a product
    creation's. A connection in steady use was alive a moment ago; one that sat idle (a restarted server,
    a firewall's timeout) is pinged, and a dead one replaced before the request sees it (SQLAlchemy's
    documented custom pessimistic recipe: raising ``DisconnectionError`` in ``checkout`` retries the
    checkout with a new connection). A server lost under steady load fails the requests in flight, and
    SQLAlchemy then invalidates the whole pool.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return  # new, or used a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)  # what pool_pre_ping runs
            dbapi_connection.rollback()
        except Exception as error:
            raise DisconnectionError(f"a pooled connection idle for {idle_seconds:.0f}s is gone") from error


def _writer_lock_path(engine: Engine) -> str | None:
    """Writers queue on an OS file lock beside the database before BEGIN IMMEDIATE.

    SQLite's own busy handler sleeps in growing steps (up to 100 ms) while it waits for the write lock,
    so two busy workers spend most of their time asleep; a blocking flock wakes the next writer the
    moment the previous one commits. The semantics are unchanged: one writer at a time, as SQLite has.
    """
    database = engine.url.database
    if not database or database == ":memory:" or engine.url.query.get("mode") == "memory":
        return None
    return f"{database}.writer-lock"


def _acquire_writer_lock(conn: Any, path: str, wait_seconds: float = 30.0) -> None:

    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                # Never hang: fall back to SQLite's own busy handling (and its timeout) from here.
                os.close(fd)
                return
            time.sleep(0.0002)
        except BaseException:
            os.close(fd)
            raise
    conn.info["writer_lock_fd"] = fd


def _release_writer_lock(conn: Any) -> None:

    fd = conn.info.pop("writer_lock_fd", None)
    if fd is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _release_after_end(engine: Engine) -> None:
    """Let the next writer in only once COMMIT or ROLLBACK has run.

    (SQLAlchemy's ``commit`` event fires before the DBAPI commit: a writer let in there would find the
    database still locked and sleep in SQLite's busy handler for a millisecond or more.)
    """
    dialect = engine.dialect
    for name in ("do_commit", "do_rollback"):
        end = getattr(dialect, name)

        def then_release(dbapi_connection: Any, _end: Any = end) -> None:
            try:
                _end(dbapi_connection)
            finally:
                # (the engine's first-connect probe has no ``info``, and no lock)
                with contextlib.suppress(NotImplementedError):
                    _release_writer_lock(dbapi_connection)  # the pool's proxy: it carries ``info``

        setattr(dialect, name, then_release)


class Database:
    """Engines and session factories for one database URL.

    ``migration_url`` is the owner role's URL that ``flask db upgrade`` migrates with (the same URL unless
    REGISTRY_DATABASE_MIGRATION_URL names another role); the service itself never connects with it."""

    def __init__(self, url: str, migration_url: str | None = None) -> None:
        self.url = url
        self.migration_url = migration_url or url
        self.is_sqlite = url.startswith("sqlite")
        self.engine = _make_engine(url, immediate=True)
        self.read_engine = _make_engine(url, immediate=False) if self.is_sqlite else self.engine
        self.write_sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessions = sessionmaker(self.read_engine, expire_on_commit=False)

    def session(self, *, write: bool = True) -> Session:
        return (self.write_sessions if write else self.read_sessions)()

    def bind_to(self, connection: Any) -> None:
        """Tests: make every session a savepoint inside ``connection``'s outer transaction."""
        for factory in (self.write_sessions, self.read_sessions):
            factory.configure(bind=connection, join_transaction_mode="create_savepoint")

    def dispose(self) -> None:
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()


def init_app(app: Any, settings: Settings) -> Database:
    db = Database(settings.database_url(), settings.database.migration_url or None)
    app.extensions["core.db"] = db

    def _close_session(exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            if exc is not None:
                session.rollback()
            session.close()

    @app.before_request
    def _fresh_request_state() -> None:
        # An app context can outlive one request (tests, CLI): nothing request-scoped may leak.
        _close_session(None)
        g.pop("actor", None)

    app.teardown_request(_close_session)
    app.teardown_appcontext(_close_session)

    return db


def get_db() -> Database:

    return current_app.extensions["core.db"]


@contextmanager
def lookups() -> Iterator[Session]:
    """A session for the look-ups a request makes before it writes.

    On SQLite it is a separate read session whose read transaction ends with the block, so those
    reads run before the write transaction takes the database's single write lock and do not lengthen
    it (what they found is still guarded at write time by constraints and version columns). Elsewhere
    it is the request's own session, left open. Nested blocks share the outer block's session.
    """

    database = get_db()
    if not database.is_sqlite:
        yield get_session()
        return
    outer = g.get("lookup_session")
    if outer is not None:
        yield outer
        return
    with database.session(write=False) as reader:
        g.lookup_session = reader
        try:
            yield reader
        finally:
            g.pop("lookup_session", None)


def get_session() -> Session:
    """The session of the current request or app context (created on first use)."""

    session = g.get("db_session")
    if session is None:
        write = not has_request_context() or request.method not in ("GET", "HEAD", "OPTIONS")
        session = get_db().session(write=write)
        g.db_session = session
    return session


# Packages whose ORM models share ``Base``; each is imported if present so that Alembic and
# ``create_all`` see every table.
MODEL_MODULES = (
    "core.models",
    "core.blobs",
    "registry.models",
    "signing.models",
    "search.models",
    "labels.models",
    "tlog.models",
    "procurement.models",
)


def import_all_models() -> None:

    for name in MODEL_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise
