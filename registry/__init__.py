"""Manufacturers, products, certificates, accounts and sign-in: the registry domain."""

from __future__ import annotations

from typing import Any

from config import settings_of
from core.blobs import get_blobs
from core.blobs_cli import register_importer
from registry import brand_views, cli, views
from registry.evidence import evidence_importer


def init_app(app: Any) -> None:

    assert brand_views.bp is views.bp  # the brand routes are declared on the API blueprint
    app.register_blueprint(views.bp)
    register_importer(app, evidence_importer(settings_of(app).core.instance_path, get_blobs(app)))
    app.cli.add_command(cli.db_cli)
    app.cli.add_command(cli.registry_cli)
