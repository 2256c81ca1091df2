"""`flask labels print ...`: labels for one URL, a file of URLs, or a serial batch (registered by
``signing.init_app``: printing a batch needs its signing key and the registry's product names; the
rendering is the labels package's)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from core.db import get_session
from core.errors import ProblemError
from labels.errors import LabelError
from labels.qa import check_pdf
from labels.schemas import LAYOUTS, LabelItem, get_layout
from labels.services import EXTENSIONS, FORMATS, items_from_urls, write_labels
from registry.models import Product
from signing.errors import BatchError
from signing.extension import SigningExtension
from signing.label_views import batch_items, snapshot_batch
from signing.models import SerialBatch

labels_cli = AppGroup(
    "labels", help="Print QR labels: PDF sheets and rolls, ZIPs of SVG/PNG, CSV for printers."
)


def load_batch_labels(batch_id: str) -> tuple[Iterator[LabelItem], int | None]:
    """``flask labels print --batch ID``: the batch's (URL, label text) items, computed on demand.

    The issuing key is made ready first, in its own transaction, and the batch is read and detached in
    a second that ends before rendering: on SQLite a command's session takes the write lock (BEGIN
    IMMEDIATE) at its first query, and the key's session would then wait for it forever ("database
    is locked"), as would anything else writing while thousands of labels render.
    """
    if not batch_id.isdecimal():
        raise BatchError(f"no batch {batch_id}: batch ids are numbers", field="batch", status_code=404)
    ext: SigningExtension = current_app.extensions["signing"]
    ext.ready()
    session = get_session()
    batch = session.get(SerialBatch, int(batch_id))
    if batch is None:
        session.rollback()
        raise BatchError(f"no batch {batch_id}", field="batch", status_code=404)
    product = session.get(Product, batch.product_id)
    assert product is not None
    source = snapshot_batch(batch, product)  # reads the signer, detaches the batch, commits
    return batch_items(source, 0, batch.count)


def _count_lines(path: Path) -> int:
    with path.open(encoding="utf-8") as handle:
        return sum(1 for line in handle if line.strip() and not line.lstrip().startswith("#"))


@labels_cli.command("print")
@click.option("--url", "url", help="One label URL.")
@click.option(
    "--from-file",
    "from_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A text file with one label URL per line.",
)
@click.option("--batch", "batch_id", help="A serial batch id.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="pdf", show_default=True)
@click.option(
    "--layout",
    default="a4",
    show_default=True,
    help=f"PDF layout: {', '.join(LAYOUTS)}, or a4-CxR for another A4 grid (e.g. a4-3x8).",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Output file ('-' for standard output); default labels.<ext>.",
)
@click.option("--name-en", default="", help="Product name in English (for --url / --from-file).")
@click.option("--name-bn", default="", help="Product name in Bangla (for --url / --from-file).")
@click.option("--lot", "lot", default=None, help="Batch / lot code printed on the labels.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 32),
    help="PDF only: processes that compute QR codes alongside the page building.",
)
@click.option(
    "--check",
    "check",
    type=click.Choice(["sample", "all"]),
    default=None,
    help="PDF only: read the written file back at 300 dpi (a sample of pages, or all) and fail if any code "
    "does not decode to its own label.",
)
def print_labels(
    url: str | None,
    from_file: Path | None,
    batch_id: str | None,
    fmt: str,
    layout: str,
    out_path: Path | None,
    name_en: str,
    name_bn: str,
    lot: str | None,
    workers: int,
    check: str | None,
) -> None:
    """Render labels and write them to --out, with a progress bar."""
    sources = [s for s in (url, from_file, batch_id) if s]
    if len(sources) != 1:
        raise click.UsageError("give exactly one of --url, --from-file, --batch")
    if check and fmt != "pdf":
        raise click.UsageError("--check reads PDFs back; use it with --format pdf")
    if check and out_path is not None and str(out_path) == "-":
        raise click.UsageError("--check reads the written file back; give --out a file name")
    try:
        chosen_layout = get_layout(layout)
        total: int | None
        if batch_id:
            items, total = load_batch_labels(batch_id)
            _print(items, total, fmt, chosen_layout, out_path, workers, check)
            return
        if not (name_en and name_bn):
            raise click.UsageError("--name-en and --name-bn are required with --url / --from-file")
        if url:
            _print(
                items_from_urls([url], name_en, name_bn, lot), 1, fmt, chosen_layout, out_path, workers, check
            )
        else:
            assert from_file is not None
            total = _count_lines(from_file)
            with from_file.open(encoding="utf-8") as handle:
                _print(
                    items_from_urls(handle, name_en, name_bn, lot),
                    total,
                    fmt,
                    chosen_layout,
                    out_path,
                    workers,
                    check,
                )
    except LabelError as exc:
        reasons = "; ".join(f"{e['field']}: {e['reason']}" for e in exc.errors)
        raise click.ClickException(f"{exc}" + (f" ({reasons})" if reasons else "")) from exc
    except ProblemError as exc:  # another package's domain error (e.g. "no batch 7"): no traceback
        raise click.ClickException(f"{exc.title}: {exc}") from exc


def _print(
    items: Iterator[LabelItem],
    total: int | None,
    fmt: str,
    layout,
    out_path: Path | None,
    workers: int = 1,
    check: str | None = None,
) -> None:
    path = out_path or Path(f"labels.{EXTENSIONS[fmt]}")
    urls: list[str] = []
    if check:
        items = ((urls.append(url) or (url, text)) for url, text in items)
    to_stdout = str(path) == "-"
    with click.progressbar(length=total or 0, label=f"Rendering {fmt}", file=sys.stderr) as bar:
        if to_stdout:
            count = write_labels(items, sys.stdout.buffer, fmt, layout, bar.update, workers)
        else:
            partial = path.with_name(path.name + ".part")
            try:
                with partial.open("wb") as out:
                    count = write_labels(items, out, fmt, layout, bar.update, workers)
                partial.replace(path)  # nothing half-written under the final name
            finally:
                partial.unlink(missing_ok=True)
    click.echo(f"{count} label(s) written to {'standard output' if to_stdout else path}", err=True)
    if check:
        _check(path, urls, layout, check)


def _check(path: Path, urls: list[str], layout, pages: str) -> None:
    report = check_pdf(path.read_bytes(), urls, layout, pages)
    checked = ", ".join(map(str, report.pages_checked))
    click.echo(
        f"check: {report.labels_read} of {report.labels_checked} label(s) read back correctly "
        f"on page(s) {checked} of {report.pages}",
        err=True,
    )
    for problem in report.problems:
        click.echo(
            f"check: page {problem.page}: {len(problem.missing)} label(s) did not read, "
            f"{len(problem.unexpected)} code(s) not this page's",
            err=True,
        )
    if not report.ok:
        raise click.ClickException(f"{path} did not pass the print check; do not print it")


@labels_cli.command("worker")
@click.option(
    "--poll",
    "poll_seconds",
    type=float,
    default=1.0,
    show_default=True,
    help="Seconds between looks at the queue when it is empty.",
)
@click.option(
    "--max-jobs", type=int, default=None, help="Stop after this many jobs (default: run until stopped)."
)
def worker_command(poll_seconds: float, max_jobs: int | None) -> None:
    """Run label jobs from the shared queue until stopped (SIGTERM/Ctrl-C); any number, on any host."""
    import signal

    from flask import current_app

    from labels.jobs import JobWorker

    worker = JobWorker(current_app.extensions["labels.jobs"], poll_seconds=poll_seconds, role="cli")
    signal.signal(signal.SIGTERM, lambda *_: worker.stopping.set())  # finish the job in hand, then stop
    click.echo(f"label worker {worker.name}: waiting for jobs", err=True)
    try:
        ran = worker.run_forever(max_jobs)
    except KeyboardInterrupt:
        ran = 0
    click.echo(f"label worker {worker.name}: stopped after {ran} jobs", err=True)
