"""Shared files and label jobs across hosts: the blob store's rate for one 200 MB object (in and out, with the
memory it takes) and the time until a label job whose worker was killed is taken over by another.

Run:  .venv/bin/python bench/bench_blobs_jobs.py            (writes bench/results/blobs_jobs.json)
      .venv/bin/python bench/bench_blobs_jobs.py --quick    (20 MB, one take-over per lease)
      REGISTRY_BENCH_DATABASE_URL=postgresql+psycopg://... adds PostgreSQL beside SQLite (an empty database
      or schema the role may create tables in; tools/services.py start postgres prints one).

Blob rate: a generated stream (never held whole) goes into ``DatabaseBlobStore.put`` and is read back with
``open``; MB/s each way and the growth of the resident set while doing it (sampled every 5 ms). The plain file
on the same disk is written and read the same way beside it, for scale (there is no reference in
../shared/reference for this). Take-over: a worker process claims a slow job and is killed by pid (SIGKILL,
as a lost host); a worker in this process polling every 0.1 s measures the time from the kill to its claim
(the lease is the setting ``LABELS_JOB_LEASE_SECONDS``; the figure should be lease + up to one poll).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._machine import write_result  # noqa: E402
from bench._memory import PeakRSS  # noqa: E402

MB = 1024 * 1024


class Generated:
    def __init__(self, size: int) -> None:
        self.left = size
        self.block = hashlib.sha256(b"bench").digest() * (MB // 32)

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        self.left -= n
        return (self.block * (n // len(self.block) + 1))[:n]


def migrated(url: str) -> Any:
    from core.db import Database
    from core.migrate import upgrade_database

    db = Database(url)
    upgrade_database(db)
    return db


def blob_rate(url: str, size: int) -> dict[str, Any]:
    """Write once, then read with ``READ_BATCH`` chunks per query (the store's default) and with one chunk
    per query (the store before batched reads)."""
    from core.blobs import READ_BATCH, DatabaseBlobStore

    db = migrated(url)
    store = DatabaseBlobStore(db)
    with PeakRSS() as put:
        info = store.put("bench/big", Generated(size), "application/pdf")  # type: ignore[arg-type]
    reads: dict[int, Any] = {}
    for batch in (READ_BATCH, 1):
        reader = DatabaseBlobStore(db, read_batch=batch)
        read = 0
        with PeakRSS() as get:
            for chunk in reader.open("bench/big"):
                read += len(chunk)
        assert read == info.size == size
        reads[batch] = get
    store.delete("bench/big")
    db.dispose()
    return {
        "write_mb_s": round(size / MB / put.seconds, 1),
        "read_mb_s": round(size / MB / reads[READ_BATCH].seconds, 1),
        "read_batch_chunks": READ_BATCH,
        "read_mb_s_one_chunk_per_query": round(size / MB / reads[1].seconds, 1),
        "write_rss_growth_mb": round(put.growth / MB, 1),
        "read_rss_growth_mb": round(reads[READ_BATCH].growth / MB, 1),
        "read_rss_growth_mb_one_chunk_per_query": round(reads[1].growth / MB, 1),
    }


def file_rate(folder: Path, size: int) -> dict[str, Any]:
    path = folder / "plain.bin"
    source = Generated(size)
    t0 = time.perf_counter()
    with path.open("wb") as out:
        while block := source.read(MB):
            out.write(block)
        out.flush()
        os.fsync(out.fileno())
    written = time.perf_counter() - t0
    t0 = time.perf_counter()
    with path.open("rb") as fh:
        while fh.read(MB):
            pass
    read = time.perf_counter() - t0
    path.unlink()
    return {"write_mb_s": round(size / MB / written, 1), "read_mb_s": round(size / MB / read, 1)}


CHILD = """
import sys, time
sys.path.insert(0, {root!r})
from core.blobs import DatabaseBlobStore
from labels import LabelText
from labels.jobs import JobWorker, LabelJobs
from core.db import Database, import_all_models

import_all_models()  # as the application does: the job table refers to users, whose mapper needs the rest
text = LabelText("Router", "রাউটার", "08901234567890", "S")

def slow(source):
    def items():
        for i in range(source["n"]):
            time.sleep(0.01)
            yield f"https://verify.example.gov.bd/01/08901234567890/21/S{{i}}", text
    return items(), source["n"]

db = Database({url!r})
jobs = LabelJobs(db, DatabaseBlobStore(db), {{"bench": slow}}, lease_seconds={lease})
JobWorker(jobs, poll_seconds=0.1).run_forever()
"""


def until(condition: Any, seconds: float, what: str, step: float = 0.02) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting for {what}")
        time.sleep(step)


def take_over(url: str, lease: int) -> float:
    from sqlalchemy import select

    from core.blobs import DatabaseBlobStore
    from core.db import Database, import_all_models
    from labels import LabelText
    from labels.jobs import JobWorker, LabelJobs
    from labels.models import LabelJobRecord

    import_all_models()
    db = Database(url)
    text = LabelText("Router", "রাউটার", "08901234567890", "S")

    def fast(source: dict[str, Any]) -> Any:
        return (
            (f"https://verify.example.gov.bd/01/08901234567890/21/S{i}", text) for i in range(source["n"])
        ), None

    jobs = LabelJobs(db, DatabaseBlobStore(db), {"bench": fast}, lease_seconds=lease)
    job = jobs.submit(
        "bench", {"n": 100_000}, owner_id=None, fmt="csv", layout="a4", total=None, filename="b.csv"
    )
    child = subprocess.Popen([sys.executable, "-c", CHILD.format(root=str(ROOT), url=url, lease=lease)])

    def attempts() -> tuple[int, str]:
        with db.session(write=False) as s:
            found = s.execute(
                select(LabelJobRecord.attempts, LabelJobRecord.status).where(LabelJobRecord.id == job.id)
            ).one()
            return found.attempts, found.status

    until(lambda: attempts() == (1, "running"), 60, "the first worker's claim")
    time.sleep(lease / 2)  # well into the job, with a heartbeat or two behind it
    os.kill(child.pid, signal.SIGKILL)
    killed = time.perf_counter()
    child.wait()
    rescuer = JobWorker(jobs, poll_seconds=0.1)
    runner = threading.Thread(target=rescuer.run_forever, kwargs={"max_jobs": 1}, daemon=True)
    runner.start()
    until(lambda: attempts()[0] >= 2, lease + 60, "the take-over", step=0.005)
    seconds = time.perf_counter() - killed
    runner.join()
    assert attempts() == (2, "done")
    jobs.expire(now=None)
    db.dispose()
    return round(seconds, 2)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-take-over", action="store_true", help="blob rates only")
    args = parser.parse_args()
    size = (20 if args.quick else 200) * MB
    rounds = 1 if args.quick else 3
    leases = (5, 30)
    databases = {}
    with tempfile.TemporaryDirectory(prefix="bench-blobs-") as tmp:
        folder = Path(tmp)
        databases["sqlite"] = f"sqlite:///{folder / 'bench.sqlite3'}"
        if os.environ.get("REGISTRY_BENCH_DATABASE_URL"):
            databases["postgresql"] = os.environ["REGISTRY_BENCH_DATABASE_URL"]
        results: dict[str, Any] = {
            "object_mb": size // MB,
            "load_average_at_start": os.getloadavg(),
            "plain_file": file_rate(folder, size),
        }
        for name, url in databases.items():
            rates = [blob_rate(url, size) for _ in range(rounds)]
            best = max(rates, key=lambda r: r["write_mb_s"] + r["read_mb_s"])
            takeovers = {
                f"lease_{lease}s": [take_over(url, lease) for _ in range(rounds if lease < 30 else 1)]
                for lease in ([] if args.no_take_over else leases)
            }
            results[name] = {
                "blob_rate_best_of_rounds": best,
                "blob_rate_rounds": rates,
                "take_over_seconds": takeovers,
            }
            print(name, best, takeovers, flush=True)
    results["load_average_at_end"] = os.getloadavg()
    path = write_result("blobs_jobs", results)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
