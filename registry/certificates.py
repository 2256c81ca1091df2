"""Certificates: create and read them, and the caller's own ones to link to a product."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import record_event
from core.auth import Actor
from core.errors import Conflict, NotFound, ValidationFailed
from core.models import Role
from registry.models import Certificate
from registry.queries import PUBLIC_PRODUCT_STATES
from registry.schemas import (
    CertificateCreate,
)


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
            code="certificate.taken",
            params={"number": exists},
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


def owned_certificates(
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
        raise ValidationFailed.field(
            field,
            f"no certificate of yours with id {', '.join(map(str, missing))}",
            code="certificate.not_yours",
            params={"ids": ", ".join(map(str, missing))},
        )
    return certs
