"""Buffered scan recording as its users see it: every scan is counted in the answer at once, reaches the
database when the worker writes its buffer (or exits in order), and the clone rules see stored and buffered
scans alike.  These tests need requests that really commit, so they get a database of their own."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from signing import parse_label_url
from signing.models import Scan, Unit
from signing.scans import BufferedScanRecorder
from tests.conftest import ADDRESS_IN, app_settings, committed_database, from_address
from tests.factories import RECALL_WORDS, CertificateFactory, ProductFactory, licensed, make_party

ROOT = Path(__file__).resolve().parents[2]
JSON = {"Accept": "application/json"}
NEVER = 3_600_000  # ms: the writer thread stays idle; the test says when the buffer is written


@pytest.fixture()
def scan_db(tmp_path: Path, database_url: str, _app: Any) -> Iterator[str]:
    from app import create_app
    from core.migrate import upgrade_database

    for url in committed_database(tmp_path, database_url):
        app = create_app(app_settings(tmp_path, url))
        upgrade_database(app.extensions["core.db"])
        app.extensions["core.db"].dispose()
        yield url


def make_worker(tmp_path: Path, url: str, flush_ms: int = NEVER) -> Any:
    """One application as one gunicorn worker runs it, with buffered scans."""
    from app import create_app

    app = create_app(app_settings(tmp_path, url, SIGNING_SCAN_FLUSH_MS=flush_ms))
    recorder = app.extensions["signing"].scans
    assert isinstance(recorder, BufferedScanRecorder)
    return app


@pytest.fixture()
def worker(tmp_path: Path, scan_db: str) -> Iterator[Any]:
    app = make_worker(tmp_path, scan_db)
    yield app
    app.extensions["signing"].scans.close()
    app.extensions["core.db"].dispose()


@pytest.fixture()
def labels(worker: Any) -> dict[str, Any]:
    """A licensed product with a batch (committed), a manufacturer's headers and ten label URLs."""
    from registry.factories import bind_factories
    from signing import batches

    db = worker.extensions["core.db"]
    ext = worker.extensions["signing"]
    ext.ready()
    s = db.session()
    bind_factories(s)
    maker = make_party(s)
    product = ProductFactory(manufacturer_id=maker.manufacturer.id, **licensed())
    product.certificates.append(CertificateFactory(manufacturer_id=maker.manufacturer.id))
    batch = batches.create_batch(s, product, 100, user_id=None, now=datetime.now(UTC))
    s.commit()
    urls = [
        url for url, _ in batches.iter_batch_urls(batch, ext.signer(s), ext.settings.public_host, stop=10)
    ]
    found = {"urls": urls, "headers": maker.headers, "product_id": product.id}
    s.close()
    return found


def verdict(client: Any, url: str, *, address: str = "127.0.0.1", agent: str | None = None) -> dict[str, Any]:
    """The JSON verdict for a client at ``address`` (its district comes from tests/data/ip-districts.csv)."""
    headers = JSON | ({"User-Agent": agent} if agent else {})
    resp = client.get(url, headers=headers, **from_address(address))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body: dict[str, Any] = resp.get_json()
    return body


def stored(app: Any, url: str) -> tuple[int | None, int]:
    """(the unit's scan count, how many scan rows it has) in the database."""
    label = parse_label_url(url)
    s = app.extensions["core.db"].session()
    try:
        unit = s.scalar(select(Unit).where(Unit.gtin == label.gtin, Unit.serial == label.serial))
        if unit is None:
            return None, 0
        rows = s.scalar(select(func.count()).select_from(Scan).where(Scan.unit_id == unit.id))
        return unit.scan_count, int(rows or 0)
    finally:
        s.close()


def test_scans_are_counted_at_once_and_reach_the_database_when_the_buffer_is_written(
    worker: Any, labels: dict[str, Any]
) -> None:
    client, url = worker.test_client(), labels["urls"][0]
    recorder = worker.extensions["signing"].scans
    first = verdict(client, url, address=ADDRESS_IN["sylhet"])
    assert first["verdict"] == "genuine" and first["scan_count"] == 1
    assert first["first_seen"]["district"] == "sylhet"
    assert [verdict(client, url)["scan_count"] for _ in range(3)] == [2, 3, 4]
    assert stored(worker, url) == (None, 0)  # still in this worker's buffer
    assert recorder.flush() == 4
    assert stored(worker, url) == (4, 4)
    again = verdict(client, url)  # the database and the buffer together
    assert again["scan_count"] == 5
    assert again["first_seen"] == first["first_seen"]
    recorder.flush()
    assert stored(worker, url) == (5, 5)


def test_product_addresses_and_forged_serials_are_recorded_without_a_unit(
    worker: Any, labels: dict[str, Any]
) -> None:
    client = worker.test_client()
    label = parse_label_url(labels["urls"][0])
    assert verdict(client, f"https://verify.example.gov.bd/01/{label.gtin}")["verdict"] == "unknown"
    assert label.serial is not None
    other = "Y" if label.serial.endswith("Z") else "Z"
    tampered = labels["urls"][0].replace(f"/21/{label.serial}", f"/21/{label.serial[:-1]}{other}")
    assert verdict(client, tampered)["verdict"] == "not_genuine"
    assert worker.extensions["signing"].scans.flush() == 2
    s = worker.extensions["core.db"].session()
    rows = s.execute(select(Scan.verdict, Scan.unit_id).order_by(Scan.id)).all()
    s.close()
    assert [tuple(r) for r in rows] == [("unknown", None), ("not_genuine", None)]


def test_far_apart_districts_are_flagged_across_the_buffer_and_the_database(
    worker: Any, labels: dict[str, Any]
) -> None:
    client = worker.test_client()
    recorder = worker.extensions["signing"].scans
    one, two = labels["urls"][:2]
    # both scans still buffered
    assert verdict(client, one, address=ADDRESS_IN["dhaka"])["clone_warning"] is False
    assert verdict(client, one, address=ADDRESS_IN["chattogram"])["clone_warning"]["flags"] == [
        "far_apart_districts"
    ]
    # one scan written, the next one buffered
    assert verdict(client, two, address=ADDRESS_IN["dhaka"])["clone_warning"] is False
    recorder.flush()
    flagged = verdict(client, two, address=ADDRESS_IN["sylhet"])
    assert flagged["verdict"] == "genuine"
    assert flagged["clone_warning"]["flags"] == ["far_apart_districts"]
    recorder.flush()
    listed = client.get(
        f"/api/v1/products/{labels['product_id']}/units?flagged=true", headers=labels["headers"]
    ).get_json()["items"]
    assert sorted(u["serial"] for u in listed) == sorted(parse_label_url(u).serial for u in (one, two))
    assert all(u["flags"] == ["far_apart_districts"] and u["flagged_at"] for u in listed)
    assert verdict(client, one)["clone_warning"]["flags"] == ["far_apart_districts"]  # the flag stays


def test_many_devices_are_counted_over_stored_and_buffered_scans(worker: Any, labels: dict[str, Any]) -> None:
    client = worker.test_client()
    recorder = worker.extensions["signing"].scans
    url = labels["urls"][0]
    limit = worker.extensions["signing"].settings.clone_rules.max_devices
    warnings = []
    for n in range(limit + 1):
        warnings.append(verdict(client, url, address=f"10.1.7.{n}")["clone_warning"])
        if n == limit // 2:
            recorder.flush()
    assert warnings[:limit] == [False] * limit
    assert warnings[limit]["flags"] == ["many_devices"]
    recorder.flush()
    assert verdict(client, url, address="10.1.7.0")["clone_warning"]["flags"] == ["many_devices"]


def test_one_client_scanning_again_and_again_never_flags_a_unit(worker: Any, labels: dict[str, Any]) -> None:
    client = worker.test_client()
    recorder = worker.extensions["signing"].scans
    url = labels["urls"][0]
    limit = worker.extensions["signing"].settings.clone_rules.max_devices
    for n in range(3 * limit):
        body = verdict(client, url, address=ADDRESS_IN["sylhet"], agent=f"Browser {n} Mobile")
        assert body["clone_warning"] is False, n
        if n == limit:
            recorder.flush()
    # the district a client claims is not read: a bystander cannot place a scan in another division
    claimed = client.get(url + "&district=chattogram", headers=JSON, **from_address(ADDRESS_IN["sylhet"]))
    assert claimed.get_json()["clone_warning"] is False


def test_a_recalled_unit_says_recalled_with_the_manufacturers_words_and_no_copy_warning(
    worker: Any, labels: dict[str, Any]
) -> None:
    client = worker.test_client()
    url = labels["urls"][0]
    assert verdict(client, url)["verdict"] == "genuine"
    resp = client.post("/api/v1/units/recall", json={"url": url, **RECALL_WORDS}, headers=labels["headers"])
    assert resp.status_code == 201, resp.get_json()
    body = verdict(client, url, address=ADDRESS_IN["chattogram"])
    assert body["verdict"] == "recalled"
    assert body["recall"]["reason_bn"] == RECALL_WORDS["reason_bn"]
    assert body["recall"]["instructions_en"] == RECALL_WORDS["instructions_en"]
    assert body["scan_count"] == 2
    assert body["clone_warning"] is False
    worker.extensions["signing"].scans.flush()
    assert stored(worker, url) == (2, 2)


def test_concurrent_scans_each_get_their_own_count_and_all_are_written(
    tmp_path: Path, scan_db: str, labels: dict[str, Any]
) -> None:
    app = make_worker(tmp_path, scan_db, flush_ms=5)  # the writer thread runs between the scans
    urls = labels["urls"][:3]
    counts: dict[str, list[int]] = {url: [] for url in urls}
    barrier = threading.Barrier(6)

    def scan(n: int) -> None:
        client = app.test_client()
        barrier.wait()
        for i in range(30):
            url = urls[(n + i) % len(urls)]
            counts[url].append(verdict(client, url)["scan_count"])

    threads = [threading.Thread(target=scan, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    app.extensions["signing"].scans.close()
    for url in urls:
        assert sorted(counts[url]) == list(range(1, 61)), url
        assert stored(app, url) == (60, 60)
    app.extensions["core.db"].dispose()


def test_two_workers_add_up_and_the_earliest_first_sighting_wins(
    tmp_path: Path, scan_db: str, worker: Any, labels: dict[str, Any]
) -> None:
    other = make_worker(tmp_path, scan_db)
    url = labels["urls"][0]
    a, b = worker.test_client(), other.test_client()
    first = verdict(a, url, address=ADDRESS_IN["sylhet"])
    assert (
        verdict(b, url, address=ADDRESS_IN["dhaka"])["scan_count"] == 1
    )  # a's scan is not written yet: not seen
    other.extensions["signing"].scans.flush()
    worker.extensions["signing"].scans.flush()
    assert stored(worker, url) == (2, 2)
    third = verdict(b, url)
    assert third["first_seen"] == first["first_seen"] and third["scan_count"] == 3
    other.extensions["signing"].scans.flush()
    assert verdict(a, url)["scan_count"] == 4
    other.extensions["signing"].scans.close()
    other.extensions["core.db"].dispose()


def test_a_failed_write_keeps_the_scans_and_the_next_write_stores_them(
    worker: Any, labels: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import signing.scans

    client = worker.test_client()
    recorder = worker.extensions["signing"].scans
    url = labels["urls"][0]
    verdict(client, url)
    verdict(client, url)

    def fail(*_: Any) -> None:
        raise RuntimeError("database went away")

    with monkeypatch.context() as patched:
        patched.setattr(signing.scans, "write_buffer", fail)
        with pytest.raises(RuntimeError):
            recorder.flush()
    assert stored(worker, url) == (None, 0)
    assert verdict(client, url)["scan_count"] == 3  # the kept scans still count
    assert recorder.flush() == 3
    assert stored(worker, url) == (3, 3)


EXITING_WORKER = """
import sys
from app import create_app
from tests.conftest import app_settings
app = create_app(app_settings(sys.argv[1], sys.argv[2], SIGNING_SCAN_FLUSH_MS=3_600_000))
client = app.test_client()
for url in sys.argv[3:]:
    assert client.get(url, headers={"Accept": "application/json"}).status_code == 200
# no flush here: an orderly exit (what gunicorn does on SIGTERM) writes the buffer
"""


def test_an_orderly_exit_writes_the_buffered_scans(
    tmp_path: Path, scan_db: str, labels: dict[str, Any]
) -> None:
    urls = labels["urls"][:5]
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    done = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", EXITING_WORKER, str(tmp_path), scan_db, *urls, *urls[:2]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    from app import create_app

    app = create_app(app_settings(tmp_path, scan_db))
    assert [stored(app, url) for url in urls] == [(2, 2), (2, 2), (1, 1), (1, 1), (1, 1)]
    app.extensions["core.db"].dispose()


def test_a_dropped_read_connection_is_replaced_without_failing_the_scan(
    worker: Any, labels: dict[str, Any]
) -> None:
    client = worker.test_client()
    url = labels["urls"][0]
    assert verdict(client, url)["scan_count"] == 1
    worker.extensions["signing"].scans.flush()
    worker.extensions[
        "signing"
    ].scans.reader._local.own.fairy.dbapi_connection.close()  # the server went away
    assert verdict(client, url)["scan_count"] == 2
