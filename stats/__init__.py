"""Public statistics and open data: the programme's figures as a bilingual page with server-drawn charts, in
the API and as CSV; a daily signed snapshot of the public catalogue and the figures.

Depends on registry, search and signing (never the other way round). ``init_app(app)`` registers the
blueprint and the ``flask stats`` commands.
"""

from __future__ import annotations

from typing import Any

from config import settings_of
from core.blobs import get_blobs
from core.blobs_cli import register_importer
from stats.cli import stats_cli
from stats.opendata import folder_importer
from stats.services import StatsExtension, StatsSettings
from stats.views import bp


def init_app(app: Any) -> None:
    app.extensions["stats"] = StatsExtension(StatsSettings.from_settings(settings_of(app)))
    app.register_blueprint(bp)
    app.cli.add_command(stats_cli)
    register_importer(
        app, folder_importer(lambda: app.extensions["stats"].settings.open_data_dir, get_blobs(app))
    )
