"""Brands: a verified manufacturer registers a brand name in both spellings; one confusable with another
company's brand waits for a reviewer with the conflicts shown; the owner licenses it to other makers; a
product must carry a brand its maker owns or is licensed to use. Services validate, change and audit inside
the caller's transaction; the caller commits. The comparison itself is ``registry.brand_matching``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from core.audit import record_event
from core.auth import Actor
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.models import Role, User
from registry.brand_matching import (
    NEAR_KINDS,
    REASONS,
    Key,
    Match,
    allowed_edits,
    brand_keys,
    near_matches,
    visual_key,
)
from registry.errors import IllegalTransition
from registry.models import (
    Brand,
    BrandKey,
    BrandLicence,
    BrandStatus,
    Manufacturer,
    ManufacturerStatus,
    Product,
)
from registry.queries import check_version

BRAND_DECISIONS = {"approve": BrandStatus.REGISTERED, "reject": BrandStatus.REJECTED}


def _verified_maker(session: Session, actor: Actor) -> tuple[User, Manufacturer]:
    user = actor.require(roles=(Role.MANUFACTURER,), scope="write")
    m = session.get(Manufacturer, user.manufacturer_id)
    if m is None or m.status != ManufacturerStatus.VERIFIED:
        raise Forbidden(
            f"only a verified manufacturer can register brands; yours is {m.status if m else 'missing'}",
            code="brand.maker_not_verified",
        )
    return user, m


# ---------------------------------------------------------------- matching against the register


def find_conflicts(
    session: Session, name_en: str, name_bn: str, *, exclude_owner: int | None = None
) -> list[dict[str, Any]]:
    """The brands (registered or pending, of other owners than ``exclude_owner``) confusable with a brand
    spelled ``name_en`` / ``name_bn``, each with the matches that make it so: equal keys by index look-up,
    near keys among those of a similar length (``brand_matching.near_matches``). The rows are read as plain
    tuples on the session's connection: with 10,000 brands a near look-up reads thousands of short keys."""
    keys = brand_keys(name_en, name_bn)
    if not keys:
        return []
    conn = session.connection()
    found: dict[int, dict[Match, None]] = {}
    exact = conn.execute(
        select(BrandKey.brand_id, BrandKey.kind, BrandKey.key).where(
            or_(*(and_(BrandKey.kind == k.kind, BrandKey.key == k.value) for k in keys))
        )
    ).all()
    for brand_id, key in ((r[0], Key(r[1], r[2])) for r in exact):
        found.setdefault(brand_id, {})[Match(REASONS[key.kind], key.value, key.value, 0)] = None
    for kind in NEAR_KINDS:
        near = [k for k in keys if k.kind == kind and allowed_edits(kind, k.value)]
        if not near:
            continue
        rows = conn.execute(
            select(BrandKey.brand_id, BrandKey.key).where(BrandKey.kind == kind, or_(*map(_near_rows, near)))
        ).all()
        ids = [r[0] for r in rows]
        values = [r[1] for r in rows]
        for brand_id, matches in near_matches(near, kind, ids, values).items():
            found.setdefault(brand_id, {}).update(dict.fromkeys(matches))
    if not found:
        return []
    brands = {
        b.id: b
        for b in session.scalars(
            select(Brand)
            .where(Brand.id.in_(list(found)), Brand.status != BrandStatus.REJECTED)
            .options(selectinload(Brand.owner))
        )
        if b.owner_id != exclude_owner
    }
    return [
        {
            "brand_id": brand_id,
            "name_en": brands[brand_id].name_en,
            "name_bn": brands[brand_id].name_bn,
            "status": str(brands[brand_id].status),
            "owner_id": brands[brand_id].owner_id,
            "owner_name_en": brands[brand_id].owner.legal_name_en,
            "owner_name_bn": brands[brand_id].owner.legal_name_bn,
            "matches": [m.to_dict() for m in matches],
        }
        for brand_id, matches in sorted(found.items())
        if brand_id in brands
    ]


def _near_rows(k: Key) -> Any:
    """Which stored keys may be within ``allowed_edits`` of ``k``: a length at most that far off and, for
    one edit, the same first or the same last letter (one edit cannot change both; the database filters
    most of the register out before Python sees it)."""
    edits = allowed_edits(k.kind, k.value)
    near = BrandKey.length.between(len(k.value) - edits, len(k.value) + edits)
    if edits == 1:
        first = func.substr(BrandKey.key, 1, 1) == k.value[0]
        last = func.substr(BrandKey.key, BrandKey.length, 1) == k.value[-1]
        near = and_(near, or_(first, last))
    return near


def add_keys(session: Session, brand: Brand) -> None:
    """Store ``brand``'s matching keys (after a change of spelling or of the key rules: replace them)."""
    brand.keys = [
        BrandKey(kind=k.kind, key=k.value, length=len(k.value))
        for k in brand_keys(brand.name_en, brand.name_bn)
    ]


# ---------------------------------------------------------------- registering and deciding


def register_brand(session: Session, actor: Actor, name_en: str, name_bn: str) -> Brand:
    """A verified manufacturer registers a brand: at once when nothing else is confusable with it, else
    pending a reviewer's decision with the conflicts kept on the brand. Audited: ``brand.registered`` or
    ``brand.submitted``."""
    user, m = _verified_maker(session, actor)
    own = visual_key(name_en), visual_key(name_bn)
    for b in session.scalars(
        select(Brand).where(Brand.owner_id == m.id, Brand.status != BrandStatus.REJECTED)
    ):
        if visual_key(b.name_en) in own or visual_key(b.name_bn) in own:
            raise Conflict(
                f"your company already has this brand: {b.name_en} / {b.name_bn} ({b.status})",
                errors=[{"field": "name_en", "reason": f"already your brand {b.id} ({b.status})"}],
                code="brand.already_yours",
            )
    conflicts = find_conflicts(session, name_en, name_bn, exclude_owner=m.id)
    brand = Brand(
        name_en=name_en,
        name_bn=name_bn,
        owner_id=m.id,
        status=BrandStatus.PENDING if conflicts else BrandStatus.REGISTERED,
        conflicts=conflicts,
        created_by_id=user.id,
    )
    brand.owner = m
    add_keys(session, brand)
    session.add(brand)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="brand.submitted" if conflicts else "brand.registered",
        target_type="brand",
        target_id=brand.id,
        after=brand_snapshot(brand),
    )
    return brand


def decide_brand(
    session: Session,
    actor: Actor,
    brand: Brand,
    action: str,
    reason: str | None,
    expected_version: int | None,
) -> Brand:
    """A reviewer approves (``brand.approved``) or rejects (``brand.rejected``, a reason required) a
    pending brand."""
    user = actor.require(roles=(Role.REVIEWER, Role.ADMIN), scope="review")
    check_version(brand, expected_version)
    if brand.status != BrandStatus.PENDING:
        raise IllegalTransition(
            f"cannot {action} a brand that is {brand.status}",
            errors=[{"field": "status", "reason": f"is {brand.status}; {action} needs pending"}],
            code="brand.not_pending",
        )
    if action == "reject" and not (reason or "").strip():
        raise ValidationFailed.field("reason", "a reason is required to reject", code="brand.reason_required")
    before = brand_snapshot(brand)
    brand.status = BRAND_DECISIONS[action]
    brand.reason = reason
    brand.decided_by_id = user.id
    brand.decided_at = datetime.now(UTC)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="brand.approved" if action == "approve" else "brand.rejected",
        target_type="brand",
        target_id=brand.id,
        before=before,
        after=brand_snapshot(brand),
        reason=reason,
    )
    return brand


def grant_licence(
    session: Session, actor: Actor, brand: Brand, licensee_id: int, reason: str | None = None
) -> BrandLicence:
    """The brand's owner lets another verified manufacturer make products under it (``brand.licensed``);
    granting a revoked licence again renews it."""
    user, m = _verified_maker(session, actor)
    if brand.owner_id != m.id:
        raise Forbidden("only the brand's owner can license it", code="brand.owner_only")
    if brand.status != BrandStatus.REGISTERED:
        raise IllegalTransition(
            f"a {brand.status} brand cannot be licensed",
            errors=[{"field": "status", "reason": f"is {brand.status}; licensing needs registered"}],
            code="brand.not_licensable",
        )
    licensee = session.get(Manufacturer, licensee_id)
    if licensee is None or licensee.status != ManufacturerStatus.VERIFIED:
        raise ValidationFailed.field(
            "licensee_id", "no verified manufacturer with this id", code="brand.licensee_unknown"
        )
    if licensee.id == m.id:
        raise ValidationFailed.field(
            "licensee_id", "your company owns this brand already", code="brand.licensee_self"
        )
    licence = session.scalar(
        select(BrandLicence).where(BrandLicence.brand_id == brand.id, BrandLicence.licensee_id == licensee.id)
    )
    if licence is not None and licence.revoked_at is None:
        raise Conflict(
            "this manufacturer is licensed already",
            errors=[{"field": "licensee_id", "reason": "already licensed"}],
            code="brand.already_licensed",
        )
    if licence is None:
        licence = BrandLicence(brand_id=brand.id, licensee_id=licensee.id)
        session.add(licence)
    licence.kind = "granted"
    licence.granted_by_id = user.id
    licence.granted_at = datetime.now(UTC)
    licence.revoked_at = None
    licence.reason = reason
    licence.licensee = licensee
    session.flush()
    record_event(
        session,
        actor=actor,
        action="brand.licensed",
        target_type="brand",
        target_id=brand.id,
        after={"licensee_id": licensee.id, "kind": "granted"},
        reason=reason,
    )
    return licence


def revoke_licence(
    session: Session, actor: Actor, brand: Brand, licensee_id: int, reason: str | None
) -> BrandLicence:
    """The owner (or a reviewer) ends a licence (``brand.licence_revoked``, a reason required). Products
    already made under it keep their brand; new ones and edits need a licence again."""
    user = actor.require(scope="write" if not actor.is_reviewer else "review")
    if not (actor.is_reviewer or actor.is_staff_of(brand.owner_id)):
        raise Forbidden("only the brand's owner or a reviewer can end its licences")
    if not (reason or "").strip():
        raise ValidationFailed.field(
            "reason", "a reason is required to end a licence", code="brand.licence_reason"
        )
    licence = session.scalar(
        select(BrandLicence).where(
            BrandLicence.brand_id == brand.id,
            BrandLicence.licensee_id == licensee_id,
            BrandLicence.revoked_at.is_(None),
        )
    )
    if licence is None:
        raise NotFound(f"no licence of brand {brand.id} for manufacturer {licensee_id}")
    licence.revoked_at = datetime.now(UTC)
    licence.reason = reason
    session.flush()
    record_event(
        session,
        actor=user,
        action="brand.licence_revoked",
        target_type="brand",
        target_id=brand.id,
        before={"licensee_id": licensee_id, "kind": licence.kind},
        reason=reason,
    )
    return licence


# ---------------------------------------------------------------- products and their brand


def usable_brands(session: Session, manufacturer_id: int) -> list[Brand]:
    """The registered brands a manufacturer owns or holds a licence in force for."""
    licensed = select(BrandLicence.brand_id).where(
        BrandLicence.licensee_id == manufacturer_id, BrandLicence.revoked_at.is_(None)
    )
    return list(
        session.scalars(
            select(Brand)
            .where(
                Brand.status == BrandStatus.REGISTERED,
                or_(Brand.owner_id == manufacturer_id, Brand.id.in_(licensed)),
            )
            .order_by(Brand.name_en, Brand.id)
        )
    )


class BrandResolver:
    """Finds the brand a product's ``brand`` text names among those its maker may use (by visual key, so
    "PADMA" and "পদ্মা" both name the brand Padma / পদ্মা); reads the maker's brands once."""

    def __init__(self, session: Session, manufacturer_id: int) -> None:
        self.session = session
        self.manufacturer_id = manufacturer_id
        self.brands: dict[str, Brand] = {}
        for b in usable_brands(session, manufacturer_id):
            self.brands.setdefault(visual_key(b.name_en), b)
            self.brands.setdefault(visual_key(b.name_bn), b)

    def problem(self, text: str) -> dict[str, Any] | None:
        """Why ``text`` cannot be this maker's brand (an ``errors`` entry on ``brand``), or None when it can."""
        key = visual_key(text)
        if key in self.brands:
            return None
        other = self.session.scalar(
            select(Brand)
            .join(BrandKey)
            .where(BrandKey.kind == "v", BrandKey.key == key, Brand.status != BrandStatus.REJECTED)
            .limit(1)
        )
        if other is not None and other.owner_id != self.manufacturer_id:
            reason = f"brand {other.name_en} is registered to another manufacturer; ask its owner for a licence to use it"
            code = "brand.not_yours"
        elif other is not None:
            reason = f"your brand {other.name_en} is {other.status}; a reviewer decides first"
            code = "brand.not_decided"
        else:
            reason = "not a registered brand of your company; register it in both spellings first"
            code = "brand.not_registered"
        params = {"name": other.name_en} if other is not None else {}
        return {"field": "brand", "reason": reason, "code": code, "params": params}

    def resolve(self, text: str) -> Brand:
        problem = self.problem(text)
        if problem is not None:
            raise ValidationFailed(f"brand: {problem['reason']}", errors=[problem], code=problem["code"])
        return self.brands[visual_key(text)]


def apply_brand(session: Session, product: Product, manufacturer_id: int, text: str) -> None:
    """Check ``text`` names a brand the maker may use and link the product to it (its English spelling)."""
    brand = BrandResolver(session, manufacturer_id).resolve(text)
    product.brand_id = brand.id
    product.brand = brand.name_en


# ---------------------------------------------------------------- look-ups and shapes


def get_brand(session: Session, actor: Actor, brand_id: int) -> Brand:
    """A brand as ``actor`` may see it: registered ones are public; pending and rejected ones only to
    their owner's staff and reviewers."""
    brand = session.get(Brand, brand_id, options=[selectinload(Brand.owner)])
    if brand is None or not (
        brand.status == BrandStatus.REGISTERED or actor.is_reviewer or actor.is_staff_of(brand.owner_id)
    ):
        raise NotFound(f"no brand {brand_id}")
    return brand


def active_licences(session: Session, brand: Brand) -> list[BrandLicence]:
    return list(
        session.scalars(
            select(BrandLicence)
            .where(BrandLicence.brand_id == brand.id, BrandLicence.revoked_at.is_(None))
            .options(selectinload(BrandLicence.licensee))
            .order_by(BrandLicence.id)
        )
    )


def brand_snapshot(brand: Brand) -> dict[str, Any]:
    return {
        "name_en": brand.name_en,
        "name_bn": brand.name_bn,
        "owner_id": brand.owner_id,
        "status": brand.status,
        "conflicts": [c["brand_id"] for c in brand.conflicts or []],
    }


def brand_to_dict(
    brand: Brand, licences: list[BrandLicence] | None = None, *, private: bool = False
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": brand.id,
        "name_en": brand.name_en,
        "name_bn": brand.name_bn,
        "status": brand.status,
        "owner_id": brand.owner_id,
        "owner_name_en": brand.owner.legal_name_en,
        "owner_name_bn": brand.owner.legal_name_bn,
        "licensees": [
            {
                "manufacturer_id": lic.licensee_id,
                "name_en": lic.licensee.legal_name_en,
                "name_bn": lic.licensee.legal_name_bn,
                "kind": lic.kind,
                "granted_at": lic.granted_at.isoformat(),
            }
            for lic in licences or []
        ],
        "version": brand.version,
    }
    if private:
        out.update(
            conflicts=brand.conflicts or [],
            reason=brand.reason,
            created_at=brand.created_at.isoformat(),
            decided_at=brand.decided_at.isoformat() if brand.decided_at else None,
        )
    return out
