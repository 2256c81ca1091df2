"""CLI: ``flask db upgrade|version`` and ``flask registry seed-demo|create-user|expire-licences|notify-expiring``."""

from __future__ import annotations

from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from config import settings_of
from core.audit import record_event
from core.db import get_db
from core.migrate import latest_version, schema_version, upgrade_database
from core.models import User
from registry.accounts import hash_password, password_problem
from registry.notices import notify_expiring
from registry.products import expire_licences
from registry.queries import today

db_cli = AppGroup("db", help="Database schema (Alembic migrations).")
registry_cli = AppGroup("registry", help="Registry administration.")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations (safe to run again), as REGISTRY_DATABASE_MIGRATION_URL's role when it is set."""
    db = get_db()
    upgrade_database(db)
    click.echo(f"database {db.engine.dialect.name} at schema {schema_version(db.engine)}")


@db_cli.command("version")
def db_version() -> None:
    """Show the current and the latest schema version."""
    db = get_db()
    click.echo(f"current: {schema_version(db.engine)}  latest: {latest_version()}")


@registry_cli.command("seed-demo")
@click.option("--products", default=2000, show_default=True)
@click.option("--manufacturers", default=60, show_default=True)
def seed_demo_command(products: int, manufacturers: int) -> None:
    """Seed bilingual demo data once; running it again changes nothing. Refused in production.

    The demo accounts' passwords go to instance/demo-credentials.txt (mode 0600); they are printed too only
    under ENV=development, so that no other environment's log ever holds them."""

    env = settings_of(current_app).core.env
    if env == "production":
        raise click.ClickException(
            "seed-demo refuses to run in production: the demo accounts have published passwords"
        )
    # The demo data comes from factory_boy and Faker, demo libraries no request path and no other command
    # needs: they load only here.
    from registry.demo import is_seeded, seed_demo

    session = get_db().session()
    try:
        if is_seeded(session):
            click.echo("demo data already seeded; nothing to do")
            return
        with click.progressbar(length=products, label="seeding demo products") as bar:
            result = seed_demo(session, products=products, manufacturers=manufacturers, progress=bar.update)
        session.commit()
    finally:
        session.close()
    accounts = [
        f"  {role:<12} {email:<26} {password}" for role, (email, password) in result["accounts"].items()
    ]
    creds = settings_of(current_app).instance_file("demo-credentials.txt")
    header = "demo accounts (also in instance/demo-credentials.txt):"
    creds.write_text("\n".join([header, *accounts]) + "\n", encoding="utf-8")
    creds.chmod(0o600)
    for hook in current_app.extensions.get("registry.after_seed", []):
        hook(current_app)
    click.echo(
        f"seeded {result['manufacturers']} manufacturers in {result['districts']} districts, "
        f"{result['products']} products"
    )
    if env == "development":
        click.echo("\n".join([header, *accounts]))
    else:
        emails = ", ".join(email for email, _password in result["accounts"].values())
        click.echo(f"demo accounts {emails}: passwords in {creds} (not printed outside development)")


@registry_cli.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(["reviewer", "admin", "officer"]), required=True)
@click.password_option()
def create_user(email: str, name: str, role: str, password: str) -> None:
    """Create a reviewer, admin or procurement officer account (the password follows the one policy; an empty one is refused)."""

    problem = password_problem(password, email)
    if problem:
        raise click.BadParameter(problem, param_hint="'--password'")
    session = get_db().session()
    with session.begin():
        if session.scalar(select(User.id).where(User.email == email.lower())):
            raise click.ClickException(f"{email} already has an account")
        user = User(email=email.lower(), name=name, role=role, password_hash=hash_password(password))
        session.add(user)
        session.flush()
        record_event(
            session,
            actor="cli",
            action="user.created",
            target_type="user",
            target_id=user.id,
            after={"email": user.email, "role": role},
        )
    click.echo(f"created {role} {email}")


@registry_cli.command("expire-licences")
def expire_licences_command() -> None:
    """Mark licences past their validity as expired (run daily)."""

    session = get_db().session()
    with session.begin():
        ids = expire_licences(session)
    click.echo(f"{len(ids)} licences expired")


@registry_cli.command("notify-expiring")
@click.option(
    "--on",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day to count from (default: today, UTC).",
)
def notify_expiring_command(on: object) -> None:
    """Remind companies of licences and certificates ending in 60, 30 or 7 days: a portal notice and an e-mail
    in the company's language, once per threshold (run daily; running it again the same day sends nothing)."""

    day = on.date() if isinstance(on, datetime) else today()
    session = get_db().session(write=True)
    with session.begin():
        sent = notify_expiring(session, day)
    click.echo(f"{len(sent)} reminders sent")
