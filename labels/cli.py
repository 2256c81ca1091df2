"""`flask labels print ...`: labels for one URL, a file of URLs, or (once wired) a serial batch."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import click
from flask.cli import AppGroup

from labels.errors import LabelError
from labels.schemas import LAYOUTS, LabelItem, get_layout
from labels.services import EXTENSIONS, FORMATS, items_from_urls, write_labels

labels_cli = AppGroup(
    "labels", help="Print QR labels: PDF sheets and rolls, ZIPs of SVG/PNG, CSV for printers."
)

# The signing/registry side plugs a batch in here: (batch id) -> (label items, number of labels).
BatchLoader = Callable[[str], tuple[Iterator[LabelItem], int | None]]
_batch_loader: BatchLoader | None = None


def register_batch_loader(loader: BatchLoader) -> None:
    """Let `--batch ID` print a serial batch: `loader(batch_id)` returns (items, count or None)."""
    global _batch_loader
    _batch_loader = loader


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
@click.option("--batch", "batch_id", help="A serial batch id (needs the registry's batch loader).")
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
            if _batch_loader is None:
                raise click.UsageError(
                    "--batch needs the registry's batch loader (labels.cli.register_batch_loader)"
                )
            items, total = _batch_loader(batch_id)
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
    except Exception as exc:
        # another package's domain error (e.g. the batch loader's "no batch 7"): report it, no traceback
        if hasattr(exc, "status_code") and hasattr(exc, "title"):
            raise click.ClickException(f"{exc.title}: {exc}") from exc
        raise


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
    from labels.qa import check_pdf

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
@click.option("--poll", "poll_seconds", type=float, default=1.0, show_default=True,
              help="Seconds between looks at the queue when it is empty.")
@click.option("--max-jobs", type=int, default=None, help="Stop after this many jobs (default: run until stopped).")
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
