"""``flask stats snapshot``: write and sign the day's open data snapshot (idempotent; run daily)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from core.blobs import get_blobs
from stats.opendata import is_complete, resign_snapshots, write_snapshot

stats_cli = click.Group("stats", help="Statistics and open data.")


@stats_cli.command("snapshot")
@click.option(
    "--day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day to write (default: today, UTC). The figures are as of that day.",
)
@with_appcontext
def snapshot_command(day: datetime | None) -> None:
    """Write today's catalogue and statistics (CSV, JSON) with their signatures, unless already written."""
    target: date = day.date() if day else datetime.now(UTC).date()
    store = get_blobs()
    if is_complete(store, target):  # the usual case on make run: no key to load, nothing to compute
        click.echo(f"open data {target.isoformat()}: already there, unchanged")
        return
    signing = current_app.extensions["signing"]
    signing.ready()
    session = current_app.extensions["core.db"].session()
    try:
        result = write_snapshot(session, signing.signer(session), store, target)
        session.commit()  # the day's files, and on a fresh database its first issuing key
    finally:
        session.close()
    verb = "wrote" if result.created else "already there, unchanged:"
    click.echo(f"open data {target.isoformat()}: {verb} {result.location} (blob store)")


@stats_cli.command("resign")
@with_appcontext
def resign_command() -> None:
    """Sign every published open data file again with the current issuing key (run after a key compromise:
    what the compromised key signed proves nothing any more). The files do not change, only their .jws."""
    signing = current_app.extensions["signing"]
    signing.ready()
    session = current_app.extensions["core.db"].session()
    try:
        count = resign_snapshots(get_blobs(), signing.signer(session), session)
        session.commit()
    finally:
        session.close()
    click.echo(f"signed {count} open data files again under the current key")
