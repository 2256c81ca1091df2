"""``flask procurement …``: the daily mail about shortlisted products whose certificates ended."""

from __future__ import annotations

from datetime import date, datetime

import click
from flask.cli import AppGroup

from core.db import get_db
from procurement.checks import DHAKA
from procurement.shortlists import notify_ended_certificates

procurement_cli = AppGroup("procurement", help="Procurement: shortlists and compliance statements.")


@procurement_cli.command("notify-certificates")
@click.option(
    "--on",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="the day to judge on (default: today in Dhaka)",
)
def notify_certificates_command(on: datetime | None) -> None:
    """Mail officers about certificates of their shortlisted products that have ended (each once)."""
    day: date = on.date() if on else datetime.now(DHAKA).date()
    session = get_db().session()
    try:
        sent = notify_ended_certificates(session, day)
        session.commit()
    finally:
        session.close()
    click.echo(f"{sent} e-mail(s) about ended certificates")
