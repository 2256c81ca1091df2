"""PostgreSQL connections are pinged only after sitting idle, and a dead idle one is replaced unseen."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from core import db as registry_db
from tests.conftest import TEST_DB_URL

pytestmark = pytest.mark.postgres


@pytest.fixture()
def database(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[registry_db.Database, list[object]]]:
    """A pool of its own, and the connections it pinged (the dialect's ``do_ping``, as ``pool_pre_ping`` uses)."""
    if not TEST_DB_URL.startswith("postgresql"):
        pytest.skip("a PostgreSQL pool (pass 2 of `make test` sets REGISTRY_TEST_DATABASE_URL)")
    database = registry_db.Database(TEST_DB_URL)
    pinged: list[object] = []
    ping = database.engine.dialect.do_ping

    def counted_ping(dbapi_connection: object) -> bool:
        pinged.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(database.engine.dialect, "do_ping", counted_ping)
    yield database, pinged
    database.dispose()


def backend_pid(database: registry_db.Database) -> int:
    with database.engine.connect() as conn:
        return int(conn.scalar(text("SELECT pg_backend_pid()")))


def test_a_connection_in_steady_use_is_not_pinged(
    database: tuple[registry_db.Database, list[object]],
) -> None:
    pool, pinged = database
    first = backend_pid(pool)
    assert backend_pid(pool) == first  # the same pooled connection, straight away
    assert pinged == []


def test_an_idle_connection_killed_by_the_server_is_replaced_before_use(
    database: tuple[registry_db.Database, list[object]],
) -> None:
    pool, pinged = database
    pooled = pool.engine.connect()
    other = pool.engine.connect()
    victim = int(pooled.scalar(text("SELECT pg_backend_pid()")))
    record = pooled.connection._connection_record  # type: ignore[union-attr]
    pooled.close()  # back to the pool, where it sits idle
    assert other.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": victim})  # a restart, a timeout
    other.close()
    record.info["idle_since"] -= registry_db.IDLE_PING_SECONDS + 1  # it has been idle "long enough"
    # the next checkout gets that connection first, pings it, finds it dead and opens a new one
    replacement = backend_pid(pool)  # no error reaches the caller
    assert replacement != victim
    assert len(pinged) == 1
