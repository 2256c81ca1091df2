"""The statistics page, its figures in the API and as CSV, and the open data downloads.

Caching: the figures are computed at most once per ``STATS_CACHE_SECONDS`` (10 minutes) per worker
(``StatsExtension``), and every answer tells browsers and proxies they may keep it as long
(``Cache-Control: public, max-age``; the page varies with the language).  A day's open data files never
change once written (``immutable``, a year); the ``latest`` links are redirects kept for 5 minutes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, render_template, url_for
from markupsafe import Markup

from config import settings_of
from core.api import PUBLIC, api
from core.auth import ANONYMOUS, Actor, current_actor
from core.blobs import blob_response, get_blobs
from core.db import get_session
from core.errors import NotAuthenticated
from stats.figures import Statistics, Table, compute_statistics
from stats.opendata import FILES, SCHEMAS, blob_key, csv_bytes, media_type, snapshot_days, snapshot_file
from stats.schemas import CatalogueSnapshot, OpenDataIndex, StatisticsResponse, published_schema
from stats.services import StatsExtension
from web.charts import stacked_bar_chart
from web.guards import public_page
from web.helpers import to_local_digits
from web.language import current_lang

bp = Blueprint("stats", __name__)

LATEST_CACHE_SECONDS = 300
IMMUTABLE = "public, max-age=31536000, immutable"
SCHEMA_MODELS = {"catalogue.schema.json": CatalogueSnapshot, "statistics.schema.json": StatisticsResponse}


def extension() -> StatsExtension:
    ext: StatsExtension = current_app.extensions["stats"]
    return ext


def today() -> date:
    return datetime.now(UTC).date()


def current_statistics() -> Statistics:
    day = today()
    return extension().statistics(day, lambda: compute_statistics(get_session(), day))


def visitor() -> Actor:
    """Who is looking at a page: a bad Authorization header on a page is an anonymous visitor, as on web's."""
    try:
        return current_actor()
    except NotAuthenticated:
        return ANONYMOUS


def _cached(response: Response, *, page: bool = False) -> Response:
    """Cacheable by anyone for as long as a worker keeps the figures; a page varies with the language, and a
    page for a signed-in visitor (their menu, a sign-out form with its CSRF token) is theirs alone."""
    if page and visitor().user is not None:
        response.headers["Cache-Control"] = "private, no-cache"
        return response
    response.headers["Cache-Control"] = f"public, max-age={int(extension().settings.cache_seconds)}"
    if page:
        response.headers["Vary"] = "Cookie, Accept-Language"
    return response


def figure_csv(table: Table) -> bytes:
    """One figure as CSV: the row's key and both labels, then one column per series (its key)."""
    header = ("key", "label_en", "label_bn", *(column.key for column in table.columns))
    rows = [[row.key, row.en, row.bn, *values] for row, values in zip(table.rows, table.values, strict=True)]
    return csv_bytes(header, rows)


def _chart(table: Table, bangla: bool) -> Markup:
    rows = [
        (row.bn if bangla else row.en, values) for row, values in zip(table.rows, table.values, strict=True)
    ]
    series = [column.bn if bangla else column.en for column in table.columns]
    title = table.title_bn if bangla else table.title_en
    return stacked_bar_chart(rows, series, title, f"c-{table.id}", to_local_digits)


@bp.get("/statistics")
@public_page
def statistics_page() -> Any:
    statistics = current_statistics()
    bangla = current_lang() == "bn"
    charts = {table.id: _chart(table, bangla) for table in statistics.tables}
    days = snapshot_days(get_blobs())
    page = render_template(
        "stats/statistics.html",
        statistics=statistics,
        charts=charts,
        bangla=bangla,
        latest=days[0] if days else None,
        actor=visitor(),  # the site's menu (web's pages get it from web.helpers)
    )
    response = Response(page)
    return _cached(response, page=True)


@api.describe(
    bp,
    "/statistics/<figure>.csv",
    summary="One figure of the statistics page as CSV (its table: key, labels, one column per series)",
    tags=["statistics"],
    produces="text/csv",
    scope=PUBLIC,
)
@bp.get("/statistics/<figure>.csv")
def statistics_csv(figure: str) -> Any:
    table = next((t for t in current_statistics().tables if t.id == figure), None)
    if table is None:
        abort(404)
    response = Response(figure_csv(table), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{figure}-{today().isoformat()}.csv"'
    return _cached(response)


@api.route(
    bp,
    "/api/v1/statistics",
    response=StatisticsResponse,
    summary="The programme's figures (the statistics page): each a table of counts with bilingual labels",
    tags=["statistics"],
    scope=PUBLIC,
)
def get_statistics() -> Any:
    response = current_app.json.response(current_statistics().to_json())
    return _cached(response)


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute URL on the registry's public address (PUBLIC_BASE_URL), whichever host was asked."""
    return settings_of(current_app).public_url() + url_for(endpoint, **values)


def _file_entry(day: date, name: str) -> dict[str, Any]:
    info = get_blobs().stat(blob_key(day, name))
    if info is None:  # removed since the day was listed
        abort(404)
    schema = SCHEMAS.get(name)
    return {
        "name": name,
        "url": public_url("stats.open_data_file", day=day.isoformat(), name=name),
        "signature_url": public_url("stats.open_data_file", day=day.isoformat(), name=f"{name}.jws"),
        "sha256": info.sha256,
        "size": info.size,
        "schema_url": public_url("stats.open_data_schema", name=schema) if schema else None,
    }


@api.route(
    bp,
    "/api/v1/open-data",
    response=OpenDataIndex,
    summary="The daily open data snapshots: each day's files, their signatures, digests and schemas",
    tags=["statistics"],
    scope=PUBLIC,
)
def list_open_data() -> Any:
    days = snapshot_days(get_blobs())
    body = {
        "latest": days[0].isoformat() if days else None,
        "days": [
            {"day": day.isoformat(), "files": [_file_entry(day, name) for name in FILES]} for day in days
        ],
    }
    response = current_app.json.response(body)
    response.headers["Cache-Control"] = f"public, max-age={LATEST_CACHE_SECONDS}"
    return response


@api.describe(
    bp,
    "/open-data/<day>/<name>",
    summary="A file of a day's open data snapshot (catalogue or statistics, CSV or JSON) or its .jws signature",
    tags=["statistics"],
    produces=("text/csv", "application/json", "application/jose"),
    scope=PUBLIC,
)
@bp.get("/open-data/<day>/<name>")
def open_data_file(day: str, name: str) -> Any:
    info = snapshot_file(get_blobs(), day, name)
    if info is None:
        abort(404)
    response = blob_response(info.key, media_type=media_type(name), download_name=f"{day}-{name}")
    response.headers["Cache-Control"] = IMMUTABLE
    return response


@api.describe(
    bp,
    "/open-data/latest/<name>",
    summary="Redirect to the newest snapshot's file of this name",
    tags=["statistics"],
    status=302,
    scope=PUBLIC,
)
@bp.get("/open-data/latest/<name>")
def open_data_latest(name: str) -> Any:
    days = snapshot_days(get_blobs())
    if not days or (name not in FILES and name.removesuffix(".jws") not in FILES):
        abort(404)
    response = redirect(url_for("stats.open_data_file", day=days[0].isoformat(), name=name), 302)
    response.headers["Cache-Control"] = f"public, max-age={LATEST_CACHE_SECONDS}"
    return response


@api.describe(
    bp,
    "/open-data/schema/<name>",
    summary="The JSON Schema (2020-12) of an open data JSON file",
    tags=["statistics"],
    produces="application/schema+json",
    scope=PUBLIC,
)
@bp.get("/open-data/schema/<name>")
def open_data_schema(name: str) -> Any:
    model = SCHEMA_MODELS.get(name)
    if model is None:
        abort(404)
    schema = published_schema(model, public_url("stats.open_data_schema", name=name))
    response = current_app.json.response(schema)
    response.mimetype = "application/schema+json"
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
