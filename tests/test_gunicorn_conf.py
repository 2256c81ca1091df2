"""gunicorn.conf.py's warm-up of the preloaded application in the master: it must write nothing and leave
no database connection open to cross the fork."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from core.models import AuditEvent, OutboxEntry
from tests.conftest import app_settings

ROOT = Path(__file__).resolve().parent.parent


def test_warm_up_writes_nothing_and_closes_its_connections(tmp_path: Path) -> None:
    from app import create_app
    from core.migrate import upgrade_database

    app = create_app(app_settings(tmp_path, f"sqlite:///{tmp_path / 'warm.sqlite3'}"))
    db = app.extensions["core.db"]
    upgrade_database(db.engine)
    conf: dict[str, Any] = runpy.run_path(str(ROOT / "gunicorn.conf.py"))

    def rows() -> tuple[int, int]:
        with db.engine.connect() as conn:
            return (
                conn.scalar(select(func.count()).select_from(AuditEvent)),
                conn.scalar(select(func.count()).select_from(OutboxEntry)),
            )

    before = rows()
    db.dispose()
    statuses = conf["warm_up"](app)

    assert statuses == [200] * len(conf["WARM_UP_REQUESTS"])

    assert db.engine.pool.checkedin() == 0 and db.engine.pool.checkedout() == 0
    assert rows() == before
    db.dispose()
