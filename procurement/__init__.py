"""Procurement: the tender compliance check, signed compliance statements, officers' shortlists.

Depends on registry, signing, search, labels and web; nothing depends on it.  ``init_app(app)`` registers the
API blueprint, the pages (through ``web.register_pages``), the ``flask procurement`` commands, the
shortlists' e-mail on ``registry.services.licence_changed``.
"""

from __future__ import annotations

from typing import Any

from procurement import shortlists
from procurement.cli import procurement_cli
from procurement.views import api_bp, pages
from procurement.words import mail_update
from registry.products import licence_changed
from web.pages import register_pages


def init_app(app: Any) -> None:
    shortlists.MAIL.handle_with(mail_update)
    licence_changed.connect(shortlists.on_licence_changed)
    if "procurement" not in app.cli.commands:
        app.cli.add_command(procurement_cli)

    if api_bp.name not in app.blueprints:
        app.register_blueprint(api_bp)
    register_pages(app, pages)
