"""``flask search sync|reindex|status``."""

from __future__ import annotations

import json
import time

import click
from flask import current_app
from flask.cli import AppGroup

from search.errors import SearchError
from search.indexing import (
    SyncLock,
    drain_outbox,
    reindex_catalogue,
    sweep_expired,
    sync_lock_path,
    sync_status,
)

search_cli = AppGroup("search", help="Keep the catalogue search index in step with the database.")


def _parts() -> tuple[object, object]:
    return current_app.extensions["core.db"], current_app.extensions["search"]


@search_cli.command("sync")
@click.option("--watch", is_flag=True, help="Keep draining until interrupted.")
@click.option("--interval", default=0.5, show_default=True, help="Seconds between rounds with --watch.")
@click.option("--batch-size", default=500, show_default=True, help="Outbox rows per batch.")
def sync_command(watch: bool, interval: float, batch_size: int) -> None:
    """Apply pending outbox rows to the index (once, or continuously with --watch)."""

    db, backend = _parts()
    lock = SyncLock(sync_lock_path(current_app))
    while True:
        report = drain_outbox(db, backend, lock, batch_size=batch_size)  # type: ignore[arg-type]
        if report.busy:
            click.echo("another worker is draining the outbox", err=True)
        elif report.rows or not watch:
            click.echo(
                f"{report.rows} outbox rows: {report.indexed} documents indexed, {report.deleted} deleted, "
                f"{report.failed_rows} postponed, {report.kept_rows} kept during a reindex"
            )
        for error in report.errors:
            click.echo(f"error: {error}", err=True)
        if not watch:
            try:
                sweep_expired(db, backend)  # type: ignore[arg-type]
            except SearchError as exc:
                click.echo(f"expiry sweep failed: {exc}", err=True)
            if report.failed_rows:
                raise SystemExit(1)
            return
        time.sleep(interval if not report.failed_rows else min(interval * 10, 30))


@search_cli.command("reindex")
def reindex_command() -> None:
    """Build a fresh index from the database; switch to it only if its document count checks out."""

    db, backend = _parts()
    started = time.perf_counter()
    try:
        info = reindex_catalogue(db, backend)  # type: ignore[arg-type]
    except SearchError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"index {info.name} is live with {info.documents} documents ({time.perf_counter() - started:.1f} s)"
    )


@search_cli.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status_command(as_json: bool) -> None:
    """Lag (age of the oldest pending outbox row), failures, index age and size."""

    db, backend = _parts()
    status = sync_status(db, backend)  # type: ignore[arg-type]
    if as_json:
        click.echo(json.dumps(status, ensure_ascii=False, indent=2))
        return
    for key, value in status.items():
        click.echo(f"{key:18} {value}")
    if not status.get("reachable"):
        raise SystemExit(1)
