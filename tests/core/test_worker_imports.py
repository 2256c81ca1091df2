"""What a web worker holds after start-up (gunicorn --preload: create_app in the master, then fork): none of
the heavy libraries only rare paths need, which load on first use (docs/operations.md, "Capacity")."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from core.migrate import alembic_config, latest_version, schema_version

ROOT = Path(__file__).resolve().parents[2]
# library -> the rare path that loads it: each costs every worker megabytes it would otherwise hold for nothing
LOADED_ON_FIRST_USE = {
    "fpdf": "label PDFs and compliance statement PDFs",
    "fontTools": "label PDFs and compliance statement PDFs (through fpdf)",
    "openpyxl": "XLSX tender lists",
    "PIL": "PNG labels",
    "qrcode": "rendered labels",
    "alembic": "flask db upgrade",
}

SCRIPT = textwrap.dedent(
    """
    import json, sys, tempfile
    from app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({
            "ENV": "testing",
            "INSTANCE_PATH": tmp,
            "DATABASE_URL": f"sqlite:///{tmp}/registry.sqlite3",
            "SEARCH_SYNC_THREAD": False,
        })
        after_start = sorted({name.partition(".")[0] for name in sys.modules})
        client = app.test_client()
        statuses = [client.get(path).status_code for path in ("/healthz", "/tender-check", "/01/09506000134352")]
        after_requests = sorted({name.partition(".")[0] for name in sys.modules})
        app.extensions["core.db"].dispose()
    print(json.dumps({"start": after_start, "requests": after_requests, "statuses": statuses}))
    """
)


@pytest.mark.slow
def test_a_worker_loads_no_rare_path_library_at_start_nor_for_common_requests() -> None:
    done = subprocess.run(  # noqa: S603 - our interpreter, our script
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert "flask" in seen["start"] and "sqlalchemy" in seen["start"]  # it does see what was imported
    assert sorted(set(LOADED_ON_FIRST_USE) & set(seen["start"])) == []
    assert sorted(set(LOADED_ON_FIRST_USE) & set(seen["requests"])) == [], seen["statuses"]


def test_the_schema_versions_health_reads_without_alembic_are_alembics(session: Any) -> None:
    """/healthz reads the versions with plain SQL and the migration files: the same answers Alembic gives."""
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert latest_version() == ",".join(sorted(heads))
    connection = session.connection()
    current = MigrationContext.configure(connection).get_current_heads()
    assert schema_version(connection) == ",".join(sorted(current)) == latest_version()


def test_no_version_before_the_first_upgrade(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert schema_version(engine) is None
    engine.dispose()
