"""``flask signing ...``: rotate and distrust keys, publish the status list, export keys and batch URLs,
write the demo labels."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from core.audit import record_event
from core.db import get_db
from signing import batches, demo, keystore, record_service
from signing.errors import SigningError
from signing.extension import SigningExtension
from signing.models import SerialBatch

signing_cli = AppGroup("signing", help="Issuing keys, status list, batches and demo labels.")


def signing_extension() -> SigningExtension:
    ext: SigningExtension = current_app.extensions["signing"]
    ext.ready()
    return ext


def parse_when(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO 8601 time: {text!r}") from exc
    if moment.tzinfo is None:
        raise click.BadParameter("give a time zone, e.g. 2026-05-10T15:30:00Z")
    return moment.astimezone(UTC)


@signing_cli.command("rotate-key")
@click.option(
    "--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), help="Where to write the new key."
)
@click.option("--pkcs11-key-label", help="Use this key pair, already generated on the current PKCS#11 token.")
def rotate_key_command(out_path: Path | None, pkcs11_key_label: str | None) -> None:
    """Make a new issuing key current; old keys stay published and keep verifying."""
    ext = signing_extension()
    session = get_db().session()
    try:
        now = datetime.now(UTC)
        old = keystore.current_key_row(session)
        signer = keystore.rotate_key(
            session, ext.settings, now=now, out_path=out_path, pkcs11_key_label=pkcs11_key_label
        )
        record_event(
            session,
            actor="cli",
            action="signing.rotate_key",
            target_type="signing_key",
            target_id=signer.kid,
            before={"current": old.kid if old else None},
            after={"current": signer.kid},
        )
        record_service.publish_status_list(session, signer, ext.settings, now=now)
        session.commit()
    except SigningError as exc:
        session.rollback()
        raise click.ClickException(str(exc)) from exc
    finally:
        session.close()
    ext.forget_keys()
    click.echo(f"new current key {signer.kid}; {old.kid if old else 'no key'} retired")


@signing_cli.command("compromise")
@click.argument("kid")
@click.option(
    "--after", "after", required=True, help="From when the key is not trusted (ISO 8601 with zone)."
)
@click.option("--reason", default="", help="Why (kept in the audit trail).")
def compromise_command(kid: str, after: str, reason: str) -> None:
    """Distrust what KID signed after --after; what it signed before still verifies.

    Then every product's current authenticity record that KID signed (or that any untrusted key signed) is
    signed again under the current key, and the status list is republished, in the same transaction.

    A key id can start with '-': put the options first and '--' before it, e.g.
    flask signing compromise --after 2026-05-10T15:30:00Z -- -Q3x...
    """
    ext = signing_extension()
    moment = parse_when(after)
    session = get_db().session()
    try:
        row = keystore.compromise_key(session, kid, after=moment)
        record_event(
            session,
            actor="cli",
            action="signing.compromise_key",
            target_type="signing_key",
            target_id=kid,
            after={"status": row.status, "compromised_after": moment.isoformat()},
            reason=reason or None,
        )
        now = datetime.now(UTC)
        signer = ext.signer(session)
        affected = record_service.find_records_to_resign(session, keystore.load_keyring(session))
        with click.progressbar(length=len(affected), label="re-signing records", file=sys.stderr) as bar:
            resigned = record_service.resign_records(
                session, signer, ext.settings, affected, now=now, progress=bar.update
            )
        record_event(
            session,
            actor="cli",
            action="signing.resign_records",
            target_type="signing_key",
            target_id=signer.kid,
            after={"records": resigned, "products_affected": len(affected)},
            reason=f"key {kid} compromised after {moment.isoformat()}",
        )
        record_service.publish_status_list(session, signer, ext.settings, now=now)
        session.commit()
    except SigningError as exc:
        session.rollback()
        raise click.ClickException(str(exc)) from exc
    finally:
        session.close()
    ext.forget_keys()
    click.echo(f"key {kid} is compromised after {moment.isoformat()}")
    click.echo(f"{resigned} records re-signed under {signer.kid}; status list republished")


@signing_cli.command("publish-status")
def publish_status_command() -> None:
    """Sign and publish the status list now."""
    ext = signing_extension()
    session = get_db().session()
    try:
        row = record_service.publish_status_list(
            session, ext.signer(session), ext.settings, now=datetime.now(UTC)
        )
        session.commit()
        click.echo(f"status list published, valid until {row.expires_at.isoformat()}")
    finally:
        session.close()


@signing_cli.command("export-jwks")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), default=None)
def export_jwks_command(out_path: Path | None) -> None:
    """Write the published JWKS (for offline verification with python -m signing verify)."""
    session = get_db().session(write=False)
    try:
        text = json.dumps(keystore.load_keyring(session).to_jwks(), indent=2)
    finally:
        session.close()
    if out_path:
        out_path.write_text(text + "\n", encoding="utf-8")
    else:
        click.echo(text)


@signing_cli.command("batch-urls")
@click.argument("batch_id", type=int)
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--start", default=0, show_default=True)
@click.option("--stop", default=None, type=int)
def batch_urls_command(batch_id: int, out_path: Path, start: int, stop: int | None) -> None:
    """Write a batch's label URLs, one per line."""
    ext = signing_extension()
    session = get_db().session(write=False)
    try:
        batch = session.get(SerialBatch, batch_id)
        if batch is None:
            raise click.ClickException(f"no batch {batch_id}")
        signer = ext.signer(session)
        with out_path.open("w", encoding="ascii") as handle:
            count = 0
            for url, _serial in batches.iter_batch_urls(
                batch,
                signer,
                ext.settings.public_host,
                start=start,
                stop=stop,
                scheme=ext.settings.public_scheme,
            ):
                handle.write(url + "\n")
                count += 1
    finally:
        session.close()
    click.echo(f"{count} label URLs written to {out_path}")


@signing_cli.command("demo-labels")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), default=None)
def demo_labels_command(out_path: Path | None) -> None:
    """Issue demo batches and write '<expected verdict> <URL>' lines to instance/demo-labels.txt."""
    ext = signing_extension()
    path = out_path or Path(current_app.instance_path) / "demo-labels.txt"
    session = get_db().session()
    try:
        now = datetime.now(UTC)
        signer = ext.signer(session)
        record_service.sign_missing_records(session, signer, ext.settings, now=now)
        lines = demo.issue_demo_labels(session, signer, ext.settings, now=now)
        record_service.publish_status_list(session, signer, ext.settings, now=now)
        session.commit()
    finally:
        session.close()
    path.write_text("".join(f"{verdict} {url}\n" for verdict, url in lines), encoding="ascii")
    click.echo(f"{len(lines)} demo labels written to {path}")
