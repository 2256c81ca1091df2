"""One-stop notices: every decision about a company or its products (approval, rejection with its reason,
suspension, reinstatement, revocation, recall) and every licence or certificate nearing its end (60, 30 and 7
days before) becomes a portal notice and an e-mail in the company's language.

A notice is written in the caller's transaction; its e-mail goes out only when that transaction commits (a
decision that is rolled back mails nobody). The words live in ``web.notices`` (the message catalogue covers
``web/``); it registers itself as the mailer with ``MAIL.handle_with`` (core.after_commit).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.after_commit import AfterCommit
from core.models import User
from registry.models import Certificate, Manufacturer, Notice, Product, ProductStatus

EXPIRY_THRESHOLDS = (60, 30, 7)  # days before the end of a licence or a certificate
MAIL = AfterCommit("registry.notices", "mail notice {kind} to company {manufacturer_id}")
DECISION_KINDS = {
    "manufacturer": ("verify", "reject", "suspend", "reinstate"),
    "product": ("approve", "reject", "suspend", "reinstate", "revoke"),
}


def recipients(session: Session, m: Manufacturer) -> list[str]:
    """The company's contact address and its active owners' addresses, each once."""
    owners = session.scalars(
        select(User.email)
        .where(User.manufacturer_id == m.id, User.is_owner.is_(True), User.is_active.is_(True))
        .order_by(User.id)
    )
    out: list[str] = []
    for address in (m.contact_email, *owners):
        if address and address.lower() not in out:
            out.append(address.lower())
    return out


def notify(
    session: Session,
    m: Manufacturer,
    kind: str,
    *,
    target_type: str,
    target_id: Any,
    params: dict[str, Any],
    dedupe_key: str | None = None,
) -> Notice | None:
    """Add a notice for ``m`` and queue its e-mail for when the transaction commits. With ``dedupe_key``, a
    notice already sent under that key is not sent again (returns None)."""
    if dedupe_key is not None and session.scalar(select(Notice.id).where(Notice.dedupe_key == dedupe_key)):
        return None
    notice = Notice(
        manufacturer_id=m.id,
        kind=kind,
        target_type=target_type,
        target_id=str(target_id),
        params=params,
        dedupe_key=dedupe_key,
    )
    session.add(notice)
    session.flush()
    MAIL.add(
        session,
        {
            "kind": kind,
            "params": params,
            "language": m.language or "bn",
            "to": recipients(session, m),
            "manufacturer_id": m.id,
        },
    )
    return notice


def product_params(p: Product, **extra: Any) -> dict[str, Any]:
    return {
        "product_id": p.id,
        "name_en": p.name_en,
        "name_bn": p.name_bn,
        "licence_number": p.licence_number,
        "valid_until": p.licence_valid_until.isoformat() if p.licence_valid_until else None,
        **extra,
    }


def decision_made(session: Session, target: Manufacturer | Product, action: str, reason: str | None) -> None:
    """Called by ``registry.manufacturers`` and ``registry.products`` after a reviewer's decision on a company or a product."""
    if isinstance(target, Manufacturer):
        if action in DECISION_KINDS["manufacturer"]:
            notify(
                session,
                target,
                f"manufacturer.{action}",
                target_type="manufacturer",
                target_id=target.id,
                params={"name_en": target.legal_name_en, "name_bn": target.legal_name_bn, "reason": reason},
            )
    elif action in DECISION_KINDS["product"]:
        notify(
            session,
            target.manufacturer,
            f"product.{action}",
            target_type="product",
            target_id=target.id,
            params=product_params(target, reason=reason),
        )


def recall_published(
    session: Session,
    product: Product,
    scope: str,
    reason_en: str,
    reason_bn: str,
    serial: str | None,
    batch_prefix: str | None,
) -> None:
    """Called by ``signing.recalls`` for every recall of a product, one of its batches or one unit."""
    notify(
        session,
        product.manufacturer,
        "recall",
        target_type="product",
        target_id=product.id,
        params=product_params(
            product, scope=scope, reason_en=reason_en, reason_bn=reason_bn, serial=serial, batch=batch_prefix
        ),
    )


def notify_expiring(session: Session, on: date) -> list[Notice]:
    """Remind each company of its licences and certificates that end within 60, 30 or 7 days of ``on``: once
    per item, validity end and threshold (the tightest threshold reached; running it again sends nothing)."""
    sent: list[Notice] = []
    horizon = on + timedelta(days=max(EXPIRY_THRESHOLDS))
    products = session.scalars(
        select(Product)
        .where(
            Product.status == ProductStatus.LICENSED,
            Product.licence_valid_until.is_not(None),
            Product.licence_valid_until >= on,
            Product.licence_valid_until <= horizon,
        )
        .order_by(Product.id)
    )
    for p in products:
        assert p.licence_valid_until is not None
        days = (p.licence_valid_until - on).days
        threshold = _threshold(days)
        notice = notify(
            session,
            p.manufacturer,
            "expiring.licence",
            target_type="product",
            target_id=p.id,
            params=product_params(p, days=days, threshold=threshold),
            dedupe_key=f"licence:{p.id}:{p.licence_valid_until.isoformat()}:{threshold}",
        )
        if notice is not None:
            sent.append(notice)
    certificates = session.scalars(
        select(Certificate)
        .where(Certificate.valid_until >= on, Certificate.valid_until <= horizon)
        .order_by(Certificate.id)
    )
    for c in certificates:
        m = session.get(Manufacturer, c.manufacturer_id)
        assert m is not None
        days = (c.valid_until - on).days
        threshold = _threshold(days)
        notice = notify(
            session,
            m,
            "expiring.certificate",
            target_type="certificate",
            target_id=c.id,
            params={
                "certificate_id": c.id,
                "scheme": c.scheme,
                "number": c.number,
                "valid_until": c.valid_until.isoformat(),
                "days": days,
                "threshold": threshold,
            },
            dedupe_key=f"certificate:{c.id}:{c.valid_until.isoformat()}:{threshold}",
        )
        if notice is not None:
            sent.append(notice)
    return sent


def _threshold(days_left: int) -> int:
    """The tightest threshold reached: 40 days left is the 60-day reminder, 5 days left the 7-day one."""
    return min(t for t in EXPIRY_THRESHOLDS if t >= days_left)
