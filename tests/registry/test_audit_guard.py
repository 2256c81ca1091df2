"""Nobody can rewrite the audit trail: every statement form that would change a stored event is refused.

SQLite: triggers (UPDATE, DELETE, and an INSERT that names a stored id, which is what REPLACE and upsert
do). PostgreSQL: the application's role may only INSERT and SELECT the table and does not own it, so it can
neither disable the triggers nor drop the table; the triggers stay behind that as a second line."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError

from core.audit import record_event
from core.models import AuditEvent
from tests.conftest import TEST_DB_OWNER_URL, TEST_DB_URL

REFUSED = r"append-only|permission denied|must be owner"
COLUMNS = "id, occurred_at, actor, action, target_type, target_id"
FORGED = "VALUES (:id, :at, 'forger', 'forged', 'product', '1')"
FORMS_ON_BOTH = {
    "UPDATE": "UPDATE audit_events SET action = 'forged' WHERE id = :id",
    "DELETE": "DELETE FROM audit_events WHERE id = :id",
    "upsert": f"INSERT INTO audit_events ({COLUMNS}) {FORGED} "
    "ON CONFLICT (id) DO UPDATE SET action = excluded.action, actor = excluded.actor",
}
FORMS_ON_SQLITE = {
    "INSERT OR REPLACE": f"INSERT OR REPLACE INTO audit_events ({COLUMNS}) {FORGED}",
    "REPLACE": f"REPLACE INTO audit_events ({COLUMNS}) {FORGED}",
    "UPDATE OR REPLACE": "UPDATE OR REPLACE audit_events SET action = 'forged' WHERE id = :id",
    "INSERT OR IGNORE": f"INSERT OR IGNORE INTO audit_events ({COLUMNS}) {FORGED}",
}
FORMS_ON_POSTGRES = {
    "TRUNCATE": "TRUNCATE audit_events",
    "DISABLE TRIGGER ALL": "ALTER TABLE audit_events DISABLE TRIGGER ALL",
    "DISABLE TRIGGER": "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete",
    "DROP TRIGGER": "DROP TRIGGER audit_events_no_update_delete ON audit_events",
    "DROP TABLE": "DROP TABLE audit_events",
    "RENAME": "ALTER TABLE audit_events RENAME TO audit_events_old",
    "replica mode (triggers off)": "SET LOCAL session_replication_role = replica",
}


def stored(session: Any, event_id: int) -> tuple[Any, ...]:
    row = session.execute(
        select(AuditEvent.id, AuditEvent.actor, AuditEvent.action, AuditEvent.target_id).where(
            AuditEvent.id == event_id
        )
    ).one()
    return tuple(row)


def refusal(session: Any, statement: str, event_id: int) -> str:
    """The database's error for ``statement`` (run in a savepoint that is then rolled back)."""
    nested = session.begin_nested()
    try:
        with pytest.raises(DBAPIError) as raised:
            session.execute(text(statement), {"id": event_id, "at": datetime.now(UTC)})
    finally:
        nested.rollback()
    return str(raised.value.orig)


@pytest.fixture()
def event_id(session: Any) -> int:
    """A stored event, written the way the application writes them."""
    record_event(
        session, actor="system", action="product.created", target_type="product", target_id=1, after={"a": 1}
    )
    found = session.scalar(
        select(AuditEvent.id).where(AuditEvent.action == "product.created").order_by(AuditEvent.id.desc())
    )
    assert found is not None
    return int(found)


def forms_for(dialect: str) -> dict[str, str]:
    return FORMS_ON_BOTH | (FORMS_ON_SQLITE if dialect == "sqlite" else FORMS_ON_POSTGRES)


@pytest.mark.parametrize("form", sorted(FORMS_ON_BOTH | FORMS_ON_SQLITE | FORMS_ON_POSTGRES))
def test_no_statement_form_changes_a_stored_event(session: Any, event_id: int, form: str) -> None:
    dialect = session.bind.dialect.name
    statement = forms_for(dialect).get(form)
    if statement is None:
        why = "a PostgreSQL privilege; SQLite has no roles" if dialect == "sqlite" else "SQLite only"
        pytest.skip(f"{form}: {why}")
    before = stored(session, event_id)
    message = refusal(session, statement, event_id)
    assert re.search(REFUSED, message), f"{statement} failed for another reason than the guard: {message}"
    assert stored(session, event_id) == before
    assert session.scalar(select(AuditEvent.action).where(AuditEvent.action == "forged")) is None


def test_sqlite_replace_is_refused_with_recursive_triggers_on_too(session: Any, event_id: int) -> None:
    """REPLACE fires DELETE triggers only under ``PRAGMA recursive_triggers``: refused either way."""
    if session.bind.dialect.name != "sqlite":
        pytest.skip("a SQLite pragma")
    before = stored(session, event_id)
    session.execute(text("PRAGMA recursive_triggers = ON"))
    try:
        message = refusal(session, FORMS_ON_SQLITE["REPLACE"], event_id)
    finally:
        session.execute(text("PRAGMA recursive_triggers = OFF"))
    assert "append-only" in message
    assert stored(session, event_id) == before


def test_new_events_are_still_appended_with_or_without_an_id(session: Any, event_id: int) -> None:
    """The guard refuses stored ids only: an event with a fresh id (or none) is written."""
    fresh = event_id + 1000
    forged = text(f"INSERT INTO audit_events ({COLUMNS}) {FORGED}")
    session.execute(forged, {"id": fresh, "at": datetime.now(UTC)})
    record_event(session, actor="system", action="product.updated", target_type="product", target_id=1)
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.id >= event_id)).all()
    assert sorted(actions) == ["forged", "product.created", "product.updated"]


def two_roles() -> None:
    if not TEST_DB_URL.startswith("postgresql"):
        pytest.skip("database roles are PostgreSQL's (pass 2 of `make test`)")
    if TEST_DB_OWNER_URL == TEST_DB_URL:
        pytest.skip("one role only: set REGISTRY_TEST_DATABASE_OWNER_URL (tools/services.py prints it)")


def test_the_application_role_may_only_append_to_and_read_the_audit_trail(session: Any) -> None:
    two_roles()
    held = {
        privilege
        for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "TRIGGER", "REFERENCES")
        if session.scalar(text("SELECT has_table_privilege('audit_events', :p)"), {"p": privilege})
    }
    assert held == {"SELECT", "INSERT"}
    owner, me = session.execute(
        text(
            "SELECT pg_get_userbyid(relowner), current_user FROM pg_class "
            "WHERE oid = 'audit_events'::regclass"
        )
    ).one()
    assert owner != me
    # the schema version is the owner's to change
    assert not session.scalar(text("SELECT has_table_privilege('alembic_version', 'UPDATE')"))
    assert session.scalar(text("SELECT has_table_privilege('products', 'UPDATE')"))


@pytest.fixture()
def owner_connection() -> Iterator[Any]:
    two_roles()
    engine = create_engine(TEST_DB_OWNER_URL)
    try:
        with engine.connect() as connection:
            transaction = connection.begin()
            try:
                yield connection
            finally:
                transaction.rollback()
    finally:
        engine.dispose()


def test_the_triggers_still_stop_the_owner(owner_connection: Any) -> None:
    """The second line: even the owner's UPDATE, DELETE and TRUNCATE are refused while the triggers stand."""
    event = owner_connection.execute(
        text(
            "INSERT INTO audit_events (occurred_at, actor, action, target_type, target_id) "
            "VALUES (now(), 'owner', 'product.created', 'product', '1') RETURNING id"
        )
    ).scalar_one()
    for statement in (FORMS_ON_BOTH["UPDATE"], FORMS_ON_BOTH["DELETE"], "TRUNCATE audit_events"):
        savepoint = owner_connection.begin_nested()
        with pytest.raises(DBAPIError, match="append-only"):
            owner_connection.execute(text(statement), {"id": event})
        savepoint.rollback()
