"""audit_events: no statement form may rewrite a stored event (SQLite REPLACE/upsert; PostgreSQL grants)

Revision ID: 0006_audit_guard
Revises: 0005_sessions
Create Date: 2026-12-06 10:00:00.000000

SQLite has no roles, so the guard is triggers only. 0001 refuses UPDATE and DELETE; but ``INSERT OR
REPLACE``/``REPLACE`` delete the conflicting row *without* firing DELETE triggers (unless the connection set
``PRAGMA recursive_triggers``), so a replacement passed them. A BEFORE INSERT trigger now refuses any id
that is already stored, which also stops ``ON CONFLICT (id) DO UPDATE`` before it updates.

PostgreSQL: the triggers of 0001 stay as a second line; the first line is that the application's role
neither owns the table (only an owner may disable triggers, alter or drop it) nor holds UPDATE, DELETE,
TRUNCATE, TRIGGER or REFERENCES on it. This migration takes those from PUBLIC and from every role other
than the owner; ``core.migrate.grant_app_role`` grants the application's role the rest
(docs/operations.md, "Database roles and the audit trail").
"""

from __future__ import annotations

from alembic import op

revision = "0006_audit_guard"
down_revision = "0005_sessions"
branch_labels = None
depends_on = None

REFUSE_REPLACE = (
    "CREATE TRIGGER audit_events_no_replace BEFORE INSERT ON audit_events "
    "WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit_events WHERE id = NEW.id) "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: an existing event cannot be replaced'); END"
)

# Every grant on audit_events that lets a role change or remove rows (or attach triggers), taken from each
# role except the owner.
REVOKE_FROM_OTHERS = """
DO $$
DECLARE
    grantee oid;
BEGIN
    REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES ON audit_events FROM PUBLIC;
    FOR grantee IN
        SELECT DISTINCT acl.grantee
        FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) acl
        WHERE c.oid = 'audit_events'::regclass AND acl.grantee NOT IN (0, c.relowner)
          AND acl.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE', 'TRIGGER', 'REFERENCES')
    LOOP
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES ON audit_events FROM %I',
                       pg_catalog.pg_get_userbyid(grantee));
    END LOOP;
END $$;
"""


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(REFUSE_REPLACE)
    elif dialect == "postgresql":
        op.execute(REVOKE_FROM_OTHERS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_replace")
    # PostgreSQL: revoked privileges are not handed back; grant_app_role decides what the app role holds.
