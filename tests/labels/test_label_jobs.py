"""Label jobs on the shared queue as hosts and clients see them: a job queued through one host is run by a
worker anywhere, polled with its progress and downloaded through another host; a worker killed mid-job
(a real process, killed by pid) loses its lease and another worker finishes the job.

Each test gets a committed database of its own (a SQLite file, or a PostgreSQL schema), and each "host" is
an application with its own instance folder on that one database."""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from labels import LabelText
from labels.jobs import FAILED_INTERNAL, MAX_ATTEMPTS, JobWorker, LabelJobs
from labels.models import LabelJobRecord
from tests.conftest import app_settings, committed_database
from tests.factories import CertificateFactory, ProductFactory, licensed, make_party
from tests.labels.label_helpers import GTIN

ROOT = Path(__file__).resolve().parents[2]
LEASE = 2  # seconds: short, so that a take-over happens within the test


def wait_for(
    condition: Callable[[], Any], timeout: float = 60.0, what: str = "condition", log: Path | None = None
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}" + (f"; {log}:\n{log.read_text()}" if log else ""))


@pytest.fixture()
def shared_db(tmp_path: Path, database_url: str, _app: Any) -> Iterator[str]:
    from app import create_app
    from core.migrate import upgrade_database

    for url in committed_database(tmp_path, database_url):
        app = create_app(app_settings(tmp_path / "migrate", url))
        upgrade_database(app.extensions["core.db"])
        app.extensions["core.db"].dispose()
        yield url


def host_settings(folder: Path, url: str) -> dict[str, Any]:
    return app_settings(folder, url, LABELS_JOB_LEASE_SECONDS=LEASE, LABELS_DIRECT_LIMIT=20)


@pytest.fixture()
def hosts(tmp_path: Path, shared_db: str) -> Iterator[tuple[Any, Any]]:
    """Two application hosts (separate instance folders) on one database, sharing one signing key file as
    production hosts share theirs; neither runs jobs inside its requests."""
    from app import create_app

    made = []
    for name in ("host-a", "host-b"):
        app = create_app(host_settings(tmp_path / name, shared_db))
        app.extensions["labels.jobs"].inline = False
        made.append(app)
    made[0].extensions["signing"].ready()  # makes host A's key file, which host B then gets a copy of
    shutil.copytree(tmp_path / "host-a" / "signing", tmp_path / "host-b" / "signing")
    yield made[0], made[1]
    for app in made:
        app.extensions["core.db"].dispose()


def make_batch(app: Any, count: int) -> tuple[dict[str, str], int]:
    """A licensed product with a committed serial batch of ``count``; the maker's headers and the batch id."""
    from registry.factories import bind_factories
    from signing import batches

    s = app.extensions["core.db"].session()
    bind_factories(s)
    maker = make_party(s)
    product = ProductFactory(manufacturer_id=maker.manufacturer.id, **licensed())
    product.certificates.append(CertificateFactory(manufacturer_id=maker.manufacturer.id))
    batch = batches.create_batch(s, product, count, user_id=None, now=datetime.now(UTC))
    s.commit()
    found = maker.headers, batch.id
    s.close()
    return found


def row(app: Any, job_id: str) -> LabelJobRecord:
    with app.extensions["core.db"].session(write=False) as s:
        found = s.get(LabelJobRecord, job_id)
        s.expunge(found)
        return found


def test_a_job_queued_on_one_host_is_polled_and_downloaded_via_the_other(hosts: tuple[Any, Any]) -> None:
    a, b = hosts
    headers, batch_id = make_batch(a, 45)
    queued = a.test_client().post(
        f"/api/v1/batches/{batch_id}/labels", json={"format": "csv"}, headers=headers
    )
    assert queued.status_code == 202
    job_url = queued.headers["Location"]
    seen = b.test_client().get(job_url, headers=headers).get_json()
    assert seen["status"] == "queued" and seen["progress"] == {"done": 0, "total": 45}
    worker = JobWorker(b.extensions["labels.jobs"], poll_seconds=0.05).start()  # host B's in-process worker
    try:
        done = wait_for(
            lambda: (j := a.test_client().get(job_url, headers=headers).get_json())["status"] == "done" and j,
            what="the job to finish",
        )
    finally:
        worker.stop()
    assert done["progress"] == {"done": 45, "total": 45}
    client = a.test_client()
    with client.get(done["links"]["download"], headers=headers) as download:
        body = download.get_data()
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert download.headers["Content-Length"] == str(len(body))
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    assert len(rows) == 46 and all(f"/01/{r[1]}/21/{r[2]}" in r[0] for r in rows[1:])
    etag = download.headers["ETag"]
    assert (
        client.get(done["links"]["download"], headers={**headers, "If-None-Match": etag}).status_code == 304
    )
    with client.get(done["links"]["download"], headers={**headers, "Range": "bytes=10-99"}) as part:
        assert part.status_code == 206 and part.get_data() == body[10:100]
        assert part.headers["Content-Range"] == f"bytes 10-99/{len(body)}"
    assert not list((Path(a.instance_path)).rglob("*.csv")) and not list(Path(b.instance_path).rglob("*.csv"))


def worker_process(folder: Path, url: str) -> subprocess.Popen[bytes]:
    """``flask labels worker`` as another host runs it (its own instance folder, the shared database); its
    log goes to ``<folder>/worker.log``."""
    env = {**os.environ, **{f"REGISTRY_{k}": str(v) for k, v in host_settings(folder, url).items()}}
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "worker.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "labels", "worker", "--poll", "0.1"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


@pytest.mark.slow
def test_a_job_whose_worker_is_killed_is_finished_by_another(
    hosts: tuple[Any, Any], tmp_path: Path, shared_db: str
) -> None:
    a, b = hosts
    count = 3000
    headers, batch_id = make_batch(a, count)
    shutil.copytree(tmp_path / "host-a" / "signing", tmp_path / "host-c" / "signing")
    job = (
        a.test_client()
        .post(f"/api/v1/batches/{batch_id}/labels", json={"format": "zip-svg"}, headers=headers)
        .get_json()
    )
    doomed = worker_process(tmp_path / "host-c", shared_db)
    try:
        polled = wait_for(
            lambda: (
                (j := b.test_client().get(job["links"]["self"], headers=headers).get_json())["progress"][
                    "done"
                ]
                > 0
                and j
            ),
            what="progress from the first worker",
            log=tmp_path / "host-c" / "worker.log",
        )
        assert polled["status"] == "running"  # the poll through host B shows the worker's progress
        os.kill(doomed.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        doomed.wait(10)
    finally:
        if doomed.poll() is None:
            doomed.kill()
            doomed.wait()
    first = row(a, job["id"])
    assert first.status == "running" and first.attempts == 1 and first.done < count, "killed too late"
    rescuer = JobWorker(b.extensions["labels.jobs"], poll_seconds=0.1).start()
    try:
        wait_for(lambda: row(a, job["id"]).attempts == 2, timeout=LEASE + 30, what="the take-over")
        took_over = time.monotonic() - killed_at
        done = wait_for(
            lambda: (
                (j := a.test_client().get(job["links"]["self"], headers=headers).get_json())["status"]
                in ("done", "failed")
                and j
            ),
            timeout=300,
            what="the job to finish",
        )
    finally:
        rescuer.stop()
    assert done["status"] == "done" and done["progress"]["done"] == count, done
    assert took_over < LEASE + 5  # the lease runs out, the next poll claims it
    with b.test_client().get(done["links"]["download"], headers=headers) as download:
        data = download.get_data()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
    assert len(names) == count + 1 and "manifest.csv" in names
    store = a.extensions["blobs"]
    assert store.keys(f"label-jobs/{job['id']}/") == [f"label-jobs/{job['id']}/2"]  # the dead try is gone


# ------------------------------------------------------------------------------------ the queue itself


@pytest.fixture()
def queue(hosts: tuple[Any, Any]) -> LabelJobs:
    jobs: LabelJobs = hosts[0].extensions["labels.jobs"]
    text = LabelText("Router", "রাউটার", GTIN, "S1")
    jobs.makers["urls"] = lambda source: (
        ((f"https://verify.example.gov.bd/01/{GTIN}/21/S{i}", text) for i in range(source["n"])),
        source["n"],
    )

    def broken(source: dict[str, Any]) -> Any:
        raise RuntimeError("connection to 10.0.0.5 refused")

    jobs.makers["broken"] = broken
    return jobs


def submit(jobs: LabelJobs, kind: str = "urls", n: int = 5, fmt: str = "csv") -> str:
    return jobs.submit(kind, {"n": n}, owner_id=None, fmt=fmt, layout="a4", total=n, filename="x").id


def test_a_failed_job_says_so_without_internals_and_expired_jobs_go_with_their_files(
    queue: LabelJobs,
) -> None:
    failed, done = submit(queue, "broken"), submit(queue)
    assert queue.run_next("w1") and queue.run_next("w1") and not queue.run_next("w1")
    seen = queue.get(failed, owner_id=None)
    assert seen.status == "failed" and seen.error == FAILED_INTERNAL  # not the address in the exception
    assert seen.error_code == "render_failed"
    assert queue.get(done, owner_id=None).status == "done"
    assert queue.blobs.keys("label-jobs/") == [f"label-jobs/{done}/1"]  # nothing of the failed one
    assert queue.expire(datetime.now(UTC) + timedelta(seconds=queue.ttl_seconds + 1)) == 2
    assert queue.find(failed) is None and queue.find(done) is None and queue.blobs.keys("label-jobs/") == []


def test_a_worker_whose_lease_ran_out_can_neither_extend_it_nor_finish(queue: LabelJobs) -> None:
    job_id = submit(queue)
    assert queue.claim("slow").id == job_id
    assert queue.claim("other") is None  # held: nobody else takes it
    with queue.db.session() as s:
        s.execute(update(LabelJobRecord).values(lease_until=datetime.now(UTC) - timedelta(seconds=1)))
        s.commit()
    taken = queue.claim("other")
    assert taken.id == job_id and taken.attempts == 2 and taken.worker == "other"
    assert not queue.heartbeat(job_id, "slow", 3, 5)
    assert not queue._finish(job_id, "slow", status="done")
    assert queue.heartbeat(job_id, "other", 3, 5) and queue.find(job_id).done == 3


def test_a_job_that_keeps_killing_its_workers_fails_after_the_last_attempt(queue: LabelJobs) -> None:
    job_id = submit(queue)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert queue.claim(f"w{attempt}").attempts == attempt
        with queue.db.session() as s:
            s.execute(update(LabelJobRecord).values(lease_until=datetime.now(UTC) - timedelta(seconds=1)))
            s.commit()
    assert queue.claim("w-last") is None
    seen = queue.find(job_id)
    assert seen.status == "failed" and "ask for the labels again" in (seen.error or "")
    assert seen.error_code == "worker_lost"


def test_workers_claiming_at_once_never_take_the_same_job(queue: LabelJobs) -> None:
    import threading

    ids = {submit(queue) for _ in range(12)}
    claimed: dict[str, list[str]] = {}

    def claim_all(name: str) -> None:
        while (job := queue.claim(name)) is not None:
            claimed.setdefault(name, []).append(job.id)

    threads = [threading.Thread(target=claim_all, args=(f"w{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [job_id for jobs in claimed.values() for job_id in jobs]
    assert sorted(every) == sorted(ids)  # each job exactly once


def test_a_worker_leaving_in_order_hands_its_job_back_at_once(queue: LabelJobs) -> None:
    job_id = submit(queue)
    leaving = JobWorker(queue)
    assert queue.claim(leaving.name).id == job_id
    assert leaving.release() == 1 and leaving.stopping.is_set()
    taken = queue.claim("next")  # no lease to wait for
    assert taken.id == job_id and taken.attempts == 2
    assert not queue.heartbeat(job_id, leaving.name, 1, 5)  # the leaver's heartbeat now stops its rendering
