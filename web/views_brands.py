"""Brand pages of the portal and the console: a manufacturer registers a brand in both spellings and
licenses it to other makers (/portal/brands); a reviewer decides the brands that wait because they are
confusable with another company's, with the conflicts shown (/console/brands). The public brand page is
in ``web.views_public``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.db import get_session
from core.errors import NotFound, ProblemError
from core.models import Role
from registry import brands
from registry.models import Brand, BrandLicence, BrandStatus, Manufacturer, ManufacturerStatus
from registry.schemas import BrandCreate, BrandLicenceCreate
from web import forms
from web.guards import Actor, signed_in
from web.helpers import domain_errors, register_error_pages

bp = Blueprint("web_brands", __name__)
register_error_pages(bp)
MAKER = (Role.MANUFACTURER,)
STAFF = (Role.REVIEWER, Role.ADMIN)

# The reason a conflict was found, as a reviewer and a manufacturer read it.
MATCH_LABELS = {
    "same_letters": _l(
        "the same letters once case, spaces, punctuation and look-alike characters are ignored"
    ),
    "same_sound": _l("spelled the same way across scripts or romanisations"),
    "same_consonants": _l("the same consonants in the same order"),
    "near_spelling": _l("one or two letters apart"),
}


def _licences_by_brand(db: Any, brand_ids: list[int]) -> dict[int, list[BrandLicence]]:
    out: dict[int, list[BrandLicence]] = {}
    if brand_ids:
        for lic in db.scalars(
            select(BrandLicence)
            .where(BrandLicence.brand_id.in_(brand_ids), BrandLicence.revoked_at.is_(None))
            .options(selectinload(BrandLicence.licensee))
            .order_by(BrandLicence.id)
        ):
            out.setdefault(lic.brand_id, []).append(lic)
    return out


@bp.route("/portal/brands", methods=["GET", "POST"])
@signed_in(*MAKER)
def portal_brands(actor: Actor) -> Any:
    db = get_session()
    mine = actor.user.manufacturer_id  # type: ignore[union-attr]
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            data = forms.validate(
                BrandCreate, {k: (request.form.get(k) or "").strip() for k in ("name_en", "name_bn")}
            )
            brand = brands.register_brand(db, actor, data.name_en, data.name_bn)
        except forms.FormInvalid as exc:
            errors = exc.fields
        except ProblemError as exc:
            db.rollback()
            errors = domain_errors(exc)
        else:
            db.commit()
            if brand.status == BrandStatus.REGISTERED:
                flash(_("The brand %(name)s is registered to your company.", name=brand.name_en))
            else:
                flash(
                    _(
                        "The brand %(name)s looks like another company's brand; a reviewer decides. "
                        "You can see why below.",
                        name=brand.name_en,
                    )
                )
            return redirect(url_for("web_brands.portal_brands"), 303)
    owned = list(db.scalars(select(Brand).where(Brand.owner_id == mine).order_by(Brand.id)))
    licensed = list(
        db.scalars(
            select(BrandLicence)
            .where(BrandLicence.licensee_id == mine, BrandLicence.revoked_at.is_(None))
            .options(selectinload(BrandLicence.brand).selectinload(Brand.owner))
            .order_by(BrandLicence.id)
        )
    )
    makers = list(
        db.scalars(
            select(Manufacturer)
            .where(Manufacturer.status == ManufacturerStatus.VERIFIED, Manufacturer.id != mine)
            .order_by(Manufacturer.legal_name_en)
        )
    )
    return render_template(
        "portal/brands.html",
        owned=owned,
        licences=_licences_by_brand(db, [b.id for b in owned]),
        licensed=licensed,
        makers=makers,
        match_labels=MATCH_LABELS,
        errors=errors,
        values=request.form,
    ), (422 if errors else 200)


@bp.post("/portal/brands/<int:brand_id>/licences")
@signed_in(*MAKER)
def grant_licence(actor: Actor, brand_id: int) -> Any:
    db = get_session()
    try:
        brand = brands.get_brand(db, actor, brand_id)
        data = forms.validate(
            BrandLicenceCreate,
            {
                "licensee_id": request.form.get("licensee_id") or None,
                "reason": request.form.get("reason") or None,
            },
        )
        brands.grant_licence(db, actor, brand, data.licensee_id, data.reason)
    except forms.FormInvalid as exc:
        flash(exc.fields.get("licensee_id") or next(iter(exc.fields.values())), "error")
    except ProblemError as exc:
        db.rollback()
        errors = domain_errors(exc)
        flash(errors.get("licensee_id") or errors["form"], "error")
    else:
        db.commit()
        flash(_("The licence was granted."))
    return redirect(url_for("web_brands.portal_brands"), 303)


@bp.post("/portal/brands/<int:brand_id>/licences/<int:manufacturer_id>/revoke")
@signed_in(*MAKER)
def revoke_licence(actor: Actor, brand_id: int, manufacturer_id: int) -> Any:
    db = get_session()
    try:
        brand = brands.get_brand(db, actor, brand_id)
        brands.revoke_licence(db, actor, brand, manufacturer_id, (request.form.get("reason") or "").strip())
    except ProblemError as exc:
        db.rollback()
        errors = domain_errors(exc)
        flash(errors.get("reason") or errors["form"], "error")
    else:
        db.commit()
        flash(_("The licence was ended."))
    return redirect(url_for("web_brands.portal_brands"), 303)


@bp.get("/console/brands")
@signed_in(*STAFF)
def console_brands(actor: Actor) -> Any:
    db = get_session()
    status = request.args.get("status", BrandStatus.PENDING)
    if status not in set(BrandStatus):
        status = BrandStatus.PENDING
    items = list(
        db.scalars(
            select(Brand)
            .where(Brand.status == status)
            .options(selectinload(Brand.owner))
            .order_by(Brand.created_at, Brand.id)
            .limit(200)
        )
    )
    return render_template(
        "console/brands.html",
        brands=items,
        status=status,
        statuses=list(BrandStatus),
        match_labels=MATCH_LABELS,
    )


@bp.post("/console/brands/<int:brand_id>/<action>")
@signed_in(*STAFF)
def decide_brand(actor: Actor, brand_id: int, action: str) -> Any:
    if action not in brands.BRAND_DECISIONS:
        raise NotFound(f"no action {action}")
    db = get_session()
    try:
        brand = brands.get_brand(db, actor, brand_id)
        version = request.form.get("version")
        brands.decide_brand(
            db,
            actor,
            brand,
            action,
            (request.form.get("reason") or "").strip() or None,
            int(version) if version and version.isdigit() and len(version) < 10 else None,
        )
    except ProblemError as exc:
        db.rollback()
        errors = domain_errors(exc)
        flash(errors.get("reason") or errors["form"], "error")
    else:
        db.commit()
        flash(
            _("The brand %(name)s is registered.", name=brand.name_en)
            if action == "approve"
            else _("The brand %(name)s was rejected.", name=brand.name_en)
        )
    return redirect(url_for("web_brands.console_brands"), 303)
