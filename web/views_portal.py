"""The manufacturer portal: registration, company profile, products and their review, certificates with
evidence, serial batches and labels (when signing provides them), consumer reports."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from registry import services
from registry.audit import record_event
from registry.data.districts import DISTRICTS
from registry.data.taxonomy import CATEGORIES, CERTIFICATE_SCHEMES
from registry.db import get_session
from registry.errors import RegistryError
from registry.models import AuditEvent, Certificate, Product, Role
from registry.schemas import (
    CertificateCreate,
    ManufacturerRegistration,
    ManufacturerUpdate,
    ProductCreate,
    ProductUpdate,
)
from web import forms
from web.guards import Actor, signed_in
from web.helpers import domain_errors, register_error_pages

bp = Blueprint("web_portal", __name__, url_prefix="/portal")
register_error_pages(bp)
MAKER = (Role.MANUFACTURER,)


def _my_product(actor: Actor, product_id: int) -> Product:
    p = services.get_product(get_session(), actor, product_id)
    if p.manufacturer_id != actor.user.manufacturer_id:  # type: ignore[union-attr]
        raise services.NotFound(f"no product {product_id}")
    return p


def _my_certificates(actor: Actor) -> list[Certificate]:
    return list(get_session().scalars(select(Certificate).where(
        Certificate.manufacturer_id == actor.user.manufacturer_id).order_by(Certificate.id)))  # type: ignore[union-attr]


@bp.get("/")
@signed_in(*MAKER)
def dashboard(actor: Actor) -> Any:
    db = get_session()
    m = services.get_manufacturer(db, actor, actor.user.manufacturer_id)  # type: ignore[union-attr]
    products = list(db.scalars(select(Product).where(Product.manufacturer_id == m.id).order_by(Product.id.desc())))
    return render_template("portal/dashboard.html", m=m, products=products, categories=CATEGORIES,
                           signing_ready=_batches_available())


@bp.route("/register", methods=["GET", "POST"])
def register() -> Any:
    values = request.form if request.method == "POST" else {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        db = get_session()
        try:
            data = forms.validate(ManufacturerRegistration, forms.registration_data(request.form))
            m, owner = services.register_manufacturer(db, data)
        except forms.FormInvalid as exc:
            errors = exc.fields
        except RegistryError as exc:
            db.rollback()
            errors = domain_errors(exc)
        else:
            db.commit()
            session.clear()
            session["user_id"] = owner.id
            session["auth_epoch"] = owner.password_hash[-12:]
            flash(_("Thank you. Your company is registered and waits for a reviewer's verification."))
            return redirect(url_for("web_portal.dashboard"), 303)
    return render_template("portal/register.html", values=values, errors=errors, districts=DISTRICTS), (
        422 if errors else 200)


@bp.route("/profile", methods=["GET", "POST"])
@signed_in(*MAKER)
def profile(actor: Actor) -> Any:
    db = get_session()
    m = services.get_manufacturer(db, actor, actor.user.manufacturer_id)  # type: ignore[union-attr]
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            data = forms.validate(ManufacturerUpdate, forms.profile_data(request.form))
            services.update_manufacturer(db, actor, m, data, forms.expected_version(request.form))
        except forms.FormInvalid as exc:
            errors = exc.fields
        except RegistryError as exc:
            db.rollback()
            errors = domain_errors(exc)
        else:
            db.commit()
            flash(_("The company profile was saved."))
            return redirect(url_for("web_portal.profile"), 303)
    return render_template("portal/profile.html", m=m, errors=errors, values=request.form, districts=DISTRICTS), (
        422 if errors else 200)


def _product_form(actor: Actor, p: Product | None) -> Any:
    db = get_session()
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            if p is None:
                data = forms.validate(ProductCreate, forms.product_data(request.form))
                p = services.create_product(db, actor, data)
            else:
                data = forms.validate(ProductUpdate, forms.product_data(request.form, for_update=True))
                services.update_product(db, actor, p, data, forms.expected_version(request.form))
        except forms.FormInvalid as exc:
            errors = exc.fields
        except RegistryError as exc:
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
        values = services.product_to_dict(p)
        values["specifications"] = forms.format_specifications(p.specifications)
        values["certificate_ids"] = [c.id for c in p.certificates]
    else:
        values = {"certificate_ids": []}
    return render_template("portal/product_form.html", p=p, values=values, errors=errors, categories=CATEGORIES,
                           certificates=_my_certificates(actor), schemes=CERTIFICATE_SCHEMES), (422 if errors else 200)


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
    p = _my_product(actor, product_id)
    history = list(get_session().scalars(select(AuditEvent).where(
        AuditEvent.target_type == "product", AuditEvent.target_id == str(p.id)).order_by(AuditEvent.id.desc())))
    return render_template("portal/product.html", p=services.product_to_dict(p), product=p, history=history,
                           categories=CATEGORIES, batches=_batches_of(p), signing_ready=_batches_available())


def _submit(actor: Actor, p: Product) -> Any:
    db = get_session()
    try:
        services.submit_product(db, actor, p, None)
    except RegistryError as exc:
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


@bp.route("/certificates", methods=["GET", "POST"])
@signed_in(*MAKER)
def certificates(actor: Actor) -> Any:
    db = get_session()
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            data = forms.validate(CertificateCreate, forms.certificate_data(request.form))
            c = services.create_certificate(db, actor, data)
        except forms.FormInvalid as exc:
            errors = exc.fields
        except RegistryError as exc:
            db.rollback()
            errors = domain_errors(exc)
        else:
            upload = request.files.get("file")
            if upload is not None and upload.filename:
                try:
                    _store_evidence(actor, c, upload)
                except RegistryError as exc:
                    db.rollback()
                    errors = domain_errors(exc)
            if not errors:
                db.commit()
                flash(_("The certificate was added."))
                return redirect(url_for("web_portal.certificates"), 303)
    return render_template("portal/certificates.html", certificates=_my_certificates(actor), errors=errors,
                           values=request.form, schemes=CERTIFICATE_SCHEMES), (422 if errors else 200)


def _store_evidence(actor: Actor, c: Certificate, upload: Any) -> None:
    """Keep an evidence file exactly as the API does (type by content, size limit, content-addressed)."""
    import hashlib
    import os
    import tempfile

    from registry.errors import PayloadTooLarge, ValidationFailed
    from registry.views import _evidence_dir, sniff_media_type

    limit = current_app.config["MAX_EVIDENCE_BYTES"]
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"evidence files are at most {limit // 1024 // 1024} MB",
                              errors=[{"field": "file", "reason": f"larger than {limit} bytes"}])
    media_type = sniff_media_type(data[:16]) if data else None
    if media_type is None:
        raise ValidationFailed.field("file", "the evidence must be a PDF, JPEG or PNG file")
    digest = hashlib.sha256(data).hexdigest()
    target = _evidence_dir() / digest
    if not target.exists():
        fd, tmp = tempfile.mkstemp(dir=target.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    before = {"sha256": c.evidence_sha256}
    c.evidence_sha256, c.evidence_media_type, c.evidence_size = digest, media_type, len(data)
    c.evidence_filename = (upload.filename or "evidence")[:255]
    record_event(get_session(), actor=actor, action="certificate.evidence", target_type="certificate",
                 target_id=c.id, before=before, after={"sha256": digest, "media_type": media_type, "size": len(data)})


@bp.post("/certificates/<int:certificate_id>/evidence")
@signed_in(*MAKER)
def upload_evidence(actor: Actor, certificate_id: int) -> Any:
    db = get_session()
    c = db.get(Certificate, certificate_id)
    if c is None or c.manufacturer_id != actor.user.manufacturer_id:  # type: ignore[union-attr]
        raise services.NotFound(f"no certificate {certificate_id}")
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise services.ValidationFailed.field("file", "choose a file")
        _store_evidence(actor, c, upload)
    except RegistryError as exc:
        db.rollback()
        flash(domain_errors(exc).get("file") or domain_errors(exc)["form"], "error")
    else:
        db.commit()
        flash(_("The evidence file was uploaded."))
    return redirect(url_for("web_portal.certificates"), 303)


@bp.get("/reports")
@signed_in(*MAKER)
def reports(actor: Actor) -> Any:
    db = get_session()
    ids = [str(i) for i in db.scalars(select(Product.id).where(Product.manufacturer_id == actor.user.manufacturer_id))]  # type: ignore[union-attr]
    events = list(db.scalars(select(AuditEvent).where(
        AuditEvent.action == "report.received", AuditEvent.target_type == "product",
        AuditEvent.target_id.in_(ids)).order_by(AuditEvent.id.desc()).limit(200))) if ids else []
    return render_template("portal/reports.html", events=events, scans=_scans_of(actor))


# ---------------------------------------------------------------- serial batches (signing)


def _batches_available() -> bool:
    try:
        import signing.services  # noqa: F401
    except ModuleNotFoundError:
        return False
    return True


def _batches_of(p: Product) -> list[Any]:
    if not _batches_available():
        return []
    import signing.services as signing_services

    lister = getattr(signing_services, "list_batches", None)
    if lister is None:
        return []
    try:
        return list(lister(get_session(), product_id=p.id))
    except TypeError:
        return []


def _scans_of(actor: Actor) -> list[Any]:
    return []
