"""Officers' saved shortlists: products to watch, an Atom feed of their licence and certificate changes, and an
e-mail (through the mail outbox, after the change commits) when one changes.

Licence changes arrive through ``registry.services.licence_changed``; certificates end by date, which no event
announces, so ``flask procurement notify-certificates`` (daily, like ``flask registry notify-expiring``) mails
each ended certificate once per shortlist (``ShortlistMail`` remembers it).
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, selectinload

from core.after_commit import AfterCommit
from core.auth import Actor
from core.models import AuditEvent, Role, User
from gs1.errors import InvalidGTIN
from gs1.gtin import normalize_gtin
from procurement.checks import DHAKA, PUBLIC_STATES
from procurement.errors import ProcurementError
from procurement.models import Shortlist, ShortlistMail, shortlist_items
from registry.models import Product

OWNERS = (Role.OFFICER, Role.ADMIN)
MAX_SHORTLISTS = 50
MAX_PRODUCTS = 500
FEED_ENTRIES = 100
LICENCE_ACTIONS = ("approve", "suspend", "reinstate", "revoke", "expire")
MAIL = AfterCommit("procurement.shortlist_mails", "mail a shortlist update to {to}")


class ShortlistError(ProcurementError):
    status_code = 422
    title = "The shortlist cannot be changed so"
    slug = "shortlist"
    code = "shortlist.invalid"


class ShortlistNotFound(ProcurementError):
    status_code = 404
    title = "Not found"
    slug = "not-found"
    code = "shortlist.not_found"


def create_shortlist(session: Session, actor: Actor, name: str) -> Shortlist:
    user = actor.require(roles=OWNERS)
    name = " ".join(name.split())
    if not name or len(name) > 100:
        raise ShortlistError(
            "name: 1 to 100 characters", errors=[{"field": "name", "reason": "1 to 100 characters"}]
        )
    count = len(session.scalars(select(Shortlist.id).where(Shortlist.user_id == user.id)).all())
    if count >= MAX_SHORTLISTS:
        raise ShortlistError(
            f"at most {MAX_SHORTLISTS} shortlists", errors=[{"field": "name", "reason": "too many"}]
        )
    shortlist = Shortlist(user_id=user.id, name=name, feed_key=secrets.token_urlsafe(32), email_updates=True)
    session.add(shortlist)
    session.flush()
    return shortlist


def own_shortlists(session: Session, actor: Actor) -> list[Shortlist]:
    user = actor.require(roles=OWNERS)
    return list(session.scalars(select(Shortlist).where(Shortlist.user_id == user.id).order_by(Shortlist.id)))


def get_shortlist(session: Session, actor: Actor, shortlist_id: int) -> Shortlist:
    user = actor.require(roles=OWNERS)
    shortlist = session.get(Shortlist, shortlist_id, options=[selectinload(Shortlist.products)])
    if shortlist is None or shortlist.user_id != user.id:
        raise ShortlistNotFound(f"no shortlist {shortlist_id}")
    return shortlist


def find_public_product(session: Session, code: str) -> Product:
    """A public product by GTIN or licence number (what an officer has at hand)."""
    code = code.strip()
    condition = Product.licence_number == code.upper()
    with contextlib.suppress(InvalidGTIN):  # not a GTIN: a licence number
        condition = Product.gtin == normalize_gtin(code)
    product = session.scalar(select(Product).where(condition, Product.status.in_(PUBLIC_STATES)))
    if product is None:
        raise ShortlistError(
            f"no registered product has the GTIN or licence number {code!r}",
            errors=[{"field": "product", "reason": "no registered product"}],
        )
    return product


def add_product(session: Session, shortlist: Shortlist, product: Product) -> None:
    if any(p.id == product.id for p in shortlist.products):
        return
    if len(shortlist.products) >= MAX_PRODUCTS:
        raise ShortlistError(
            f"a shortlist holds at most {MAX_PRODUCTS} products",
            errors=[{"field": "product", "reason": "the shortlist is full"}],
        )
    session.execute(
        insert(shortlist_items).values(
            shortlist_id=shortlist.id, product_id=product.id, added_at=datetime.now(UTC)
        )
    )
    session.expire(shortlist, ["products"])


def remove_product(session: Session, shortlist: Shortlist, product_id: int) -> None:
    session.execute(
        delete(shortlist_items).where(
            shortlist_items.c.shortlist_id == shortlist.id, shortlist_items.c.product_id == product_id
        )
    )
    session.expire(shortlist, ["products"])


# ---------------------------------------------------------------- the feed


@dataclass(frozen=True)
class FeedEntry:
    key: str
    at: datetime
    kind: str  # "licence.<action>" or "certificate.ended"
    product: Product
    params: dict[str, Any]


def feed_entries(session: Session, shortlist: Shortlist, today: date | None = None) -> list[FeedEntry]:
    """The newest changes to the shortlist's products: licence decisions (from the audit trail) and
    certificates that ended (by date)."""
    today = today or datetime.now(DHAKA).date()
    products = {p.id: p for p in shortlist.products}
    if not products:
        return []
    entries: list[FeedEntry] = []
    rows = session.execute(
        select(
            AuditEvent.id, AuditEvent.occurred_at, AuditEvent.action, AuditEvent.target_id, AuditEvent.reason
        )
        .where(
            AuditEvent.target_type == "product",
            AuditEvent.target_id.in_([str(i) for i in products]),
            AuditEvent.action.in_([f"product.{a}" for a in LICENCE_ACTIONS]),
        )
        .order_by(AuditEvent.id.desc())
        .limit(FEED_ENTRIES)
    )
    for event_id, occurred_at, action, target_id, reason in rows:
        at = occurred_at if occurred_at.tzinfo else occurred_at.replace(tzinfo=UTC)
        entries.append(
            FeedEntry(
                f"event-{event_id}",
                at,
                f"licence.{action.split('.', 1)[1]}",
                products[int(target_id)],
                {"reason": reason},
            )
        )
    for p in products.values():
        for c in p.certificates:
            if c.valid_until < today:
                ended = datetime.combine(c.valid_until + timedelta(days=1), time(0), tzinfo=DHAKA)
                entries.append(
                    FeedEntry(
                        f"certificate-{c.id}-{c.valid_until.isoformat()}",
                        ended.astimezone(UTC),
                        "certificate.ended",
                        p,
                        {"scheme": c.scheme, "number": c.number, "valid_until": c.valid_until.isoformat()},
                    )
                )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:FEED_ENTRIES]


def shortlist_by_feed_key(session: Session, key: str) -> Shortlist:
    shortlist = session.scalar(select(Shortlist).where(Shortlist.feed_key == key)) if len(key) <= 43 else None
    if shortlist is None:
        raise ShortlistNotFound("no such feed")
    return shortlist


# ---------------------------------------------------------------- e-mail


def watchers(session: Session, product_id: int) -> list[Any]:
    """The shortlists (wanting e-mail) that hold the product, with their owners."""
    return list(
        session.execute(
            select(Shortlist, User)
            .join(User, User.id == Shortlist.user_id)
            .join(shortlist_items, shortlist_items.c.shortlist_id == Shortlist.id)
            .where(
                shortlist_items.c.product_id == product_id,
                Shortlist.email_updates.is_(True),
                User.is_active.is_(True),
            )
            .order_by(Shortlist.id)
        ).all()
    )


def queue_mail(session: Session, to: str, kind: str, params: dict[str, Any]) -> None:
    MAIL.add(session, {"to": to, "kind": kind, "params": params})


def on_licence_changed(product: Any, *, session: Session, action: str, **_: Any) -> None:
    """``licence_changed`` receiver: mail the officers watching the product, once the change commits."""
    if action not in LICENCE_ACTIONS or action == "approve":
        return
    for shortlist, user in watchers(session, product.id):
        queue_mail(session, user.email, f"licence.{action}", _product_params(product, shortlist))


def _product_params(product: Product, shortlist: Shortlist, **extra: Any) -> dict[str, Any]:
    return {
        "product_id": product.id,
        "name_en": product.name_en,
        "name_bn": product.name_bn,
        "gtin": product.gtin,
        "licence_number": product.licence_number,
        "shortlist": shortlist.name,
        "shortlist_id": shortlist.id,
        "reason": product.status_reason,
        **extra,
    }


def notify_ended_certificates(session: Session, on: date) -> int:
    """Mail each certificate of a shortlisted product that ended before ``on`` (and after it was added), once
    per shortlist; returns the number of e-mails queued."""
    sent = 0
    rows = session.execute(
        select(Shortlist, User, shortlist_items.c.product_id, shortlist_items.c.added_at)
        .join(User, User.id == Shortlist.user_id)
        .join(shortlist_items, shortlist_items.c.shortlist_id == Shortlist.id)
        .where(Shortlist.email_updates.is_(True), User.is_active.is_(True))
        .order_by(Shortlist.id, shortlist_items.c.product_id)
    ).all()
    for shortlist, user, product_id, added_at in rows:
        product = session.get(Product, product_id)
        assert product is not None
        added = (added_at if added_at.tzinfo else added_at.replace(tzinfo=UTC)).astimezone(DHAKA).date()
        for c in product.certificates:
            if not added <= c.valid_until < on:
                continue
            key = f"certificate:{c.id}:{c.valid_until.isoformat()}:{product.id}"
            if session.scalar(
                select(ShortlistMail.id).where(
                    ShortlistMail.shortlist_id == shortlist.id, ShortlistMail.dedupe_key == key
                )
            ):
                continue
            session.add(ShortlistMail(shortlist_id=shortlist.id, dedupe_key=key))
            queue_mail(
                session,
                user.email,
                "certificate.ended",
                _product_params(
                    product,
                    shortlist,
                    scheme=c.scheme,
                    number=c.number,
                    valid_until=c.valid_until.isoformat(),
                ),
            )
            sent += 1
    session.flush()
    return sent
