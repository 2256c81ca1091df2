"""Label jobs: big batches rendered by an in-process worker, with progress and a file to download.

A job is a small record in memory plus its output file under `<instance>/label-jobs/`. Jobs are
kept for `LABELS_JOB_TTL_SECONDS` (default one day) and then deleted with their files; a process
restart forgets running jobs (the client asks again). One worker thread by default, so a burst
of big batches queues instead of starving the web workers of CPU.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labels.errors import LabelJobNotFoundError, LabelJobNotReadyError
from labels.pdf import LabelItem
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

        def progress(n: int) -> None:
            job.done += n

        try:
            items, total = items_factory()
            if total is not None:
                job.total = total
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

    def get(self, job_id: str, owner_id: int | None, is_admin: bool = False) -> LabelJob:
        """The job, if it exists and belongs to `owner_id` (admins see all); else LabelJobNotFoundError."""
        with self._lock:
            job = self._jobs.get(job_id)
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
        for job in old:
            if job.path is not None:
                job.path.unlink(missing_ok=True)

    def shutdown(self, remove_files: bool = False) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
        if remove_files:
            shutil.rmtree(self.directory, ignore_errors=True)
