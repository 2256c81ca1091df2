"""Manufacturers, products, certificates, users and roles, audit: the registry core."""

from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    from sqlalchemy.exc import IntegrityError
    from sqlalchemy.orm.exc import StaleDataError

    from core import blobs
    from core.blobs_cli import register_importer
    from registry import auth, cli, db, views
    from registry.errors import Conflict
    from registry.evidence import evidence_importer
    from registry.health import bp as health_bp
    from registry.openapi import api

    # registered before the database's own teardown, so it runs after it (Flask runs them in reverse)
    app.teardown_request(auth.write_touches)
    db.init_app(app)
    # files any host serves (evidence, report photos, label outputs) live in the database beside the records
    store = blobs.init_app(app)
    register_importer(app, evidence_importer(app.config["INSTANCE_PATH"], store))
    app.before_request(api.enforce_scope)  # every API operation's declared token scope (registry.openapi)
    app.register_blueprint(views.bp)
    api.declare_public_pages(health_bp)  # liveness and readiness: anyone, no token
    app.register_blueprint(health_bp)
    app.cli.add_command(cli.db_cli)
    app.cli.add_command(cli.registry_cli)

    @app.errorhandler(StaleDataError)
    def _stale(exc: StaleDataError) -> Any:
        # Optimistic concurrency: someone else changed the row between our read and our write.
        conflict = Conflict(
            "this record was changed by someone else at the same moment; reload it and decide again",
            errors=[{"field": "version", "reason": "changed concurrently"}],
        )
        return app.handle_user_exception(conflict)

    @app.errorhandler(IntegrityError)
    def _integrity(exc: IntegrityError) -> Any:
        # Two requests racing for the same unique value (GTIN, BIN, email): the loser gets 409.
        text = str(exc.orig).lower()
        field = next((f for f in ("gtin", "bin", "email", "number", "prefix") if f in text), "body")
        conflict = Conflict(
            "a value that must be unique is already taken",
            errors=[{"field": field, "reason": "already registered"}],
        )
        return app.handle_user_exception(conflict)
