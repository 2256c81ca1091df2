"""Registry services: the workflow of manufacturers and products. They validate, change, audit and
enqueue search updates inside the caller's transaction; the caller commits."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from blinker import Namespace
from sqlalchemy import Select, func, insert, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from core.audit import enqueue_search_update, record_event
from core.auth import Actor
from core.errors import Conflict, Forbidden, NotFound, PreconditionFailed, ValidationFailed
from core.models import Role, User
from registry import notices
from registry.accounts import hash_password
from registry.data.districts import DISTRICTS
from registry.data.taxonomy import CATEGORIES, CERTIFICATE_SCHEMES
from registry.errors import IllegalTransition
from registry.models import Certificate, Manufacturer, ManufacturerStatus, Product, ProductStatus
from registry.schemas import (
    Approval,
    CertificateCreate,
    Decision,
    ManufacturerRegistration,
    ManufacturerUpdate,
    ProductCreate,
    ProductUpdate,
    StaffInvite,
)

signals = Namespace()
# Sent after a product's licence is granted or changes (approve, suspend, reinstate, revoke, expire),
# before commit, with ``session`` and ``action``. The signing package signs a new record on it.
licence_changed = signals.signal("licence-changed")

MANUFACTURER_TRANSITIONS = {
    "verify": ({ManufacturerStatus.PENDING}, ManufacturerStatus.VERIFIED, False),
    "reject": ({ManufacturerStatus.PENDING}, ManufacturerStatus.REJECTED, True),
    "suspend": ({ManufacturerStatus.VERIFIED}, ManufacturerStatus.SUSPENDED, True),
    "reinstate": ({ManufacturerStatus.SUSPENDED}, ManufacturerStatus.VERIFIED, False),
}
PRODUCT_DECISIONS = {
    "approve": ({ProductStatus.SUBMITTED}, ProductStatus.LICENSED, False),
    "reject": ({ProductStatus.SUBMITTED}, ProductStatus.REJECTED, True),
    "suspend": ({ProductStatus.LICENSED}, ProductStatus.SUSPENDED, True),
    "reinstate": ({ProductStatus.SUSPENDED}, ProductStatus.LICENSED, False),
    "revoke": (
        {ProductStatus.LICENSED, ProductStatus.SUSPENDED, ProductStatus.EXPIRED},
        ProductStatus.REVOKED,
        True,
    ),
}
EDITABLE = {ProductStatus.DRAFT, ProductStatus.REJECTED}
PUBLIC_PRODUCT_STATES = {
    ProductStatus.LICENSED,
    ProductStatus.SUSPENDED,
    ProductStatus.REVOKED,
    ProductStatus.EXPIRED,
}


def today() -> date:
    return datetime.now(UTC).date()


# ---------------------------------------------------------------- serialisation


def certificate_to_dict(c: Certificate, on: date | None = None) -> dict[str, Any]:
    on = on or today()
    return {
        "id": c.id,
        "manufacturer_id": c.manufacturer_id,
        "scheme": c.scheme,
        "number": c.number,
        "issuer": c.issuer,
        "valid_from": c.valid_from.isoformat(),
        "valid_until": c.valid_until.isoformat(),
        "is_valid_today": c.valid_from <= on <= c.valid_until,
        "evidence": (
            {"media_type": c.evidence_media_type, "size": c.evidence_size, "sha256": c.evidence_sha256}
            if c.evidence_sha256
            else None
        ),
    }


def manufacturer_to_dict(m: Manufacturer, *, private: bool = False) -> dict[str, Any]:
    d = DISTRICTS[m.district]
    out: dict[str, Any] = {
        "id": m.id,
        "legal_name_en": m.legal_name_en,
        "legal_name_bn": m.legal_name_bn,
        "district": m.district,
        "district_bn": d.name_bn,
        "status": m.status,
        "website": m.website,
    }
    if private:
        out.update(
            trade_licence_no=m.trade_licence_no,
            bin=m.bin,
            tin=m.tin,
            address=m.address,
            factory_locations=m.factory_locations,
            contact_name=m.contact_name,
            contact_email=m.contact_email,
            contact_phone=m.contact_phone,
            status_reason=m.status_reason,
            language=m.language,
            version=m.version,
        )
    return out


def missing_required_certificates(p: Product, on: date) -> dict[str, str]:
    """Each scheme ``p``'s category requires that has no linked certificate valid on ``on``, in the
    category's order: ``"missing"`` when none of the scheme is linked, ``"not_valid"`` when those linked
    are expired (or not yet valid) on that day."""
    out = {}
    for scheme in CATEGORIES[p.category].required_schemes:
        certs = [c for c in p.certificates if c.scheme == scheme]
        if not certs:
            out[scheme] = "missing"
        elif not any(c.valid_from <= on <= c.valid_until for c in certs):
            out[scheme] = "not_valid"
    return out


def product_flags(p: Product, on: date | None = None) -> list[str]:
    """``missing_required_certificate:<scheme>`` or ``required_certificate_expired:<scheme>`` when a
    category needs a scheme and no linked certificate of it is valid; ``licence_expired``."""
    on = on or today()
    flags = [
        f"missing_required_certificate:{scheme}"
        if problem == "missing"
        else f"required_certificate_expired:{scheme}"
        for scheme, problem in missing_required_certificates(p, on).items()
    ]
    if p.licence_state(on) == ProductStatus.EXPIRED:
        flags.append("licence_expired")
    return flags


def product_to_dict(p: Product) -> dict[str, Any]:
    on = today()
    return {
        "id": p.id,
        "manufacturer_id": p.manufacturer_id,
        "manufacturer_name_en": p.manufacturer.legal_name_en,
        "manufacturer_name_bn": p.manufacturer.legal_name_bn,
        "name_en": p.name_en,
        "name_bn": p.name_bn,
        "brand": p.brand,
        "model_number": p.model_number,
        "category": p.category,
        "gtin": p.gtin,
        "hs_code": p.hs_code,
        "description_en": p.description_en,
        "description_bn": p.description_bn,
        "specifications": p.specifications or {},
        "local_value_addition": float(p.local_value_addition),
        "lva_basis": p.lva_basis,
        "launch_date": p.launch_date.isoformat() if p.launch_date else None,
        "images": p.images or [],
        "status": p.licence_state(on),
        "status_reason": p.status_reason,
        "licence_number": p.licence_number,
        "licence_valid_from": p.licence_valid_from.isoformat() if p.licence_valid_from else None,
        "licence_valid_until": p.licence_valid_until.isoformat() if p.licence_valid_until else None,
        "flags": product_flags(p, on),
        "certificates": [certificate_to_dict(c, on) for c in sorted(p.certificates, key=lambda c: c.id)],
        "certificate_override": (
            {
                "schemes": list(p.certificate_override_schemes or ()),
                "reason": p.certificate_override_reason,
                "approved_on": p.certificate_override_on.isoformat() if p.certificate_override_on else None,
            }
            if p.certificate_override_reason
            else None
        ),
        "version": p.version,
    }


def _snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    out = {}
    for f in fields:
        v = getattr(obj, f)
        out[f] = (
            v.isoformat()
            if isinstance(v, date | datetime)
            else (float(v) if f == "local_value_addition" else v)
        )
    return out


PRODUCT_AUDIT_FIELDS = (
    "name_en",
    "name_bn",
    "brand",
    "model_number",
    "category",
    "gtin",
    "hs_code",
    "local_value_addition",
    "lva_basis",
    "launch_date",
    "status",
    "status_reason",
    "licence_number",
    "licence_valid_from",
    "licence_valid_until",
)
MANUFACTURER_AUDIT_FIELDS = (
    "legal_name_en",
    "legal_name_bn",
    "address",
    "district",
    "contact_name",
    "contact_email",
    "contact_phone",
    "website",
    "language",
    "status",
    "status_reason",
)


# ---------------------------------------------------------------- queries


def paginate(session: Session, stmt: Select[Any], page: int, per_page: int) -> tuple[list[Any], int]:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = list(session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
    return items, total


def get_manufacturer(session: Session, actor: Actor, manufacturer_id: int) -> Manufacturer:
    m = session.get(Manufacturer, manufacturer_id)
    if m is None or not (
        m.status == ManufacturerStatus.VERIFIED or actor.is_reviewer or actor.is_staff_of(m.id)
    ):
        raise NotFound(f"no manufacturer {manufacturer_id}")
    return m


def get_product(session: Session, actor: Actor, product_id: int) -> Product:
    p = session.get(
        Product, product_id, options=[selectinload(Product.certificates), selectinload(Product.manufacturer)]
    )
    if p is None or not can_see_product(actor, p):
        raise NotFound(f"no product {product_id}")
    return p


def can_see_product(actor: Actor, p: Product) -> bool:
    return p.status in PUBLIC_PRODUCT_STATES or actor.is_reviewer or actor.is_staff_of(p.manufacturer_id)


def list_products_stmt(
    actor: Actor, *, status: str | None, manufacturer_id: int | None, category: str | None
) -> Select[Any]:
    stmt = (
        select(Product)
        .options(selectinload(Product.certificates), selectinload(Product.manufacturer))
        .order_by(Product.id)
    )
    if actor.is_reviewer:
        pass
    elif actor.user is not None and actor.user.role == Role.MANUFACTURER:
        stmt = stmt.where(
            (Product.manufacturer_id == actor.user.manufacturer_id)
            | Product.status.in_(list(PUBLIC_PRODUCT_STATES))
        )
    else:
        stmt = stmt.where(Product.status.in_(list(PUBLIC_PRODUCT_STATES)))
    if status == ProductStatus.EXPIRED:
        stmt = stmt.where(
            (Product.status == ProductStatus.EXPIRED)
            | ((Product.status == ProductStatus.LICENSED) & (Product.licence_valid_until < today()))
        )
    elif status == ProductStatus.LICENSED:
        stmt = stmt.where(Product.status == status, Product.licence_valid_until >= today())
    elif status:
        stmt = stmt.where(Product.status == status)
    if manufacturer_id:
        stmt = stmt.where(Product.manufacturer_id == manufacturer_id)
    if category:
        stmt = stmt.where(Product.category == category)
    return stmt


def check_version(obj: Any, expected: int | None) -> None:
    """Optimistic concurrency: a caller that read version N may only change version N."""
    if expected is not None and expected != obj.version:
        raise PreconditionFailed(
            f"this record changed since you read it (you sent version {expected}, it is now {obj.version})",
            errors=[{"field": "If-Match", "reason": f"current version is {obj.version}"}],
        )


def _check_transition(
    transitions: dict[str, tuple[set[str], str, bool]],
    kind: str,
    current: str,
    action: str,
    decision: Decision,
) -> str:
    """The state ``action`` leads to from ``current``, or the error a reviewer sees."""
    allowed_from, target, needs_reason = transitions[action]
    if current not in allowed_from:
        raise IllegalTransition(
            f"cannot {action} a {kind} that is {current}",
            errors=[
                {
                    "field": "status",
                    "reason": f"is {current}; {action} needs {' or '.join(sorted(allowed_from))}",
                }
            ],
        )
    if needs_reason and not (decision.reason or "").strip():
        raise ValidationFailed.field("reason", f"a reason is required to {action}")
    return target


# ---------------------------------------------------------------- manufacturers


def register_manufacturer(session: Session, data: ManufacturerRegistration) -> tuple[Manufacturer, User]:
    if session.scalar(select(Manufacturer.id).where(Manufacturer.bin == data.bin)):
        raise Conflict(
            "a manufacturer with this BIN is already registered",
            errors=[{"field": "bin", "reason": "already registered"}],
        )
    email = str(data.owner.email).lower()
    if session.scalar(select(User.id).where(User.email == email)):
        raise Conflict(
            "this email address already has an account",
            errors=[{"field": "owner.email", "reason": "already registered"}],
        )
    m = Manufacturer(
        legal_name_en=data.legal_name_en,
        legal_name_bn=data.legal_name_bn,
        trade_licence_no=data.trade_licence_no,
        bin=data.bin,
        tin=data.tin,
        address=data.address,
        district=data.district,
        factory_locations=[f.model_dump() for f in data.factory_locations],
        contact_name=data.contact_name,
        contact_email=str(data.contact_email).lower(),
        contact_phone=data.contact_phone,
        website=data.website,
        status=ManufacturerStatus.PENDING,
    )
    session.add(m)
    session.flush()
    owner = User(
        email=email,
        name=data.owner.name,
        password_hash=hash_password(data.owner.password),
        role=Role.MANUFACTURER,
        manufacturer_id=m.id,
        is_owner=True,
    )
    session.add(owner)
    session.flush()
    record_event(
        session,
        actor=owner,
        action="manufacturer.registered",
        target_type="manufacturer",
        target_id=m.id,
        after=_snapshot(m, MANUFACTURER_AUDIT_FIELDS),
    )
    return m, owner


def update_manufacturer(
    session: Session, actor: Actor, m: Manufacturer, data: ManufacturerUpdate, expected_version: int | None
) -> Manufacturer:
    actor.require(scope="write")
    if not (actor.is_staff_of(m.id) and actor.user and actor.user.is_owner) and not (
        actor.role == Role.ADMIN
    ):
        raise Forbidden("only the company's owner or an admin can change its profile")
    check_version(m, expected_version)
    before = _snapshot(m, MANUFACTURER_AUDIT_FIELDS)
    changes = data.model_dump(exclude_unset=True)
    for key, value in changes.items():
        if key == "factory_locations":
            value = [dict(f) for f in value]
        elif key == "contact_email" and value:
            value = str(value).lower()
        setattr(m, key, value)
    if m.status == ManufacturerStatus.REJECTED:
        m.status = ManufacturerStatus.PENDING  # a corrected profile goes back to the queue
        m.status_reason = None
    session.flush()
    record_event(
        session,
        actor=actor,
        action="manufacturer.updated",
        target_type="manufacturer",
        target_id=m.id,
        before=before,
        after=_snapshot(m, MANUFACTURER_AUDIT_FIELDS),
    )
    for pid in session.scalars(select(Product.id).where(Product.manufacturer_id == m.id)):
        enqueue_search_update(session, "product", pid)
    return m


def decide_manufacturer(
    session: Session,
    actor: Actor,
    m: Manufacturer,
    action: str,
    decision: Decision,
    expected_version: int | None,
) -> Manufacturer:
    actor.require(roles=(Role.REVIEWER, Role.ADMIN), scope="review")
    check_version(m, expected_version)
    target = _check_transition(MANUFACTURER_TRANSITIONS, "manufacturer", m.status, action, decision)
    before = _snapshot(m, MANUFACTURER_AUDIT_FIELDS)
    m.status = target
    m.status_reason = decision.reason
    m.reviewed_by_id = actor.user.id if actor.user else None
    m.reviewed_at = datetime.now(UTC)
    session.flush()
    record_event(
        session,
        actor=actor,
        action=f"manufacturer.{action}",
        target_type="manufacturer",
        target_id=m.id,
        before=before,
        after=_snapshot(m, MANUFACTURER_AUDIT_FIELDS),
        reason=decision.reason,
    )
    for pid in session.scalars(select(Product.id).where(Product.manufacturer_id == m.id)):
        enqueue_search_update(session, "product", pid)
    notices.decision_made(session, m, action, decision.reason)
    return m


def invite_staff(session: Session, actor: Actor, m: Manufacturer, data: StaffInvite) -> tuple[User, str]:
    """The owner adds a staff account; a one-time password is returned to hand over."""
    user = actor.require(roles=(Role.MANUFACTURER,), scope="write")
    if not (user.is_owner and user.manufacturer_id == m.id):
        raise Forbidden("only the company's owner can invite staff")
    email = str(data.email).lower()
    if session.scalar(select(User.id).where(User.email == email)):
        raise Conflict(
            "this email address already has an account",
            errors=[{"field": "email", "reason": "already registered"}],
        )
    password = secrets.token_urlsafe(12)
    staff = User(
        email=email,
        name=data.name,
        password_hash=hash_password(password),
        role=Role.MANUFACTURER,
        manufacturer_id=m.id,
        is_owner=False,
        invited_by_id=user.id,
    )
    session.add(staff)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="user.invited",
        target_type="user",
        target_id=staff.id,
        after={"email": email, "manufacturer_id": m.id},
    )
    return staff, password


def list_staff(session: Session, actor: Actor, m: Manufacturer) -> list[User]:
    """The company's accounts, owner first: for its own people and for reviewers."""
    user = actor.require()
    if user.manufacturer_id != m.id and user.role not in (Role.REVIEWER, Role.ADMIN):
        raise NotFound(f"no manufacturer {m.id}")
    return list(
        session.scalars(
            select(User).where(User.manufacturer_id == m.id).order_by(User.is_owner.desc(), User.name, User.id)
        )
    )


def set_staff_active(session: Session, actor: Actor, m: Manufacturer, staff_id: int, active: bool) -> User:
    """The owner turns a staff account off (someone left) or on again; its sessions and tokens stop at once."""
    user = actor.require(roles=(Role.MANUFACTURER,), scope="write")
    if not (user.is_owner and user.manufacturer_id == m.id):
        raise Forbidden("only the company's owner can change its staff accounts")
    staff = session.get(User, staff_id)
    if staff is None or staff.manufacturer_id != m.id:
        raise NotFound(f"no staff account {staff_id} in this company")
    if staff.is_owner:
        raise Conflict(
            "the owner's account cannot be turned off here; ask the registry",
            errors=[{"field": "user_id", "reason": "is the owner"}],
        )
    if staff.is_active != active:
        staff.is_active = active
        record_event(
            session,
            actor=actor,
            action="user.reactivated" if active else "user.deactivated",
            target_type="user",
            target_id=staff.id,
            before={"is_active": not active},
            after={"is_active": active},
        )
    return staff


# ---------------------------------------------------------------- certificates


def create_certificate(session: Session, actor: Actor, data: CertificateCreate) -> Certificate:
    user = actor.require(roles=(Role.MANUFACTURER,), scope="write")
    exists = session.scalar(
        select(Certificate.id).where(
            Certificate.manufacturer_id == user.manufacturer_id,
            Certificate.scheme == data.scheme,
            Certificate.number == data.number,
        )
    )
    if exists:
        raise Conflict(
            "this certificate is already registered",
            errors=[{"field": "number", "reason": f"already registered as certificate {exists}"}],
        )
    c = Certificate(manufacturer_id=user.manufacturer_id, **data.model_dump())
    session.add(c)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="certificate.created",
        target_type="certificate",
        target_id=c.id,
        after={"scheme": c.scheme, "number": c.number, "valid_until": c.valid_until.isoformat()},
    )
    return c


def get_certificate(session: Session, actor: Actor, certificate_id: int) -> Certificate:
    c = session.get(Certificate, certificate_id)
    if c is None:
        raise NotFound(f"no certificate {certificate_id}")
    public = any(p.status in PUBLIC_PRODUCT_STATES for p in c.products)
    if not (public or actor.is_reviewer or actor.is_staff_of(c.manufacturer_id)):
        raise NotFound(f"no certificate {certificate_id}")
    return c


def _owned_certificates(
    session: Session, manufacturer_id: int, ids: list[int], field: str = "certificate_ids"
) -> list[Certificate]:
    if not ids:
        return []
    certs = list(
        session.scalars(
            select(Certificate).where(Certificate.id.in_(ids), Certificate.manufacturer_id == manufacturer_id)
        )
    )
    missing = sorted(set(ids) - {c.id for c in certs})
    if missing:
        raise ValidationFailed.field(field, f"no certificate of yours with id {', '.join(map(str, missing))}")
    return certs


# ---------------------------------------------------------------- products


def _loaded_manufacturer(user: User) -> Manufacturer | None:
    """The user's manufacturer when it came with the user (an API token loads both at once): no query."""
    loaded = sa_inspect(user).attrs.manufacturer.loaded_value
    return loaded if isinstance(loaded, Manufacturer) else None


def _require_verified_maker(session: Session, actor: Actor) -> tuple[User, Manufacturer]:
    user = actor.require(roles=(Role.MANUFACTURER,), scope="write")
    m = _loaded_manufacturer(user)
    if m is None:
        m = session.get(Manufacturer, user.manufacturer_id)
    elif sa_inspect(m).session is not session:  # read in another session (SQLite's look-ups): attach, no query
        m = session.merge(m, load=False)
    if m is None or m.status != ManufacturerStatus.VERIFIED:
        raise Forbidden(
            f"only a verified manufacturer can register products; yours is {m.status if m else 'missing'}"
        )
    return user, m


def _gtin_free(session: Session, gtin: str, product_id: int | None = None) -> None:
    other = session.scalar(select(Product.id).where(Product.gtin == gtin))
    if other is not None and other != product_id:
        raise Conflict(
            "this GTIN is already registered",
            errors=[{"field": "gtin", "reason": "already registered to another product"}],
        )


def check_new_product(
    session: Session, actor: Actor, data: ProductCreate
) -> tuple[Manufacturer, list[Certificate]]:
    """What drafting ``data`` needs, checked: the actor's verified manufacturer and its certificates."""
    _, m = _require_verified_maker(session, actor)
    _gtin_free(session, data.gtin)
    return m, _owned_certificates(session, m.id, data.certificate_ids)


def create_product(
    session: Session,
    actor: Actor,
    data: ProductCreate,
    checked: tuple[Manufacturer, list[Certificate]] | None = None,
) -> Product:
    """Draft a product. ``checked`` is ``check_new_product``'s answer when the view ran it beforehand in
    ``core.db.lookups()``; a GTIN taken since is still refused by the unique constraint (409 gtin)."""
    if checked is None:
        m, certs = check_new_product(session, actor, data)
    else:  # attach what was read without reading it again
        m = session.merge(checked[0], load=False)
        certs = [session.merge(c, load=False) for c in checked[1]]
    fields = data.model_dump(exclude={"certificate_ids"})
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
        after=_snapshot(p, PRODUCT_AUDIT_FIELDS),
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
        )
    before = _snapshot(p, PRODUCT_AUDIT_FIELDS)
    changes = data.model_dump(exclude_unset=True)
    for key in [
        k
        for k, v in changes.items()
        if v is None and k in ProductCreate.model_fields and ProductCreate.model_fields[k].is_required()
    ]:
        raise ValidationFailed.field(key, "cannot be emptied")
    if "gtin" in changes:
        _gtin_free(session, changes["gtin"], p.id)
    if "certificate_ids" in changes:
        p.certificates = _owned_certificates(session, p.manufacturer_id, changes.pop("certificate_ids") or [])
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
        after=_snapshot(p, PRODUCT_AUDIT_FIELDS),
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
    before = _snapshot(p, PRODUCT_AUDIT_FIELDS)
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
        after=_snapshot(p, PRODUCT_AUDIT_FIELDS),
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
    target = _check_transition(PRODUCT_DECISIONS, "product", p.licence_state(), action, decision)
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
    before = _snapshot(p, PRODUCT_AUDIT_FIELDS)
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
        after=_snapshot(p, PRODUCT_AUDIT_FIELDS),
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
        before = _snapshot(p, PRODUCT_AUDIT_FIELDS)
        p.status = ProductStatus.EXPIRED
        session.flush()
        record_event(
            session,
            actor="system",
            action="product.expire",
            target_type="product",
            target_id=p.id,
            before=before,
            after=_snapshot(p, PRODUCT_AUDIT_FIELDS),
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
