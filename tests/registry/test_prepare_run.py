"""`flask prepare-run` (what `make run` does before serving): demo labels and the search index are made
again only when the data changed since the last run (a fingerprint in instance/.run-ready)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from registry.models import Product
from tests.conftest import app_settings


@pytest.fixture
def fresh_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An application on its own SQLite file: prepare-run commits, so it cannot share the rolled-back one."""
    from app import create_app
    from registry import demo

    real = demo.seed_demo
    monkeypatch.setattr(
        demo, "seed_demo", lambda s, **kw: real(s, **(kw | {"products": 40, "manufacturers": 8}))
    )
    app = create_app(app_settings(tmp_path, f"sqlite:///{tmp_path / 'run.sqlite3'}"))
    yield app
    app.extensions["core.db"].dispose()


UP_TO_DATE = "demo labels and search index are up to date with the data"


def prepare(app: Any) -> str:
    result = app.test_cli_runner().invoke(args=["prepare-run"])
    assert result.exit_code == 0, result.output
    return result.output


def test_second_run_skips_labels_and_reindex(fresh_app):
    first = prepare(fresh_app)
    labels = Path(fresh_app.instance_path) / "demo-labels.txt"
    assert "demo labels written" in first and "is live with" in first and UP_TO_DATE not in first
    issued = labels.read_text()

    second = prepare(fresh_app)

    assert UP_TO_DATE in second
    assert "demo labels written" not in second and "is live with" not in second  # no reindex either
    assert labels.read_text() == issued  # the same label URLs: no batch issued again


def test_a_data_change_runs_them_again(fresh_app):
    prepare(fresh_app)
    db = fresh_app.extensions["core.db"]
    with db.session() as s:
        first = s.scalar(select(Product.id).order_by(Product.id).limit(1))
        s.execute(update(Product).where(Product.id == first).values(name_en="Renamed Router"))
        s.commit()

    again = prepare(fresh_app)

    assert UP_TO_DATE not in again and "demo labels written" in again
    assert "is live with" in again  # the search index rebuilt
    assert UP_TO_DATE in prepare(fresh_app)  # and then it is current again


def test_missing_labels_file_runs_them_again(fresh_app):
    prepare(fresh_app)
    (Path(fresh_app.instance_path) / "demo-labels.txt").unlink()

    again = prepare(fresh_app)

    assert "demo labels written" in again
    assert (Path(fresh_app.instance_path) / "demo-labels.txt").is_file()


def test_a_new_migration_file_runs_the_upgrade_again(fresh_app, monkeypatch):
    """The quick check reads no Alembic: a migration file it has not seen must still send it the slow way."""
    prepare(fresh_app)
    from registry import cli

    upgraded = []
    real = cli.upgrade_database
    monkeypatch.setattr(cli, "upgrade_database", lambda db: upgraded.append(db) or real(db))
    assert UP_TO_DATE in prepare(fresh_app) and not upgraded  # nothing changed: no migration run

    import app as app_module

    names = app_module.migration_files(fresh_app)
    assert "0001_core.py" in names
    monkeypatch.setattr(app_module, "migration_files", lambda app: [*names, "9999_later.py"])

    again = prepare(fresh_app)

    assert upgraded and "database sqlite at schema" in again
