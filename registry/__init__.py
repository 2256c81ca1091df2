"""Manufacturers, products, certificates, accounts and sign-in: the registry domain."""

from __future__ import annotations

from typing import Any

from registry import cli, views


def init_app(app: Any) -> None:

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.db_cli)
    app.cli.add_command(cli.registry_cli)
