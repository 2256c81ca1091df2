"""Shared fixtures: one database per test run (SQLite, or PostgreSQL when REGISTRY_TEST_DATABASE_URL is set),
migrated with Alembic once; every test runs inside a transaction that is rolled back at its end.

On PostgreSQL the application connects as REGISTRY_TEST_DATABASE_URL's role, and the schema is set up and
migrated as REGISTRY_TEST_DATABASE_OWNER_URL's (the owner role; both are printed by tools/services.py), as in
production. Without an owner URL the one role does both."""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import ProgrammingError

from core.migrate import upgrade_database
from core.ratelimit import rate_limiter

TEST_DB_URL = os.environ.get("REGISTRY_TEST_DATABASE_URL", "")
TEST_DB_OWNER_URL = os.environ.get("REGISTRY_TEST_DATABASE_OWNER_URL", "") or TEST_DB_URL


def as_owner(url: str) -> str:
    """``url`` (the application role's, perhaps with its own search_path) with the owner role's credentials."""
    if not url.startswith("postgresql") or TEST_DB_OWNER_URL == TEST_DB_URL:
        return url
    owner = make_url(TEST_DB_OWNER_URL)
    return make_url(url).set(username=owner.username, password=owner.password).render_as_string(False)


def pytest_report_header(config: Any) -> list[str]:
    backend = TEST_DB_URL.split("@")[-1] if TEST_DB_URL else "SQLite (temporary file)"
    return [f"registry database: {backend}"]


# What ran against which real engine, summed at the end of a run so that CI's log says it plainly.
ENGINE_MODULES = (
    ("tests/search_engines/test_cluster.py", "OpenSearch 3-node cluster, one node stopped and restarted"),
    ("tests/search_engines/test_faults.py", "OpenSearch node stopped while the outbox drains"),
    ("tests/search_engines/test_elasticsearch_contract.py", "Elasticsearch 9 (integ-test distribution)"),
)
SINGLE_NODE = "OpenSearch single node (backend contract and OpenSearch tests)"
OUTCOMES = ("failed", "error", "skipped", "passed")  # a test counts once, by the first that applies


def engine_of(nodeid: str, keywords: Any) -> str | None:
    """The real engine a test ran against, or None if it needs none."""
    for module, engine in ENGINE_MODULES:
        if nodeid.startswith(module):
            return engine
    return SINGLE_NODE if "opensearch" in keywords else None


def engine_outcomes(stats: dict[str, list[Any]]) -> dict[str, dict[str, int]]:
    """Engine → outcome → number of tests, from the terminal reporter's reports."""
    seen: dict[str, tuple[str, str]] = {}
    for outcome in reversed(OUTCOMES):
        for report in stats.get(outcome, []):
            engine = engine_of(report.nodeid, getattr(report, "keywords", {}))  # a CollectReport has none
            if engine is not None:
                seen[report.nodeid] = (engine, outcome)
    counts: dict[str, dict[str, int]] = {}
    for engine, outcome in seen.values():
        by_outcome = counts.setdefault(engine, {})
        by_outcome[outcome] = by_outcome.get(outcome, 0) + 1
    return counts


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    counts = engine_outcomes(terminalreporter.stats)
    if not counts:
        return
    terminalreporter.section("real search engines")
    for engine in (SINGLE_NODE, *(name for _, name in ENGINE_MODULES)):
        if engine in counts:
            outcomes = ", ".join(f"{n} {o}" for o in OUTCOMES if (n := counts[engine].get(o)))
            terminalreporter.write_line(f"{engine}: {outcomes}")


@pytest.fixture(scope="session")
def instance_path() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="registry-test-") as tmp:
        yield Path(tmp)


@pytest.fixture(scope="session")
def database_url(instance_path: Path) -> str:
    if TEST_DB_URL:
        engine = create_engine(TEST_DB_OWNER_URL)
        try:
            with engine.begin() as conn:  # a clean schema for this run
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        except ProgrammingError as exc:
            raise pytest.UsageError(
                f"cannot reset the test schema as {make_url(TEST_DB_OWNER_URL).username}: {exc.orig}; "
                "set REGISTRY_TEST_DATABASE_OWNER_URL to the owner role's URL (tools/services.py prints it)"
            ) from exc
        finally:
            engine.dispose()
        return TEST_DB_URL
    return f"sqlite:///{instance_path / 'registry-test.sqlite3'}"


IP_DISTRICTS = Path(__file__).parent / "data" / "ip-districts.csv"
# a client address in each district of tests/data/ip-districts.csv: scan locations come only from addresses
ADDRESS_IN = {"dhaka": "10.1.0.1", "sylhet": "10.2.0.1", "chattogram": "10.3.0.1", "gazipur": "10.4.0.1"}


def from_address(address: str) -> dict[str, Any]:
    """Test-client keyword arguments for a request from ``address`` (as the server sees the client)."""
    return {"environ_base": {"REMOTE_ADDR": address}}


def app_settings(instance_path: Path, database_url: str, **extra: Any) -> dict[str, Any]:
    return {
        "ENV": "testing",
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests",
        "INSTANCE_PATH": str(instance_path),
        "DATABASE_URL": database_url,
        "DATABASE_MIGRATION_URL": as_owner(database_url),
        "SEARCH_SYNC_THREAD": False,
        "PUBLIC_BASE_URL": "https://verify.example.gov.bd",
        "SIGNING_IP_DISTRICTS": str(IP_DISTRICTS),
        **extra,
    }


def committed_database(tmp_path: Path, database_url: str) -> Iterator[str]:
    """A database URL of this test's own: a SQLite file, or a PostgreSQL schema dropped afterwards."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'committed.sqlite3'}"
        return
    schema = f"committed_{uuid.uuid4().hex[:8]}"
    admin = create_engine(as_owner(database_url))  # only the owner creates schemas
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in database_url else "?"
    try:
        yield f"{database_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(scope="session")
def _app(instance_path: Path, database_url: str) -> Iterator[Any]:
    from app import create_app

    app = create_app(app_settings(instance_path, database_url))
    upgrade_database(app.extensions["core.db"])  # as the owner role
    yield app
    app.extensions["core.db"].dispose()


@contextlib.contextmanager
def rolled_back(app: Any) -> Iterator[Any]:
    """``app`` in its app context, with every database session inside one transaction rolled back at the end."""
    db = app.extensions["core.db"]
    connection = db.engine.connect()
    outer = connection.begin()
    db.bind_to(connection)
    try:
        with app.app_context():
            yield app
    finally:
        outer.rollback()
        connection.close()
        for factory, engine in ((db.write_sessions, db.engine), (db.read_sessions, db.read_engine)):
            factory.configure(bind=engine, join_transaction_mode="conservative_savepoint")


@pytest.fixture()
def app(_app: Any) -> Iterator[Any]:
    """The application, with every database session inside one rolled-back transaction."""
    rate_limiter(_app).reset()  # each test starts with empty rate-limit buckets, like a new client
    with rolled_back(_app):
        yield _app


@pytest.fixture()
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture()
def runner(app: Any) -> Any:
    return app.test_cli_runner()


@pytest.fixture()
def session(app: Any) -> Iterator[Any]:
    from registry.factories import bind_factories

    s = app.extensions["core.db"].session()
    bind_factories(s)
    yield s
    s.close()
