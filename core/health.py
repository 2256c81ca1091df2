"""GET /healthz (liveness: the process answers, with the schema version and the backends in use) and
GET /readyz (readiness: the database, the search backend and the signing key all work; 503 otherwise).

A load balancer routes traffic by /readyz and a supervisor restarts by /healthz: a search cluster that is
down makes an instance unready (searches would answer 503), never dead (a restart would not help).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, request
from sqlalchemy import func, select, text

from config import settings_of
from core import metrics
from core.db import get_db, get_session
from core.errors import NotFound, ProblemError
from core.migrate import latest_version, schema_version
from core.models import OutboxEntry

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


class MetricsForbidden(ProblemError):
    status_code = 403
    title = "Forbidden"
    slug = "metrics-forbidden"
    code = "metrics.forbidden"


class NotReady(ProblemError):
    status_code = 503
    title = "Not ready"
    slug = "not-ready"
    code = "service.not_ready"


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
        "env": settings_of(current_app).core.env,
    }
    return body, code


@bp.get("/metrics")
def metrics_text() -> Any:
    """Prometheus text format for every worker of this host (core.metrics).

    Production answers only ``Authorization: Bearer <METRICS_TOKEN>`` (behind a proxy with
    ``TRUSTED_PROXY_HOPS=0`` every client looks like loopback, so an address proves nothing), and 404 when
    no token is set: metrics are off until the operator gives one. Development and tests also answer
    loopback clients without a token."""
    settings = settings_of(current_app)
    token, production = settings.metrics.token, settings.is_production
    if production and not token:
        raise NotFound("/metrics is off: set REGISTRY_METRICS_TOKEN to scrape it")
    if not metrics.may_scrape(
        request.remote_addr, request.headers.get("Authorization"), token, trust_loopback=not production
    ):
        raise MetricsForbidden(
            "/metrics answers Authorization: Bearer <REGISTRY_METRICS_TOKEN>"
            + ("" if production else ", or loopback clients"),
            errors=[{"field": "Authorization", "reason": "no valid metrics token"}],
        )
    body, content_type = metrics.render_metrics(current_app)
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})


def read_outbox(app: Any) -> dict[str, float]:
    """Changes not yet in the search index: how many, and the age of the oldest (0 when none)."""
    with app.extensions["core.db"].session() as session:
        pending, oldest = session.execute(select(func.count(), func.min(OutboxEntry.created_at))).one()
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return {"pending": float(pending), "lag": (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0}


def register_metrics() -> None:
    metrics.register_scrape_gauge(
        "registry_search_outbox_pending",
        "Catalogue changes waiting for the search index",
        lambda app: {"": read_outbox(app)["pending"]},
    )
    metrics.register_scrape_gauge(
        "registry_search_outbox_lag_seconds",
        "Age of the oldest change not yet in the search index",
        lambda app: {"": read_outbox(app)["lag"]},
    )


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
