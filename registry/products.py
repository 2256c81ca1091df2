"""Products: create, edit, submit, the reviewer's licence decisions and their certificate rule, licence
expiry, and the ``licence_changed`` signal the signing package signs a new record on. Services validate,
change, audit and enqueue search updates inside the caller's transaction; the caller commits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from blinker import Namespace
from sqlalchemy import insert, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from core.audit import enqueue_search_update, record_event
from core.auth import Actor
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.models import Role, User
from registry import notices
from registry.brands import BrandResolver
from registry.certificates import owned_certificates
from registry.data.taxonomy import CERTIFICATE_SCHEMES
from registry.errors import IllegalTransition
from registry.models import Brand, Certificate, Manufacturer, ManufacturerStatus, Product, ProductStatus
from registry.queries import (
    EDITABLE,
    PRODUCT_DECISIONS,
    check_transition,
    check_version,
    missing_required_certificates,
    today,
)
from registry.schemas import (
    Approval,
    Decision,
    ProductCreate,
    ProductUpdate,
)
from registry.serialization import PRODUCT_AUDIT_FIELDS, audit_snapshot

signals = Namespace()
# Sent after a product's licence is granted or changes (approve, suspend, reinstate, revoke, expire),
# before commit, with ``session`` and ``action``. The signing package signs a new record on it.
licence_changed = signals.signal("licence-changed")


def _loaded_manufacturer(user: User) -> Manufacturer | None:
    """The user's manufacturer when it came with the user (an API token loads both at once): no query."""
    loaded = sa_inspect(user).attrs.manufacturer.loaded_value
    return loaded if isinstance(loaded, Manufacturer) else None


def _require_verified_maker(session: Session, actor: Actor) -> tuple[User, Manufacturer]:
    user = actor.require(roles=(Role.MANUFACTURER,), scope="write")
    m = _loaded_manufacturer(user)
    if m is None:
        m = session.get(Manufacturer, user.manufacturer_id)
    elif (
        sa_inspect(m).session is not session
    ):  # read in another session (SQLite's look-ups): attach, no query
        m = session.merge(m, load=False)
    if m is None or m.status != ManufacturerStatus.VERIFIED:
        raise Forbidden(
            f"only a verified manufacturer can register products; yours is {m.status if m else 'missing'}",
            code="manufacturer.not_verified",
        )
    return user, m


def _gtin_free(session: Session, gtin: str, product_id: int | None = None) -> None:
    other = session.scalar(select(Product.id).where(Product.gtin == gtin))
    if other is not None and other != product_id:
        raise Conflict(
            "this GTIN is already registered",
            errors=[{"field": "gtin", "reason": "already registered to another product"}],
            code="gtin.taken",
        )


def check_new_product(
    session: Session, actor: Actor, data: ProductCreate
) -> tuple[Manufacturer, list[Certificate], Brand]:
    """What drafting ``data`` needs, checked: the actor's verified manufacturer, its certificates and the
    brand it owns or is licensed to use that ``data.brand`` names (422 brand otherwise)."""
    _, m = _require_verified_maker(session, actor)
    _gtin_free(session, data.gtin)
    brand = BrandResolver(session, m.id).resolve(data.brand)
    return m, owned_certificates(session, m.id, data.certificate_ids), brand


def create_product(
    session: Session,
    actor: Actor,
    data: ProductCreate,
    checked: tuple[Manufacturer, list[Certificate], Brand] | None = None,
) -> Product:
    """Draft a product. ``checked`` is ``check_new_product``'s answer when the view ran it beforehand in
    ``core.db.lookups()``; a GTIN taken since is still refused by the unique constraint (409 gtin)."""
    if checked is None:
        m, certs, brand = check_new_product(session, actor, data)
    else:  # attach what was read without reading it again
        m = session.merge(checked[0], load=False)
        certs = [session.merge(c, load=False) for c in checked[1]]
        brand = checked[2]
    fields = data.model_dump(exclude={"certificate_ids"}) | {"brand": brand.name_en, "brand_id": brand.id}
    # One INSERT … RETURNING through the ORM: the product comes back persistent and fully loaded (defaults
    # included) without a unit-of-work flush, which was a quarter of a creation request's CPU.
    p = session.scalars(
        insert(Product).returning(Product),
        [{**fields, "manufacturer_id": m.id, "status": ProductStatus.DRAFT}],
    ).one()
    set_committed_value(p, "manufacturer", m)
    set_committed_value(p, "certificates", [])
    if certs:
        p.certificates = certs
        session.flush()  # the link rows
    record_event(
        session,
        actor=actor,
        action="product.created",
        target_type="product",
        target_id=p.id,
        after=audit_snapshot(p, PRODUCT_AUDIT_FIELDS),
    )
    return p


def update_product(
    session: Session, actor: Actor, p: Product, data: ProductUpdate, expected_version: int | None
) -> Product:
    user = actor.require(roles=(Role.MANUFACTURER,), scope="write")
    if user.manufacturer_id != p.manufacturer_id:
        raise NotFound(f"no product {p.id}")
    check_version(p, expected_version)
    if p.status not in EDITABLE:
        raise IllegalTransition(
            f"a {p.status} product cannot be edited; only drafts and rejected products can",
            errors=[{"field": "status", "reason": f"is {p.status}"}],
            code="product.not_editable",
        )
    before = audit_snapshot(p, PRODUCT_AUDIT_FIELDS)
    changes = data.model_dump(exclude_unset=True)
    for key in [
        k
        for k, v in changes.items()
        if v is None and k in ProductCreate.model_fields and ProductCreate.model_fields[k].is_required()
    ]:
        raise ValidationFailed.field(key, "cannot be emptied", code="field.emptied")
    if "gtin" in changes:
        _gtin_free(session, changes["gtin"], p.id)
    if "brand" in changes:
        brand = BrandResolver(session, p.manufacturer_id).resolve(changes["brand"])
        changes["brand"], changes["brand_id"] = brand.name_en, brand.id
    if "certificate_ids" in changes:
        p.certificates = owned_certificates(session, p.manufacturer_id, changes.pop("certificate_ids") or [])
    for key, value in changes.items():
        setattr(p, key, value)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="product.updated",
        target_type="product",
        target_id=p.id,
        before=before,
        after=audit_snapshot(p, PRODUCT_AUDIT_FIELDS),
    )
    return p


def submit_product(session: Session, actor: Actor, p: Product, expected_version: int | None) -> Product:
    user, _ = _require_verified_maker(session, actor)
    if user.manufacturer_id != p.manufacturer_id:
        raise NotFound(f"no product {p.id}")
    check_version(p, expected_version)
    if p.status not in EDITABLE:
        raise IllegalTransition(
            f"cannot submit a {p.status} product", errors=[{"field": "status", "reason": f"is {p.status}"}]
        )
    before = audit_snapshot(p, PRODUCT_AUDIT_FIELDS)
    p.status = ProductStatus.SUBMITTED
    p.status_reason = None
    p.submitted_at = datetime.now(UTC)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="product.submitted",
        target_type="product",
        target_id=p.id,
        before=before,
        after=audit_snapshot(p, PRODUCT_AUDIT_FIELDS),
    )
    return p


def decide_product(
    session: Session,
    actor: Actor,
    p: Product,
    action: str,
    decision: Decision,
    expected_version: int | None,
    licence_years: int = 3,
) -> Product:
    actor.require(roles=(Role.REVIEWER, Role.ADMIN), scope="review")
    check_version(p, expected_version)
    target = check_transition(PRODUCT_DECISIONS, "product", p.licence_state(), action, decision)
    if action == "reinstate" and p.licence_valid_until and p.licence_valid_until < today():
        raise IllegalTransition(
            "the licence has expired meanwhile; the manufacturer must apply again",
            errors=[{"field": "status", "reason": "licence expired"}],
        )
    if action == "approve" and p.manufacturer.status != ManufacturerStatus.VERIFIED:
        raise IllegalTransition(
            f"the manufacturer is {p.manufacturer.status}; only a verified manufacturer's product can be licensed",
            errors=[{"field": "manufacturer", "reason": f"is {p.manufacturer.status}"}],
        )
    approval_day = today()
    missing: dict[str, str] = {}
    if action == "approve":
        assert isinstance(decision, Approval)
        missing = check_required_certificates(p, decision, approval_day)
    before = audit_snapshot(p, PRODUCT_AUDIT_FIELDS)
    p.status = target
    p.status_reason = decision.reason
    p.reviewed_by_id = actor.user.id if actor.user else None
    p.reviewed_at = datetime.now(UTC)
    if action == "approve":
        assert isinstance(decision, Approval)
        override = decision.override_missing_certificates if missing else None
        p.certificate_override_schemes = list(missing) if override else None
        p.certificate_override_reason = override.reason if override else None
        p.certificate_override_on = approval_day if override else None
        start = decision.valid_from or approval_day
        years = decision.valid_years or licence_years
        p.licence_valid_from = start
        p.licence_valid_until = _add_years(start, years) - timedelta(days=1)
        p.licence_number = p.licence_number or f"MIB-{start.year}-{p.id:07d}"
    session.flush()
    record_event(
        session,
        actor=actor,
        action=f"product.{action}",
        target_type="product",
        target_id=p.id,
        before=before,
        after=audit_snapshot(p, PRODUCT_AUDIT_FIELDS),
        reason=decision.reason,
    )
    if p.certificate_override_reason and action == "approve":
        record_event(
            session,
            actor=actor,
            action="product.certificate_override",
            target_type="product",
            target_id=p.id,
            after={"missing_certificates": missing, "approved_on": p.certificate_override_on.isoformat()},
            reason=p.certificate_override_reason,
        )
    enqueue_search_update(session, "product", p.id)
    if target != ProductStatus.REJECTED:
        licence_changed.send(p, session=session, action=action)
    notices.decision_made(session, p, action, decision.reason)
    return p


def check_required_certificates(p: Product, approval: Approval, on: date) -> dict[str, str]:
    """The licensing rule at approval: every scheme ``p``'s category requires has a linked certificate
    valid on ``on`` (the approval day), or the reviewer overrides it with a reason. Returns what is
    missing (see ``missing_required_certificates``); raises ``ValidationFailed`` (field ``certificates``,
    one entry per scheme, and ``missing_certificates`` in the problem) when nothing overrides it."""
    missing = missing_required_certificates(p, on)
    if missing and approval.override_missing_certificates is None:
        words = [
            f"{scheme} ({CERTIFICATE_SCHEMES[scheme][0]})" if scheme in CERTIFICATE_SCHEMES else scheme
            for scheme in missing
        ]
        raise ValidationFailed(
            f"required certificate missing: {', '.join(words)} has no linked certificate valid on "
            f"{on.isoformat()}, the approval day; link a valid one, or approve with "
            "override_missing_certificates and a reason",
            errors=[
                {
                    "field": "certificates",
                    "reason": f"{scheme}: "
                    + (
                        "no certificate of this scheme is linked"
                        if problem == "missing"
                        else f"no linked certificate of this scheme is valid on {on.isoformat()}"
                    ),
                    "code": "certificate.required_missing"
                    if problem == "missing"
                    else "certificate.required_not_valid",
                    "params": {"scheme": scheme, "on": on.isoformat()},
                }
                for scheme, problem in missing.items()
            ],
        ).with_extra(missing_certificates=[{"scheme": s, "problem": pr} for s, pr in missing.items()])
    if not missing and approval.override_missing_certificates is not None:
        raise ValidationFailed.field(
            "override_missing_certificates",
            "every required certificate is valid on the approval day; approve without an override",
        )
    return missing


def expire_licences(session: Session, on: date | None = None) -> list[int]:
    """Mark licences past their validity as expired (audited); returns the product ids."""
    on = on or today()
    expired = list(
        session.scalars(
            select(Product).where(Product.status == ProductStatus.LICENSED, Product.licence_valid_until < on)
        )
    )
    for p in expired:
        before = audit_snapshot(p, PRODUCT_AUDIT_FIELDS)
        p.status = ProductStatus.EXPIRED
        session.flush()
        record_event(
            session,
            actor="system",
            action="product.expire",
            target_type="product",
            target_id=p.id,
            before=before,
            after=audit_snapshot(p, PRODUCT_AUDIT_FIELDS),
            reason="licence validity ended",
        )
        enqueue_search_update(session, "product", p.id)
        licence_changed.send(p, session=session, action="expire")
    return [p.id for p in expired]


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)
