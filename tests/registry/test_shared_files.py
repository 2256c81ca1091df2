"""Files any host serves: evidence and report photos uploaded through one application host are downloaded
through another (its own instance folder, the same database), and files an older release kept on one host's
disk or in a column move into the shared store with ``flask blobs import-files``."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from signing.models import ConsumerReport
from tests.conftest import app_settings
from tests.factories import CertificateFactory, make_party

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + bytes(range(256)) * 40
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(scope="session")
def _host_b(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Any]:
    from app import create_app

    app = create_app(app_settings(tmp_path_factory.mktemp("host-b"), database_url))
    yield app
    app.extensions["core.db"].dispose()


@pytest.fixture()
def host_b(app: Any, _host_b: Any) -> Iterator[Any]:
    """A second application host inside the test's rolled-back transaction (the `app` fixture's)."""
    db, own = _host_b.extensions["core.db"], app.extensions["core.db"]
    db.bind_to(own.write_sessions.kw["bind"])
    try:
        yield _host_b
    finally:
        for factory, engine in ((db.write_sessions, db.engine), (db.read_sessions, db.read_engine)):
            factory.configure(bind=engine, join_transaction_mode="conservative_savepoint")


def test_evidence_uploaded_via_one_host_is_downloaded_via_the_other(
    client: Any, session: Any, app: Any, host_b: Any
) -> None:
    maker = make_party(session)
    cert = CertificateFactory(manufacturer_id=maker.manufacturer.id)
    session.commit()
    url = f"/api/v1/certificates/{cert.id}/evidence"
    uploaded = client.put(
        url,
        data={"file": (io.BytesIO(PDF), "bsti.pdf")},
        content_type="multipart/form-data",
        headers=maker.headers,
    )
    assert uploaded.status_code == 200
    other = host_b.test_client()
    with other.get(url, headers=maker.headers) as download:
        assert download.status_code == 200 and download.get_data() == PDF
        assert download.mimetype == "application/pdf"
        assert download.headers["ETag"] == f'"{hashlib.sha256(PDF).hexdigest()}"'
        assert download.headers["Content-Length"] == str(len(PDF))
        assert 'filename="certificate-' in download.headers["Content-Disposition"]
    assert (
        other.get(url, headers={**maker.headers, "If-None-Match": download.headers["ETag"]}).status_code
        == 304
    )
    with other.get(url, headers={**maker.headers, "Range": f"bytes={len(PDF) - 10}-"}) as tail:
        assert tail.status_code == 206 and tail.get_data() == PDF[-10:]
    assert other.get(url, headers={**maker.headers, "Range": "bytes=999999-"}).status_code == 416
    for instance in (app.instance_path, host_b.instance_path):
        assert not (Path(instance) / "evidence").exists()  # nothing on either host's disk


def test_a_report_photo_sent_to_one_host_is_shown_by_the_other(
    client: Any, session: Any, host_b: Any
) -> None:
    reviewer = make_party(session, "reviewer")
    session.commit()
    sent = client.post(
        "/api/v1/reports",
        data={"text": "Sold at half price", "photo": (io.BytesIO(PNG), "f.png")},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 201
    with host_b.test_client().get(
        f"/api/v1/reports/{sent.get_json()['id']}/photo", headers=reviewer.headers
    ) as photo:
        assert photo.status_code == 200 and photo.mimetype == "image/png" and photo.get_data() == PNG


def test_import_files_moves_old_evidence_and_photos_once_and_resumes(
    app: Any, client: Any, session: Any, runner: Any
) -> None:
    folder = Path(app.instance_path) / "evidence"
    folder.mkdir(exist_ok=True)
    digest = hashlib.sha256(PDF).hexdigest()
    (folder / digest).write_bytes(PDF)
    wrong = folder / ("0" * 64)  # a file whose content is not what its name says stays where it is
    wrong.write_bytes(b"%PDF-1.4 not matching its name")
    maker = make_party(session)
    cert = CertificateFactory(
        manufacturer_id=maker.manufacturer.id,
        evidence_sha256=digest,
        evidence_media_type="application/pdf",
        evidence_size=len(PDF),
    )
    report = ConsumerReport(text="old report", photo=PNG, photo_media_type="image/png", status="open")
    session.add(report)
    session.commit()
    try:
        first = runner.invoke(args=["blobs", "import-files"])
        assert first.exit_code == 0, first.output
        assert "evidence: moved 1 (0.0 MB), 1 left in place" in first.output
        assert "report photos: moved 1" in first.output
        assert not (folder / digest).exists() and wrong.exists()
        with client.get(f"/api/v1/certificates/{cert.id}/evidence", headers=maker.headers) as download:
            assert download.get_data() == PDF
        session.refresh(report)
        assert (
            report.photo is None and report.photo_blob == "report-photos/" + hashlib.sha256(PNG).hexdigest()
        )
        again = runner.invoke(args=["blobs", "import-files"])
        assert "evidence: moved 0 (0.0 MB), 1 left in place" in again.output
        assert "report photos: moved 0 (0.0 MB)\n" in again.output
    finally:
        wrong.unlink(missing_ok=True)
