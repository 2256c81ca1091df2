"""The label API as a manufacturer sees it: small batches come back as files, big ones as jobs."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from config import settings_of
from tests.conftest import rolled_back
from tests.factories import CertificateFactory, ProductFactory, licensed, make_party
from tests.labels.label_helpers import decode_all, make_url
from tests.labels.test_labels_scan import pdf_pages_at_300_dpi

# pypdfium2 (PyPI, pinned in the dev extras) renders PDF pages for zxing-cpp and reads their text.
pdfium = pytest.importorskip("pypdfium2")


@pytest.fixture(scope="session")
def _labels_app(_app: Any, instance_path: Path, database_url: str) -> Iterator[Any]:
    """The application with signing and labels wired (app.py's own once the lead wires them)."""
    if "signing" in _app.extensions and "labels.jobs" in _app.extensions:
        labels = settings_of(_app).labels
        saved, labels.direct_limit = labels.direct_limit, 20
        yield _app  # its job queue runs each job inline, in the request (ENV=testing starts no workers)
        labels.direct_limit = saved
        return
    from app import create_app
    from tests.conftest import app_settings

    app = create_app(app_settings(instance_path, database_url, LABELS_DIRECT_LIMIT=20, LABELS_JOB_WORKERS=0))
    yield app
    app.extensions["core.db"].dispose()


@pytest.fixture()
def lapp(_labels_app: Any) -> Iterator[Any]:
    """Every database session inside one rolled-back transaction (as the shared `app` fixture does)."""
    ext = _labels_app.extensions["signing"]
    ext.restart()
    try:
        with rolled_back(_labels_app):
            yield _labels_app
    finally:
        ext.restart()


@pytest.fixture()
def client(lapp: Any) -> Any:
    return lapp.test_client()


@pytest.fixture()
def session(lapp: Any) -> Iterator[Any]:
    from registry.factories import bind_factories

    s = lapp.extensions["core.db"].session()
    bind_factories(s)
    yield s
    s.close()


@pytest.fixture()
def maker(session: Any) -> Any:
    party = make_party(session, "manufacturer")
    session.commit()
    return party


@pytest.fixture()
def product(session: Any, maker: Any) -> Any:
    p = ProductFactory(manufacturer_id=maker.manufacturer.id, **licensed())
    p.certificates.append(CertificateFactory(manufacturer_id=maker.manufacturer.id))
    session.commit()
    return p


def new_batch(client: Any, maker: Any, product: Any, count: int) -> dict[str, Any]:
    resp = client.post(f"/api/v1/products/{product.id}/batches", json={"count": count}, headers=maker.headers)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def batch_urls(client: Any, maker: Any, batch: dict[str, Any], stop: int) -> list[str]:
    resp = client.get(f"/api/v1/batches/{batch['id']}/urls?stop={stop}", headers=maker.headers)
    assert resp.status_code == 200
    return resp.get_data(as_text=True).split()


def test_small_batch_comes_back_as_a_pdf_whose_labels_decode(client: Any, maker: Any, product: Any) -> None:
    batch = new_batch(client, maker, product, 6)
    resp = client.post(
        f"/api/v1/batches/{batch['id']}/labels", json={"layout": "roll-25x25"}, headers=maker.headers
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.mimetype == "application/pdf"
    assert resp.headers["X-Label-Count"] == "6"
    disposition = resp.headers["Content-Disposition"]
    assert "attachment" in disposition and "-0-6-roll-25x25.pdf" in disposition  # not the A4 sheet's name
    decoded = [decode_all(page) for page in pdf_pages_at_300_dpi(resp.get_data())]
    assert decoded == [[url] for url in batch_urls(client, maker, batch, 6)]
    text = pdfium.PdfDocument(resp.get_data())[0].get_textpage().get_text_range()
    serial = batch_urls(client, maker, batch, 1)[0].split("/21/")[1].split("?")[0]
    assert product.name_en[:12] in text and f"SN {serial}" in text  # 25 x 25 mm has no room for the batch


def test_batch_slice_as_zip_of_svg(client: Any, maker: Any, product: Any) -> None:
    batch = new_batch(client, maker, product, 30)
    resp = client.post(
        f"/api/v1/batches/{batch['id']}/labels",
        json={"format": "zip-svg", "start": 10, "stop": 15},
        headers=maker.headers,
    )
    assert resp.status_code == 200
    with zipfile.ZipFile(io.BytesIO(resp.get_data())) as archive:
        assert len([n for n in archive.namelist() if n.endswith(".svg")]) == 5
        manifest = archive.read("manifest.csv").decode("utf-8")
    assert all(url in manifest for url in batch_urls(client, maker, batch, 15)[10:15])


def test_big_batch_becomes_a_job_with_progress_and_a_download(client: Any, maker: Any, product: Any) -> None:
    batch = new_batch(client, maker, product, 45)  # over the direct limit of 20 set for tests
    resp = client.post(f"/api/v1/batches/{batch['id']}/labels", json={"format": "csv"}, headers=maker.headers)
    assert resp.status_code == 202
    job = resp.get_json()
    assert resp.headers["Location"] == job["links"]["self"]
    status = client.get(job["links"]["self"], headers=maker.headers).get_json()
    assert status["status"] == "done"  # the test app runs jobs inline
    assert status["progress"] == {"done": 45, "total": 45}
    download = client.get(status["links"]["download"], headers=maker.headers)
    assert download.status_code == 200 and download.mimetype == "text/csv"
    rows = download.get_data(as_text=True).splitlines()
    download.close()  # the file is streamed from disk
    assert len(rows) == 46
    assert [row.split(",")[0] for row in rows[1:]] == batch_urls(client, maker, batch, 45)


def test_other_makers_see_neither_batches_nor_jobs(
    client: Any, maker: Any, product: Any, session: Any
) -> None:
    stranger = make_party(session, "manufacturer")
    session.commit()
    batch = new_batch(client, maker, product, 45)
    resp = client.post(f"/api/v1/batches/{batch['id']}/labels", json={}, headers=stranger.headers)
    assert resp.status_code == 404
    assert resp.mimetype == "application/problem+json"
    job = client.post(f"/api/v1/batches/{batch['id']}/labels", json={"format": "csv"}, headers=maker.headers)
    assert client.get(job.get_json()["links"]["self"], headers=stranger.headers).status_code == 404
    assert client.post(f"/api/v1/batches/{batch['id']}/labels", json={}).status_code == 401


def test_withdrawn_batch_is_not_printed(client: Any, maker: Any, product: Any) -> None:
    batch = new_batch(client, maker, product, 5)
    withdrawn = client.post(
        f"/api/v1/batches/{batch['id']}/status",
        json={"status": "revoked", "reason": "stolen roll"},
        headers=maker.headers,
    )
    assert withdrawn.status_code == 200, withdrawn.get_json()
    resp = client.post(f"/api/v1/batches/{batch['id']}/labels", json={}, headers=maker.headers)
    assert resp.status_code == 409
    assert resp.get_json()["title"] == "Batch cannot be printed"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"format": "gif"}, "format"),
        ({"format": "svg"}, "format"),
        ({"layout": "a9"}, "layout"),
        ({"start": 5, "stop": 5}, "start"),
        ({"start": "x"}, "start"),
    ],
)
def test_bad_requests_name_the_field(client: Any, maker: Any, product: Any, body: dict, field: str) -> None:
    batch = new_batch(client, maker, product, 10)
    resp = client.post(f"/api/v1/batches/{batch['id']}/labels", json=body, headers=maker.headers)
    assert resp.status_code == 422
    problem = resp.get_json()
    assert field in {e["field"] for e in problem["errors"]} or field in str(problem)


def test_labels_for_given_urls(client: Any, maker: Any) -> None:
    urls = [make_url(__import__("random").Random(i)) for i in range(3)]
    resp = client.post(
        "/api/v1/labels",
        json={"urls": urls, "name_en": "Router", "name_bn": "রাউটার", "format": "zip-png"},
        headers=maker.headers,
    )
    assert resp.status_code == 200
    with zipfile.ZipFile(io.BytesIO(resp.get_data())) as archive:
        from PIL import Image

        pngs = sorted(n for n in archive.namelist() if n.endswith(".png"))
        assert [decode_all(Image.open(io.BytesIO(archive.read(n))))[0] for n in pngs] == urls
    too_many = client.post(
        "/api/v1/labels",
        json={"urls": urls * 7, "name_en": "Router", "name_bn": "রাউটার"},
        headers=maker.headers,
    )
    assert too_many.status_code == 422
    missing = client.post("/api/v1/labels", json={"urls": urls}, headers=maker.headers)
    assert {e["field"] for e in missing.get_json()["errors"]} == {"name_en", "name_bn"}
