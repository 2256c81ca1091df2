"""GET /healthz (liveness: the process answers, with the schema version and the backends in use) and
GET /readyz (readiness: the database, the search backend and the signing key all work; 503 otherwise).

A load balancer routes traffic by /readyz and a supervisor restarts by /healthz: a search cluster that is
down makes an instance unready (searches would answer 503), never dead (a restart would not help).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, current_app
from sqlalchemy import text

from core.db import get_db, get_session
from core.errors import ProblemError
from core.migrate import latest_version, schema_version

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


class NotReady(ProblemError):
    status_code = 503
    title = "Not ready"
    slug = "not-ready"


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


@bp.get("/readyz")
def readyz() -> Any:
    """200 ``{"status": "ready", "checks": {...}}``, or 503 problem+json with one error per check that failed
    (``field`` names it: database, search or signing) and the same ``checks``. Reasons name what to do, not
    internals; the details go to the log."""
    signing = check_signing_key()  # first: loading the key may register it, before this request's session
    checks = {"database": check_database(), "search": check_search(), "signing": signing}
    if not checks["database"][0] and not signing[0]:
        checks["signing"] = (False, "cannot be checked while the database does not answer")
    down = [{"field": name, "reason": reason} for name, (up, reason) in checks.items() if not up]
    report = {name: {"up": up, "detail": reason} for name, (up, reason) in checks.items()}
    if down:
        names = ", ".join(problem["field"] for problem in down)
        raise NotReady(f"not ready: {names} down", errors=down).with_extra(checks=report)
    return {"status": "ready", "checks": report}


def check_database() -> tuple[bool, str]:
    try:
        connection = get_session().connection()
        connection.execute(text("SELECT 1"))
        version = schema_version(connection)
    except Exception:  # noqa: BLE001 - a readiness check reports, it does not raise
        log.warning("readyz: the database does not answer", exc_info=True)
        return False, "the database does not answer"
    expected = latest_version()
    if version != expected:
        return False, f"schema {version} is not {expected}: run flask db upgrade"
    return True, f"{get_db().engine.dialect.name} at schema {version}"


def check_search() -> tuple[bool, str]:
    backend = current_app.extensions.get("search")
    if backend is None:
        return True, "off"
    name = getattr(backend, "name", type(backend).__name__)
    if not backend.ping():
        return False, f"{name} does not answer"
    try:
        backend.info()
    except Exception:  # noqa: BLE001 - the backend's SearchError (registry does not import search)
        log.warning("readyz: the search index is not usable", exc_info=True)
        return False, f"{name} has no usable index: run flask search reindex"
    return True, str(name)


def check_signing_key() -> tuple[bool, str]:
    extension = current_app.extensions.get("signing")
    if extension is None:
        return True, "off"
    try:
        extension.ready()
        extension.signer(get_session())
    except Exception:  # noqa: BLE001 - a readiness check reports, it does not raise
        log.warning("readyz: the issuing key cannot be loaded", exc_info=True)
        get_session().rollback()
        return False, "the issuing key cannot be loaded (see the log)"
    return True, extension.describe()
