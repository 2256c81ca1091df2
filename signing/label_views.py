"""HTTP side of label printing: render labels for URLs or a serial batch; big batches become jobs.

    POST /api/v1/labels                       labels for up to LABELS_DIRECT_LIMIT given URLs (answered directly)
    POST /api/v1/batches/<id>/labels          a batch (or a slice): directly when small, else 202 + a job
    GET  /api/v1/label-jobs/<job>             the job's status and progress
    GET  /api/v1/label-jobs/<job>/download    its file, once done

Thin: parsing, access checks and responses; rendering is in labels.services, jobs in labels.jobs, the
batch's signed URLs in signing.batches.
"""

from __future__ import annotations

import atexit
import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, current_app, send_file

from config import settings_of
from core import metrics
from core.api import api
from core.auth import current_actor
from core.blobs import blob_response, get_blobs
from core.db import get_session
from core.models import Role
from labels.errors import BatchNotPrintableError, LabelDataError, LabelSourceNotFoundError
from labels.jobs import ItemsMaker, JobWorker, LabelJobs
from labels.schemas import LabelItem
from labels.services import (
    MEDIA_TYPES,
    download_name,
    items_from_batch,
    items_from_urls,
    write_labels,
)
from registry.models import Product
from signing import schemas
from signing.batches import iter_batch_urls
from signing.models import SerialBatch

bp = Blueprint("labels", __name__)


def jobs() -> LabelJobs:
    return current_app.extensions["labels.jobs"]


def direct_limit() -> int:
    return settings_of(current_app).labels.direct_limit


def file_response(items: Iterator[LabelItem], fmt: str, layout: str, stem: str) -> Response:
    buffer = io.BytesIO()
    count = write_labels(items, buffer, fmt, layout)
    buffer.seek(0)
    response = send_file(
        buffer, mimetype=MEDIA_TYPES[fmt], as_attachment=True, download_name=download_name(stem, fmt, layout)
    )
    response.headers["X-Label-Count"] = str(count)
    return response


# ---------------------------------------------------------------------------------------------- given URLs


@api.route(
    bp,
    "/api/v1/labels",
    "POST",
    summary="Print labels for a list of label URLs (PDF, ZIP of SVG/PNG, or CSV)",
    tags=["labels"],
    scope="write",
    produces=tuple(MEDIA_TYPES[f] for f in ("pdf", "zip-svg", "csv")),
    body=schemas.UrlLabels,
)
def render_url_labels(body: schemas.UrlLabels) -> Response:
    """Labels for a list of label URLs with one product's names (e.g. URLs exported earlier)."""
    current_actor().require()
    urls = body.urls
    limit = direct_limit()
    if len(urls) > limit:
        raise LabelDataError(
            f"at most {limit} URLs per request; print a serial batch for more",
            [{"field": "urls", "reason": f"more than {limit}"}],
        )
    items = list(items_from_urls(urls, body.name_en, body.name_bn, body.batch or None))
    return file_response(iter(items), body.format, body.layout, "labels")


# ---------------------------------------------------------------------------------------------- serial batches


def load_printable_batch(batch_id: int) -> tuple[Any, Any]:
    """(SerialBatch, Product) if the current actor may print it: the maker's staff or a reviewer."""
    actor = current_actor()
    actor.require()
    session = get_session()
    batch = session.get(SerialBatch, batch_id)
    product = session.get(Product, batch.product_id) if batch is not None else None
    if (
        batch is None
        or product is None
        or not (actor.is_reviewer or actor.is_staff_of(product.manufacturer_id))
    ):
        raise LabelSourceNotFoundError(f"no batch {batch_id}", [{"field": "batch", "reason": "not found"}])
    return require_active(batch), product


def require_active(batch: Any) -> Any:
    if batch.status != "active":
        raise BatchNotPrintableError(
            f"batch {batch.id} is {batch.status}; labels are printed only for active batches",
            [{"field": "batch", "reason": batch.status}],
        )
    return batch


def batch_job_items(app: Flask) -> ItemsMaker:
    """How a worker (any host, any process) reads a batch job's labels: the batch as it is now (a batch
    withdrawn since the job was queued fails the job), signed with the current key, rendered lazily."""

    def items(source: dict[str, Any]) -> tuple[Iterator[LabelItem], int]:
        from core.db import get_session
        from registry.models import Product
        from signing.models import SerialBatch

        with app.app_context():
            app.extensions["signing"].ready()  # before our session: on SQLite it may write (first key)
            session = get_session()
            batch = session.get(SerialBatch, source["batch_id"])
            if batch is None:
                raise LabelSourceNotFoundError(
                    f"no batch {source['batch_id']}", [{"field": "batch", "reason": "not found"}]
                )
            product = session.get(Product, batch.product_id)
            snapshot = snapshot_batch(require_active(batch), product)
        return batch_items(snapshot, source["start"], source["stop"])

    return items


@dataclass(frozen=True)
class BatchSource:
    """What rendering a batch needs, read once in the request so the work holds no database transaction."""

    batch: Any  # a SerialBatch detached from its session (its columns stay loaded)
    signer: Any
    host: str
    name_en: str
    name_bn: str
    scheme: str = "https"  # http when PUBLIC_BASE_URL is a plain-http demo server, so demo labels open there


def snapshot_batch(batch: Any, product: Any) -> BatchSource:
    """Read the signer and names, detach the batch and end the request's transaction.

    On SQLite a write session holds the database lock (BEGIN IMMEDIATE) until it ends; rendering
    thousands of labels must not keep it, and a job runs long after the request anyway.
    """
    session = get_session()
    ext = current_app.extensions["signing"]
    ext.ready()
    source = BatchSource(
        batch,
        ext.signer(session),
        ext.settings.public_host,
        product.name_en,
        product.name_bn,
        ext.settings.public_scheme,
    )
    session.expunge(batch)
    session.commit()  # nothing of ours to write; keeps a signing key the signer may just have created
    return source


def batch_items(source: BatchSource, start: int, stop: int) -> tuple[Iterator[LabelItem], int]:
    """The batch's (signed URL, label text) items from unit `start` to `stop - 1`, computed lazily
    by signing.batches.iter_batch_urls; no database access."""
    batch = source.batch
    urls = iter_batch_urls(batch, source.signer, source.host, start=start, stop=stop, scheme=source.scheme)
    return items_from_batch(urls, batch.gtin, source.name_en, source.name_bn, batch.prefix), stop - start


def unit_range(body: schemas.BatchLabels, count: int) -> tuple[int, int]:
    start = body.start or 0
    stop = min(count if body.stop is None else body.stop, count)
    if not 0 <= start < stop:
        raise LabelDataError(
            f"need 0 <= start < stop <= {count}", [{"field": "start", "reason": "out of range"}]
        )
    return start, stop


@api.route(
    bp,
    "/api/v1/batches/<int:batch_id>/labels",
    "POST",
    summary="Print a serial batch's labels: the file when small, else 202 and a job to poll",
    tags=["labels"],
    scope="write",
    produces=tuple(MEDIA_TYPES[f] for f in ("pdf", "zip-svg", "csv")),
    body=schemas.BatchLabels,
    response=schemas.LabelJobOut,
    status=202,
)
def render_batch_labels(batch_id: int, body: schemas.BatchLabels) -> Any:
    """Labels for a serial batch: the file itself when small, else 202 with a job to poll."""
    fmt, layout = body.format, body.layout
    batch, product = load_printable_batch(batch_id)
    start, stop = unit_range(body, batch.count)
    stem = f"labels-{batch.gtin}-{batch.prefix}-{start}-{stop}"
    user = current_actor().user
    source = snapshot_batch(batch, product)
    if stop - start <= direct_limit():
        items, _ = batch_items(source, start, stop)
        return file_response(items, fmt, layout, stem)

    job = submit_batch_job(batch_id, start, stop, user.id if user else None, fmt, layout, stem)
    return schemas.LabelJobOut.of(job), 202, {"Location": f"/api/v1/label-jobs/{job.id}"}


# ---------------------------------------------------------------------------------------------- jobs


def submit_batch_job(
    batch_id: int, start: int, stop: int, owner_id: int | None, fmt: str, layout: str, stem: str
) -> Any:
    """Queue a batch's labels as a job any worker may run (the caller checked the batch and the access)."""
    job = jobs().submit(
        "batch",
        {"batch_id": batch_id, "start": start, "stop": stop},
        owner_id=owner_id,
        fmt=fmt,
        layout=layout,
        total=stop - start,
        filename=download_name(stem, fmt, layout),
    )
    start_worker_thread(current_app)
    return job


def visible_job(job_id: str):
    actor = current_actor()
    user = actor.require()
    return jobs().get(job_id, user.id, is_admin=user.role == Role.ADMIN)


@api.route(
    bp,
    "/api/v1/label-jobs/<job_id>",
    "GET",
    summary="A label job's progress",
    tags=["labels"],
    scope="read",
    response=schemas.LabelJobOut,
)
def show_label_job(job_id: str) -> Any:
    return schemas.LabelJobOut.of(visible_job(job_id))


@api.describe(
    bp,
    "/api/v1/label-jobs/<job_id>/download",
    "GET",
    summary="A finished label job's file",
    tags=["labels"],
    scope="read",
    produces="application/octet-stream",
)
@bp.get("/api/v1/label-jobs/<job_id>/download")
def download_label_job(job_id: str) -> Response:
    job = visible_job(job_id)
    key = jobs().download_key(job)
    return blob_response(key, media_type=job.media_type, download_name=job.filename)


def init_views(app: Flask) -> None:
    """Register the blueprint and the label job queue (called from signing.init_app)."""
    settings = settings_of(app)
    app.extensions["labels.jobs"] = LabelJobs(
        app.extensions["core.db"],
        get_blobs(app),
        {"batch": batch_job_items(app)},
        lease_seconds=float(settings.labels.job_lease_seconds),
        ttl_seconds=float(settings.labels.job_ttl_seconds),
        inline=settings.core.testing,  # tests start no workers: a job runs in its request
    )
    app.register_blueprint(bp)
    metrics.register_scrape_gauge(
        "registry_label_jobs",
        "Label jobs waiting or running (job queue depth, from the shared job table)",
        lambda app: app.extensions["labels.jobs"].depth(),
        label="status",
    )
    if settings.labels.job_workers > 0 and not settings.core.testing:

        @app.before_request
        def _start_label_workers() -> None:
            start_worker_thread(app)


def start_worker_thread(app: Flask) -> list[JobWorker]:
    """The in-process workers of this process (LABELS_JOB_WORKERS threads), started once, after any fork
    (gunicorn --preload forks after create_app: threads started before would not exist in the workers)."""
    running = app.extensions.setdefault("labels.workers", [])
    settings = settings_of(app)
    if running or settings.core.testing or settings.labels.job_workers <= 0:
        return running
    with WORKER_START:
        if not running:
            running.extend(
                JobWorker(app.extensions["labels.jobs"], role="thread").start()
                for _ in range(settings.labels.job_workers)
            )
            for worker in running:  # gunicorn's SIGTERM: the job in hand goes back to the queue at once
                atexit.register(worker.release)
    return running


WORKER_START = threading.Lock()
