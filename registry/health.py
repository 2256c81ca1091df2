"""GET /healthz: the schema version and the backends in use."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app
from sqlalchemy import text

from registry.db import get_db, get_session
from registry.migrate import latest_version, schema_version

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Any:
    db = get_db()
    status, code = "ok", 200
    try:
        connection = get_session().connection()
        connection.execute(text("SELECT 1"))
        version = schema_version(connection)
    except Exception as exc:  # the point of a health check is to report, not to raise
        status, code, version = f"database unavailable: {type(exc).__name__}", 503, None
    expected = latest_version()
    if version is not None and version != expected:
        status, code = f"schema {version} is behind {expected}: run flask db upgrade", 503
    search = current_app.extensions.get("search")
    signer = current_app.extensions.get("signing")
    body = {
        "status": status,
        "schema_version": version,
        "database": db.engine.dialect.name,
        "search": getattr(search, "name", None) or (type(search).__name__ if search else "off"),
        "signing": getattr(signer, "describe", lambda: "off")() if signer else "off",
        "env": current_app.config["ENV"],
    }
    return body, code
