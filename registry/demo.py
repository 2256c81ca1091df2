"""Bilingual demo data for the embedded first run: manufacturers in many districts, products in every
category, certificates, some suspended and revoked licences, an admin and a reviewer."""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit import record_event
from registry.auth import hash_password
from registry.data.districts import DISTRICTS
from registry.data.taxonomy import CATEGORIES
from registry.factories import (
    CertificateFactory,
    ManufacturerFactory,
    ProductFactory,
    UserFactory,
    bind_factories,
    licensed,
)
from registry.models import ManufacturerStatus, Product, ProductStatus, Role, SeedMark
from registry.services import licence_changed

SEED_NAME = "demo-v1"
CERT_SCHEMES = ["BSTI", "BTRC", "ISO_9001", "ISO_14001", "IEC_62368_1", "ROHS"]


def is_seeded(session: Session) -> bool:
    return session.get(SeedMark, SEED_NAME) is not None


def seed_demo(
    session: Session,
    *,
    manufacturers: int = 60,
    products: int = 2000,
    seed: int = 2031,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Seed once (caller commits). Returns the credentials of the demo accounts and counts."""
    if is_seeded(session):
        return {"seeded": False}
    rng = random.Random(seed)
    bind_factories(session)
    today = datetime.now(UTC).date()
    admin_pw, reviewer_pw, maker_pw = (secrets.token_urlsafe(9) for _ in range(3))
    admin = UserFactory(
        email="admin@registry.demo",
        name="Registry Admin / রেজিস্ট্রি প্রশাসক",
        role=Role.ADMIN,
        is_owner=False,
        password_hash=hash_password(admin_pw),
    )
    reviewer = UserFactory(
        email="reviewer@registry.demo",
        name="Registry Reviewer / পর্যালোচক",
        role=Role.REVIEWER,
        is_owner=False,
        password_hash=hash_password(reviewer_pw),
    )
    districts = list(DISTRICTS)
    rng.shuffle(districts)
    makers = []
    for i in range(manufacturers):
        status = ManufacturerStatus.VERIFIED
        if i >= manufacturers - 4:
            status = ManufacturerStatus.PENDING
        elif i == manufacturers - 5:
            status = ManufacturerStatus.REJECTED
        m = ManufacturerFactory(
            district=districts[i % 40],
            status=status,
            status_reason="trade licence scan unreadable" if status == ManufacturerStatus.REJECTED else None,
        )
        makers.append(m)
    maker_pw_hash = hash_password(maker_pw)
    for i, m in enumerate(makers):
        UserFactory(
            email="maker@registry.demo" if i == 0 else f"owner{i}@maker{i}.example.com.bd",
            name=m.contact_name,
            manufacturer_id=m.id,
            is_owner=True,
            password_hash=maker_pw_hash,
        )
    certs: dict[int, list[Any]] = {}
    for m in makers:
        certs[m.id] = []
        for scheme in rng.sample(CERT_SCHEMES, 3) + ["BTRC", "BSTI"]:
            if any(c.scheme == scheme for c in certs[m.id]):
                continue
            expired = rng.random() < 0.08
            until = (
                today - timedelta(days=rng.randint(5, 200))
                if expired
                else today + timedelta(days=rng.randint(60, 900))
            )
            certs[m.id].append(
                CertificateFactory(
                    manufacturer_id=m.id,
                    scheme=scheme,
                    valid_until=until,
                    valid_from=until - timedelta(days=1095),
                )
            )
    verified = [m for m in makers if m.status == ManufacturerStatus.VERIFIED]
    categories = list(CATEGORIES)
    built: list[Product] = []
    for i in range(products):
        m = verified[i % len(verified)]
        category = categories[i % len(categories)]
        roll = rng.random()
        if roll < 0.80:
            extra: dict[str, Any] = licensed(today - timedelta(days=rng.randint(1, 900)))
        elif roll < 0.85:
            extra = licensed(today - timedelta(days=rng.randint(100, 600))) | {
                "status": ProductStatus.SUSPENDED,
                "status_reason": "BSTI surveillance test failed / বিএসটিআই নজরদারি পরীক্ষায় অকৃতকার্য",
            }
        elif roll < 0.88:
            extra = licensed(today - timedelta(days=rng.randint(100, 600))) | {
                "status": ProductStatus.REVOKED,
                "status_reason": "counterfeit components found / নকল যন্ত্রাংশ পাওয়া গেছে",
            }
        elif roll < 0.90:
            extra = licensed(today - timedelta(days=1200)) | {"status": ProductStatus.EXPIRED}
        elif roll < 0.95:
            extra = {
                "status": ProductStatus.SUBMITTED,
                "submitted_at": datetime.now(UTC) - timedelta(days=rng.randint(1, 20)),
            }
        else:
            extra = {"status": ProductStatus.DRAFT}
        linked = [
            c for c in certs[m.id] if c.scheme in (CATEGORIES[category].required_schemes or ("ISO_9001",))
        ] or certs[m.id][:1]
        if "licence_valid_from" in extra:
            required = [c for c in linked if c.scheme in CATEGORIES[category].required_schemes]
            extra = _granted_while_certified(extra, required)
        p = ProductFactory.build(manufacturer_id=m.id, category=category, **extra)
        if p.status != ProductStatus.DRAFT:
            p.licence_number = None
        p.certificates = linked
        built.append(p)
        if progress and i % 100 == 99:
            progress(100)
    session.add_all(built)
    session.flush()
    for p in built:
        if p.licence_valid_from:
            p.licence_number = f"MIB-{p.licence_valid_from.year}-{p.id:07d}"
    session.flush()
    for p in built:
        if p.status in (
            ProductStatus.LICENSED,
            ProductStatus.SUSPENDED,
            ProductStatus.REVOKED,
            ProductStatus.EXPIRED,
        ):
            licence_changed.send(p, session=session, action="seed")
    record_event(
        session,
        actor="system",
        action="demo.seeded",
        target_type="user",
        target_id=admin.id,
        after={"manufacturers": len(makers), "products": len(built)},
    )
    session.add(SeedMark(name=SEED_NAME, detail={"manufacturers": len(makers), "products": len(built)}))
    session.flush()
    return {
        "seeded": True,
        "manufacturers": len(makers),
        "districts": len({m.district for m in makers}),
        "products": len(built),
        "accounts": {
            "admin": ("admin@registry.demo", admin_pw),
            "reviewer": ("reviewer@registry.demo", reviewer_pw),
            "manufacturer": ("maker@registry.demo", maker_pw),
        },
        "reviewer_id": reviewer.id,
    }


def _granted_while_certified(licence: dict[str, Any], required: list[Any]) -> dict[str, Any]:
    """A demo licence follows the rule a reviewer's approval does: each required certificate is valid on
    the day the licence starts. A licence that would start after a certificate ended starts on its last
    valid day instead; a certificate issued after the licence started is dated back to that day."""
    start = licence["licence_valid_from"]
    last_valid = min((c.valid_until for c in required), default=start)
    if start > last_valid:
        start = last_valid
        moved = licensed(start)
        licence = licence | {"licence_valid_from": start, "licence_valid_until": moved["licence_valid_until"]}
    for c in required:
        c.valid_from = min(c.valid_from, start)
    return licence


def demo_product_ids(session: Session, status: str, limit: int) -> list[int]:
    return list(
        session.scalars(select(Product.id).where(Product.status == status).order_by(Product.id).limit(limit))
    )
