"""Label jobs: big batches rendered by any worker on any host, with progress and a file to download.

A job is a ``label_jobs`` row (labels.models) in the registry's database, which is also the queue — the
pattern the search outbox uses: no broker to run, back up or secure beside the one PostgreSQL, and a job is
queued in the same transaction as anything else the request writes. A worker (the in-process thread of each
web process by default, or ``flask labels worker`` on any host) claims the oldest job that is queued or whose
lease has run out:

1. claim — ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL (two workers never wait on or take the same
   row); on SQLite write transactions are serialised (``BEGIN IMMEDIATE``), so the same select-then-update
   is safe. The claim sets ``status=running``, ``worker``, ``lease_until = now + lease`` and ``attempts + 1``;
2. render — the labels are written straight into the blob store (``label-jobs/<id>/<attempt>``, chunk by
   chunk), while a heartbeat thread pushes ``lease_until`` forward and stores the progress every
   ``heartbeat`` seconds. A heartbeat that finds the job no longer ours (another worker took it over) stops
   the rendering;
3. finish — ``status=done`` and the blob's key, only if the job is still ours; else the blob is removed.

A worker that dies (killed, host lost) stops its heartbeat, its lease runs out, and the next claim takes the
job over from the start (take-over time: at most lease + poll interval; bench/bench_blobs_jobs.py measures
it). A job taken over ``MAX_ATTEMPTS`` times is failed rather than tried forever. Finished jobs are deleted
with their files after ``ttl_seconds``.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update

from core.blobs import DatabaseBlobStore, SessionSource
from labels.errors import (
    BatchNotPrintableError,
    LabelError,
    LabelJobNotFoundError,
    LabelJobNotReadyError,
    LabelSourceNotFoundError,
)
from labels.models import LabelJobRecord
from labels.schemas import LabelItem
from labels.services import MEDIA_TYPES, write_labels

log = logging.getLogger("registry.labels")

# kind -> (source -> (items, total)): how a worker turns a job's stored source into labels
ItemsMaker = Callable[[dict[str, Any]], tuple[Iterator[LabelItem], int | None]]

MAX_ATTEMPTS = 3
BLOB_PREFIX = "label-jobs"
FAILED_INTERNAL = "rendering failed; see the server log"
# why a job failed, as a stable code pages translate (the English `error` says the same for API clients)
ERROR_CODES = ("batch_not_printable", "label_data", "render_failed", "worker_lost")


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class LabelJob:
    """What a poll shows of a job (a snapshot of its row)."""

    id: str
    owner_id: int | None
    fmt: str
    layout: str
    total: int | None
    filename: str
    status: str
    done: int
    error: str | None
    error_code: str | None
    attempts: int
    blob_key: str | None

    @classmethod
    def of(cls, row: LabelJobRecord) -> LabelJob:
        return cls(
            row.id,
            row.owner_id,
            row.fmt,
            row.layout,
            row.total,
            row.filename,
            row.status,
            row.done,
            row.error,
            row.error_code,
            row.attempts,
            row.blob_key,
        )

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.fmt]


class LeaseLost(Exception):
    """Another worker took this job over (our lease ran out); stop rendering it."""


class LabelJobs:
    """The job queue of one application (``app.extensions["labels.jobs"]``): submit, poll, claim and run.

    ``inline=True`` runs each job inside ``submit`` (tests and one-off scripts)."""

    def __init__(
        self,
        db: SessionSource,
        blobs: DatabaseBlobStore,
        makers: dict[str, ItemsMaker],
        *,
        lease_seconds: float = 30.0,
        ttl_seconds: float = 86_400,
        inline: bool = False,
    ) -> None:
        self.db, self.blobs, self.makers = db, blobs, makers
        self.lease_seconds = lease_seconds
        self.heartbeat_seconds = max(lease_seconds / 3, 0.05)
        self.ttl_seconds = ttl_seconds
        self.inline = inline

    def depth(self) -> dict[str, float]:
        """Jobs waiting and running, from the shared table (the queue depth of ``/metrics``)."""
        counts = {"queued": 0.0, "running": 0.0}
        with self.db.session(write=False) as s:
            rows = s.execute(
                select(LabelJobRecord.status, func.count())
                .where(LabelJobRecord.status.in_(tuple(counts)))
                .group_by(LabelJobRecord.status)
            )
            counts.update({status: float(n) for status, n in rows})
        return counts

    # ------------------------------------------------------------------------------------------ clients

    def submit(
        self,
        kind: str,
        source: dict[str, Any],
        *,
        owner_id: int | None,
        fmt: str,
        layout: str,
        total: int | None,
        filename: str,
    ) -> LabelJob:
        """Queue a job (committed at once, so any worker can claim it); inline queues run it now."""
        if kind not in self.makers:
            raise ValueError(f"no label job kind {kind!r}")
        row = LabelJobRecord(
            id=secrets.token_urlsafe(16),
            owner_id=owner_id,
            kind=kind,
            source=source,
            fmt=fmt,
            layout=layout,
            filename=filename,
            status="queued",
            done=0,
            total=total,
            attempts=0,
            created_at=_now(),
        )
        with self.db.session() as s:
            s.add(row)
            s.commit()
            job = LabelJob.of(row)
        if self.inline:
            self.run_next(worker_name("inline"), heartbeat=False)
            return self.find(job.id) or job
        return job

    def find(self, job_id: str) -> LabelJob | None:
        if not 16 <= len(job_id) <= 32:
            return None
        with self.db.session(write=False) as s:
            row = s.get(LabelJobRecord, job_id)
            return None if row is None else LabelJob.of(row)

    def get(self, job_id: str, owner_id: int | None, is_admin: bool = False) -> LabelJob:
        """The job, if it exists and belongs to ``owner_id`` (admins see all); else LabelJobNotFoundError."""
        job = self.find(job_id)
        if job is None or not (is_admin or job.owner_id == owner_id):
            raise LabelJobNotFoundError(f"no label job {job_id}")
        return job

    def download_key(self, job: LabelJob) -> str:
        """The blob key of a finished job's file; LabelJobNotReadyError (409) before that."""
        if job.status != "done" or job.blob_key is None:
            raise LabelJobNotReadyError(
                f"label job {job.id} is {job.status}" + (f": {job.error}" if job.error else ""),
                [{"field": "status", "reason": job.status}],
            )
        return job.blob_key

    def queue_depth(self) -> int:
        """Jobs waiting or running (for metrics and the operator)."""

        with self.db.session(write=False) as s:
            stmt = (
                select(func.count())
                .select_from(LabelJobRecord)
                .where(LabelJobRecord.status.in_(("queued", "running")))
            )
            return int(s.execute(stmt).scalar_one())

    # ------------------------------------------------------------------------------------------ workers

    def claim(self, worker: str) -> LabelJobRecord | None:
        """Take the oldest job that is queued or whose lease ran out, for ``lease_seconds``."""
        now = _now()
        claimable = or_(
            LabelJobRecord.status == "queued",
            and_(LabelJobRecord.status == "running", LabelJobRecord.lease_until < now),
        )
        with self.db.session() as s:
            stmt = (
                select(LabelJobRecord)
                .where(claimable)
                .order_by(LabelJobRecord.created_at, LabelJobRecord.id)
                .limit(1)
                .with_for_update(skip_locked=True)  # PostgreSQL; SQLite's BEGIN IMMEDIATE serialises claims
            )
            row = s.scalars(stmt).first()
            if row is None:
                s.rollback()
                return None
            if row.attempts >= MAX_ATTEMPTS:
                row.status, row.finished_at, row.worker, row.error_code = "failed", now, None, "worker_lost"
                row.error = (
                    f"the workers rendering this job stopped {row.attempts} times; ask for the labels again"
                )
                log.error("label job %s failed after %d attempts", row.id, row.attempts)
                s.commit()
                return self.claim(worker)
            if row.status == "running":
                log.warning("label job %s: worker %s stopped; %s takes it over", row.id, row.worker, worker)
            row.status, row.worker, row.attempts, row.done = "running", worker, row.attempts + 1, 0
            row.lease_until = now + timedelta(seconds=self.lease_seconds)
            row.started_at = now
            s.commit()
            s.expunge(row)
            return row

    def run_next(self, worker: str, *, heartbeat: bool = True) -> bool:
        """Claim one job and run it to its end; False when there was nothing to do. ``heartbeat=False``
        (a job run inline, in its caller's thread and perhaps its connection) keeps no lease alive."""
        row = self.claim(worker)
        if row is None:
            return False
        self.run(row, worker, heartbeat=heartbeat)
        return True

    def run(self, row: LabelJobRecord, worker: str, *, heartbeat: bool = True) -> None:
        key = f"{BLOB_PREFIX}/{row.id}/{row.attempts}"
        for earlier in range(1, row.attempts):  # what a dead worker left half-written
            self.blobs.delete(f"{BLOB_PREFIX}/{row.id}/{earlier}")
        progress = _Progress()
        beat = _Heartbeat(self, row.id, worker, progress)
        if heartbeat:
            beat.start()
        writer = None
        try:
            items, total = self.makers[row.kind](row.source)
            if total is not None:
                progress.total = total
            writer = self.blobs.writer(key, MEDIA_TYPES[row.fmt])
            count = write_labels(items, writer, row.fmt, row.layout, progress.tick(beat))
            writer.close()
            beat.stop()
            if not self._finish(row.id, worker, status="done", done=count, blob_key=key):
                self.blobs.delete(key)
        except LeaseLost:
            log.warning("label job %s was taken over by another worker; %s stops", row.id, worker)
            if writer is not None:
                writer.abort()
        except Exception as exc:  # reported to the client through the job's status
            log.exception("label job %s failed", row.id)
            if writer is not None:
                writer.abort()
            beat.stop()
            message = str(exc) if isinstance(exc, LabelError) else FAILED_INTERNAL
            self._finish(
                row.id,
                worker,
                status="failed",
                done=progress.done,
                error=message,
                error_code=_error_code(exc),
            )
        finally:
            beat.stop()

    def _finish(self, job_id: str, worker: str, **values: Any) -> bool:
        """Record the job's end if it is still ours; False when another worker took it over."""
        with self.db.session() as s:
            result = s.execute(
                update(LabelJobRecord)
                .where(
                    LabelJobRecord.id == job_id,
                    LabelJobRecord.worker == worker,
                    LabelJobRecord.status == "running",
                )
                .values(finished_at=_now(), lease_until=None, **values)
            )
            s.commit()
        return bool(result.rowcount)

    def requeue(self, worker: str) -> int:
        """Put the jobs ``worker`` is running back in the queue; returns how many."""
        with self.db.session() as s:
            result = s.execute(
                update(LabelJobRecord)
                .where(LabelJobRecord.worker == worker, LabelJobRecord.status == "running")
                .values(status="queued", worker=None, lease_until=None, done=0)
            )
            s.commit()
        return int(result.rowcount)

    def heartbeat(self, job_id: str, worker: str, done: int, total: int | None) -> bool:
        """Extend our lease and store the progress; False when the job is no longer ours."""
        values: dict[str, Any] = {"lease_until": _now() + timedelta(seconds=self.lease_seconds), "done": done}
        if total is not None:
            values["total"] = total
        with self.db.session() as s:
            result = s.execute(
                update(LabelJobRecord)
                .where(
                    LabelJobRecord.id == job_id,
                    LabelJobRecord.worker == worker,
                    LabelJobRecord.status == "running",
                )
                .values(**values)
            )
            s.commit()
        return bool(result.rowcount)

    def expire(self, now: datetime | None = None) -> int:
        """Delete finished jobs older than the TTL, with their files; returns how many."""
        cutoff = (now or _now()) - timedelta(seconds=self.ttl_seconds)
        with self.db.session() as s:
            old = list(
                s.execute(
                    select(LabelJobRecord.id, LabelJobRecord.attempts).where(
                        LabelJobRecord.status.in_(("done", "failed")), LabelJobRecord.finished_at < cutoff
                    )
                )
            )
            s.rollback()
        for job_id, attempts in old:
            for attempt in range(1, attempts + 1):
                self.blobs.delete(f"{BLOB_PREFIX}/{job_id}/{attempt}")
            with self.db.session() as s:
                s.execute(delete(LabelJobRecord).where(LabelJobRecord.id == job_id))
                s.commit()
        return len(old)


def _error_code(exc: Exception) -> str:
    if isinstance(exc, (BatchNotPrintableError, LabelSourceNotFoundError)):
        return "batch_not_printable"
    return "label_data" if isinstance(exc, LabelError) else "render_failed"


class _Progress:
    def __init__(self) -> None:
        self.done = 0
        self.total: int | None = None

    def tick(self, beat: _Heartbeat) -> Callable[[int], None]:
        def progress(n: int) -> None:
            self.done += n
            if beat.lost.is_set():
                raise LeaseLost()

        return progress


class _Heartbeat:
    """Every ``heartbeat_seconds``: extend the lease and store the progress, until stopped or lost."""

    def __init__(self, jobs: LabelJobs, job_id: str, worker: str, progress: _Progress) -> None:
        self.jobs, self.job_id, self.worker, self.progress = jobs, job_id, worker, progress
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"label-job-heartbeat-{job_id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.jobs.heartbeat_seconds):
            try:
                ours = self.jobs.heartbeat(self.job_id, self.worker, self.progress.done, self.progress.total)
            except Exception:  # the database is away for a moment: the lease has room for a few misses
                log.warning("label job %s: heartbeat failed", self.job_id, exc_info=True)
                continue
            if not ours:
                self.lost.set()
                return


def worker_name(role: str = "worker") -> str:
    """Who holds a lease: host, process, and a random part (a restarted process is a new worker)."""
    return f"{socket.gethostname()}:{os.getpid()}:{role}:{uuid.uuid4().hex[:8]}"


class JobWorker:
    """Claims and runs jobs until stopped: the in-process thread and ``flask labels worker``."""

    def __init__(self, jobs: LabelJobs, *, poll_seconds: float = 1.0, role: str = "worker") -> None:
        self.jobs = jobs
        self.poll_seconds = poll_seconds
        self.name = worker_name(role)
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self._expired_at = 0.0

    def run_forever(self, max_jobs: int | None = None) -> int:
        """Run jobs until ``stop()`` (or ``max_jobs`` done); returns how many ran."""
        ran = 0
        while not self.stopping.is_set() and (max_jobs is None or ran < max_jobs):
            try:
                if self.jobs.run_next(self.name):
                    ran += 1
                    continue
                if time.monotonic() - self._expired_at > 60:
                    self._expired_at = time.monotonic()
                    self.jobs.expire()
            except Exception:  # the database is away: wait and try again, never die
                log.exception("label worker %s: claiming failed", self.name)
            self.stopping.wait(self.poll_seconds)
        return ran

    def start(self) -> JobWorker:
        self.thread = threading.Thread(target=self.run_forever, name="label-jobs", daemon=True)
        self.thread.start()
        return self

    def stop(self, timeout: float | None = None) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout)

    def release(self) -> int:
        """Hand this worker's running job back to the queue at once (an orderly exit of a web process, whose
        daemon thread cannot finish it): another worker claims it without waiting for the lease."""
        self.stopping.set()
        return self.jobs.requeue(self.name)
