"""``flask sms simulate "MIB 7K3Q-9F2M-ABC5" --from 01711000000``: the reply a phone would get (the scan is
recorded and the number's limit counted, as for a real message; nothing is sent)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from sms.service import InboundMessage, check_message

sms_cli = AppGroup("sms", help="The check by SMS.")


@sms_cli.command("simulate")
@click.argument("text")
@click.option("--from", "sender", default="01700000000", show_default=True, help="the sending number")
def simulate_command(text: str, sender: str) -> None:
    """Print the reply to TEXT as if sent from a phone."""
    reply = check_message(InboundMessage(sender=sender, text=text))
    click.echo(reply.text)
    click.echo(f"[{reply.kind}, {reply.language}, {reply.encoding}, {reply.length} characters]", err=True)
