"""Plumbing every domain package uses, and that imports none of them: the database and its sessions, request
authentication, the API decorator and OpenAPI document, the audit writer, problem+json errors, request
limits and text validators, media sniffing, health checks and Alembic's schema version; the one rate limiter
(``core.ratelimit``), the Prometheus metrics (``core.metrics``, ``GET /metrics``) and the JSON logs
(``core.logs``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from config import settings_of
from core import auth, blobs, db, logs, metrics, ratelimit
from core.api import api
from core.errors import Conflict
from core.health import bp as health_bp
from core.health import register_metrics


def init_app(app: Any) -> None:
    settings = settings_of(app)
    logs.configure_logging(settings.logs.format)
    ratelimit.init_app(app, settings.ratelimit)
    metrics.init_app(app)
    # registered before the database's own teardown, so it runs after it (Flask runs them in reverse)
    app.teardown_request(auth.write_touches)
    db.init_app(app, settings)
    # files any host serves (evidence, report photos, label outputs): in the database, beside the records
    blobs.init_app(app)
    app.before_request(api.enforce_scope)  # every API operation's declared token scope (core.api)
    api.declare_public_pages(health_bp)  # liveness and readiness: anyone, no token
    app.register_blueprint(health_bp)
    register_metrics()

    @app.errorhandler(StaleDataError)
    def _stale(exc: StaleDataError) -> Any:
        # Optimistic concurrency: someone else changed the row between our read and our write.
        conflict = Conflict(
            "this record was changed by someone else at the same moment; reload it and decide again",
            errors=[{"field": "version", "reason": "changed concurrently"}],
            code="record.changed",
        )
        return app.handle_user_exception(conflict)

    @app.errorhandler(IntegrityError)
    def _integrity(exc: IntegrityError) -> Any:
        # Two requests racing for the same unique value (GTIN, BIN, email): the loser gets 409.
        text = str(exc.orig).lower()
        field = next((f for f in ("gtin", "bin", "email", "number", "prefix") if f in text), "body")
        conflict = Conflict(
            "a value that must be unique is already taken",
            errors=[{"field": field, "reason": "already registered", "code": "value.taken"}],
            code="value.unique_taken",
        )
        return app.handle_user_exception(conflict)
