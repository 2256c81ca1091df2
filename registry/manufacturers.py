"""Manufacturers: registration, updates, the reviewer's decisions, and the company's staff accounts.
Services validate, change, audit and enqueue search updates inside the caller's transaction; the caller
commits."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import enqueue_search_update, record_event
from core.auth import Actor
from core.errors import Conflict, Forbidden, NotFound
from core.models import Role, User
from registry import notices
from registry.accounts import hash_password
from registry.models import Manufacturer, ManufacturerStatus, Product
from registry.queries import MANUFACTURER_TRANSITIONS, check_transition, check_version
from registry.schemas import (
    Decision,
    ManufacturerRegistration,
    ManufacturerUpdate,
    StaffInvite,
)
from registry.serialization import MANUFACTURER_AUDIT_FIELDS, audit_snapshot


def register_manufacturer(session: Session, data: ManufacturerRegistration) -> tuple[Manufacturer, User]:
    if session.scalar(select(Manufacturer.id).where(Manufacturer.bin == data.bin)):
        raise Conflict(
            "a manufacturer with this BIN is already registered",
            errors=[{"field": "bin", "reason": "already registered"}],
            code="value.taken",
        )
    email = str(data.owner.email).lower()
    if session.scalar(select(User.id).where(User.email == email)):
        raise Conflict(
            "this email address already has an account",
            errors=[{"field": "owner.email", "reason": "already registered"}],
            code="value.taken",
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
        after=audit_snapshot(m, MANUFACTURER_AUDIT_FIELDS),
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
    before = audit_snapshot(m, MANUFACTURER_AUDIT_FIELDS)
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
        after=audit_snapshot(m, MANUFACTURER_AUDIT_FIELDS),
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
    target = check_transition(MANUFACTURER_TRANSITIONS, "manufacturer", m.status, action, decision)
    before = audit_snapshot(m, MANUFACTURER_AUDIT_FIELDS)
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
        after=audit_snapshot(m, MANUFACTURER_AUDIT_FIELDS),
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
            code="value.taken",
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
            select(User)
            .where(User.manufacturer_id == m.id)
            .order_by(User.is_owner.desc(), User.name, User.id)
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
