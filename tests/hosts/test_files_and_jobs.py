"""Files and label jobs across two hosts (tests/hosts/conftest.py): what one host stores or starts, the other
serves, polls and downloads; a host lost while it renders a job leaves the job to the other.

The figures these tests see (the 20,000-label job's time, the take-over time after a kill) are printed;
bench/bench_blobs_jobs.py measures the take-over itself on one host."""

from __future__ import annotations

import csv
import io
import json
import secrets
import time
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from tests.hosts.conftest import ADMIN_PASSWORD, JOB_LEASE_SECONDS, Answer, Deployment

pytestmark = [pytest.mark.hosts, pytest.mark.opensearch, pytest.mark.slow]

LABELS = 20_000
# the job a host is killed under: SVG labels in a ZIP take seconds (so the kill lands while it renders) where
# 20,000 CSV labels take about as long as a poll; the survivor renders them all again
KILLED_JOB_LABELS = 6_000
ADMIN = "admin@mib.gov.bd"
# a job's in-process worker polls every second: the job is claimed again within lease + poll
CLAIM_POLL_SECONDS = 1.0
# headers that must be the same whichever host answers (Date, X-Request-ID and Server may differ)
FILE_HEADERS = (
    "content-type",
    "content-length",
    "etag",
    "content-disposition",
    "cache-control",
    "accept-ranges",
)


@pytest.fixture(scope="module")
def admin(deployment: Deployment, catalogue: None) -> dict[str, str]:
    return deployment.token(ADMIN, ADMIN_PASSWORD)


@pytest.fixture(scope="module")
def database(deployment: Deployment) -> Iterator[Engine]:
    """The deployment's database as the application role sees it: to see which worker holds a job."""
    engine = create_engine(deployment.env["REGISTRY_DATABASE_URL"])
    yield engine
    engine.dispose()


def test_evidence_uploaded_via_one_host_is_downloaded_via_the_other(
    deployment: Deployment, catalogue: None
) -> None:
    maker = deployment.token(*deployment.demo_account("manufacturer"), host=0)
    certificate = deployment.post(
        "/api/v1/certificates",
        {
            "scheme": "BTRC",
            "number": f"BTRC-TA-2026-{secrets.randbelow(10**6):06d}",
            "issuer": "BTRC",
            "valid_from": "2025-01-01",
            "valid_until": "2030-12-31",
        },
        host=0,
        headers=maker,
    )
    assert certificate.status == 201, certificate.body
    path = f"/api/v1/certificates/{certificate.json()['id']}/evidence"
    evidence = b"%PDF-1.7\n" + secrets.token_bytes(2_500_000) + b"\n%%EOF\n"  # more than two blob chunks
    uploaded = deployment.send(
        "PUT", path, evidence, host=0, headers=maker | {"Content-Type": "application/pdf"}
    )
    assert uploaded.status == 200, uploaded.body
    answers = [deployment.get(path, host=host, headers=maker) for host in (1, 0)]
    assert [a.status for a in answers] == [200, 200]
    assert answers[0].body == evidence and answers[1].body == evidence
    assert answers[0].headers["content-type"] == "application/pdf"
    assert [{h: a.headers.get(h) for h in FILE_HEADERS} for a in answers][0] == {
        h: answers[1].headers.get(h) for h in FILE_HEADERS
    }
    part = deployment.get(path, host=1, headers=maker | {"Range": "bytes=1048570-1048600"})
    assert part.status == 206 and part.body == evidence[1048570:1048601]  # across a chunk boundary


def test_open_data_written_on_one_host_is_served_by_the_other(
    deployment: Deployment, catalogue: None
) -> None:
    said = deployment.flask("stats", "snapshot", host=0)  # as the daily unit runs it, on one host
    assert "wrote" in said or "unchanged" in said, said
    indexes = [deployment.get("/api/v1/open-data", host=host) for host in (0, 1)]
    assert [i.status for i in indexes] == [200, 200] and indexes[0].body == indexes[1].body
    day = indexes[0].json()["latest"]
    assert day == datetime.now(UTC).date().isoformat()
    for name in ("catalogue.csv", "statistics.json.jws"):
        files = [deployment.get(f"/open-data/{day}/{name}", host=host) for host in (1, 0)]
        assert [f.status for f in files] == [200, 200] and files[0].body == files[1].body, name
        assert "immutable" in files[0].headers["cache-control"]
    assert not (deployment.host(0).instance / "open-data").exists()  # nothing on a host's own disk


def licensed_product(deployment: Deployment) -> int:
    hits = deployment.get("/api/v1/catalogue/search?per_page=20&sort=newest", host=0).json()["hits"]
    assert hits, "the catalogue fixture seeds licensed products"
    return int(hits[-1]["product"]["id"])


def start_job(
    deployment: Deployment, admin: dict[str, str], fmt: str, *, host: int, count: int = LABELS
) -> str:
    """A batch of ``count`` serials and a label job for all of them, both asked of ``host``."""
    product = licensed_product(deployment)
    batch = deployment.post(f"/api/v1/products/{product}/batches", {"count": count}, host=host, headers=admin)
    assert batch.status == 201, batch.body
    job = deployment.post(
        f"/api/v1/batches/{batch.json()['id']}/labels", {"format": fmt}, host=host, headers=admin
    )
    assert job.status == 202, job.body
    assert job.headers["location"] == f"/api/v1/label-jobs/{job.json()['id']}"
    return str(job.json()["id"])


def wait_for(what: str, seconds: float, check: Callable[[], Any], step: float = 0.25) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        got = check()
        if got:
            return got
        assert time.monotonic() < deadline, f"{what}: not within {seconds:.0f} s"
        time.sleep(step)


def poll_done(
    deployment: Deployment, admin: dict[str, str], job: str, *, host: int, seconds: float
) -> Answer:
    def done() -> Answer | None:
        answer = deployment.get(f"/api/v1/label-jobs/{job}", host=host, headers=admin)
        assert answer.status == 200, answer.body
        status = answer.json()["status"]
        assert status in ("queued", "running", "done"), answer.body
        return answer if status == "done" else None

    return wait_for(f"label job {job} done", seconds, done)  # type: ignore[no-any-return]


def test_a_20000_label_job_started_on_one_host_is_polled_and_downloaded_via_the_other(
    deployment: Deployment, admin: dict[str, str]
) -> None:
    started = time.monotonic()
    job = start_job(deployment, admin, "csv", host=0)
    status = poll_done(deployment, admin, job, host=1, seconds=180).json()
    took = time.monotonic() - started
    assert status["progress"] == {"done": LABELS, "total": LABELS}
    download = deployment.get(status["links"]["download"], host=1, headers=admin)
    assert download.status == 200 and download.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.body.decode("utf-8"))))
    assert rows[0][:3] == ["url", "gtin", "serial"] and len(rows) == LABELS + 1
    assert len({row[0] for row in rows[1:]}) == LABELS  # every label its own signed URL
    again = deployment.get(status["links"]["download"], host=0, headers=admin)
    assert again.status == 200 and again.headers["etag"] == download.headers["etag"]
    print(f"\n{LABELS} CSV labels: queued on host 0, done and downloaded via host 1 in {took:.1f} s")


def job_row(database: Engine, job: str) -> dict[str, Any]:
    with database.connect() as connection:
        row = connection.execute(
            text("SELECT status, worker, attempts, done FROM label_jobs WHERE id = :id"), {"id": job}
        ).one()
    return dict(row._mapping)


def test_a_job_whose_host_is_killed_is_finished_by_the_other(
    deployment: Deployment, admin: dict[str, str], database: Engine
) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:  # every worker of both hosts has started its job thread
        list(pool.map(lambda i: deployment.get("/healthz", host=i % 2), range(32)))
    job = start_job(deployment, admin, "zip-svg", host=0, count=KILLED_JOB_LABELS)
    running = wait_for(
        "the job rendering",
        60,
        lambda: (row := job_row(database, job))["status"] == "running" and row,
        step=0.05,
    )
    victim = deployment.host_of_pid(int(running["worker"].split(":")[1]))
    assert victim is not None, running
    survivor = 1 - victim
    deployment.stop_host(victim, kill=True)  # SIGKILL to the whole host: no release, no last heartbeat
    killed = time.monotonic()
    try:
        taken = wait_for(
            "the take-over",
            JOB_LEASE_SECONDS + CLAIM_POLL_SECONDS + 30,
            lambda: (row := job_row(database, job))["attempts"] == 2 and row["status"] != "queued" and row,
            step=0.05,
        )
        take_over = time.monotonic() - killed
        assert deployment.host_of_pid(int(taken["worker"].split(":")[1])) == survivor, taken
        status = poll_done(deployment, admin, job, host=survivor, seconds=180).json()
        finished = time.monotonic() - killed
        download = deployment.get(status["links"]["download"], host=survivor, headers=admin)
        assert download.status == 200 and download.headers["content-type"] == "application/zip"
        with zipfile.ZipFile(io.BytesIO(download.body)) as archive:
            svgs = [name for name in archive.namelist() if name.endswith(".svg")]
            assert len(svgs) == KILLED_JOB_LABELS and archive.testzip() is None
    finally:
        deployment.start_host(victim)
    print(
        f"\nhost {victim} killed while rendering; host {survivor} took the job over {take_over:.1f} s later "
        f"(lease {JOB_LEASE_SECONDS} s) and finished it {finished:.1f} s after the kill; "
        + json.dumps(
            {"take_over_seconds": round(take_over, 2), "done_after_kill_seconds": round(finished, 2)}
        )
    )
