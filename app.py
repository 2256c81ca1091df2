"""Application factory: settings, database, search backend, signer; each package's init_app; error handlers.

Nothing happens at import time. ``flask --app app run`` or ``gunicorn 'app:create_app()'``.
"""

from __future__ import annotations

import importlib
import logging
import math
import secrets
import time
from pathlib import Path
from typing import Any

import click
from flask import Flask, g, make_response, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext
from jinja2 import TemplateNotFound
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.serving import run_simple

import core
import registry
from config import EXTENSION as SETTINGS_EXTENSION
from config import load_settings
from core.api import api
from core.db import Base
from core.error_codes import code_of
from core.limits import DatabaseIdConverter, check_json_body
from core.problems import problem_response
from registry.cli import db_upgrade, seed_demo_command
from search.cli import reindex_command
from signing.cli import demo_labels_command
from stats.cli import snapshot_command

log = logging.getLogger("registry")

# Packages that wire themselves in through init_app(app), in this order.
WIRED_PACKAGES: tuple[str, ...] = (
    "search",
    "signing",
    "tlog",
    "web",
    "stats",
    "procurement",
    "sms",
    "interop",
)


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    settings = load_settings(overrides)
    app = RegistryFlask(
        __name__,
        instance_path=settings.core.instance_path,
        static_folder="static",
        template_folder="templates",
    )
    app.config.update(settings.as_flask_config())  # Flask's own keys; the registry reads the tree
    app.extensions[SETTINGS_EXTENSION] = settings  # config.settings_of(app); each init_app takes its group
    app.jinja_env.globals["settings"] = settings  # templates read {{ settings.core.public_base_url }}
    app.json.ensure_ascii = False  # Bangla stays readable in JSON
    app.session_interface = CachedSerializerSessionInterface()
    app.json.sort_keys = False
    # before any blueprint adds a rule: every <int:...> is an id the database can hold, else 404
    app.url_map.converters["int"] = DatabaseIdConverter

    Path(settings.core.instance_path).mkdir(parents=True, exist_ok=True)

    core.init_app(app)
    registry.init_app(app)
    for package in WIRED_PACKAGES:
        _init_optional(app, package)
    _register_request_hooks(app, production=settings.is_production)
    _register_error_handlers(app)
    _trust_proxies(app, settings.core.trusted_proxy_hops)
    _refuse_undeclared_routes(app)
    _register_prepare_run(app)
    return app


def _register_prepare_run(app: Flask) -> None:
    """``flask prepare-run [--serve]``: what ``make run`` does, in one process (each ``flask`` command pays the
    imports again): migrate, seed the demo data once, and issue the demo labels and rebuild the search index
    only when the data changed since they were last made (a fingerprint in ``instance/.run-ready``: the schema
    version, the migration files, per table its row count and newest change); then, with ``--serve``, serve.

    When the fingerprint still matches, nothing else runs (not even Alembic's import: the fingerprint reads
    the schema version with plain SQL and names the migration files, so a new migration is still applied)."""

    @app.cli.command("prepare-run")
    @click.option("--serve", is_flag=True, help="Then serve the application from this process (no reloader).")
    @click.option("--host", default="127.0.0.1", show_default=True, help="With --serve: the address to bind.")
    @click.option("--port", default=5000, show_default=True, help="With --serve: the port.")
    @click.pass_context
    def prepare_run(ctx: click.Context, serve: bool, host: str, port: int) -> None:
        instance = Path(app.instance_path)
        marker, labels = instance / ".run-ready", instance / "demo-labels.txt"

        def up_to_date() -> bool:
            return marker.is_file() and labels.is_file() and marker.read_text() == data_fingerprint(app)

        if up_to_date():
            click.echo("demo labels and search index are up to date with the data; nothing to do")
        else:
            _prepare_demo(ctx, up_to_date)
            marker.write_text(data_fingerprint(app))
        ctx.invoke(snapshot_command, day=None)  # today's open data; a day already written costs a stat()
        if serve:
            run_simple(host, port, app, use_reloader=False, threaded=True)


def _prepare_demo(ctx: Any, up_to_date: Any) -> None:
    """Migrate and seed (both do nothing when done already); then labels and reindex if the data changed."""
    ctx.invoke(db_upgrade)
    ctx.invoke(seed_demo_command, products=2000, manufacturers=60)
    if up_to_date():
        click.echo("demo labels and search index are up to date with the data; nothing to do")
        return
    ctx.invoke(demo_labels_command, out_path=None)
    ctx.invoke(reindex_command)


def migration_files(app: Flask) -> list[str]:
    return sorted(p.name for p in (Path(app.root_path) / "migrations" / "versions").glob("*.py"))


# stored files (uploads, label outputs, the daily open data that prepare-run itself writes): the demo labels
# and the search index derive nothing from them
FINGERPRINT_SKIPS = frozenset({"blobs", "blob_chunks"})


def data_fingerprint(app: Flask) -> str:
    """The schema version and the migration files; every table's row count and newest ``updated_at`` (or
    highest id), but for the blob store's. Plain SQL: no Alembic import."""
    engine = app.extensions["core.db"].engine
    migrations = migration_files(app)
    with engine.connect() as conn:
        try:
            versions = sorted(conn.scalars(text("SELECT version_num FROM alembic_version")))
        except DBAPIError:  # no schema yet
            return "no schema\n"
        parts = [f"schema {','.join(versions)}", f"migrations {' '.join(migrations)}"]
        for table in Base.metadata.sorted_tables:
            if table.name in FINGERPRINT_SKIPS:
                continue
            newest = table.c.get("updated_at")
            if newest is None:
                newest = table.c.get("id")
            columns = [func.count()] + ([func.max(newest)] if newest is not None else [])
            row = conn.execute(select(*columns).select_from(table)).one()
            parts.append(f"{table.name} {' '.join(str(v) for v in row)}")
    return "\n".join(parts) + "\n"


def _refuse_undeclared_routes(app: Flask) -> None:
    """Every route says who may call it (core.api: a token scope, a page guard or public): a route
    that says nothing would be open by accident, so the application does not start with one."""

    undeclared = api.undeclared(app)
    if undeclared:
        raise RuntimeError("routes without a declared scope or page guard: " + "; ".join(undeclared))


def _trust_proxies(app: Flask, hops: int) -> None:
    """Take the client's address and scheme from the last ``hops`` X-Forwarded-For/-Proto entries, which the
    proxies in front of us wrote; with 0 the headers are ignored (any client could have sent them).  Rate
    limits, scan records and gunicorn's access log then all see ``request.remote_addr`` as the real client.
    The Host is never taken from the proxy: label URLs are verified on PUBLIC_BASE_URL's host."""
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


class RegistryFlask(Flask):
    """Flask, remembering which hooks and views are plain functions: Flask asks ``iscoroutinefunction`` about
    each of them (ten on a verification) on every request.  ``ensure_sync`` is Flask's documented override
    point; coroutine functions still go through ``async_to_sync`` each time."""

    _plain_functions: set[Any]

    def ensure_sync(self, func: Any) -> Any:
        plain = self.__dict__.setdefault("_plain_functions", set())
        try:
            if func in plain:
                return func
        except TypeError:  # not hashable: ask Flask
            return super().ensure_sync(func)
        synced = super().ensure_sync(func)
        if synced is func and len(plain) < 4096:
            plain.add(func)
        return synced


class CachedSerializerSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the cookie serializer built once per set of keys instead of on
    every request (it showed in the profile of every API call, session or not)."""

    _cached: tuple[tuple[Any, ...], Any] | None = None

    def get_signing_serializer(self, app: Flask) -> Any:
        keys = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = self._cached
        if cached is None or cached[0] != keys:
            cached = self._cached = (keys, super().get_signing_serializer(app))
        return cached[1]


def _init_optional(app: Flask, name: str) -> None:
    """Wire a package that provides ``init_app`` (search, signing, labels, web pages)."""

    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        return
    init = getattr(module, "init_app", None)
    if init is not None:
        init(app)


def _register_request_hooks(app: Flask, *, production: bool) -> None:
    @app.before_request
    def _start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if 8 <= len(incoming) <= 64 and incoming.isalnum() else secrets.token_hex(8)
        g.started = time.perf_counter()

    @app.before_request
    def _limit_json() -> None:
        # before any view parses it: a body too deep for the parsers or too large is a 413/422 problem
        if request.content_length or request.headers.get("Transfer-Encoding"):
            check_json_body(request.mimetype, request.content_length, lambda: request.get_data(cache=True))

    defaults = [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
        (
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'",
        ),
        ("Permissions-Policy", "camera=(self), geolocation=(self), microphone=()"),
    ]
    if production:
        defaults.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    defaults_lower = [(name.lower(), name, value) for name, value in defaults]

    @app.after_request
    def _headers(resp: Any) -> Any:
        # one pass over the response's headers instead of one setdefault (a scan, often a raised
        # KeyError) per header: this runs on every request
        present = {name.lower() for name, _value in resp.headers}
        if "x-request-id" not in present:
            resp.headers.add("X-Request-ID", g.get("request_id", ""))
        for lower, name, value in defaults_lower:
            if lower not in present:
                resp.headers.add(name, value)
        return resp


def _wants_html() -> bool:
    if request.path.startswith(("/api/", "/.well-known/")):
        return False
    best = request.accept_mimetypes.best_match(["application/json", "application/problem+json", "text/html"])
    return best == "text/html"


# werkzeug's HTTP errors by status -> core.error_codes
_HTTP_CODES = {
    401: "auth.required",
    403: "auth.forbidden",
    404: "resource.not_found",
    405: "method.not_allowed",
    409: "resource.conflict",
    412: "request.precondition_failed",
    413: "body.too_large",
    415: "request.media_type",
    429: "request.rate_limited",
    503: "service.unavailable",
}


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        status = exc.code or 500
        detail = exc.description or exc.name
        if status == 413:
            limit = app.config["MAX_CONTENT_LENGTH"]
            detail = f"the request body is larger than {limit // 1024 // 1024} MB"
            errors = [{"field": "body", "reason": f"larger than {limit} bytes"}]
        elif status == 405:
            errors = [{"field": "method", "reason": f"{request.method} is not allowed here"}]
        elif status == 404:
            detail = f"nothing at {request.path}"
            errors = []
        else:
            errors = []
        if _wants_html() and status in (404, 405):
            return _html_error(app, status, exc.name, detail)
        resp = problem_response(
            status,
            exc.name,
            detail,
            slug=exc.name.lower().replace(" ", "-"),
            code=_HTTP_CODES.get(status, "request.invalid"),
            errors=errors,
        )
        if status == 405 and getattr(exc, "valid_methods", None):
            resp.headers["Allow"] = ", ".join(exc.valid_methods or [])
        return resp

    @app.errorhandler(Exception)
    def _any(exc: Exception) -> Any:
        status = getattr(exc, "status_code", None)
        title = getattr(exc, "title", None)
        if isinstance(status, int) and isinstance(title, str):
            retry = getattr(exc, "retry_after", None)
            if status == 429 and _wants_html() and "babel" in app.extensions:  # a rate limit, on a page
                resp = _too_many_page(app)
                resp.headers["Retry-After"] = str(math.ceil(retry or 1))
                return resp
            extra = getattr(exc, "extra", None) or {}
            resp = problem_response(
                status,
                title,
                getattr(exc, "detail", None) or str(exc),
                slug=getattr(exc, "slug", None) or title.lower().replace(" ", "-"),
                code=code_of(exc, "request.invalid"),
                params=getattr(exc, "params", None),
                errors=list(getattr(exc, "errors", []) or []),
                extra=extra,
            )
            if retry:
                resp.headers["Retry-After"] = str(math.ceil(retry))
            return resp
        log.exception("unhandled error, request_id=%s", g.get("request_id"))
        return problem_response(
            500,
            "Internal server error",
            f"something went wrong on our side; quote request id {g.get('request_id')}",
            slug="internal",
            code="server.error",
        )


def _too_many_page(app: Flask) -> Any:
    """The bilingual page of a rate-limit refusal (the words are the web package's, translated there)."""
    page, status = _html_error(
        app, 429, gettext("Too many attempts"), gettext("Please wait a few minutes and try again.")
    )
    return make_response(page, status)


def _html_error(app: Flask, status: int, title: str, detail: str) -> Any:

    try:
        return render_template("error.html", status=status, title=title, detail=detail), status
    except TemplateNotFound:
        return f"<!doctype html><title>{status}</title><h1>{status} {title}</h1>", status
