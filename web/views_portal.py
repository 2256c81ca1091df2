"""The manufacturer portal: registration, company profile, products and their review, certificates with
evidence, serial batches and labels (when signing provides them), consumer reports."""

from __future__ import annotations

import io
import tempfile
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

import labels
from config import settings_of
from core.audit import record_event
from core.blobs import blob_response, get_blobs
from core.db import get_session
from core.errors import NotFound, ProblemError, ValidationFailed
from core.models import ApiToken, AuditEvent, Role
from gs1.errors import LabelURLError
from labels.qa import check_pdf
from labels.services import download_name
from registry import manufacturers, queries, serialization
from registry import products as product_workflow
from registry.accounts import issue_token, start_session
from registry.certificates import create_certificate
from registry.data.districts import DISTRICTS
from registry.data.taxonomy import CATEGORIES, CERTIFICATE_SCHEMES
from registry.evidence import attach_company_document, attach_evidence, evidence_key
from registry.importing import CSV_COLUMNS
from registry.importing import import_products as run_import
from registry.models import Certificate, CompanyDocument, Notice, Product
from registry.schemas import (
    CertificateCreate,
    ManufacturerRegistration,
    ManufacturerUpdate,
    ProductCreate,
    ProductUpdate,
    StaffInvite,
)
from signing import recalls, schemas
from signing.batches import clear_unit_flags, create_batch, find_batch
from signing.errors import SigningError
from signing.keystore import ensure_current_signer
from signing.label_views import (
    batch_items,
    direct_limit,
    load_printable_batch,
    snapshot_batch,
    submit_batch_job,
)
from signing.labels import parse_label_url
from signing.models import ConsumerReport, Recall, Scan, SerialBatch, Unit
from signing.record_service import publish_status_list
from signing.settings import SigningSettings
from web import accounts, forms
from web.charts import bar_chart
from web.guards import Actor, public_page, signed_in
from web.helpers import domain_errors, format_day, pick_language, register_error_pages, to_local_digits
from web.language import current_lang
from web.notices import notice_text
from web.report_status import REPORT_MOVES, REPORT_STATUS_LABELS, move_report, report_histories

bp = Blueprint("web_portal", __name__, url_prefix="/portal")
register_error_pages(bp)
MAKER = (Role.MANUFACTURER,)


def _my_product(actor: Actor, product_id: int) -> Product:
    p = queries.get_product(get_session(), actor, product_id)
    if p.manufacturer_id != actor.user.manufacturer_id:  # type: ignore[union-attr]
        raise NotFound(f"no product {product_id}")
    return p


def _my_certificates(actor: Actor) -> list[Certificate]:
    return list(
        get_session().scalars(
            select(Certificate)
            .where(Certificate.manufacturer_id == actor.user.manufacturer_id)
            .order_by(Certificate.id)
        )
    )  # type: ignore[union-attr]


@bp.get("/")
@signed_in(*MAKER)
def dashboard(actor: Actor) -> Any:
    db = get_session()
    m = queries.get_manufacturer(db, actor, actor.user.manufacturer_id)  # type: ignore[union-attr]
    products = list(
        db.scalars(select(Product).where(Product.manufacturer_id == m.id).order_by(Product.id.desc()))
    )
    return render_template(
        "portal/dashboard.html",
        m=m,
        products=products,
        categories=CATEGORIES,
        signing_ready=_batches_available(),
    )


@bp.route("/register", methods=["GET", "POST"])
@public_page
def register() -> Any:
    values = request.form if request.method == "POST" else {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        db = get_session()
        try:
            data = forms.validate(ManufacturerRegistration, forms.registration_data(request.form))
            m, owner = manufacturers.register_manufacturer(db, data)
        except forms.FormInvalid as exc:
            errors = exc.fields
        except ProblemError as exc:
            db.rollback()
            errors = domain_errors(exc)
        else:
            start_session(db, owner)
            db.commit()
            flash(_("Thank you. Your company is registered and waits for a reviewer's verification."))
            return redirect(url_for("web_portal.dashboard"), 303)
    return render_template("portal/register.html", values=values, errors=errors, districts=DISTRICTS), (
        422 if errors else 200
    )


@bp.route("/profile", methods=["GET", "POST"])
@signed_in(*MAKER)
def profile(actor: Actor) -> Any:
    db = get_session()
    m = queries.get_manufacturer(db, actor, actor.user.manufacturer_id)  # type: ignore[union-attr]
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            data = forms.validate(ManufacturerUpdate, forms.profile_data(request.form))
            manufacturers.update_manufacturer(db, actor, m, data, forms.expected_version(request.form))
        except forms.FormInvalid as exc:
            errors = exc.fields
        except ProblemError as exc:
            db.rollback()
            errors = domain_errors(exc)
        else:
            db.commit()
            flash(_("The company profile was saved."))
            return redirect(url_for("web_portal.profile"), 303)
    return render_template(
        "portal/profile.html",
        m=m,
        errors=errors,
        values=request.form,
        districts=DISTRICTS,
        documents=company_documents(m.id),
        kinds=DOCUMENT_KINDS,
    ), (422 if errors else 200)


def company_documents(manufacturer_id: int) -> list[Any]:

    return list(
        get_session().scalars(
            select(CompanyDocument)
            .where(CompanyDocument.manufacturer_id == manufacturer_id)
            .order_by(CompanyDocument.id.desc())
        )
    )


DOCUMENT_KINDS = {
    "trade_licence": _l("Trade licence"),
    "bin_certificate": _l("BIN certificate"),
    "tin_certificate": _l("TIN certificate"),
}


@bp.post("/documents")
@signed_in(*MAKER)
def upload_document(actor: Actor) -> Any:
    """The company's own papers (trade licence, BIN and TIN certificates) for the reviewer."""

    db = get_session()
    upload = request.files.get("file")
    limit = settings_of(current_app).registry.max_evidence_bytes
    try:
        if upload is None or not upload.filename:
            raise ValidationFailed.field("file", "choose a file")
        attach_company_document(
            db,
            actor,
            actor.user.manufacturer_id,
            request.form.get("kind", ""),  # type: ignore[union-attr,arg-type]
            upload.stream.read(limit + 1),
            upload.filename,
            blobs=get_blobs(),
            limit=limit,
        )
    except ProblemError as exc:
        db.rollback()
        errors = domain_errors(exc)
        flash(errors.get("file") or errors.get("kind") or errors["form"], "error")
    else:
        db.commit()
        flash(_("The document was uploaded for the reviewer."))
    return redirect(url_for("web_portal.profile") + "#documents", 303)


@bp.get("/documents/<int:document_id>")
@signed_in(*MAKER)
def document(actor: Actor, document_id: int) -> Any:
    return send_document(document_id, actor.user.manufacturer_id)  # type: ignore[union-attr]


def send_document(document_id: int, manufacturer_id: int | None) -> Any:
    """The stored file of a company document (``manufacturer_id`` None: any company's, for reviewers)."""

    doc = get_session().get(CompanyDocument, document_id)
    if doc is None or (manufacturer_id is not None and doc.manufacturer_id != manufacturer_id):
        raise NotFound(f"no document {document_id}")
    return blob_response(evidence_key(doc.sha256), media_type=doc.media_type, download_name=doc.filename)


def _product_form(actor: Actor, p: Product | None) -> Any:
    db = get_session()
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            if p is None:
                data = forms.validate(ProductCreate, forms.product_data(request.form))
                p = product_workflow.create_product(db, actor, data)
            else:
                data = forms.validate(ProductUpdate, forms.product_data(request.form, for_update=True))
                product_workflow.update_product(db, actor, p, data, forms.expected_version(request.form))
        except forms.FormInvalid as exc:
            errors = exc.fields
        except ProblemError as exc:
            db.rollback()
            errors = domain_errors(exc)
        else:
            db.commit()
            if request.form.get("and_submit") and p is not None:
                return _submit(actor, p)
            flash(_("The product was saved as a draft."))
            return redirect(url_for("web_portal.product", product_id=p.id), 303)
    if request.method == "POST":
        values: dict[str, Any] = dict(request.form)
        values["certificate_ids"] = [int(i) for i in request.form.getlist("certificate_ids") if i.isdigit()]
    elif p is not None:
        values = serialization.product_to_dict(p)
        values["specifications"] = forms.format_specifications(p.specifications)
        values["certificate_ids"] = [c.id for c in p.certificates]
    else:
        values = {"certificate_ids": []}
    return render_template(
        "portal/product_form.html",
        p=p,
        values=values,
        errors=errors,
        categories=CATEGORIES,
        certificates=_my_certificates(actor),
        schemes=CERTIFICATE_SCHEMES,
    ), (422 if errors else 200)


@bp.route("/products/new", methods=["GET", "POST"])
@signed_in(*MAKER)
def new_product(actor: Actor) -> Any:
    return _product_form(actor, None)


@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
@signed_in(*MAKER)
def edit_product(actor: Actor, product_id: int) -> Any:
    return _product_form(actor, _my_product(actor, product_id))


@bp.get("/products/<int:product_id>")
@signed_in(*MAKER)
def product(actor: Actor, product_id: int) -> Any:
    return _product_page(_my_product(actor, product_id))


def _product_page(p: Product, recall_values: Any = None, recall_errors: dict[str, str] | None = None) -> Any:
    history = list(
        get_session().scalars(
            select(AuditEvent)
            .where(AuditEvent.target_type == "product", AuditEvent.target_id == str(p.id))
            .order_by(AuditEvent.id.desc())
        )
    )
    return render_template(
        "portal/product.html",
        p=serialization.product_to_dict(p),
        product=p,
        history=history,
        categories=CATEGORIES,
        batches=_batches_of(p),
        signing_ready=_batches_available(),
        recalls=_recalls_of(p),
        recall_values=recall_values or {},
        recall_errors=recall_errors or {},
    ), 422 if recall_errors else 200


def _recalls_of(p: Product) -> list[Any]:
    if not _batches_available():
        return []

    return list(
        get_session().scalars(select(Recall).where(Recall.product_id == p.id).order_by(Recall.id.desc()))
    )


def _submit(actor: Actor, p: Product) -> Any:
    db = get_session()
    try:
        product_workflow.submit_product(db, actor, p, None)
    except ProblemError as exc:
        db.rollback()
        flash(domain_errors(exc)["form"], "error")
    else:
        db.commit()
        flash(_("The product was submitted for review."))
    return redirect(url_for("web_portal.product", product_id=p.id), 303)


@bp.post("/products/<int:product_id>/submit")
@signed_in(*MAKER)
def submit_product(actor: Actor, product_id: int) -> Any:
    return _submit(actor, _my_product(actor, product_id))


@bp.route("/staff", methods=["GET", "POST"])
@signed_in(*MAKER)
def staff(actor: Actor) -> Any:
    """The company's accounts; its owner invites colleagues (they get a link to choose a password)."""

    db = get_session()
    m = queries.get_manufacturer(db, actor, actor.user.manufacturer_id)  # type: ignore[union-attr]
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            data = forms.validate(StaffInvite, forms.staff_data(request.form))
            member, _password = manufacturers.invite_staff(
                db, actor, m, data
            )  # the mailed link replaces the password
        except forms.FormInvalid as exc:
            errors = exc.fields
        except ProblemError as exc:
            db.rollback()
            errors = domain_errors(exc)
        else:
            db.commit()
            accounts.send_invitation(member, actor.user, m.legal_name_en)  # type: ignore[arg-type]
            flash(_("%(email)s was added and has an e-mail to choose a password.", email=member.email))
            return redirect(url_for("web_portal.staff"), 303)
    return render_template(
        "portal/staff.html",
        m=m,
        people=manufacturers.list_staff(db, actor, m),
        errors=errors,
        values=request.form,
        is_owner=actor.user.is_owner,
    ), (422 if errors else 200)  # type: ignore[union-attr]


@bp.post("/staff/<int:user_id>/deactivate", defaults={"action": "deactivate"})
@bp.post("/staff/<int:user_id>/reactivate", defaults={"action": "reactivate"})
@signed_in(*MAKER)
def switch_staff(actor: Actor, user_id: int, action: str) -> Any:
    db = get_session()
    m = queries.get_manufacturer(db, actor, actor.user.manufacturer_id)  # type: ignore[union-attr]
    try:
        member = manufacturers.set_staff_active(db, actor, m, user_id, action == "reactivate")
    except ProblemError as exc:
        db.rollback()
        flash(domain_errors(exc)["form"], "error")
    else:
        db.commit()
        flash(
            _("%(email)s can sign in again.", email=member.email)
            if member.is_active
            else _("%(email)s can no longer sign in.", email=member.email)
        )
    return redirect(url_for("web_portal.staff"), 303)


@bp.route("/certificates", methods=["GET", "POST"])
@signed_in(*MAKER)
def certificates(actor: Actor) -> Any:
    db = get_session()
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            data = forms.validate(CertificateCreate, forms.certificate_data(request.form))
            c = create_certificate(db, actor, data)
        except forms.FormInvalid as exc:
            errors = exc.fields
        except ProblemError as exc:
            db.rollback()
            errors = domain_errors(exc)
        else:
            upload = request.files.get("file")
            if upload is not None and upload.filename:
                try:
                    _store_evidence(actor, c, upload)
                except ProblemError as exc:
                    db.rollback()
                    errors = domain_errors(exc)
            if not errors:
                db.commit()
                flash(_("The certificate was added."))
                return redirect(url_for("web_portal.certificates"), 303)
    return render_template(
        "portal/certificates.html",
        certificates=_my_certificates(actor),
        errors=errors,
        values=request.form,
        schemes=CERTIFICATE_SCHEMES,
    ), (422 if errors else 200)


def _store_evidence(actor: Actor, c: Certificate, upload: Any) -> None:
    """Keep an evidence file exactly as the API does (one service: type by content, size limit, audit)."""

    limit = settings_of(current_app).registry.max_evidence_bytes
    attach_evidence(
        get_session(),
        actor,
        c,
        upload.stream.read(limit + 1),
        upload.filename or "evidence",
        blobs=get_blobs(),
        limit=limit,
    )


@bp.post("/certificates/<int:certificate_id>/evidence")
@signed_in(*MAKER)
def upload_evidence(actor: Actor, certificate_id: int) -> Any:
    db = get_session()
    c = db.get(Certificate, certificate_id)
    if c is None or c.manufacturer_id != actor.user.manufacturer_id:  # type: ignore[union-attr]
        raise NotFound(f"no certificate {certificate_id}")
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise ValidationFailed.field("file", "choose a file")
        _store_evidence(actor, c, upload)
    except ProblemError as exc:
        db.rollback()
        flash(domain_errors(exc).get("file") or domain_errors(exc)["form"], "error")
    else:
        db.commit()
        flash(_("The evidence file was uploaded."))
    return redirect(url_for("web_portal.certificates"), 303)


@bp.get("/reports")
@signed_in(*MAKER)
def reports(actor: Actor) -> Any:
    """Consumer reports about the company's products and serials flagged as possibly copied."""

    db = get_session()
    mine = select(Product.id).where(Product.manufacturer_id == actor.user.manufacturer_id)  # type: ignore[union-attr]
    reports = list(
        db.scalars(
            select(ConsumerReport)
            .where(ConsumerReport.product_id.in_(mine))
            .order_by(ConsumerReport.id.desc())
            .limit(200)
        )
    )
    flagged = list(
        db.scalars(
            select(Unit)
            .where(Unit.product_id.in_(mine), Unit.flagged_at.is_not(None))
            .order_by(Unit.flagged_at.desc())
            .limit(200)
        )
    )
    names = dict(db.execute(select(Product.id, Product.name_en).where(Product.id.in_(mine))).all())
    return render_template(
        "portal/reports.html",
        reports=reports,
        flagged=flagged,
        names=names,
        districts=DISTRICTS,
        histories=report_histories(db, [r.id for r in reports]),
        moves=REPORT_MOVES,
        status_labels=REPORT_STATUS_LABELS,
    )


ANALYTICS_DAYS = 30


@bp.get("/analytics")
@signed_in(*MAKER)
def analytics(actor: Actor) -> Any:
    """Scans of the company's labels over the last 30 days: per day and per district, first and repeat scans,
    and units flagged as possibly copied, as charts drawn on the server with their tables."""

    db = get_session()
    mine = select(Product.gtin).where(Product.manufacturer_id == actor.user.manufacturer_id)  # type: ignore[union-attr]
    since = datetime.now(UTC) - timedelta(days=ANALYTICS_DAYS)
    day = func.date(Scan.scanned_at)
    per_day = [
        (str(d), int(n))
        for d, n in db.execute(
            select(day, func.count())
            .where(Scan.gtin.in_(mine), Scan.scanned_at >= since)
            .group_by(day)
            .order_by(day)
        )
    ]
    per_district = [
        (d, int(n))
        for d, n in db.execute(
            select(Scan.district, func.count())
            .where(Scan.gtin.in_(mine), Scan.scanned_at >= since)
            .group_by(Scan.district)
            .order_by(func.count().desc(), Scan.district)
        )
    ]
    total = sum(n for _, n in per_day)
    first = int(
        db.scalar(
            select(func.count()).select_from(Unit).where(Unit.gtin.in_(mine), Unit.first_seen_at >= since)
        )
        or 0
    )
    flagged = int(
        db.scalar(
            select(func.count()).select_from(Unit).where(Unit.gtin.in_(mine), Unit.flagged_at.is_not(None))
        )
        or 0
    )
    day_rows = [(to_local_digits(format_day(d)), n) for d, n in per_day]
    district_rows = [
        (pick_language(DISTRICTS[d], "name") if d in DISTRICTS else _("Unknown"), n) for d, n in per_district
    ]
    kind_rows = [
        (_("First scans"), first),
        (_("Repeat scans"), max(0, total - first)),
        (_("Flagged units"), flagged),
    ]
    return render_template(
        "portal/analytics.html",
        days=ANALYTICS_DAYS,
        total=total,
        day_rows=day_rows,
        district_rows=district_rows,
        kind_rows=kind_rows,
        day_chart=bar_chart(day_rows, _("Scans per day"), "c-days"),
        district_chart=bar_chart(district_rows, _("Scans per district"), "c-districts"),
        kind_chart=bar_chart(kind_rows, _("First and repeat scans, flagged units"), "c-kinds"),
    )


@bp.post("/reports/<int:report_id>/status")
@signed_in(*MAKER)
def move_report_status(actor: Actor, report_id: int) -> Any:
    """Move a report about one of the company's products (open, investigating, closed) with a note."""

    db = get_session()
    report = db.get(ConsumerReport, report_id)
    if report is None or report.product_id is None:
        raise NotFound(f"no report {report_id}")
    _my_product(actor, report.product_id)
    _move(actor, report)
    return redirect(url_for("web_portal.reports"), 303)


def _move(actor: Actor, report: Any) -> None:
    db = get_session()
    try:
        move_report(db, actor, report, request.form.get("status", ""), request.form.get("note", ""))
    except ProblemError as exc:
        db.rollback()
        errors = domain_errors(exc)
        flash(errors.get("note") or errors.get("status") or errors["form"], "error")
    else:
        db.commit()
        flash(_("The report's status was saved."))


TOKEN_SCOPES = ("read", "write")
TOKEN_DAYS = (30, 90, 180, 365)


@bp.route("/tokens", methods=["GET", "POST"])
@signed_in(*MAKER)
def tokens(actor: Actor) -> Any:
    """API tokens for the company's systems: create one with scopes and a lifetime (its secret is shown on
    this one response and never again), see when each was last used, revoke it."""

    db = get_session()
    user = actor.user
    errors: dict[str, str] = {}
    secret = None
    status = 200
    if request.method == "POST":
        name = (request.form.get("name") or "").strip()
        scopes = [s for s in request.form.getlist("scopes") if s in TOKEN_SCOPES]
        days = request.form.get("days", type=int)
        if not name or len(name) > 100:
            errors["name"] = _(
                "Give the token a name of at most 100 characters, e.g. the system that uses it."
            )
        if not scopes:
            errors["scopes"] = _("Choose at least one permission.")
        if days not in TOKEN_DAYS:
            errors["days"] = _("Choose how long the token is valid.")
        if not errors:
            token, secret = issue_token(db, user, name, scopes, days)  # type: ignore[arg-type]
            record_event(
                db,
                actor=actor,
                action="token.created",
                target_type="token",
                target_id=token.id,
                after={
                    "name": token.name,
                    "scopes": token.scopes,
                    "expires_at": token.expires_at.isoformat(),
                },
            )
            db.commit()
            status = 201
        else:
            status = 422
    rows = list(db.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))  # type: ignore[union-attr]
    return render_template(
        "portal/tokens.html",
        tokens=rows,
        errors=errors,
        values=request.form,
        secret=secret,
        scopes=TOKEN_SCOPES,
        day_choices=TOKEN_DAYS,
        now=_now(),
    ), status


def _now() -> Any:

    return datetime.now(UTC)


@bp.post("/tokens/<int:token_id>/revoke")
@signed_in(*MAKER)
def revoke_token(actor: Actor, token_id: int) -> Any:

    db = get_session()
    token = db.get(ApiToken, token_id)
    if token is None or token.user_id != actor.user.id:  # type: ignore[union-attr]
        raise NotFound(f"no token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = _now()
        record_event(db, actor=actor, action="token.revoked", target_type="token", target_id=token.id)
        db.commit()
    flash(_("The token %(name)s is revoked; requests with it are refused from now on.", name=token.name))
    return redirect(url_for("web_portal.tokens"), 303)


IMPORT_TYPES = {".csv": "text/csv", ".jsonl": "application/x-ndjson", ".ndjson": "application/x-ndjson"}


@bp.route("/import", methods=["GET", "POST"])
@signed_in(*MAKER)
def import_products(actor: Actor) -> Any:
    """Bulk import of draft products from CSV or JSON Lines, with the API's per-row report: a check only, all
    or nothing, or the valid rows only."""

    db = get_session()
    errors: dict[str, str] = {}
    report = None
    mode = request.form.get("mode", "all-or-nothing")
    if request.method == "POST":
        upload = request.files.get("file")
        name = (upload.filename or "").lower() if upload is not None else ""
        media_type = next((t for suffix, t in IMPORT_TYPES.items() if name.endswith(suffix)), None)
        try:
            if upload is None or not name:
                raise ValidationFailed.field("file", _("Choose a CSV or JSON Lines file."))
            if media_type is None:
                raise ValidationFailed.field("file", _("The file must end in .csv, .jsonl or .ndjson."))
            if mode not in ("all-or-nothing", "valid-only", "check"):
                mode = "all-or-nothing"
            report = run_import(
                db,
                actor,
                upload.stream.read(),
                media_type,
                mode="all-or-nothing" if mode == "check" else mode,
                max_rows=settings_of(current_app).registry.max_import_rows,
                dry_run=mode == "check",
            )
        except ProblemError as exc:
            db.rollback()
            errors = domain_errors(exc)
        else:
            db.commit()
    status = 422 if errors or (report and report["invalid"] and not report["created"]) else 200
    return render_template(
        "portal/import.html", errors=errors, report=report, mode=mode, columns=CSV_COLUMNS
    ), status


@bp.get("/notices")
@signed_in(*MAKER)
def notices(actor: Actor) -> Any:
    """The company's decisions and reminders, newest first, as they were also mailed to it."""

    db = get_session()
    rows = list(
        db.scalars(
            select(Notice)
            .where(Notice.manufacturer_id == actor.user.manufacturer_id)  # type: ignore[union-attr]
            .order_by(Notice.id.desc())
            .limit(200)
        )
    )
    lang = current_lang()
    items = [(n, *notice_text(n.kind, n.params, lang)) for n in rows]
    return render_template(
        "portal/notices.html", items=items, unread=sum(1 for n in rows if n.read_at is None)
    )


@bp.post("/notices/read")
@signed_in(*MAKER)
def read_notices(actor: Actor) -> Any:

    db = get_session()
    db.execute(
        update(Notice)
        .where(
            Notice.manufacturer_id == actor.user.manufacturer_id,  # type: ignore[union-attr]
            Notice.read_at.is_(None),
        )
        .values(read_at=datetime.now(UTC))
    )
    db.commit()
    return redirect(url_for("web_portal.notices"), 303)


# ---------------------------------------------------------------- serial batches (signing + labels)

LABEL_FORMATS = ("pdf", "zip-svg", "zip-png", "csv")


def _batches_available() -> bool:
    """Serial batches need the signing package wired into the app (its extension holds the key)."""
    return "signing" in current_app.extensions


def _batches_of(p: Product) -> list[Any]:
    if not _batches_available():
        return []

    return list(
        get_session().scalars(
            select(SerialBatch).where(SerialBatch.product_id == p.id).order_by(SerialBatch.id.desc())
        )
    )


def _signer() -> Any:
    """The current issuing key, from the signing package's extension when it is wired."""
    ext = current_app.extensions.get("signing")
    if ext is not None:
        ext.ready()
        return ext.signer(get_session())

    return ensure_current_signer(get_session(), SigningSettings.from_settings(settings_of(current_app)))


@bp.post("/products/<int:product_id>/batches")
@signed_in(*MAKER)
def request_batch(actor: Actor, product_id: int) -> Any:

    p = _my_product(actor, product_id)
    db = get_session()
    count = request.form.get("count", type=int)
    try:
        if count is None:
            raise ValidationFailed.field("count", "give the number of serials")
        batch = create_batch(db, p, count, user_id=actor.user.id, now=datetime.now(UTC))  # type: ignore[union-attr]
        record_event(
            db,
            actor=actor,
            action="batch.created",
            target_type="batch",
            target_id=batch.id,
            after={"product_id": p.id, "count": count, "prefix": batch.prefix},
        )
    except (ProblemError, SigningError) as exc:
        db.rollback()
        flash(domain_errors(exc)["form"], "error")
    else:
        db.commit()
        flash(_("A batch of %(n)s serials was issued.", n=count))
    return redirect(url_for("web_portal.product", product_id=p.id), 303)


@bp.post("/units/<int:unit_id>/clear-flags")
@signed_in(*MAKER)
def clear_flags(actor: Actor, unit_id: int) -> Any:
    """Clear a copy flag the manufacturer has checked and found false, with what was checked (audited)."""

    db = get_session()
    unit = db.get(Unit, unit_id)
    if unit is None or unit.product_id is None:
        raise NotFound(f"no unit {unit_id}")
    _my_product(actor, unit.product_id)
    reason = (request.form.get("reason") or "").strip()[:500]
    try:
        if not reason:
            raise ValidationFailed.field("reason", "say what was checked")
        unit, previous = clear_unit_flags(db, unit.gtin, unit.serial, now=datetime.now(UTC))
        record_event(
            db,
            actor=actor,
            action="unit.flags_cleared",
            target_type="unit",
            target_id=f"{unit.gtin}/{unit.serial}",
            before={"flags": previous},
            after={"flags": []},
            reason=reason,
        )
    except (ProblemError, SigningError) as exc:
        db.rollback()
        flash(domain_errors(exc).get("reason") or domain_errors(exc)["form"], "error")
    else:
        db.commit()
        flash(_("The flag is cleared; only later scans count from now on."))
    return redirect(url_for("web_portal.reports"), 303)


@bp.post("/products/<int:product_id>/recall")
@signed_in(*MAKER)
def recall(actor: Actor, product_id: int) -> Any:
    """Recall the whole product, one of its batches or one unit (by its label URL), with the words consumers
    will read on the verification page in both languages."""

    p = _my_product(actor, product_id)
    db = get_session()
    form = request.form
    now = datetime.now(UTC)
    try:
        text = recalls.RecallText.from_json({k: form.get(k, "") for k in recalls.FIELD_HELP})
        scope = form.get("scope", "")
        if scope == "product":
            row = recalls.recall_product(db, p, text, now=now, user_id=actor.user.id)  # type: ignore[union-attr]
        elif scope == "batch":
            batch = db.get(SerialBatch, form.get("batch_id", type=int) or 0)
            if batch is None or batch.product_id != p.id:
                raise recalls.RecallError(_("Choose one of this product's batches."), field="batch_id")
            row = recalls.recall_batch(db, batch, text, now=now, user_id=actor.user.id)  # type: ignore[union-attr]
        elif scope == "unit":
            try:
                label = parse_label_url(form.get("url", ""))
            except LabelURLError as exc:
                raise recalls.RecallError(
                    _("Paste the unit's label address (it has /21/ and a serial)."), field="url"
                ) from exc
            found = find_batch(db, p.gtin, label.serial) if label.serial and label.gtin == p.gtin else None
            if found is None or label.serial is None:
                raise recalls.RecallError(_("No batch of this product issued that label."), field="url")
            row = recalls.recall_unit(db, found, label.serial, text, now=now, user_id=actor.user.id)  # type: ignore[union-attr]
        else:
            raise recalls.RecallError(_("Choose what to recall."), field="scope")
        recalls.audit_recall(db, actor, row)
        publish_status_list(db, _signer(), current_app.extensions["signing"].settings, now=now)
    except (ProblemError, SigningError) as exc:
        db.rollback()
        return _product_page(_my_product(actor, product_id), form, domain_errors(exc))
    db.commit()
    current_app.extensions["signing"].catalogue.clear()
    flash(_("The recall is published: the labels it covers now say so when scanned."))
    return redirect(url_for("web_portal.product", product_id=p.id), 303)


@bp.get("/batches/<int:batch_id>/labels.<fmt>")
@signed_in(*MAKER)
def download_labels(actor: Actor, batch_id: int, fmt: str) -> Any:
    """The batch's labels as a PDF sheet (A4 or roll), a ZIP of SVG/PNG files, or a CSV of URLs: small runs
    directly, big ones as a label job whose progress page refreshes until the file is ready."""

    fmt = {"zip": "zip-svg"}.get(fmt, fmt)
    if fmt not in LABEL_FORMATS:
        raise NotFound(f"no labels {batch_id}.{fmt}")
    batch, product = load_printable_batch(batch_id)
    if product.manufacturer_id != actor.user.manufacturer_id:  # type: ignore[union-attr]
        raise NotFound(f"no batch {batch_id}")
    start = min(max(0, request.args.get("start", 0, type=int) or 0), batch.count - 1)
    stop = min(batch.count, max(start + 1, request.args.get("stop", batch.count, type=int) or batch.count))
    layout = request.args.get("layout", "a4")
    labels.get_layout(layout)  # an unknown layout fails here, before any work
    stem = f"labels-{batch.gtin}-{batch.prefix}" + (
        f"-{start}-{stop}" if (start, stop) != (0, batch.count) else ""
    )
    source = snapshot_batch(
        batch, product
    )  # ends the request's transaction: rendering must not hold the lock
    if fmt == "csv":
        items, _ = batch_items(source, start, stop)
        resp = Response(stream_with_context(labels.iter_csv(items)), mimetype="text/csv; charset=utf-8")
        resp.headers["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
        return resp
    if stop - start > direct_limit():
        job = submit_batch_job(batch_id, start, stop, actor.user.id, fmt, layout, stem)  # type: ignore[union-attr]
        return redirect(url_for("web_portal.label_job", job_id=job.id), 303)
    items, _ = batch_items(source, start, stop)
    spool = tempfile.SpooledTemporaryFile(max_size=32 << 20)  # noqa: SIM115 - closed by _stream_file
    try:
        labels.write_labels(items, spool, fmt, layout)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    resp = Response(_stream_file(spool), mimetype="application/pdf" if fmt == "pdf" else "application/zip")
    resp.headers["Content-Disposition"] = f'attachment; filename="{download_name(stem, fmt, layout)}"'
    return resp


LABEL_LAYOUTS = ("a4", "roll-40x30", "roll-25x25")


@bp.get("/batches/<int:batch_id>/labels-check")
@signed_in(*MAKER)
def check_labels(actor: Actor, batch_id: int) -> Any:
    """Printing QA before download: render the PDF of a range of the batch, read it back as a 300 dpi printer
    and a scanner would (a sample of pages, or all), and show whether every code decodes to its own label."""

    batch, product = load_printable_batch(batch_id)
    if product.manufacturer_id != actor.user.manufacturer_id:  # type: ignore[union-attr]
        raise NotFound(f"no batch {batch_id}")
    layout = request.args.get("layout", "a4")
    if layout not in LABEL_LAYOUTS:
        layout = "a4"
    pages = "all" if request.args.get("pages") == "all" else "sample"
    count = batch.count
    start = min(max(0, request.args.get("start", 0, type=int) or 0), count - 1)
    stop = min(count, start + direct_limit())  # one check covers at most what downloads directly
    source = snapshot_batch(batch, product)  # ends the request's transaction before the work
    items, _ = batch_items(source, start, stop)
    urls: list[str] = []
    buffer = io.BytesIO()
    labels.write_labels(((urls.append(url) or (url, text)) for url, text in items), buffer, "pdf", layout)
    report = check_pdf(buffer.getvalue(), urls, labels.get_layout(layout), pages)
    return render_template(
        "portal/label_check.html",
        batch=batch,
        product=product,
        layout=layout,
        pages=pages,
        start=start,
        stop=stop,
        report=report,
        layouts=LABEL_LAYOUTS,
    )


@bp.get("/label-jobs/<job_id>")
@signed_in(*MAKER)
def label_job(actor: Actor, job_id: str) -> Any:
    """Progress of a big label run; the page refreshes itself (no JavaScript) until the file is ready."""
    job = current_app.extensions["labels.jobs"].get(job_id, actor.user.id)  # type: ignore[union-attr]
    return render_template("portal/label_job.html", job=schemas.LabelJobOut.of(job).model_dump(mode="json"))


def _stream_file(f: Any) -> Any:
    try:
        while chunk := f.read(256 * 1024):
            yield chunk
    finally:
        f.close()
