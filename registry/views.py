"""The registry's REST API under /api/v1."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import select

from config import settings_of
from core.api import PUBLIC, api
from core.audit import record_event
from core.auth import current_actor
from core.blobs import blob_response, get_blobs
from core.db import get_session, lookups
from core.errors import Conflict, NotFound, PayloadTooLarge, ValidationFailed
from core.models import ApiToken, AuditEvent, Role, User
from core.ratelimit import client_id
from registry import certificates, manufacturers, products, queries, serialization
from registry.accounts import end_session, hash_password, issue_token, revoke_all_tokens, start_session
from registry.data.districts import DISTRICTS
from registry.data.taxonomy import CATEGORIES, CERTIFICATE_SCHEMES, GROUPS
from registry.evidence import attach_evidence, evidence_key
from registry.importing import import_products
from registry.models import Certificate, Manufacturer
from registry.schemas import (
    Approval,
    AuditQuery,
    CertificateCreate,
    CertificateOut,
    Decision,
    ImportQuery,
    ImportReport,
    Login,
    ManufacturerListQuery,
    ManufacturerOut,
    ManufacturerRegistration,
    ManufacturerUpdate,
    Page,
    ProductCreate,
    ProductListQuery,
    ProductOut,
    ProductUpdate,
    StaffInvite,
    TokenCreate,
    TokenOut,
    UserCreate,
)
from registry.signin import DEVICE_COOKIE, remember_device, sign_in

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")
REVIEW = ("review",)


def _expected_version() -> int | None:
    header = request.headers.get("If-Match")
    if not header or header.strip() == "*":
        return None
    match = re.fullmatch(r'\s*(?:W/)?"?(\d{1,9})"?\s*', header)
    if not match:
        raise ValidationFailed.field("If-Match", 'send the version from the ETag, e.g. If-Match: "3"')
    return int(match.group(1))


def _with_etag(payload: dict[str, Any], status: int = 200) -> Response:
    resp = jsonify(payload)
    resp.status_code = status
    if "version" in payload and payload["version"] is not None:
        resp.headers["ETag"] = f'"{payload["version"]}"'
    return resp


def _page(items: list[Any], total: int, page: int, per_page: int) -> dict[str, Any]:
    return {
        "items": items,
        "page": page,
        "per_page": per_page,
        "total": total,
        "pages": (total + per_page - 1) // per_page,
    }


# ---------------------------------------------------------------- reference data


@api.route(bp, "/categories", summary="The ICT product taxonomy", tags=["reference"], scope=PUBLIC)
def list_categories() -> Any:
    return {
        "items": [
            c._asdict() | {"group_en": GROUPS[c.group][0], "group_bn": GROUPS[c.group][1]}
            for c in CATEGORIES.values()
        ]
    }


@api.route(bp, "/districts", summary="Bangladesh's 64 districts", tags=["reference"], scope=PUBLIC)
def list_districts() -> Any:
    return {"items": [d._asdict() for d in DISTRICTS.values()]}


@api.route(bp, "/certificate-schemes", summary="Certificate schemes", tags=["reference"], scope=PUBLIC)
def list_schemes() -> Any:
    return {"items": [{"code": k, "name_en": v[0], "name_bn": v[1]} for k, v in CERTIFICATE_SCHEMES.items()]}


# ---------------------------------------------------------------- sessions, tokens, users


@api.route(
    bp, "/session", "POST", body=Login, summary="Sign in (web session cookie)", tags=["auth"], scope=PUBLIC
)
def create_session(body: Login) -> Any:
    db = get_session()
    user = _sign_in(db, str(body.email), body.password)
    start_session(db, user)
    db.commit()
    return remember_device(jsonify({"user": _user_dict(user)}), user)


def _sign_in(db: Any, email: str, password: str) -> User:
    """Every API sign-in path: limits per address, per address and account, per account (registry.signin)."""
    return sign_in(
        db,
        email,
        password,
        address=client_id(),
        device=request.cookies.get(DEVICE_COOKIE),
    )


@api.route(
    bp,
    "/session",
    "DELETE",
    summary="Sign out (the session ends on the server too)",
    tags=["auth"],
    status=204,
    scope=PUBLIC,
)
def delete_session() -> Any:
    db = get_session()
    end_session(db)
    db.commit()
    return "", 204


@api.route(bp, "/me", summary="Who am I", tags=["auth"], scope="read")
def me() -> Any:
    user = current_actor().require()
    return {"user": _user_dict(user), "scopes": sorted(current_actor().scopes)}


def _user_dict(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "manufacturer_id": user.manufacturer_id,
        "is_owner": user.is_owner,
    }


@api.route(
    bp,
    "/tokens",
    "POST",
    body=TokenCreate,
    response=TokenOut,
    status=201,
    summary="Create an API token (the secret is shown once). Authenticate with a session or HTTP Basic.",
    tags=["auth"],
    scope=PUBLIC,  # it authenticates itself: a password (HTTP Basic), a session or a token (no broader scopes)
)
def create_token(body: TokenCreate) -> Any:
    db = get_session()
    basic = request.authorization
    if basic is not None and basic.type == "basic":
        user = _sign_in(db, basic.username or "", basic.password or "")
    else:
        actor = current_actor()
        user = actor.require()
        if actor.via == "token":
            # A token must not mint broader tokens than itself.
            body = body.model_copy(update={"scopes": body.scopes or sorted(actor.scopes)})
            if not set(body.scopes or []) <= actor.scopes:
                raise ValidationFailed.field(
                    "scopes", "a token can only create tokens with its own scopes or fewer"
                )
    days = body.expires_in_days or settings_of(current_app).registry.token_default_days
    token, plaintext = issue_token(db, user, body.name, body.scopes, days)
    record_event(
        db,
        actor=user,
        action="token.created",
        target_type="token",
        target_id=token.id,
        after={"name": token.name, "scopes": token.scopes, "expires_at": token.expires_at.isoformat()},
    )
    db.commit()
    return _token_dict(token) | {"token": plaintext}, 201


def _token_dict(t: ApiToken) -> dict[str, Any]:
    return {
        "id": t.id,
        "name": t.name,
        "prefix": t.prefix,
        "scopes": t.scopes,
        "expires_at": t.expires_at.isoformat(),
        "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
        "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
    }


@api.route(bp, "/tokens", summary="My API tokens (never their secrets)", tags=["auth"], scope="read")
def list_tokens() -> Any:
    user = current_actor().require()
    tokens = get_session().scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))
    return {"items": [_token_dict(t) for t in tokens]}


@api.route(
    bp,
    "/tokens/<int:token_id>",
    "DELETE",
    summary="Revoke an API token",
    tags=["auth"],
    scope="read",
    status=204,
)
def revoke_token(token_id: int) -> Any:
    user = current_actor().require()
    db = get_session()
    token = db.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(f"no token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = datetime.now(UTC)
        record_event(db, actor=user, action="token.revoked", target_type="token", target_id=token.id)
        db.commit()
    return "", 204


@api.route(
    bp,
    "/users",
    "POST",
    body=UserCreate,
    status=201,
    summary="Create a reviewer or admin (admins only)",
    tags=["auth"],
    scope="admin",
)
def create_user(body: UserCreate) -> Any:
    actor = current_actor()
    actor.require(roles=(Role.ADMIN,), scope="admin")
    db = get_session()
    email = str(body.email).lower()
    if db.scalar(select(User.id).where(User.email == email)):
        raise Conflict(
            "this email address already has an account",
            errors=[{"field": "email", "reason": "already registered"}],
            code="value.taken",
        )
    user = User(email=email, name=body.name, role=body.role, password_hash=hash_password(body.password))
    db.add(user)
    db.flush()
    record_event(
        db,
        actor=actor,
        action="user.created",
        target_type="user",
        target_id=user.id,
        after={"email": email, "role": body.role},
    )
    db.commit()
    return {"user": _user_dict(user)}, 201


@api.route(
    bp,
    "/users/<int:user_id>/tokens",
    "DELETE",
    summary="Revoke every API token of a user (admins only; audited)",
    tags=["auth"],
    scope="admin",
)
def revoke_user_tokens(user_id: int) -> Any:
    actor = current_actor()
    actor.require(roles=(Role.ADMIN,), scope="admin")
    db = get_session()
    user = db.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    revoked = revoke_all_tokens(db, user)
    record_event(
        db,
        actor=actor,
        action="user.tokens_revoked",
        target_type="user",
        target_id=user.id,
        after={"revoked": revoked},
    )
    db.commit()
    return {"user_id": user.id, "revoked": revoked}


# ---------------------------------------------------------------- manufacturers


@api.route(
    bp,
    "/manufacturers",
    "POST",
    body=ManufacturerRegistration,
    response=ManufacturerOut,
    status=201,
    summary="Register a manufacturer and its owner account (self-registration)",
    tags=["manufacturers"],
    scope=PUBLIC,
)
def register_manufacturer(body: ManufacturerRegistration) -> Any:
    db = get_session()
    m, owner = manufacturers.register_manufacturer(db, body)
    out = serialization.manufacturer_to_dict(m, private=True) | {"owner": _user_dict(owner)}
    db.commit()
    resp = _with_etag(out, 201)
    resp.headers["Location"] = f"/api/v1/manufacturers/{m.id}"
    return resp


@api.route(
    bp,
    "/manufacturers",
    query=ManufacturerListQuery,
    response=[ManufacturerOut],
    summary="List manufacturers (the public sees verified ones; reviewers see all)",
    tags=["manufacturers"],
    scope=PUBLIC,
)
def list_manufacturers(query: ManufacturerListQuery) -> Any:
    actor = current_actor()
    stmt = select(Manufacturer).order_by(Manufacturer.id)
    if not actor.is_reviewer:
        stmt = stmt.where(Manufacturer.status == "verified")
    if query.status:
        stmt = stmt.where(Manufacturer.status == query.status)
    if query.district:
        stmt = stmt.where(Manufacturer.district == query.district)
    items, total = queries.paginate(get_session(), stmt, query.page, query.per_page)
    private = actor.is_reviewer
    return _page(
        [serialization.manufacturer_to_dict(m, private=private) for m in items],
        total,
        query.page,
        query.per_page,
    )


@api.route(
    bp,
    "/manufacturers/<int:manufacturer_id>",
    response=ManufacturerOut,
    summary="A manufacturer",
    tags=["manufacturers"],
    scope=PUBLIC,
)
def show_manufacturer(manufacturer_id: int) -> Any:
    actor = current_actor()
    m = queries.get_manufacturer(get_session(), actor, manufacturer_id)
    return _with_etag(
        serialization.manufacturer_to_dict(m, private=actor.is_reviewer or actor.is_staff_of(m.id))
    )


@api.route(
    bp,
    "/manufacturers/<int:manufacturer_id>",
    "PATCH",
    body=ManufacturerUpdate,
    response=ManufacturerOut,
    summary="Change the company profile (owner); a rejected profile returns to review",
    tags=["manufacturers"],
    scope="write",
)
def update_manufacturer(manufacturer_id: int, body: ManufacturerUpdate) -> Any:
    actor = current_actor()
    actor.require()
    db = get_session()
    m = queries.get_manufacturer(db, actor, manufacturer_id)
    manufacturers.update_manufacturer(db, actor, m, body, _expected_version())
    # serialised inside the transaction: no lazy load after commit
    payload = serialization.manufacturer_to_dict(m, private=True)
    db.commit()
    return _with_etag(payload)


def _manufacturer_decision(action: str) -> Any:
    def view(manufacturer_id: int, body: Decision) -> Any:
        actor = current_actor()
        actor.require(roles=(Role.REVIEWER, Role.ADMIN), scope="review")
        db = get_session()
        m = queries.get_manufacturer(db, actor, manufacturer_id)
        manufacturers.decide_manufacturer(db, actor, m, action, body, _expected_version())
        # serialised inside the transaction: no lazy load after commit
        payload = serialization.manufacturer_to_dict(m, private=True)
        db.commit()
        return _with_etag(payload)

    view.__name__ = f"{action}_manufacturer"
    api.route(
        bp,
        f"/manufacturers/<int:manufacturer_id>/{action}",
        "POST",
        body=Decision,
        response=ManufacturerOut,
        summary=f"Reviewer: {action} a manufacturer",
        tags=["review"],
        scope="review",
    )(view)


for _action in queries.MANUFACTURER_TRANSITIONS:
    _manufacturer_decision(_action)


@api.route(
    bp,
    "/manufacturers/<int:manufacturer_id>/staff",
    "POST",
    body=StaffInvite,
    status=201,
    summary="Owner: add a staff account (a one-time password is returned once)",
    tags=["manufacturers"],
    scope="write",
)
def invite_staff(manufacturer_id: int, body: StaffInvite) -> Any:
    actor = current_actor()
    actor.require()
    db = get_session()
    m = queries.get_manufacturer(db, actor, manufacturer_id)
    user, password = manufacturers.invite_staff(db, actor, m, body)
    db.commit()
    return {"user": _user_dict(user), "one_time_password": password}, 201


@api.route(
    bp,
    "/manufacturers/<int:manufacturer_id>/staff",
    summary="The company's accounts (its own people and reviewers)",
    tags=["manufacturers"],
    scope="read",
)
def list_staff(manufacturer_id: int) -> Any:
    actor = current_actor()
    db = get_session()
    m = queries.get_manufacturer(db, actor, manufacturer_id)
    return {
        "items": [_user_dict(u) | {"is_active": u.is_active} for u in manufacturers.list_staff(db, actor, m)]
    }


def _staff_switch(action: str, active: bool) -> None:
    def view(manufacturer_id: int, user_id: int) -> Any:
        actor = current_actor()
        db = get_session()
        m = queries.get_manufacturer(db, actor, manufacturer_id)
        staff = manufacturers.set_staff_active(db, actor, m, user_id, active)
        payload = _user_dict(staff) | {"is_active": staff.is_active}
        db.commit()
        return payload

    view.__name__ = f"{action}_staff"
    api.route(
        bp,
        f"/manufacturers/<int:manufacturer_id>/staff/<int:user_id>/{action}",
        "POST",
        summary=f"Owner: {action} a staff account",
        tags=["manufacturers"],
        scope="write",
    )(view)


_staff_switch("deactivate", False)
_staff_switch("reactivate", True)


# ---------------------------------------------------------------- certificates


@api.route(
    bp,
    "/certificates",
    "POST",
    body=CertificateCreate,
    response=CertificateOut,
    status=201,
    summary="Register a certificate of your company",
    tags=["certificates"],
    scope="write",
)
def create_certificate(body: CertificateCreate) -> Any:
    db = get_session()
    c = certificates.create_certificate(db, current_actor(), body)
    payload = serialization.certificate_to_dict(c)
    db.commit()
    return payload, 201


@api.route(
    bp,
    "/certificates",
    query=Page,
    response=[CertificateOut],
    summary="Your company's certificates (reviewers: all)",
    tags=["certificates"],
    scope="read",
)
def list_certificates(query: Page) -> Any:
    actor = current_actor()
    user = actor.require()
    stmt = select(Certificate).order_by(Certificate.id)
    if not actor.is_reviewer:
        stmt = stmt.where(Certificate.manufacturer_id == user.manufacturer_id)
    items, total = queries.paginate(get_session(), stmt, query.page, query.per_page)
    return _page([serialization.certificate_to_dict(c) for c in items], total, query.page, query.per_page)


@api.route(
    bp,
    "/certificates/<int:certificate_id>",
    response=CertificateOut,
    summary="A certificate",
    tags=["certificates"],
    scope=PUBLIC,
)
def show_certificate(certificate_id: int) -> Any:
    return serialization.certificate_to_dict(
        certificates.get_certificate(get_session(), current_actor(), certificate_id)
    )


@api.route(
    bp,
    "/certificates/<int:certificate_id>/evidence",
    "PUT",
    response=CertificateOut,
    summary="Upload the evidence file (PDF, JPEG or PNG; checked by content) as the raw body or multipart field 'file'",
    tags=["certificates"],
    scope="write",
    openapi={
        "requestBody": {
            "required": True,
            "content": {
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                "image/png": {"schema": {"type": "string", "format": "binary"}},
                "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                },
            },
        }
    },
)
def upload_evidence(certificate_id: int) -> Any:
    actor = current_actor()
    user = actor.require(roles=(Role.MANUFACTURER,), scope="write")
    db = get_session()
    c = db.get(Certificate, certificate_id)
    if c is None or c.manufacturer_id != user.manufacturer_id:
        raise NotFound(f"no certificate {certificate_id}")
    limit = settings_of(current_app).registry.max_evidence_bytes
    if request.content_length is not None and request.content_length > limit + 4096:
        raise PayloadTooLarge(
            f"evidence files are at most {limit // 1024 // 1024} MB",
            errors=[{"field": "file", "reason": f"larger than {limit} bytes"}],
        )
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise ValidationFailed.field("file", "send the file in the multipart field 'file'")
        data = upload.stream.read(limit + 1)
        filename = (upload.filename or "evidence")[:255]
    else:
        data = request.get_data(cache=False)[: limit + 1]
        filename = "evidence"
    attach_evidence(db, actor, c, data, filename, blobs=get_blobs(), limit=limit)
    payload = serialization.certificate_to_dict(c)
    db.commit()
    return payload


@api.route(
    bp,
    "/certificates/<int:certificate_id>/evidence",
    summary="Download the evidence file (owner and reviewers)",
    tags=["certificates"],
    scope="read",
)
def download_evidence(certificate_id: int) -> Any:
    actor = current_actor()
    actor.require()
    c = get_session().get(Certificate, certificate_id)
    if c is None or not (actor.is_reviewer or actor.is_staff_of(c.manufacturer_id)) or not c.evidence_sha256:
        raise NotFound(f"no evidence for certificate {certificate_id}")
    return blob_response(
        evidence_key(c.evidence_sha256),
        media_type=c.evidence_media_type,
        download_name=f"certificate-{c.id}"
        + {"application/pdf": ".pdf", "image/png": ".png"}.get(c.evidence_media_type or "", ".jpg"),
    )


# ---------------------------------------------------------------- products


@api.route(
    bp,
    "/products",
    "POST",
    body=ProductCreate,
    response=ProductOut,
    status=201,
    summary="Draft a product (verified manufacturers)",
    tags=["products"],
    scope="write",
)
def create_product(body: ProductCreate) -> Any:
    with lookups() as reader:  # on SQLite, before the write lock is taken
        actor = current_actor()
        checked = products.check_new_product(reader, actor, body)
    db = get_session()
    p = products.create_product(db, actor, body, checked)
    db.commit()  # commit first: the write lock is held no longer than the write needs
    payload = serialization.product_to_dict(p)  # everything it reads was loaded by create_product: no query
    resp = _with_etag(payload, 201)
    resp.headers["Location"] = f"/api/v1/products/{p.id}"
    return resp


@api.route(
    bp,
    "/products",
    query=ProductListQuery,
    response=[ProductOut],
    summary="List products (public: licensed and formerly licensed; staff: also their drafts; reviewers: all)",
    tags=["products"],
    scope=PUBLIC,
)
def list_products(query: ProductListQuery) -> Any:
    stmt = queries.list_products_stmt(
        current_actor(),
        status=query.status,
        manufacturer_id=query.manufacturer_id,
        category=query.category,
        brand_id=query.brand_id,
    )
    items, total = queries.paginate(get_session(), stmt, query.page, query.per_page)
    return _page([serialization.product_to_dict(p) for p in items], total, query.page, query.per_page)


@api.route(
    bp,
    "/products/<int:product_id>",
    response=ProductOut,
    summary="A product",
    tags=["products"],
    scope=PUBLIC,
)
def show_product(product_id: int) -> Any:
    return _with_etag(
        serialization.product_to_dict(queries.get_product(get_session(), current_actor(), product_id))
    )


@api.route(
    bp,
    "/products/<int:product_id>",
    "PATCH",
    body=ProductUpdate,
    response=ProductOut,
    summary="Edit a draft or rejected product",
    tags=["products"],
    scope="write",
)
def update_product(product_id: int, body: ProductUpdate) -> Any:
    actor = current_actor()
    actor.require()
    db = get_session()
    p = queries.get_product(db, actor, product_id)
    products.update_product(db, actor, p, body, _expected_version())
    payload = serialization.product_to_dict(p)  # serialised inside the transaction: no lazy load after commit
    db.commit()
    return _with_etag(payload)


@api.route(
    bp,
    "/products/<int:product_id>/submit",
    "POST",
    response=ProductOut,
    summary="Submit a draft for review",
    tags=["products"],
    scope="write",
)
def submit_product(product_id: int) -> Any:
    actor = current_actor()
    actor.require()
    db = get_session()
    p = queries.get_product(db, actor, product_id)
    products.submit_product(db, actor, p, _expected_version())
    payload = serialization.product_to_dict(p)  # serialised inside the transaction: no lazy load after commit
    db.commit()
    return _with_etag(payload)


def _product_decision(action: str) -> Any:
    schema = Approval if action == "approve" else Decision

    def view(product_id: int, body: Decision) -> Any:
        actor = current_actor()
        actor.require(roles=(Role.REVIEWER, Role.ADMIN), scope="review")
        db = get_session()
        p = queries.get_product(db, actor, product_id)
        products.decide_product(
            db, actor, p, action, body, _expected_version(), settings_of(current_app).registry.licence_years
        )
        payload = serialization.product_to_dict(
            p
        )  # serialised inside the transaction: no lazy load after commit
        db.commit()
        return _with_etag(payload)

    view.__name__ = f"{action}_product"
    api.route(
        bp,
        f"/products/<int:product_id>/{action}",
        "POST",
        body=schema,
        response=ProductOut,
        summary=f"Reviewer: {action} a product's brand licence",
        tags=["review"],
        scope="review",
    )(view)


for _action in queries.PRODUCT_DECISIONS:
    _product_decision(_action)


@api.route(
    bp,
    "/products/import",
    "POST",
    query=ImportQuery,
    response=ImportReport,
    summary="Bulk import drafts from CSV (text/csv) or JSON Lines (application/x-ndjson). "
    "A file with errors imports nothing unless mode=valid-only.",
    tags=["products"],
    scope="write",
    openapi={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
        }
    },
)
def import_products_view(query: ImportQuery) -> Any:
    actor = current_actor()
    actor.require()
    db = get_session()
    report = import_products(
        db,
        actor,
        request.get_data(cache=False),
        request.mimetype,
        mode=query.mode,
        max_rows=settings_of(current_app).registry.max_import_rows,
        dry_run=query.dry_run,
    )
    if report["invalid"] and query.mode == "all":
        db.rollback()
        raise ValidationFailed(
            f"{report['invalid']} of {report['total']} rows are invalid; nothing was imported "
            "(fix them, or send mode=valid-only to import the valid rows)",
            errors=[
                {"field": f"rows[{r['row']}].{e['field']}", "reason": e["reason"]}
                for r in report["rows"]
                for e in r["errors"]
            ][:200],
        ).with_report(report)
    db.commit()
    return report, (201 if report["created"] else 200)


# ---------------------------------------------------------------- audit


@api.route(
    bp,
    "/audit",
    query=AuditQuery,
    summary="The audit trail (reviewers and admins)",
    tags=["review"],
    scope="review",
)
def list_audit(query: AuditQuery) -> Any:
    current_actor().require(roles=(Role.REVIEWER, Role.ADMIN), scope="review")
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc())
    if query.action:
        stmt = stmt.where(AuditEvent.action == query.action)
    if query.target_type:
        stmt = stmt.where(AuditEvent.target_type == query.target_type)
    if query.target_id:
        stmt = stmt.where(AuditEvent.target_id == query.target_id)
    if query.actor:
        stmt = stmt.where(AuditEvent.actor == query.actor.lower())
    if query.since:
        stmt = stmt.where(AuditEvent.occurred_at >= query.since)
    if query.until:
        stmt = stmt.where(AuditEvent.occurred_at < query.until)
    items, total = queries.paginate(get_session(), stmt, query.page, query.per_page)
    return _page([_audit_dict(e) for e in items], total, query.page, query.per_page)


def _audit_dict(e: AuditEvent) -> dict[str, Any]:
    return {
        "id": e.id,
        "occurred_at": e.occurred_at.isoformat(),
        "actor": e.actor,
        "action": e.action,
        "target_type": e.target_type,
        "target_id": e.target_id,
        "reason": e.reason,
        "before": e.before,
        "after": e.after,
        "request_id": e.request_id,
    }


@api.describe(bp, "/openapi.json", summary="This OpenAPI 3.1 document", tags=["meta"], scope=PUBLIC)
@bp.get("/openapi.json")
def openapi_document() -> Any:
    return jsonify(api.document(server_url=request.host_url.rstrip("/")))
