"""Apply Alembic migrations to the configured database, as the owner role, and grant the app role its share.

On PostgreSQL two roles share the database (docs/operations.md, "Database roles and the audit trail"): the
*owner* (``DATABASE_MIGRATION_URL``) owns every table and runs the migrations; the *application* role
(``DATABASE_URL``) may read and write the tables, but on ``audit_events`` only INSERT and SELECT, and on
``alembic_version`` only SELECT. Not owning a table, it can neither alter, drop nor disable its triggers.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, inspect, make_url, pool, text

if TYPE_CHECKING:
    from alembic.config import Config

    from core.db import Database

# Alembic (and Mako under it) is imported where a function needs it: a web worker or a `flask` command that
# does not migrate never loads it.

ROOT = Path(__file__).resolve().parent.parent
VERSION_TABLE = "alembic_version"
REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+)$", re.M)


def alembic_config(url: str) -> Config:
    # lazy: Alembic loads only when migrating (create_app and `flask --help` skip it)
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


# What the application role holds: every table read-write, except these (tables it may not change at all,
# and the audit trail it may only append to). Granted after each upgrade, and by default privileges for
# tables a later migration creates.
APP_TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
APPEND_ONLY_TABLES = ("audit_events",)
READ_ONLY_TABLES = ("alembic_version",)


def upgrade_database(target: Engine | Database, revision: str = "heads") -> None:
    """Migrate to ``revision``. Given the application's ``Database``, migrate as its owner role
    (``DATABASE_MIGRATION_URL``) and then grant the application's own role what it needs."""
    if isinstance(target, Engine):
        _upgrade(target, revision, app_role=None)
        return
    if target.migration_url == target.url:
        _upgrade(target.engine, revision, app_role=None)
        return
    owner = create_engine(target.migration_url, poolclass=pool.NullPool)
    try:
        _upgrade(owner, revision, app_role=make_url(target.url).username)
    finally:
        owner.dispose()


def _upgrade(engine: Engine, revision: str, *, app_role: str | None) -> None:
    # lazy: Alembic loads only when migrating (create_app and `flask --help` skip it)
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)
        if app_role and connection.dialect.name == "postgresql":
            grant_app_role(connection, app_role)


def grant_app_role(connection: Connection, app_role: str) -> None:
    """Grant ``app_role`` what the service needs in the current schema, and no more (run as the owner).

    Idempotent. The same statements are in docs/operations.md for an operator who migrates by hand."""
    for statement in app_role_grants(connection, app_role):
        connection.execute(text(statement))


def app_role_grants(connection: Connection, app_role: str) -> list[str]:
    preparer = connection.dialect.identifier_preparer
    role = preparer.quote(app_role)
    schema = preparer.quote(str(connection.scalar(text("SELECT current_schema()"))))
    statements = [
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"GRANT {APP_TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA {schema} TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT {APP_TABLE_PRIVILEGES} ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {role}",
    ]
    statements += [
        f"REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES ON {schema}.{table} FROM {role}"
        for table in APPEND_ONLY_TABLES
    ]
    statements += [
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES ON {schema}.{table} FROM {role}"
        for table in READ_ONLY_TABLES
    ]
    return statements


def schema_version(bind: Engine | Connection) -> str | None:
    """The revision(s) the database is at (``alembic_version``), or None before the first upgrade. Plain SQL:
    ``/healthz`` asks on every call, and Alembic (with Mako) would cost every web worker megabytes."""
    if isinstance(bind, Engine):
        with bind.connect() as connection:
            return schema_version(connection)
    if not inspect(bind).has_table(VERSION_TABLE):
        return None
    heads = bind.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()  # noqa: S608
    return ",".join(sorted(heads)) if heads else None


@functools.lru_cache(maxsize=1)
def latest_version() -> str:
    """The head revision(s) of ``migrations/versions``: each file's ``revision`` that no file names as its
    ``down_revision``, read from the files without Alembic (tests compare it with Alembic's own answer)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted((ROOT / "migrations" / "versions").glob("*.py")):
        values = {
            name: ast.literal_eval(value.strip())
            for name, value in REVISION_LINE.findall(path.read_text(encoding="utf-8"))
        }
        if isinstance(values.get("revision"), str):
            revisions.add(values["revision"])
            down = values.get("down_revision")
            parents.update([down] if isinstance(down, str) else list(down or ()))
    return ",".join(sorted(revisions - parents))
