"""``flask tlog``: integrate pending entries and sign a checkpoint (the production integrator runs
``flask tlog integrate --every 2`` as its own process), print the log's public key."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup

from core.db import get_db
from tlog.backfill import backfill

tlog_cli = AppGroup("tlog", help="The public transparency log.")


@tlog_cli.command("integrate")
@click.option("--every", type=float, default=0.0, help="keep running, integrating every N seconds")
def integrate_command(every: float) -> None:
    """Sequence new entries, extend the tiles and sign a checkpoint."""
    ext = current_app.extensions["tlog"]
    while True:
        row = ext.integrate_once()
        if row is not None:
            click.echo(f"checkpoint {row.size} {row.root}")
        elif not every:
            click.echo("nothing new")
        if not every:
            return
        time.sleep(every)


@tlog_cli.command("public-key")
def public_key_command() -> None:
    """The log's note verifier key (give it to monitors and witnesses)."""
    click.echo(str(current_app.extensions["tlog"].verifier()))


@tlog_cli.command("backfill")
def backfill_command() -> None:
    """Log the current state once, after upgrading a database that had history before the log."""
    session = get_db().session()
    with session.begin():
        count = backfill(session)
    click.echo(f"{count} entries appended; run `flask tlog integrate` (or let the integrator) to sign them")
