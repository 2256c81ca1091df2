"""The brand API under /api/v1/brands: register, check a name, the reviewer's decisions, licences."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.api import PUBLIC, api
from core.auth import current_actor
from core.db import get_session
from core.models import Role
from registry import brands, queries
from registry.models import Brand, BrandStatus
from registry.schemas import (
    BrandCheck,
    BrandCheckOut,
    BrandCreate,
    BrandLicenceCreate,
    BrandLicenceRevoke,
    BrandListQuery,
    BrandOut,
    Decision,
)
from registry.views import _expected_version, _page, _with_etag, bp


def _brand_payload(db: Any, brand: Brand) -> dict[str, Any]:
    actor = current_actor()
    private = actor.is_reviewer or actor.is_staff_of(brand.owner_id)
    return brands.brand_to_dict(brand, brands.active_licences(db, brand), private=private)


@api.route(
    bp,
    "/brands",
    "POST",
    body=BrandCreate,
    response=BrandOut,
    status=201,
    summary="Register a brand in both spellings (verified manufacturers); registered at once unless "
    "confusable with another company's brand, then pending a reviewer with the conflicts listed",
    tags=["brands"],
    scope="write",
)
def register_brand(body: BrandCreate) -> Any:
    db = get_session()
    brand = brands.register_brand(db, current_actor(), body.name_en, body.name_bn)
    payload = _brand_payload(db, brand)
    db.commit()
    resp = _with_etag(payload, 201)
    resp.headers["Location"] = f"/api/v1/brands/{brand.id}"
    return resp


@api.route(
    bp,
    "/brands/check",
    "POST",
    body=BrandCheck,
    response=BrandCheckOut,
    summary="Which registered or pending brands a name is confusable with (nothing is stored)",
    tags=["brands"],
    scope="read",
)
def check_brand(body: BrandCheck) -> Any:
    actor = current_actor()
    user = actor.require()
    exclude = user.manufacturer_id if user.role == Role.MANUFACTURER else None
    return {
        "conflicts": brands.find_conflicts(get_session(), body.name_en, body.name_bn, exclude_owner=exclude)
    }


@api.route(
    bp,
    "/brands",
    query=BrandListQuery,
    response=[BrandOut],
    summary="List brands (the public sees registered ones; staff also their own; reviewers all)",
    tags=["brands"],
    scope=PUBLIC,
)
def list_brands(query: BrandListQuery) -> Any:
    actor = current_actor()
    db = get_session()
    stmt = select(Brand).options(selectinload(Brand.owner)).order_by(Brand.id)
    if not actor.is_reviewer:
        own = actor.user.manufacturer_id if actor.user is not None else None
        visible = Brand.status == BrandStatus.REGISTERED
        stmt = stmt.where(visible | (Brand.owner_id == own) if own else visible)
    if query.status:
        stmt = stmt.where(Brand.status == query.status)
    if query.owner_id:
        stmt = stmt.where(Brand.owner_id == query.owner_id)
    items, total = queries.paginate(db, stmt, query.page, query.per_page)
    return _page([_brand_payload(db, b) for b in items], total, query.page, query.per_page)


@api.route(
    bp,
    "/brands/<int:brand_id>",
    response=BrandOut,
    summary="A brand, its owner and licensees",
    tags=["brands"],
    scope=PUBLIC,
)
def show_brand(brand_id: int) -> Any:
    db = get_session()
    return _with_etag(_brand_payload(db, brands.get_brand(db, current_actor(), brand_id)))


def _brand_decision(action: str) -> None:
    def view(brand_id: int, body: Decision) -> Any:
        actor = current_actor()
        actor.require(roles=(Role.REVIEWER, Role.ADMIN), scope="review")
        db = get_session()
        brand = brands.get_brand(db, actor, brand_id)
        brands.decide_brand(db, actor, brand, action, body.reason, _expected_version())
        payload = _brand_payload(db, brand)
        db.commit()
        return _with_etag(payload)

    view.__name__ = f"{action}_brand"
    api.route(
        bp,
        f"/brands/<int:brand_id>/{action}",
        "POST",
        body=Decision,
        response=BrandOut,
        summary=f"Reviewer: {action} a pending brand"
        + (" (a reason is required)" if action == "reject" else ""),
        tags=["review"],
        scope="review",
    )(view)


for _action in brands.BRAND_DECISIONS:
    _brand_decision(_action)


@api.route(
    bp,
    "/brands/<int:brand_id>/licences",
    "POST",
    body=BrandLicenceCreate,
    response=BrandOut,
    status=201,
    summary="Owner: license the brand to another verified manufacturer",
    tags=["brands"],
    scope="write",
)
def grant_brand_licence(brand_id: int, body: BrandLicenceCreate) -> Any:
    actor = current_actor()
    db = get_session()
    brand = brands.get_brand(db, actor, brand_id)
    brands.grant_licence(db, actor, brand, body.licensee_id, body.reason)
    payload = _brand_payload(db, brand)
    db.commit()
    return payload, 201


@api.route(
    bp,
    "/brands/<int:brand_id>/licences/<int:manufacturer_id>/revoke",
    "POST",
    body=BrandLicenceRevoke,
    response=BrandOut,
    summary="Owner or reviewer: end a manufacturer's licence of the brand (a reason is required)",
    tags=["brands"],
    scope=("write", "review"),
)
def revoke_brand_licence(brand_id: int, manufacturer_id: int, body: BrandLicenceRevoke) -> Any:
    actor = current_actor()
    db = get_session()
    brand = brands.get_brand(db, actor, brand_id)
    brands.revoke_licence(db, actor, brand, manufacturer_id, body.reason)
    payload = _brand_payload(db, brand)
    db.commit()
    return payload
