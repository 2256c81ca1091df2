"""PostgreSQL connections are pinged only after sitting idle, and a dead idle one is replaced unseen."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text

from registry import db as registry_db
from tests.conftest import TEST_DB_URL

pytestmark = pytest.mark.postgres


@pytest.fixture()
def database() -> registry_db.Database:
    if not TEST_DB_URL.startswith("postgresql"):
        pytest.skip("a PostgreSQL pool (pass 2 of `make test` sets REGISTRY_TEST_DATABASE_URL)")
    database = registry_db.Database(TEST_DB_URL)
    yield database
    database.dispose()


def backend_pid(database: registry_db.Database) -> int:
    with database.engine.connect() as conn:
        return int(conn.scalar(text("SELECT pg_backend_pid()")))


def test_a_connection_in_steady_use_is_not_pinged(database: registry_db.Database) -> None:
    statements: list[str] = []
    event.listen(database.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    first = backend_pid(database)
    statements.clear()
    assert backend_pid(database) == first  # the same pooled connection, straight away
    assert statements == ["SELECT pg_backend_pid()"]


def test_an_idle_connection_killed_by_the_server_is_replaced_before_use(
    database: registry_db.Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    pooled = database.engine.connect()
    other = database.engine.connect()
    victim = int(pooled.scalar(text("SELECT pg_backend_pid()")))
    record = pooled.connection._connection_record  # type: ignore[union-attr]
    pooled.close()  # back to the pool, where it sits idle
    assert other.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": victim})  # a restart, a timeout
    other.close()
    record.info["idle_since"] -= registry_db.IDLE_PING_SECONDS + 1  # it has been idle "long enough"
    # the next checkout gets that connection first, pings it, finds it dead and opens a new one
    replacement = backend_pid(database)  # no error reaches the caller
    assert replacement != victim
