"""The shared blob store as its callers see it: what goes in comes out (whole or a range), nothing half-written
is visible, and a 200 MB object goes in and out at flat memory."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from bench._memory import PeakRSS
from core.blobs import DatabaseBlobStore
from core.db import Database
from core.migrate import upgrade_database
from tests.conftest import as_owner, committed_database


def payload(size: int, seed: int = 1) -> bytes:
    """Bytes that do not compress and differ per position (a chunk put in the wrong place shows)."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


@pytest.fixture()
def store(app: Any) -> DatabaseBlobStore:
    return DatabaseBlobStore(app.extensions["core.db"], chunk_size=7)  # many chunks for small data


@pytest.mark.parametrize("size", [0, 1, 6, 7, 8, 50, 700])
def test_what_goes_in_comes_out_with_its_size_and_sha256(store: DatabaseBlobStore, size: int) -> None:
    data = payload(size)
    info = store.put("t/blob", io.BytesIO(data), "application/pdf")
    assert (info.size, info.sha256) == (size, hashlib.sha256(data).hexdigest())
    assert store.stat("t/blob") == info
    chunks = list(store.open("t/blob"))
    assert b"".join(chunks) == data
    assert all(len(c) <= 7 for c in chunks)


@pytest.mark.parametrize(("start", "stop"), [(0, 1), (3, 10), (7, 14), (6, 50), (49, 50), (0, 50), (13, 200)])
def test_a_byte_range_is_exactly_that_slice(store: DatabaseBlobStore, start: int, stop: int) -> None:
    data = payload(50)
    store.put("t/range", io.BytesIO(data), "image/png")
    assert b"".join(store.open("t/range", start, stop)) == data[start:stop]


def test_a_blob_being_written_is_invisible_and_an_abandoned_one_is_replaced(store: DatabaseBlobStore) -> None:
    writer = store.writer("t/partial", "text/csv")
    writer.write(payload(30))  # four chunks stored, the writer "dies" here
    assert store.stat("t/partial") is None
    with pytest.raises(Exception, match="no blob"):
        list(store.open("t/partial"))
    again = store.put("t/partial", io.BytesIO(b"fresh"), "text/csv")
    assert b"".join(store.open("t/partial")) == b"fresh" and again.size == 5


def test_a_failed_write_leaves_nothing_and_delete_removes(store: DatabaseBlobStore) -> None:
    with pytest.raises(RuntimeError), store.writer("t/broken", "text/csv") as out:
        out.write(payload(20))
        raise RuntimeError("renderer failed")
    assert store.stat("t/broken") is None and store.keys("t/") == []
    store.put("t/gone", io.BytesIO(b"x" * 20), "text/csv")
    assert store.delete("t/gone") and store.stat("t/gone") is None and not store.delete("t/gone")


def test_the_same_content_is_kept_once(store: DatabaseBlobStore, session: Any) -> None:
    first = store.put_content_addressed("evidence", b"%PDF-1.7 same", "application/pdf", session)
    second = store.put_content_addressed("evidence", b"%PDF-1.7 same", "application/pdf", session)
    assert first == second and first.key == "evidence/" + hashlib.sha256(b"%PDF-1.7 same").hexdigest()
    assert store.keys("evidence/") == [first.key]


# ------------------------------------------------------------------------------------- 200 MB, flat memory

BIG = 200 * 1024 * 1024
MAX_GROWTH = 48 * 1024 * 1024  # a few chunks and the driver's buffers; the object itself is 200 MB


class Generated(io.RawIOBase):
    """A 200 MB readable stream made on the fly (never held whole)."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.block = payload(1 << 20, seed=7)
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        data = (self.block * (n // len(self.block) + 1))[:n]
        self.left -= n
        self.digest.update(data)
        return data


@pytest.fixture()
def committed_store(tmp_path: Path, database_url: str) -> Iterator[DatabaseBlobStore]:
    for url in committed_database(tmp_path, database_url):
        db = Database(url, as_owner(url))  # migrated as the owner role, used as the application's
        upgrade_database(db)
        yield DatabaseBlobStore(db)
        db.dispose()


@pytest.mark.slow
def test_a_200_mb_object_streams_in_and_out_at_flat_memory(committed_store: DatabaseBlobStore) -> None:
    source = Generated(BIG)
    with PeakRSS() as writing:
        info = committed_store.put("label-jobs/big/1", source, "application/pdf")  # type: ignore[arg-type]
    assert info.size == BIG and info.sha256 == source.digest.hexdigest()
    digest, size = hashlib.sha256(), 0
    with PeakRSS() as reading:
        for chunk in committed_store.open("label-jobs/big/1"):
            digest.update(chunk)
            size += len(chunk)
    assert size == BIG and digest.hexdigest() == info.sha256
    assert writing.growth < MAX_GROWTH, f"writing grew {writing.growth / 1e6:.0f} MB"
    assert reading.growth < MAX_GROWTH, f"reading grew {reading.growth / 1e6:.0f} MB"


@pytest.mark.parametrize(("start", "stop"), [(0, 700), (20, 22), (20, 43), (41, 64), (83, 700), (699, 700)])
def test_ranges_across_read_batches_are_exact(app: Any, start: int, stop: int) -> None:
    data = payload(700)
    writer = DatabaseBlobStore(app.extensions["core.db"], chunk_size=7)
    writer.put("t/batched", io.BytesIO(data), "application/pdf")
    reader = DatabaseBlobStore(app.extensions["core.db"], read_batch=3)  # 21 bytes per query
    assert b"".join(reader.open("t/batched", start, stop)) == data[start:stop]


def test_a_read_asks_the_database_once_per_batch_of_chunks(app: Any) -> None:
    """100 chunks read 8 at a time: 13 queries for the chunks (plus one for the blob's row), not 100."""
    db = app.extensions["core.db"]
    DatabaseBlobStore(db, chunk_size=7).put("t/counted", io.BytesIO(payload(700)), "application/pdf")
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "blob_chunks" in statement:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        chunks = list(DatabaseBlobStore(db, read_batch=8).open("t/counted"))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(chunks) == 100 and len(statements) == 13
