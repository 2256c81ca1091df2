"""SQLite writers queue on a file lock beside the database and are let in only after COMMIT has run."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from sqlalchemy import event, text

from core.db import Database


def _lock_is_free(path: str) -> bool:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    finally:
        os.close(fd)


def test_the_writer_lock_is_held_until_the_commit_has_run(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'w.sqlite3'}")
    lock = f"{tmp_path / 'w.sqlite3'}.writer-lock"
    seen: list[bool] = []
    # SQLAlchemy's commit event fires just before the DBAPI commit: the next writer must still wait there.
    event.listen(database.engine, "commit", lambda conn: seen.append(_lock_is_free(lock)))
    try:
        with database.session() as session:
            session.execute(text("CREATE TABLE t (x INTEGER)"))
            assert not _lock_is_free(lock)  # BEGIN IMMEDIATE took it
            session.commit()
        assert seen == [False]
        assert _lock_is_free(lock)
        with database.session() as session:
            session.execute(text("INSERT INTO t VALUES (1)"))
            session.rollback()
        assert _lock_is_free(lock)
        with database.session(write=False) as reader:  # readers never take it
            assert reader.scalar(text("SELECT count(*) FROM t")) == 0
            assert _lock_is_free(lock)
    finally:
        database.dispose()
