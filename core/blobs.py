"""Shared blob storage: files any host can serve (certificate evidence, report photos, label job outputs).

One small interface, ``BlobStore``: ``writer``/``put`` (streamed in, chunk by chunk), ``open`` (streamed
out, chunk by chunk, optionally a byte range), ``stat`` (size, SHA-256, media type) and ``delete``.
``DatabaseBlobStore``, the only backend, keeps a blob as one ``blobs`` row and ``blob_chunks`` rows of
``CHUNK_SIZE`` bytes in the registry's own database (SQLite or PostgreSQL), so every application host sees
the same files and a database backup holds them. A writer holds at most one chunk, a reader one batch of
``READ_BATCH`` chunks (fetched in one query).

A blob becomes visible (``stat``/``open``) only once it is complete: a writer that dies half-way leaves an
incomplete row that readers ignore and the next ``put`` of that key replaces.

``blob_response`` (Flask) answers a blob as a streamed download with ``ETag`` (its SHA-256),
``Content-Length``, ``If-None-Match`` and single ``Range`` requests.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, BinaryIO, Protocol

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db import Base
from core.errors import NotFound

CHUNK_SIZE = 1 << 20  # 1 MiB: a row PostgreSQL and SQLite store comfortably, few enough rows for 200 MB
READ_BATCH = 8  # chunks per query when reading: 8 MiB per round trip, the most a reader holds at once
EXTENSION = "blobs"  # app.extensions key

metadata = Base.metadata  # with every other table: Alembic's drift check and create_all see these too
blobs_table = Table(
    "blobs",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("size", Integer, nullable=False, default=0),
    Column("sha256", String(64)),
    Column("media_type", String(100), nullable=False),
    Column("chunk_size", Integer, nullable=False),
    Column("complete", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
chunks_table = Table(
    "blob_chunks",
    metadata,
    Column("blob_key", String(200), ForeignKey("blobs.key", ondelete="CASCADE"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("data", LargeBinary, nullable=False),
)


class BlobNotFound(NotFound):
    """No complete blob under that key (absent, or still being written)."""

    code = "resource.not_found"


@dataclass(frozen=True)
class BlobInfo:
    key: str
    size: int
    sha256: str
    media_type: str

    @property
    def etag(self) -> str:
        return self.sha256


class SessionSource(Protocol):
    """What ``core.db.Database`` offers."""

    def session(self, *, write: bool = True) -> Session: ...


class BlobStore(Protocol):
    def writer(self, key: str, media_type: str, session: Session | None = None) -> BlobWriter: ...

    def put(
        self, key: str, stream: BinaryIO, media_type: str, session: Session | None = None
    ) -> BlobInfo: ...

    def stat(self, key: str, session: Session | None = None) -> BlobInfo | None: ...

    def open(self, key: str, start: int = 0, stop: int | None = None) -> Iterator[bytes]: ...

    def delete(self, key: str, session: Session | None = None) -> bool: ...


class BlobWriter:
    """A write-only binary file whose bytes go to the store chunk by chunk (``tell`` works, ``seek`` does
    not, so zipfile writes data descriptors). ``close()`` completes the blob and returns its ``BlobInfo``;
    ``abort()`` removes what was written.

    With ``session`` the chunks join the caller's transaction (a small file that must appear with the
    record that names it); without, each chunk is committed on its own, so a 200 MB output never holds
    the database's write lock (SQLite) or one huge transaction (PostgreSQL) for long."""

    def __init__(self, store: DatabaseBlobStore, key: str, media_type: str, session: Session | None) -> None:
        self.store, self.key, self.media_type, self._session = store, key, media_type, session
        self._buffer = bytearray()
        self._hash = hashlib.sha256()
        self._size = 0
        self._seq = 0
        self._closed = False
        with self._transaction() as s:
            s.execute(delete(blobs_table).where(blobs_table.c.key == key))  # a dead writer's leftovers
            s.execute(delete(chunks_table).where(chunks_table.c.blob_key == key))  # (SQLite: no cascade)
            s.execute(
                insert(blobs_table).values(
                    key=key,
                    size=0,
                    media_type=media_type,
                    chunk_size=store.chunk_size,
                    complete=False,
                    created_at=datetime.now(UTC),
                )
            )

    def _transaction(self) -> Any:
        return _Transaction(self.store.db, self._session)

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._size

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self._closed:
            raise ValueError("write to a closed blob")
        view = memoryview(data).cast("B")
        self._hash.update(view)
        self._size += len(view)
        self._buffer += view
        while len(self._buffer) >= self.store.chunk_size:
            self._flush_chunk(bytes(self._buffer[: self.store.chunk_size]))
            del self._buffer[: self.store.chunk_size]
        return len(view)

    def flush(self) -> None:  # chunks are written when full; BinaryIO callers may call this
        pass

    def _flush_chunk(self, data: bytes) -> None:
        with self._transaction() as s:
            s.execute(insert(chunks_table).values(blob_key=self.key, seq=self._seq, data=data))
        self._seq += 1

    def close(self) -> BlobInfo:
        if self._closed:
            raise ValueError("blob already closed")
        if self._buffer:
            self._flush_chunk(bytes(self._buffer))
            self._buffer.clear()
        self._closed = True
        info = BlobInfo(self.key, self._size, self._hash.hexdigest(), self.media_type)
        with self._transaction() as s:
            s.execute(
                update(blobs_table)
                .where(blobs_table.c.key == self.key)
                .values(size=info.size, sha256=info.sha256, complete=True)
            )
        return info

    def abort(self) -> None:
        self._closed = True
        self._buffer.clear()
        self.store.delete(self.key, self._session, complete_only=False)

    def __enter__(self) -> BlobWriter:
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if self._closed:
            return
        if exc_type is None:
            self.close()
        else:
            self.abort()


class _Transaction:
    """The caller's session as it is (it commits), or a session of our own committed at the end."""

    def __init__(self, db: SessionSource, session: Session | None) -> None:
        self.db, self.session, self.own = db, session, session is None

    def __enter__(self) -> Session:
        if self.own:
            self.session = self.db.session(write=True)
        assert self.session is not None
        return self.session

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if not self.own or self.session is None:
            return
        try:
            if exc_type is None:
                self.session.commit()
            else:
                self.session.rollback()
        finally:
            self.session.close()


class DatabaseBlobStore:
    """Blobs in the registry database, in ``chunk_size`` pieces."""

    def __init__(self, db: SessionSource, chunk_size: int = CHUNK_SIZE, read_batch: int = READ_BATCH) -> None:
        self.db = db
        self.chunk_size = chunk_size
        self.read_batch = max(1, read_batch)

    def writer(self, key: str, media_type: str, session: Session | None = None) -> BlobWriter:
        return BlobWriter(self, key, media_type, session)

    def put(self, key: str, stream: BinaryIO, media_type: str, session: Session | None = None) -> BlobInfo:
        """Copy ``stream`` into the blob ``key`` (replacing it), reading ``chunk_size`` bytes at a time."""
        with self.writer(key, media_type, session) as out:
            while block := stream.read(self.chunk_size):
                out.write(block)
            return out.close()

    def put_content_addressed(
        self, prefix: str, data: bytes, media_type: str, session: Session | None = None
    ) -> BlobInfo:
        """Keep ``data`` under ``<prefix>/<sha256>`` once: an identical upload finds it and writes nothing.
        Two uploads racing for the same content both succeed (the loser's insert is undone in a savepoint)."""
        digest = hashlib.sha256(data).hexdigest()
        key = f"{prefix}/{digest}"
        existing = self.stat(key, session)
        if existing is not None:
            return existing
        with _Transaction(self.db, session) as s:
            try:
                with s.begin_nested():
                    s.execute(delete(chunks_table).where(chunks_table.c.blob_key == key))
                    s.execute(delete(blobs_table).where(blobs_table.c.key == key))
                    s.execute(
                        insert(blobs_table).values(
                            key=key,
                            size=len(data),
                            sha256=digest,
                            media_type=media_type,
                            chunk_size=self.chunk_size,
                            complete=True,
                            created_at=datetime.now(UTC),
                        )
                    )
                    for seq, offset in enumerate(range(0, len(data), self.chunk_size)):
                        s.execute(
                            insert(chunks_table).values(
                                blob_key=key, seq=seq, data=data[offset : offset + self.chunk_size]
                            )
                        )
            except IntegrityError:  # the same file stored by someone else a moment ago
                pass
        return BlobInfo(key, len(data), digest, media_type)

    def stat(self, key: str, session: Session | None = None) -> BlobInfo | None:
        stmt = select(blobs_table.c.size, blobs_table.c.sha256, blobs_table.c.media_type).where(
            blobs_table.c.key == key, blobs_table.c.complete.is_(True)
        )
        if session is not None:
            row = session.execute(stmt).first()
        else:
            with self.db.session(write=False) as s:
                row = s.execute(stmt).first()
        return None if row is None else BlobInfo(key, row.size, row.sha256, row.media_type)

    def open(self, key: str, start: int = 0, stop: int | None = None) -> Iterator[bytes]:
        """Yield the bytes ``start`` to ``stop`` (exclusive; default: the end) of a complete blob, chunk by
        chunk, in a read session of its own (so a response can stream after its request ended). Chunks are
        fetched ``read_batch`` at a time, one query each (PostgreSQL: one round trip per batch, not per chunk);
        at most one batch is held in memory."""
        with self.db.session(write=False) as s:
            head = s.execute(
                select(blobs_table.c.size, blobs_table.c.chunk_size).where(
                    blobs_table.c.key == key, blobs_table.c.complete.is_(True)
                )
            ).first()
            if head is None:
                raise BlobNotFound(f"no blob {key}")
            stop = head.size if stop is None else min(stop, head.size)
            size = head.chunk_size
            seq = start // size
            position = seq * size
            while position < stop:
                last = min((stop - 1) // size + 1, seq + self.read_batch)  # exclusive
                rows = list(
                    s.execute(
                        select(chunks_table.c.data)
                        .where(
                            chunks_table.c.blob_key == key,
                            chunks_table.c.seq >= seq,
                            chunks_table.c.seq < last,
                        )
                        .order_by(chunks_table.c.seq)
                    ).scalars()
                )
                s.rollback()  # end the read transaction between batches: no snapshot held for minutes
                if len(rows) != last - seq:
                    raise BlobNotFound(f"blob {key} lost chunks {seq}..{last - 1} while it was read")
                while rows:
                    data = rows.pop(0)
                    lo, hi = max(start - position, 0), min(stop - position, len(data))
                    yield bytes(data[lo:hi]) if (lo, hi) != (0, len(data)) else bytes(data)
                    position += len(data)
                seq = last

    def delete(self, key: str, session: Session | None = None, *, complete_only: bool = False) -> bool:
        with _Transaction(self.db, session) as s:
            s.execute(delete(chunks_table).where(chunks_table.c.blob_key == key))
            found = s.execute(delete(blobs_table).where(blobs_table.c.key == key))
        return bool(found.rowcount)

    def keys(self, prefix: str) -> list[str]:
        """Complete blobs whose key starts with ``prefix`` (for imports and tests)."""
        with self.db.session(write=False) as s:
            return list(
                s.scalars(
                    select(blobs_table.c.key).where(
                        blobs_table.c.key.startswith(prefix, autoescape=True),
                        blobs_table.c.complete.is_(True),
                    )
                )
            )


def get_blobs(app: Any = None) -> DatabaseBlobStore:
    """The application's blob store."""
    if app is None:
        from flask import current_app

        app = current_app
    return app.extensions[EXTENSION]


def init_app(app: Any) -> DatabaseBlobStore:
    """The blob store on the application's database, and the ``flask blobs`` commands."""
    from core.blobs_cli import blobs_cli

    store = DatabaseBlobStore(app.extensions["core.db"])
    app.extensions[EXTENSION] = store
    app.cli.add_command(blobs_cli)
    return store


def blob_response(
    key: str, *, download_name: str | None = None, media_type: str | None = None, store: Any = None
) -> Any:
    """A streamed download of the blob (404 when absent) honouring ``If-None-Match`` and one ``Range``."""
    from flask import Response, request, stream_with_context
    from werkzeug.exceptions import RequestedRangeNotSatisfiable

    store = store or get_blobs()
    info = store.stat(key)
    if info is None:
        raise BlobNotFound("the file is not there")
    headers = {"ETag": f'"{info.etag}"', "Accept-Ranges": "bytes", "Cache-Control": "private, no-cache"}
    if download_name:
        from werkzeug.utils import secure_filename

        headers["Content-Disposition"] = f'attachment; filename="{secure_filename(download_name) or "file"}"'
    mimetype = media_type or info.media_type
    if request.if_none_match.contains(info.etag):
        return Response(status=304, headers=headers)
    start, stop, status = 0, info.size, 200
    byte_range = request.range
    if_range = request.headers.get("If-Range")
    if byte_range is not None and (if_range is None or if_range.strip('"') == info.etag):
        span = byte_range.range_for_length(info.size)
        if span is None:
            raise RequestedRangeNotSatisfiable(length=info.size)
        start, stop, status = span[0], span[1], 206
        headers["Content-Range"] = f"bytes {start}-{stop - 1}/{info.size}"
    headers["Content-Length"] = str(stop - start)
    body = stream_with_context(store.open(key, start, stop))
    return Response(body, status=status, headers=headers, mimetype=mimetype, direct_passthrough=True)
