"""Manufacturers, products, certificates, users and roles, audit: the registry core."""

from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    from registry import cli, db, views
    from registry.health import bp as health_bp

    db.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(health_bp)
    app.cli.add_command(cli.db_cli)
    app.cli.add_command(cli.registry_cli)
