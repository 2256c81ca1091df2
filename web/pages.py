"""Which blueprints are pages: CSRF-checked forms, the signed-in actor and language in every template.

Web's own three are; another package's pages join with ``register_pages`` (procurement's tender check and
shortlists do). No imports: ``web.csrf`` and ``web.helpers`` read it while ``web`` itself is loading."""

from __future__ import annotations

from typing import Any

PAGE_BLUEPRINTS: set[str] = {"web_public", "web_portal", "web_console", "web_brands"}


def register_pages(app: Any, bp: Any) -> None:
    """Register ``bp`` as a blueprint of pages, treated as web's own are."""
    PAGE_BLUEPRINTS.add(bp.name)
    if bp.name not in app.blueprints:
        app.register_blueprint(bp)
