"""`flask labels print --batch ID` against a database of its own whose writes really commit, as an operator
runs it on a fresh process: on SQLite the command must not wait for its own write lock."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import app_settings
from tests.factories import CertificateFactory, ProductFactory, licensed, make_party
from tests.signing.test_scan_buffer import committed_database

pdfium = pytest.importorskip("pypdfium2")


@pytest.fixture()
def batch_db(tmp_path: Path, database_url: str, _app: Any) -> Iterator[tuple[str, int, int]]:
    """(database URL, batch id, units): a licensed product with a committed batch of 5 serials."""
    from app import create_app
    from core.migrate import upgrade_database
    from registry.factories import bind_factories
    from signing.batches import create_batch

    for url in committed_database(tmp_path, database_url):
        app = create_app(app_settings(tmp_path, url))
        upgrade_database(app.extensions["core.db"])  # as the owner role, then grants (PostgreSQL)
        with app.app_context():
            app.extensions["signing"].ready()
            session = app.extensions["core.db"].session()
            bind_factories(session)
            maker = make_party(session, "manufacturer")
            product = ProductFactory(manufacturer_id=maker.manufacturer.id, **licensed())
            product.certificates.append(CertificateFactory(manufacturer_id=maker.manufacturer.id))
            session.commit()
            batch = create_batch(session, product, 5, user_id=maker.user.id, now=datetime.now(UTC))
            session.commit()
            batch_id = batch.id
            session.close()
        app.extensions["core.db"].dispose()
        yield url, batch_id, 5


def fresh_app(tmp_path: Path, url: str) -> Any:
    """A new process's application: its issuing key not loaded yet, as in `flask labels print`."""
    from app import create_app

    return create_app(app_settings(tmp_path, url))


@pytest.mark.parametrize("fmt", ["csv", "pdf"])
def test_print_a_batch_from_a_fresh_process(tmp_path: Path, batch_db: tuple[str, int, int], fmt: str) -> None:
    url, batch_id, units = batch_db
    app = fresh_app(tmp_path, url)
    out = tmp_path / f"batch.{fmt}"
    try:
        result = app.test_cli_runner().invoke(
            args=[
                "labels",
                "print",
                "--batch",
                str(batch_id),
                "--format",
                fmt,
                "--layout",
                "roll-40x30",
                "--out",
                str(out),
            ]
        )
    finally:
        app.extensions["core.db"].dispose()
    assert result.exit_code == 0, result.output
    assert f"{units} label(s) written" in result.output
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
        assert len({row["serial"] for row in rows}) == units
        assert all(row["url"].startswith("https://") and "/21/" in row["url"] for row in rows)
    else:
        assert len(pdfium.PdfDocument(out.read_bytes())) == units


@pytest.mark.parametrize("batch_id", ["999999", "seven"])
def test_an_unknown_batch_is_an_error_without_a_traceback(
    tmp_path: Path, batch_db: tuple[str, int, int], batch_id: str
) -> None:
    app = fresh_app(tmp_path, batch_db[0])
    try:
        result = app.test_cli_runner().invoke(args=["labels", "print", "--batch", batch_id, "--out", "x.pdf"])
    finally:
        app.extensions["core.db"].dispose()
    assert result.exit_code == 1
    assert f"no batch {batch_id}" in result.output
