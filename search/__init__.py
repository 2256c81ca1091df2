"""Public catalogue search: documents, query builders, backends (embedded FTS5, OpenSearch, Elasticsearch),
outbox indexing and reindex.

``init_app(app)`` picks the backend from ``SEARCH_URL`` (empty: embedded under ``INSTANCE_PATH``),
stores it in ``app.extensions["search"]``, registers the ``/api/v1/catalogue`` blueprint and the
``flask search`` commands, and starts the outbox worker thread on the first request when
``SEARCH_SYNC_THREAD`` is on (never under ``TESTING``).
"""

from __future__ import annotations

import threading
from typing import Any

from flask import current_app

from config import settings_of
from search.backends import create_backend
from search.cli import search_cli
from search.errors import SearchError, SearchUnavailable
from search.indexing import SyncLock, SyncWorker, sync_lock_path
from search.views import bp

__all__ = ["SearchError", "SearchUnavailable", "get_backend", "init_app", "start_sync_thread"]


def init_app(app: Any) -> None:
    settings = settings_of(app)
    backend = create_backend(settings.search.url, settings.core.instance_path, settings.core.env)
    app.extensions["search"] = backend
    app.register_blueprint(bp)
    app.cli.add_command(search_cli)

    if settings.search.sync_thread and not settings.core.testing:
        started = threading.Event()

        @app.before_request  # type: ignore[untyped-decorator]
        def _start_search_sync() -> None:
            if not started.is_set():
                started.set()
                start_sync_thread(app)


def get_backend(app: Any = None) -> Any:
    """The application's search backend (``app.extensions["search"]``)."""
    if app is None:
        app = current_app
    return app.extensions["search"]


def start_sync_thread(app: Any, interval: float = 0.5) -> Any:
    """Start (once per app) the background thread that drains the search outbox; returns the worker."""

    worker = app.extensions.get("search.worker")
    if worker is not None and worker.thread is not None and worker.thread.is_alive():
        return worker
    worker = SyncWorker(
        app.extensions["core.db"],
        app.extensions["search"],
        SyncLock(sync_lock_path(app)),
        interval=interval,
    )
    worker.start()
    app.extensions["search.worker"] = worker
    return worker
