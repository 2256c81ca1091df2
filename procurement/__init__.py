"""Procurement: the tender compliance check, signed compliance statements, officers' shortlists.

Depends on registry, signing, search, labels and web; nothing depends on it.  ``init_app(app)`` registers the
API blueprint, the pages (through ``web.register_pages``) and the ``flask procurement`` commands.
"""

from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    from procurement.views import api_bp, pages
    from web import register_pages

    if api_bp.name not in app.blueprints:
        app.register_blueprint(api_bp)
    register_pages(app, pages)
