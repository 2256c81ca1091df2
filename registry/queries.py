"""Registry look-ups and rules every workflow shares: the states, today, what an actor may see, pages,
version checks and transitions, which certificates a product lacks and its flags."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from core.auth import Actor
from core.errors import NotFound, PreconditionFailed, ValidationFailed
from core.models import Role
from registry.data.taxonomy import CATEGORIES
from registry.errors import IllegalTransition
from registry.models import Manufacturer, ManufacturerStatus, Product, ProductStatus
from registry.schemas import (
    Decision,
)

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
    actor: Actor,
    *,
    status: str | None,
    manufacturer_id: int | None,
    category: str | None,
    brand_id: int | None = None,
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
    if brand_id:
        stmt = stmt.where(Product.brand_id == brand_id)
    return stmt


def check_version(obj: Any, expected: int | None) -> None:
    """Optimistic concurrency: a caller that read version N may only change version N."""
    if expected is not None and expected != obj.version:
        raise PreconditionFailed(
            f"this record changed since you read it (you sent version {expected}, it is now {obj.version})",
            errors=[{"field": "If-Match", "reason": f"current version is {obj.version}"}],
            params={"version": obj.version},
        )


def check_transition(
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
