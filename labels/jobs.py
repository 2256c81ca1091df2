"""Label jobs: big batches rendered by an in-process worker, with progress and a file to download.

A job is a small record plus its output file under `<instance>/label-jobs/`. The record is kept in
memory by the process that runs the job and written beside the file (`<id>.json`, replaced atomically
as it progresses), so any web worker of the host answers a poll for it. A job whose process has gone
(restart, crash) is reported failed and the client asks again. Jobs are kept for
`LABELS_JOB_TTL_SECONDS` (default one day) and then deleted with their files. One worker thread per
process by default, so a burst of big batches queues instead of starving the web workers of CPU.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labels.errors import LabelJobNotFoundError, LabelJobNotReadyError
from labels.schemas import LabelItem
from labels.services import EXTENSIONS, MEDIA_TYPES, write_labels

log = logging.getLogger("registry.labels")

ItemsFactory = Callable[[], tuple[Iterator[LabelItem], int | None]]


@dataclass
class LabelJob:
    id: str
    owner_id: int | None
    fmt: str
    layout: str
    total: int | None
    filename: str
    status: str = "queued"  # queued -> running -> done | failed
    done: int = 0
    error: str | None = None
    created_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    path: Path | None = None
    pid: int = field(default_factory=os.getpid)
    host: str = field(default_factory=socket.gethostname)

    def to_dict(self) -> dict[str, Any]:
        links = {"self": f"/api/v1/label-jobs/{self.id}"}
        if self.status == "done":
            links["download"] = f"/api/v1/label-jobs/{self.id}/download"
        return {
            "id": self.id,
            "status": self.status,
            "format": self.fmt,
            "layout": self.layout,
            "progress": {"done": self.done, "total": self.total},
            "error": self.error,
            "filename": self.filename,
            "links": links,
        }

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.fmt]

    def save(self, directory: Path) -> None:
        """Write the record beside the output (atomically: a reader sees the old or the new one)."""
        record = {k: getattr(self, k) for k in STORED_FIELDS} | {
            "path": self.path.name if self.path else None
        }
        directory.mkdir(parents=True, exist_ok=True)
        tmp = directory / f".{self.id}.json.{os.getpid()}.{threading.get_ident()}"
        tmp.write_text(json.dumps(record))
        tmp.replace(directory / f"{self.id}.json")

    @classmethod
    def load(cls, directory: Path, job_id: str) -> LabelJob | None:
        """The record another process wrote, or ``None``; a job whose process is gone reads as failed."""
        if not JOB_ID.fullmatch(job_id):
            return None
        try:
            record = json.loads((directory / f"{job_id}.json").read_text())
        except (OSError, ValueError):
            return None
        path = record.pop("path", None)
        job = cls(**{k: record[k] for k in STORED_FIELDS if k in record})
        job.path = directory / path if path else None
        if job.status in ("queued", "running") and job.host == socket.gethostname() and not _alive(job.pid):
            job.status, job.error = "failed", "the worker that ran this job stopped; ask for the labels again"
        return job


STORED_FIELDS = (
    "id",
    "owner_id",
    "fmt",
    "layout",
    "total",
    "filename",
    "status",
    "done",
    "error",
    "created_at",
    "finished_at",
    "pid",
    "host",
)
JOB_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
SAVE_EVERY_SECONDS = 0.5


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process of that number: assume it is ours
        return True
    return True


def count_jobs(directory: Path) -> dict[str, float]:
    """Job records by status, as any process of this host sees them (the queue depth of ``/metrics``)."""
    counts = {"queued": 0.0, "running": 0.0}
    for path in directory.glob("*.json"):
        job = LabelJob.load(directory, path.stem)
        if job is not None and job.status in counts:
            counts[job.status] += 1
    return counts


class LabelJobs:
    """The in-process job queue (one per app: `app.extensions["labels.jobs"]`)."""

    def __init__(self, directory: Path, workers: int = 1, ttl_seconds: float = 86_400) -> None:
        """`workers=0` runs each job inside `submit` (for tests and one-off scripts)."""
        self.directory = directory
        self.ttl_seconds = ttl_seconds
        self._executor = (
            ThreadPoolExecutor(max_workers=workers, thread_name_prefix="label-job") if workers > 0 else None
        )
        self._jobs: dict[str, LabelJob] = {}
        self._lock = threading.Lock()

    def submit(
        self,
        items_factory: ItemsFactory,
        *,
        owner_id: int | None,
        fmt: str,
        layout: str,
        total: int | None,
        filename: str,
        run_in_context: Callable[[Callable[[], None]], None],
    ) -> LabelJob:
        """Queue a job. `items_factory` runs in the worker (inside `run_in_context`, e.g. an app context)."""
        self.expire()
        job = LabelJob(
            id=secrets.token_urlsafe(16),
            owner_id=owner_id,
            fmt=fmt,
            layout=layout,
            total=total,
            filename=filename,
        )
        with self._lock:
            self._jobs[job.id] = job
        job.save(self.directory)
        if self._executor is None:
            run_in_context(lambda: self._run(job, items_factory))
        else:
            self._executor.submit(run_in_context, lambda: self._run(job, items_factory))
        return job

    def _run(self, job: LabelJob, items_factory: ItemsFactory) -> None:
        job.status = "running"
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.directory / f"{job.id}.{EXTENSIONS[job.fmt]}"
        partial = target.with_name(target.name + ".part")

        saved = [time.monotonic()]

        def progress(n: int) -> None:
            job.done += n
            if time.monotonic() - saved[0] >= SAVE_EVERY_SECONDS:  # other workers see the progress
                saved[0] = time.monotonic()
                job.save(self.directory)

        try:
            items, total = items_factory()
            if total is not None:
                job.total = total
            job.save(self.directory)
            with partial.open("wb") as out:
                write_labels(items, out, job.fmt, job.layout, progress)
            partial.replace(target)
            job.path = target
            job.status = "done"
        except Exception as exc:  # reported to the client through the job's status
            log.exception("label job %s failed", job.id)
            job.status = "failed"
            job.error = str(exc) if hasattr(exc, "status_code") else "rendering failed; see the server log"
            partial.unlink(missing_ok=True)
        finally:
            job.finished_at = time.time()
            job.save(self.directory)

    def get(self, job_id: str, owner_id: int | None, is_admin: bool = False) -> LabelJob:
        """The job, if it exists and belongs to `owner_id` (admins see all); else LabelJobNotFoundError."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:  # another worker's job
            job = LabelJob.load(self.directory, job_id)
        if job is None or not (is_admin or job.owner_id == owner_id):
            raise LabelJobNotFoundError(f"no label job {job_id}")
        return job

    def download_path(self, job: LabelJob) -> Path:
        if job.status != "done" or job.path is None:
            raise LabelJobNotReadyError(
                f"label job {job.id} is {job.status}" + (f": {job.error}" if job.error else ""),
                [{"field": "status", "reason": job.status}],
            )
        return job.path

    def expire(self, now: float | None = None) -> None:
        """Forget finished jobs older than the TTL and delete their files."""
        now = time.time() if now is None else now
        with self._lock:
            old = [j for j in self._jobs.values() if j.finished_at and now - j.finished_at > self.ttl_seconds]
            for job in old:
                del self._jobs[job.id]
        for record in self.directory.glob("*.json") if self.directory.is_dir() else ():
            job = LabelJob.load(self.directory, record.stem)
            if job is not None and now - (job.finished_at or job.created_at) > self.ttl_seconds:
                old.append(job)
        for job in old:
            if job.path is not None:
                job.path.unlink(missing_ok=True)
            (self.directory / f"{job.id}.json").unlink(missing_ok=True)

    def shutdown(self, remove_files: bool = False) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
        if remove_files:
            shutil.rmtree(self.directory, ignore_errors=True)
