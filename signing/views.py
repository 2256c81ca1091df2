"""HTTP side of signing: JWKS, label URL verification (HTML and JSON), records, batches, units, reports,
the status list.  Thin: parsing, access checks and responses; the work is in the role modules (``signing.batches``, ``signing.verification``, ...)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request, stream_with_context
from jinja2 import TemplateNotFound
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from config import settings_of
from core import metrics
from core.api import PUBLIC, api, serialise
from core.audit import record_event
from core.auth import Actor, current_actor
from core.blobs import blob_response, get_blobs
from core.db import get_db, get_session
from core.errors import Forbidden, NotFound, ValidationFailed
from core.models import Role
from core.ratelimit import client_id, hit_limit, limit_item
from core.templates import translated_template
from core.validators import read_text_field
from gs1.errors import LabelURLError
from registry.models import Product
from registry.queries import get_product
from signing import batches, recalls, record_service, reports, schemas, verification
from signing.errors import KeySourceError, RateLimited
from signing.extension import SigningExtension
from signing.labels import parse_label_url
from signing.models import ConsumerReport, Recall, SerialBatch, SignedRecordRow, Unit

bp = Blueprint(
    "signing",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/signing/static",
)

JWKS_CACHE_SECONDS = 300


def extension() -> SigningExtension:
    ext: SigningExtension = current_app.extensions["signing"]
    ext.ready()
    return ext


@bp.before_app_request
def load_issuing_key() -> None:
    """Register and load the issuing key once per process, before any request opens a transaction."""
    ext: SigningExtension = current_app.extensions["signing"]
    if ext.is_ready:
        return
    try:
        ext.ready()
    except DBAPIError:  # not migrated yet (flask db upgrade); pages that need a key will say so
        current_app.logger.warning("signing: no issuing key yet, the database is not ready", exc_info=True)
    except KeySourceError:  # the current key's file is gone or unreadable: /readyz says so
        current_app.logger.error("signing: the current issuing key cannot be loaded", exc_info=True)


def now() -> datetime:
    return datetime.now(UTC)


def limit(bucket: str) -> None:
    """Count this request on the public limit ``bucket`` (verify, report) of its client (core.ratelimit)."""
    retry = hit_limit(bucket, client_id())
    if retry is not None:
        raise RateLimited(
            f"more than {limit_item(settings_of(current_app), bucket)} from this client; try again later",
            retry_after=math.ceil(retry),
        )


def wants_json() -> bool:
    accept = request.headers.get("Accept")
    if accept == "application/json":  # what apps and wrk send: skip parsing the header
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" or request.args.get("format") == "json"


def require_staff_or_reviewer(actor: Actor, product: Product) -> None:
    """Another manufacturer's batches and units do not exist for this actor: 404, as for a made-up id."""
    actor.require()
    if not (actor.is_reviewer or actor.is_staff_of(product.manufacturer_id)):
        raise NotFound(f"no product {product.id}")


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed.field("body", "send a JSON object")
    return body


# ---------------------------------------------------------------------------------------------- public keys


@api.describe(
    bp,
    "/.well-known/jwks.json",
    "GET",
    summary="The issuing keys, current and retired (RFC 7517 JWK Set)",
    tags=["verification"],
    produces="application/json",  # as served: JWKS readers take it, and a browser shows it
    scope=PUBLIC,
)
@bp.get("/.well-known/jwks.json")
def jwks() -> Response:
    keyring = extension().keyring(get_session())
    body: dict[str, Any] = keyring.to_jwks()
    for extend in current_app.extensions.get("signing.jwks_hooks", ()):  # e.g. the log's key (tlog)
        extend(body)
    response = jsonify(body)
    response.headers["Cache-Control"] = f"public, max-age={JWKS_CACHE_SECONDS}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/status/1")
def status_list() -> Response:
    """The newest Status List Token (published to anyone, like the keys)."""
    session = get_db().session(write=True)
    try:
        row = record_service.latest_status_token(session)
        if row is None or row.expires_at <= now():
            row = record_service.publish_status_list(
                session, extension().signer(session), extension().settings, now=now()
            )
            session.commit()
        token = row.token
    finally:
        session.close()
    response = Response(token, mimetype="application/statuslist+jwt")
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


# ---------------------------------------------------------------------------------------------- verification


def label_url_of_request() -> str:
    """The label URL a phone opened, on the registry's public host (PUBLIC_BASE_URL).

    The host is part of what a label signs, and the request's Host (or X-Forwarded-Host) says only how the
    request reached us: ``localhost:5000``, gunicorn's ``127.0.0.1:8000`` behind a proxy that passes its own
    upstream name. Only the path and query come from the request."""
    settings = extension().settings
    query = request.query_string.decode("ascii", "replace")
    return f"{settings.public_scheme}://{settings.public_host}{request.path}" + (f"?{query}" if query else "")


def verify_and_record(url: str) -> dict[str, Any]:
    ext = extension()
    scans = ext.scans
    assert scans is not None
    # buffered scan recording only reads here; products, batches and keys mostly come from caches
    session = get_db().session(write=scans.needs_write_session)
    try:
        moment = now()
        outcome = verification.verify_online(
            session, ext.keyring(session), url, now=moment, cache=ext.catalogue
        )
        context = verification.ScanContext(
            ip=request.remote_addr or "unknown", user_agent=request.headers.get("User-Agent", "")[:400]
        )
        scans.record(session, outcome, context, now=moment)
        body = verification.outcome_to_dict(outcome, today=moment.date(), cache=ext.catalogue)
        metrics.VERDICTS.labels(verdict=outcome.verdict.value).inc()
        for extend in current_app.extensions.get("signing.answer_hooks", ()):  # e.g. the log's proof (tlog)
            extend(body, session)
        if scans.needs_write_session:
            session.commit()
        return body
    finally:
        session.close()


def render_verdict(body: dict[str, Any]) -> Response:
    status = 200
    if wants_json():
        response = jsonify(body)
    else:
        html = None
        if "web_public" in current_app.blueprints:
            try:  # compiled per language: its fixed words are literals, not sixty gettext calls
                html = render_template(translated_template("verify.html"), v=body)
            except TemplateNotFound:
                html = None
        if html is None:
            html = render_template("signing/verify_page.html", v=body)
        response = Response(html, mimetype="text/html")
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "Accept"
    return response


def answer_verdict(url: str) -> Response:
    return render_verdict(verify_and_record(url))


@bp.get("/01/<gtin>")
@bp.get("/01/<gtin>/")
@bp.get("/01/<gtin>/<path:qualifiers>")
def verify_label(gtin: str, qualifiers: str = "") -> Response:
    limit("verify")
    url = label_url_of_request()
    # a GS1 resolver (interop) may answer instead: a linkset, a linkType redirect, a 400 for a malformed URI;
    # it calls answer_verdict for the consumer's verdict, the default answer
    resolve: Callable[[str, Callable[[str], Response]], Response] | None = current_app.extensions.get(
        "signing.resolver"
    )
    if resolve is not None:
        return resolve(url, answer_verdict)
    return answer_verdict(url)


# what a phone camera opens, and the status list: anyone, no token (declared here, not in the API document)
api.declare(bp, "verify_label", PUBLIC)
api.declare(bp, "status_list", PUBLIC)


@api.describe(
    bp,
    "/api/v1/verify",
    "GET",
    summary="Verify a label URL and record the scan (the JSON verdict)",
    tags=["verification"],
    query=schemas.VerifyQuery,
    scope=PUBLIC,
)
@bp.get("/api/v1/verify")
def verify_api() -> Response:
    limit("verify")
    url = read_text_field(request.args, "url", single_line=True)
    if not url:
        raise ValidationFailed.field("url", "give the label URL to verify: /api/v1/verify?url=...")
    body = verify_and_record(url)
    return jsonify(body)


# ---------------------------------------------------------------------------------------------- records


def record_response(row: SignedRecordRow) -> Response:
    response = Response(row.document, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="record-{row.product_id}-{row.id}.json"'
    for extend in current_app.extensions.get("signing.record_hooks", ()):  # e.g. the log's proof (tlog)
        extend(row, get_session(), response)
    return response


@api.describe(
    bp,
    "/api/v1/products/<int:product_id>/record",
    "GET",
    summary="The product's newest signed authenticity record (RFC 8785 JSON)",
    tags=["records"],
    scope=PUBLIC,
)
@bp.get("/api/v1/products/<int:product_id>/record")
def latest_product_record(product_id: int) -> Response:
    session = get_session()
    product = get_product(session, current_actor(), product_id)
    row = record_service.latest_record(session, product.id)
    if row is None:
        raise NotFound(f"product {product_id} has no signed record yet (it has never been licensed)")
    return record_response(row)


@api.describe(
    bp,
    "/api/v1/products/<int:product_id>/records",
    "GET",
    summary="Every authenticity record signed for the product",
    tags=["records"],
    scope=PUBLIC,
)
@bp.get("/api/v1/products/<int:product_id>/records")
def list_product_records(product_id: int) -> Any:
    session = get_session()
    product = get_product(session, current_actor(), product_id)
    rows = session.scalars(
        select(SignedRecordRow)
        .where(SignedRecordRow.product_id == product.id)
        .order_by(SignedRecordRow.id.desc())
    )
    return {
        "items": [
            {"id": r.id, "kid": r.kid, "action": r.action, "issued_at": r.issued_at.isoformat()} for r in rows
        ]
    }


@api.describe(
    bp,
    "/api/v1/records/<int:record_id>",
    "GET",
    summary="One signed authenticity record, as signed",
    tags=["records"],
    scope=PUBLIC,
)
@bp.get("/api/v1/records/<int:record_id>")
def show_record(record_id: int) -> Response:
    session = get_session()
    row = session.get(SignedRecordRow, record_id)
    if row is None:
        raise NotFound(f"no record {record_id}")
    get_product(session, current_actor(), row.product_id)  # visibility check
    return record_response(row)


# ---------------------------------------------------------------------------------------------- batches


def load_batch(session: Session, actor: Actor, batch_id: int) -> SerialBatch:
    batch = session.get(SerialBatch, batch_id)
    if batch is None:
        raise NotFound(f"no batch {batch_id}")
    product = session.get(Product, batch.product_id)
    assert product is not None
    if not (actor.is_reviewer or actor.is_staff_of(product.manufacturer_id)):
        raise NotFound(f"no batch {batch_id}")
    return batch


@api.route(
    bp,
    "/api/v1/products/<int:product_id>/batches",
    "POST",
    summary="Issue a batch of serials for a licensed product (one row, up to 1,000,000)",
    tags=["batches"],
    status=201,
    scope="write",
    body=schemas.BatchCreate,
    response=schemas.LinkedBatchOut,
)
def create_batch(product_id: int, body: schemas.BatchCreate) -> Any:
    actor = current_actor()
    user = actor.require(scope="write")
    session = get_session()
    product = get_product(session, actor, product_id)
    if not (actor.is_staff_of(product.manufacturer_id) or user.role == Role.ADMIN):
        if not actor.is_reviewer:  # another manufacturer's product: not there for this caller
            raise NotFound(f"no product {product.id}")
        raise Forbidden("only the manufacturer's staff may request serials for its products")
    batch = batches.create_batch(session, product, body.count, user_id=user.id, now=now())
    record_event(
        session,
        actor=actor,
        action="batch.created",
        target_type="batch",
        target_id=batch.id,
        after={"product_id": product.id, "count": batch.count, "prefix": batch.prefix},
    )
    ext = extension()
    record_service.publish_status_list(session, ext.signer(session), ext.settings, now=now())
    session.commit()
    return schemas.LinkedBatchOut.of(batch), 201


@api.route(
    bp,
    "/api/v1/products/<int:product_id>/batches",
    "GET",
    summary="The product's serial batches",
    tags=["batches"],
    scope="read",
    response=schemas.BatchList,
)
def list_batches(product_id: int) -> Any:
    actor = current_actor()
    session = get_session()
    product = get_product(session, actor, product_id)
    require_staff_or_reviewer(actor, product)
    rows = session.scalars(
        select(SerialBatch).where(SerialBatch.product_id == product.id).order_by(SerialBatch.id)
    )
    return schemas.BatchList(items=[schemas.LinkedBatchOut.of(b) for b in rows])


@api.route(
    bp,
    "/api/v1/batches/<int:batch_id>",
    "GET",
    summary="A serial batch",
    tags=["batches"],
    scope="read",
    response=schemas.LinkedBatchOut,
)
def show_batch(batch_id: int) -> Any:
    actor = current_actor()
    actor.require()
    batch = load_batch(get_session(), actor, batch_id)
    return schemas.LinkedBatchOut.of(batch)


@api.describe(
    bp,
    "/api/v1/batches/<int:batch_id>/urls",
    "GET",
    summary="The batch's signed label URLs, one per line (or serial,url,check_code with format=csv)",
    tags=["batches"],
    scope="read",
    produces=("text/plain", "text/csv"),
    query=schemas.BatchUrlsQuery,
)
@bp.get("/api/v1/batches/<int:batch_id>/urls")
def batch_urls(batch_id: int) -> Response:
    """The batch's label URLs, one per line (``text/plain``), or ``serial,url,check_code`` lines with
    ``format=csv`` (the unit's check code for a check by SMS, as printed: ``signing.checkcodes``)."""
    actor = current_actor()
    actor.require()
    session = get_session()
    batch = load_batch(session, actor, batch_id)
    try:
        start = int(request.args.get("start", 0))
        stop = int(request.args.get("stop", batch.count))
    except ValueError as exc:
        raise ValidationFailed.field("start", "start and stop are unit indexes") from exc
    if not 0 <= start <= stop:
        raise ValidationFailed.field("start", "0 <= start <= stop")
    csv = request.args.get("format") == "csv"
    ext = extension()
    signer = ext.signer(session)
    host = ext.settings.public_host
    codes = ext.check_codes(session) if csv else None
    session.expunge(batch)

    def lines() -> Iterator[str]:
        if codes is None:
            for url, _serial in batches.iter_batch_urls(
                batch, signer, host, start=start, stop=stop, scheme=ext.settings.public_scheme
            ):
                yield url + "\n"
            return
        yield "serial,url,check_code\n"
        last = min(stop, batch.count)
        for (url, serial), code in zip(
            batches.iter_batch_urls(
                batch, signer, host, start=start, stop=last, scheme=ext.settings.public_scheme
            ),
            codes.iter_codes(batch.id, min(start, last), last),
            strict=True,
        ):
            yield f"{serial},{url},{code}\n"

    response = Response(stream_with_context(lines()), mimetype="text/csv" if csv else "text/plain")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="batch-{batch.id}-{batch.gtin}-{batch.prefix}.{"csv" if csv else "txt"}"'
    )
    return response


@api.route(
    bp,
    "/api/v1/batches/<int:batch_id>/status",
    "POST",
    summary="Suspend, reinstate or revoke a serial batch, with the reason",
    tags=["batches"],
    scope=("write", "review"),
    body=schemas.BatchStatusChange,
    response=schemas.BatchOut,
)
def change_batch_status(batch_id: int, body: schemas.BatchStatusChange) -> Any:
    actor = current_actor()
    actor.require()  # scope: declared on the route
    session = get_session()
    batch = load_batch(session, actor, batch_id)
    reason = body.reason
    before = {"status": batch.status}
    batches.set_batch_status(session, batch, body.status, reason)
    extension().catalogue.clear()  # this worker shows the change at once, the others within seconds
    record_event(
        session,
        actor=actor,
        action=f"batch.{batch.status}",
        target_type="batch",
        target_id=batch.id,
        before=before,
        after={"status": batch.status},
        reason=reason,
    )
    ext = extension()
    record_service.publish_status_list(session, ext.signer(session), ext.settings, now=now())
    session.commit()
    return schemas.BatchOut.model_validate(batch)


# ---------------------------------------------------------------------------------------------- units


def announce_recall(session: Session, actor: Actor, row: Recall) -> Any:
    """Audit the recall, republish the status list, commit, and answer it (201)."""
    recalls.audit_recall(session, actor, row)
    ext = extension()
    record_service.publish_status_list(session, ext.signer(session), ext.settings, now=now())
    session.commit()
    ext.catalogue.clear()  # this worker shows the recall at once, the others within seconds
    return schemas.RecallOut.model_validate(row), 201


def parse_unit_url(session: Session, actor: Actor, url: str) -> tuple[Product, str]:
    """The product and serial of the unit label URL ``url``, checked for the actor (404 otherwise)."""
    try:
        label = parse_label_url(url)
    except LabelURLError as exc:
        raise ValidationFailed.field("url", str(exc)) from exc
    if label.serial is None:
        raise ValidationFailed.field("url", "a unit label URL (with /21/<serial>) is needed")
    product = session.scalar(select(Product).where(Product.gtin == label.gtin))
    if product is None or not (actor.is_reviewer or actor.is_staff_of(product.manufacturer_id)):
        raise NotFound(f"no product of yours has GTIN {label.gtin}")
    return product, label.serial


@api.route(
    bp,
    "/api/v1/units/recall",
    "POST",
    summary="Recall one unit by its label URL (its label then verifies 'recalled', with these words)",
    tags=["recalls"],
    status=201,
    scope=("write", "review"),
    body=schemas.UnitRecallBody,
    response=schemas.RecallOut,
)
def recall_unit(body: schemas.UnitRecallBody) -> Any:
    actor = current_actor()
    user = actor.require()
    session = get_session()
    product, serial = parse_unit_url(session, actor, body.url)
    text = body.text
    batch = batches.find_batch(session, product.gtin, serial)
    if batch is None:
        raise NotFound("no batch of this product issued that serial")
    row = recalls.recall_unit(session, batch, serial, text, now=now(), user_id=user.id)
    return announce_recall(session, actor, row)


@api.route(
    bp,
    "/api/v1/batches/<int:batch_id>/recall",
    "POST",
    summary="Recall every unit of a batch",
    tags=["recalls"],
    status=201,
    scope=("write", "review"),
    body=schemas.RecallBody,
    response=schemas.RecallOut,
)
def recall_batch(batch_id: int, body: schemas.RecallBody) -> Any:
    actor = current_actor()
    user = actor.require()
    session = get_session()
    batch = load_batch(session, actor, batch_id)
    row = recalls.recall_batch(session, batch, body.text, now=now(), user_id=user.id)
    return announce_recall(session, actor, row)


@api.route(
    bp,
    "/api/v1/products/<int:product_id>/recall",
    "POST",
    summary="Recall every unit of a product",
    tags=["recalls"],
    status=201,
    scope=("write", "review"),
    body=schemas.RecallBody,
    response=schemas.RecallOut,
)
def recall_product(product_id: int, body: schemas.RecallBody) -> Any:
    actor = current_actor()
    user = actor.require()
    session = get_session()
    product = get_product(session, actor, product_id)
    if not (actor.is_reviewer or actor.is_staff_of(product.manufacturer_id)):
        raise NotFound(f"no product {product_id}")
    row = recalls.recall_product(session, product, body.text, now=now(), user_id=user.id)
    return announce_recall(session, actor, row)


@api.route(
    bp,
    "/api/v1/products/<int:product_id>/recalls",
    "GET",
    summary="The product's recalls (of the product, its batches and units)",
    tags=["recalls"],
    scope="read",
    response=schemas.RecallList,
)
def list_recalls(product_id: int) -> Any:
    actor = current_actor()
    actor.require()
    session = get_session()
    product = get_product(session, actor, product_id)
    if not (actor.is_reviewer or actor.is_staff_of(product.manufacturer_id)):
        raise NotFound(f"no product {product_id}")
    rows = session.scalars(select(Recall).where(Recall.product_id == product.id).order_by(Recall.id.desc()))
    return schemas.RecallList(items=[schemas.RecallOut.model_validate(row) for row in rows])


@api.route(
    bp,
    "/api/v1/units/clear-flags",
    "POST",
    summary="Clear a unit's copy flags after checking them (a false flag), with the reason; audited",
    tags=["batches"],
    scope=("write", "review"),
    body=schemas.ClearFlags,
    response=schemas.UnitOut,
)
def clear_unit_flags(body: schemas.ClearFlags) -> Any:
    actor = current_actor()
    actor.require()
    session = get_session()
    product, serial = parse_unit_url(session, actor, body.url)
    reason = body.reason
    unit, previous = batches.clear_unit_flags(session, product.gtin, serial, now=now())
    record_event(
        session,
        actor=actor,
        action="unit.flags_cleared",
        target_type="unit",
        target_id=f"{product.gtin}/{serial}",
        before={"flags": previous},
        after={"flags": []},
        reason=reason.strip(),
    )
    session.commit()
    return schemas.UnitOut.model_validate(unit)


@api.route(
    bp,
    "/api/v1/products/<int:product_id>/units",
    "GET",
    summary="Scanned or recalled units of a product (flagged=true: possible copies only)",
    tags=["batches"],
    scope="read",
    query=schemas.UnitsQuery,
    response=schemas.UnitList,
)
def list_units(product_id: int, query: schemas.UnitsQuery) -> Any:
    """Scanned or recalled units of a product; ``flagged=true`` lists only possibly copied ones."""
    actor = current_actor()
    session = get_session()
    product = get_product(session, actor, product_id)
    require_staff_or_reviewer(actor, product)
    stmt = select(Unit).where(Unit.product_id == product.id)
    if query.only_flagged:
        stmt = stmt.where(Unit.flagged_at.is_not(None))
    units = session.scalars(stmt.order_by(Unit.id.desc()).limit(500))
    return schemas.UnitList(items=[schemas.UnitOut.model_validate(u) for u in units])


# ---------------------------------------------------------------------------------------------- reports


@api.describe(
    bp,
    "/api/v1/reports",
    "POST",
    summary="Report a suspected fake (JSON, or multipart with a photo)",
    tags=["reports"],
    status=201,
    body=schemas.ReportCreate,
    response=schemas.ReportCreated,
    scope=PUBLIC,
)
@bp.post("/api/v1/reports")
def create_report() -> Any:
    """A consumer reports a suspected fake: JSON ``{text, url?, district?}`` or a multipart form with
    ``photo``."""
    limit("report")
    if request.mimetype == "application/json":
        body = json_body()
        photo = None
    else:
        body = request.form.to_dict()
        upload = request.files.get("photo")
        photo = upload.read(reports.MAX_PHOTO_BYTES + 1) if upload else None
    session = get_session()
    report = reports.create_report(
        session,
        extension().keyring(session),
        text=read_text_field(body, "text"),
        url=read_text_field(body, "url", single_line=True) or None,
        district=read_text_field(body, "district", single_line=True) or None,
        photo=photo,
        now=now(),
        blobs=get_blobs(),
    )
    session.commit()
    return serialise((schemas.ReportCreated.model_validate(report, from_attributes=True), 201))


@api.route(
    bp,
    "/api/v1/reports",
    "GET",
    summary="Consumer reports (reviewers: all; manufacturers: on their products)",
    tags=["reports"],
    scope="read",
    response=schemas.ReportList,
)
def list_reports() -> Any:
    """Reviewers see every report; a manufacturer sees the reports on its own products."""
    actor = current_actor()
    user = actor.require()
    session = get_session()
    stmt = select(ConsumerReport).order_by(ConsumerReport.id.desc()).limit(500)
    if not actor.is_reviewer:
        if user.manufacturer_id is None:
            raise Forbidden("only reviewers and manufacturers see reports")
        owned = select(Product.id).where(Product.manufacturer_id == user.manufacturer_id)
        stmt = stmt.where(ConsumerReport.product_id.in_(owned))
    return schemas.ReportList(items=[schemas.ReportOut.model_validate(r) for r in session.scalars(stmt)])


@api.describe(
    bp,
    "/api/v1/reports/<int:report_id>/photo",
    "GET",
    summary="The photo sent with a report",
    tags=["reports"],
    scope="read",
    produces="image/*",
)
@bp.get("/api/v1/reports/<int:report_id>/photo")
def report_photo(report_id: int) -> Response:
    actor = current_actor()
    user = actor.require()
    session = get_session()
    report = session.get(ConsumerReport, report_id)
    if report is None or (report.photo_blob is None and report.photo is None):
        raise NotFound(f"report {report_id} has no photo")
    if not actor.is_reviewer:
        product = session.get(Product, report.product_id) if report.product_id else None
        if product is None or product.manufacturer_id != user.manufacturer_id:
            raise NotFound(f"report {report_id} has no photo")
    if report.photo_blob is not None:
        return blob_response(report.photo_blob, media_type=report.photo_media_type)
    return Response(report.photo, mimetype=report.photo_media_type or "application/octet-stream")
