"""The registry console: review queues with evidence, decisions with reasons, the audit log, keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from config import settings_of
from core.db import get_session
from core.errors import NotFound, ProblemError
from core.models import AuditEvent, Role, User
from registry import manufacturers, queries, serialization
from registry import products as product_workflow
from registry.data.districts import DISTRICTS
from registry.data.taxonomy import CATEGORIES, CERTIFICATE_SCHEMES
from registry.models import Manufacturer, ManufacturerStatus, Product, ProductStatus
from registry.schemas import Approval, CertificateOverride, Decision
from signing.models import ConsumerReport, SigningKey
from web.guards import Actor, signed_in
from web.helpers import domain_errors, format_day, page_arg, register_error_pages
from web.language import current_lang
from web.report_status import REPORT_MOVES, REPORT_STATUS_LABELS, report_histories
from web.views_portal import DOCUMENT_KINDS, _move, company_documents, send_document

bp = Blueprint("web_console", __name__, url_prefix="/console")
register_error_pages(bp)
STAFF = (Role.REVIEWER, Role.ADMIN)
PER_PAGE = 50
MANUFACTURER_ACTIONS_FROM = {
    ManufacturerStatus.PENDING: ("verify", "reject"),
    ManufacturerStatus.VERIFIED: ("suspend",),
    ManufacturerStatus.SUSPENDED: ("reinstate",),
}
PRODUCT_ACTIONS_FROM = {
    ProductStatus.SUBMITTED: ("approve", "reject"),
    ProductStatus.LICENSED: ("suspend", "revoke"),
    ProductStatus.SUSPENDED: ("reinstate", "revoke"),
    ProductStatus.EXPIRED: ("revoke",),
}


@bp.get("/")
@signed_in(*STAFF)
def queues(actor: Actor) -> Any:
    db = get_session()
    makers = list(
        db.scalars(
            select(Manufacturer)
            .where(Manufacturer.status == ManufacturerStatus.PENDING)
            .order_by(Manufacturer.created_at)
            .limit(100)
        )
    )
    products = list(
        db.scalars(
            select(Product)
            .where(Product.status == ProductStatus.SUBMITTED)
            .options(selectinload(Product.certificates), selectinload(Product.manufacturer))
            .order_by(Product.submitted_at)
            .limit(100)
        )
    )
    counts = dict(db.execute(select(Product.status, func.count()).group_by(Product.status)).all())
    on = queries.today()
    problems = {
        p.id: explain_certificates(queries.missing_required_certificates(p, on), on) for p in products
    }
    return render_template(
        "console/queues.html",
        makers=makers,
        products=products,
        counts=counts,
        districts=DISTRICTS,
        categories=CATEGORIES,
        problems=problems,
    )


def explain_certificates(missing: dict[str, str], on: Any) -> list[str]:
    """``queries.missing_required_certificates`` in words, in the page's language."""
    out = []
    for scheme, problem in missing.items():
        en, bn = CERTIFICATE_SCHEMES.get(scheme, (scheme, scheme))
        name = bn if current_lang() == "bn" else en
        if problem == "missing":
            out.append(
                _(
                    "Required certificate missing: %(scheme)s (%(name)s). No certificate of this scheme "
                    "is linked to the product.",
                    scheme=scheme,
                    name=name,
                )
            )
        else:
            out.append(
                _(
                    "Required certificate not valid: %(scheme)s (%(name)s). No linked certificate of "
                    "this scheme is valid on %(day)s.",
                    scheme=scheme,
                    name=name,
                    day=format_day(on),
                )
            )
    return out


@bp.get("/products")
@signed_in(*STAFF)
def products(actor: Actor) -> Any:
    status = request.args.get("status") or None
    if status not in (None, *[s.value for s in ProductStatus]):
        status = None
    page = page_arg()
    stmt = queries.list_products_stmt(actor, status=status, manufacturer_id=None, category=None)
    items, total = queries.paginate(get_session(), stmt, page, PER_PAGE)
    return render_template(
        "console/products.html",
        items=items,
        total=total,
        page=page,
        status=status,
        pages=(total + PER_PAGE - 1) // PER_PAGE,
        statuses=[s.value for s in ProductStatus],
        categories=CATEGORIES,
    )


@bp.get("/manufacturers/<int:manufacturer_id>")
@signed_in(*STAFF)
def manufacturer(actor: Actor, manufacturer_id: int) -> Any:
    db = get_session()
    m = queries.get_manufacturer(db, actor, manufacturer_id)
    products = list(db.scalars(select(Product).where(Product.manufacturer_id == m.id).order_by(Product.id)))
    staff = list(db.scalars(select(User).where(User.manufacturer_id == m.id)))
    history = _history("manufacturer", m.id)

    return render_template(
        "console/manufacturer.html",
        m=m,
        products=products,
        staff=staff,
        history=history,
        documents=company_documents(m.id),
        kinds=DOCUMENT_KINDS,
        actions=MANUFACTURER_ACTIONS_FROM.get(ManufacturerStatus(m.status), ()),
        district=DISTRICTS.get(m.district),
        districts=DISTRICTS,
        categories=CATEGORIES,
    )


@bp.get("/documents/<int:document_id>")
@signed_in(*STAFF)
def document(actor: Actor, document_id: int) -> Any:
    """A company's own document (trade licence, BIN or TIN certificate), for the reviewer."""

    return send_document(document_id, None)


@bp.post("/manufacturers/<int:manufacturer_id>/<action>")
@signed_in(*STAFF)
def decide_manufacturer(actor: Actor, manufacturer_id: int, action: str) -> Any:
    if action not in queries.MANUFACTURER_TRANSITIONS:
        raise NotFound(f"no action {action}")
    db = get_session()
    m = queries.get_manufacturer(db, actor, manufacturer_id)
    try:
        decision = Decision(reason=(request.form.get("reason") or "").strip() or None)
        manufacturers.decide_manufacturer(db, actor, m, action, decision, _version())
    except ProblemError as exc:
        db.rollback()
        flash(domain_errors(exc)["form"], "error")
    else:
        db.commit()
        flash(_("Decision recorded."))
    return redirect(url_for("web_console.manufacturer", manufacturer_id=manufacturer_id), 303)


@bp.get("/products/<int:product_id>")
@signed_in(*STAFF)
def product(actor: Actor, product_id: int) -> Any:
    p = queries.get_product(get_session(), actor, product_id)
    data = serialization.product_to_dict(p)
    on = queries.today()
    missing = queries.missing_required_certificates(p, on)
    return render_template(
        "console/product.html",
        p=data,
        product=p,
        maker=p.manufacturer,
        certificate_problems=explain_certificates(missing, on),
        missing_certificates=missing,
        licence_expired="licence_expired" in data["flags"],
        history=_history("product", p.id),
        schemes=CERTIFICATE_SCHEMES,
        actions=PRODUCT_ACTIONS_FROM.get(ProductStatus(data["status"]), ()),
        category=CATEGORIES.get(p.category),
        licence_years=settings_of(current_app).registry.licence_years,
    )


@bp.post("/products/<int:product_id>/<action>")
@signed_in(*STAFF)
def decide_product(actor: Actor, product_id: int, action: str) -> Any:
    if action not in queries.PRODUCT_DECISIONS:
        raise NotFound(f"no action {action}")
    db = get_session()
    p = queries.get_product(db, actor, product_id)
    reason = (request.form.get("reason") or "").strip() or None
    override_reason = (request.form.get("override_reason") or "").strip()
    if action == "approve" and request.form.get("override") and not override_reason:
        flash(
            _("Not approved: write why the licence may be granted without the required certificate."), "error"
        )
        return redirect(url_for("web_console.product", product_id=product_id), 303)
    try:
        if action == "approve":
            years = request.form.get("valid_years", type=int)
            override = CertificateOverride(reason=override_reason) if request.form.get("override") else None
            decision: Decision = Approval(
                reason=reason, valid_years=years, override_missing_certificates=override
            )
        else:
            decision = Decision(reason=reason)
        product_workflow.decide_product(
            db, actor, p, action, decision, _version(), settings_of(current_app).registry.licence_years
        )
    except ProblemError as exc:
        db.rollback()
        missing = exc.extra.get("missing_certificates")
        if missing:
            on = queries.today()
            flash(
                _("Not approved: every certificate the category requires must be valid on the approval day."),
                "error",
            )
            for line in explain_certificates({m["scheme"]: m["problem"] for m in missing}, on):
                flash(line, "error")
            flash(
                _(
                    "Ask the manufacturer to link a valid certificate, or approve with an override and a reason."
                ),
                "error",
            )
        elif "override_missing_certificates" in {e.get("field") for e in exc.errors}:
            flash(
                _("Not approved: every required certificate is valid; approve without an override."), "error"
            )
        else:
            flash(domain_errors(exc)["form"], "error")
    except ValueError as exc:  # pydantic: e.g. licence years out of range
        db.rollback()
        flash(str(exc).splitlines()[0], "error")
    else:
        db.commit()
        flash(_("Decision recorded."))
    return redirect(url_for("web_console.product", product_id=product_id), 303)


def _version() -> int | None:
    raw = (request.form.get("version") or "").strip()
    return int(raw) if raw.isdigit() else None


def _history(target_type: str, target_id: int) -> list[AuditEvent]:
    return list(
        get_session().scalars(
            select(AuditEvent)
            .where(AuditEvent.target_type == target_type, AuditEvent.target_id == str(target_id))
            .order_by(AuditEvent.id.desc())
            .limit(100)
        )
    )


AUDIT_TARGETS = ("manufacturer", "product", "certificate", "user", "token", "key", "batch", "report")


@bp.get("/audit")
@signed_in(*STAFF)
def audit(actor: Actor) -> Any:
    f = {
        k: (request.args.get(k) or "").strip()
        for k in ("action", "target_type", "target_id", "actor", "since", "until")
    }
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc())
    errors: dict[str, str] = {}
    if f["action"]:
        stmt = stmt.where(AuditEvent.action.startswith(f["action"]))
    if f["target_type"] in AUDIT_TARGETS:
        stmt = stmt.where(AuditEvent.target_type == f["target_type"])
    if f["target_id"]:
        stmt = stmt.where(AuditEvent.target_id == f["target_id"])
    if f["actor"]:
        stmt = stmt.where(AuditEvent.actor == f["actor"].lower())
    for key, op in (("since", "ge"), ("until", "lt")):
        if f[key]:
            try:
                moment = datetime.fromisoformat(f[key])
            except ValueError:
                errors[key] = _("Use a date like 2026-03-05.")
                continue
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=ZoneInfo("Asia/Dhaka"))
            stmt = stmt.where(
                AuditEvent.occurred_at >= moment if op == "ge" else AuditEvent.occurred_at < moment
            )
    page = page_arg()
    items, total = queries.paginate(get_session(), stmt, page, PER_PAGE)
    pages = (total + PER_PAGE - 1) // PER_PAGE
    base = {k: v for k, v in f.items() if v}
    return render_template(
        "console/audit.html",
        items=items,
        total=total,
        page=page,
        pages=pages,
        f=f,
        errors=errors,
        targets=AUDIT_TARGETS,
        prev_query=urlencode({**base, "page": page - 1}) if page > 1 else None,
        next_query=urlencode({**base, "page": page + 1}) if page < pages else None,
    )


@bp.get("/reports")
@signed_in(*STAFF)
def reports(actor: Actor) -> Any:
    """Consumer reports of suspected fakes, newest first, with the product and the verdict the label had."""

    page = page_arg()
    stmt = select(ConsumerReport).order_by(ConsumerReport.id.desc())
    items, total = queries.paginate(get_session(), stmt, page, PER_PAGE)
    ids = {r.product_id for r in items if r.product_id}
    names = (
        dict(get_session().execute(select(Product.id, Product.name_en).where(Product.id.in_(ids))).all())
        if ids
        else {}
    )
    return render_template(
        "console/reports.html",
        items=items,
        total=total,
        page=page,
        names=names,
        pages=(total + PER_PAGE - 1) // PER_PAGE,
        districts=DISTRICTS,
        histories=report_histories(get_session(), [r.id for r in items]),
        moves=REPORT_MOVES,
        status_labels=REPORT_STATUS_LABELS,
    )


@bp.post("/reports/<int:report_id>/status")
@signed_in(*STAFF)
def move_report_status(actor: Actor, report_id: int) -> Any:
    """A reviewer moves a report (open, investigating, closed) with a note."""

    report = get_session().get(ConsumerReport, report_id)
    if report is None:
        raise NotFound(f"no report {report_id}")
    _move(actor, report)
    return redirect(url_for("web_console.reports"), 303)


@bp.get("/keys")
@signed_in(*STAFF)
def keys(actor: Actor) -> Any:
    """Issuing keys (current, retired, compromised) and their rotation history."""
    rows = list(get_session().scalars(select(SigningKey).order_by(SigningKey.created_at.desc())))
    history = list(
        get_session().scalars(
            select(AuditEvent)
            .where(AuditEvent.target_type == "key")
            .order_by(AuditEvent.id.desc())
            .limit(100)
        )
    )
    return render_template(
        "console/keys.html", keys=rows, history=history, wired="signing" in current_app.extensions
    )
