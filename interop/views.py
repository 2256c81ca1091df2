"""HTTP side of interop: the GS1-Conformant resolver answers on the label URLs (through signing's resolver
hook), the resolver description file, the product passports and a manufacturer's export of them.

The consumer's verdict stays the default answer of ``/01/...``: only a request that asks for links
(``linkType``, ``Accept: application/linkset+json``) reads the catalogue here; a plain scan costs one parse of
the path and a ``Link`` header, no query."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, stream_with_context
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from config import settings_of
from core.api import PUBLIC, api
from core.auth import current_actor
from core.db import get_session
from core.errors import NotFound
from gs1.digital_link import DigitalLink, parse_digital_link
from gs1.errors import DigitalLinkSyntaxError, LabelURLError
from gs1.gtin import normalize_gtin
from interop.errors import NoSuchLink, NoSuchProduct
from interop.linksets import (
    JSONLD_CONTEXT_REL,
    LANGUAGES,
    LINKSET_CONTEXT,
    LINKSET_REQUESTS,
    LINKSET_TYPE,
    ProductLinks,
    Vocabulary,
    build_links,
    build_linkset,
    canonical_uri,
    choose_link,
    describe_resolver,
    link_header,
    signature_query,
    with_query,
)
from interop.passports import (
    CONTEXT_PATH,
    PASSPORT_TYPE,
    build_passport,
    has_passport,
    passport_context,
    passport_name,
)
from registry.models import Product
from registry.queries import PUBLIC_PRODUCT_STATES, get_manufacturer
from signing import views as signing_views
from signing.canonical import canonicalize
from signing.detached import sign_detached
from signing.extension import SigningExtension
from signing.record_service import latest_record

bp = Blueprint("interop", __name__)

RESOLVER_NAME = "Made in Bangladesh ICT product registry"
EXPORT_CHUNK = 200
JWS_TYPE = "application/jose"
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "Link, Location"}


def base_url() -> str:
    """PUBLIC_BASE_URL without its trailing slash: every URL this package writes (never the Host header)."""
    return settings_of(current_app).public_url()


def today() -> date:
    return datetime.now(UTC).date()


def preferred_languages() -> list[str]:
    """The client's languages among bn and en, best first (Accept-Language; Bangla when it says nothing)."""
    wanted = request.args.get("lang")
    ranked = [wanted] if wanted in LANGUAGES else []
    for value, _quality in request.accept_languages:  # best first
        if value[:2].lower() in LANGUAGES:
            ranked.append(value[:2].lower())
    ranked.append("bn")
    return list(dict.fromkeys(ranked))


def wants_linkset() -> bool:
    accept = request.headers.get("Accept", "")
    if "linkset" not in accept:  # what phones send: no parsing
        return False
    best = request.accept_mimetypes.best_match([LINKSET_TYPE, "text/html", "application/json"])
    return best == LINKSET_TYPE


def wants_page() -> bool:
    """A browser or a phone's camera (text/html, or anything): a page; an app asking for JSON: problem+json."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json", "application/problem+json"])
    return best == "text/html"


def malformed_label_page() -> Response:
    html = render_template(
        "error.html",
        status=400,
        title=_("This is not a valid product code"),
        detail=_(
            "The address in this code is not written the way the registry's labels are: it may be damaged, "
            "mistyped or made by someone else. Do not trust the product because of this code."
        ),
    )
    response = Response(html, status=400, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "Accept, Accept-Language"
    return response


def find_linked_product(session: Session, gtin: str) -> Product:
    product = session.scalar(
        select(Product)
        .where(Product.gtin == gtin, Product.status.in_(list(PUBLIC_PRODUCT_STATES)))
        .options(selectinload(Product.certificates), selectinload(Product.manufacturer))
    )
    if product is None:
        raise NoSuchProduct(f"no licensed product has GTIN {gtin}")
    return product


# ---------------------------------------------------------------------------------------------- resolver


def resolve_label(url: str, answer: Callable[[str], Response]) -> Response:
    """What ``/01/<GTIN>[/...]`` answers (signing calls this for every label URL opened).

    1. the path must be a GS1 Digital Link: else 400 problem (:class:`DigitalLinkSyntaxError`); one GS1
       allows but this registry never issues (a serial outside 0-9 A-Z -) gets the verdict (``not_genuine``);
    2. no ``linkType`` and no ``Accept: application/linkset+json``: the consumer's verdict, with ``Link``
       headers to the linkset and the default link (no database query);
    3. ``linkType=linkset`` (or ``all``), or the Accept header: the RFC 9264 linkset of the product;
    4. ``linkType=<type>``: 307 to that link in the client's language, 404 problem if the product has none.
    """
    try:
        link = parse_digital_link(url, strict=True)
    except DigitalLinkSyntaxError:
        if wants_page():  # a phone's camera: the reason in its language, still a 400
            return malformed_label_page()
        raise
    except LabelURLError:
        return answer(url)
    base = base_url()
    link_type = request.args.get("linkType") or None  # an empty linkType asks for nothing
    if link_type is None and not wants_linkset():
        response = answer(url)
        add_link_headers(response, base, link)
        return response
    session = get_session()
    product = find_linked_product(session, link.gtin)
    has_record = latest_record(session, product.id) is not None
    links = build_links(base, link, ProductLinks(product.id, bool(product.certificates), has_record))
    vocabulary = Vocabulary(base)
    if link_type is None or link_type in LINKSET_REQUESTS:
        return linkset_response(base, link, links, vocabulary, product.name_en)
    wanted = vocabulary.expand(link_type)
    rel = next((item.rel for item in links if vocabulary.expand(item.rel) == wanted), None)
    chosen = choose_link(links, rel, preferred_languages()) if rel is not None else None
    if chosen is None:
        raise NoSuchLink(f"product {link.gtin} has no link of type {link_type}")
    response = Response(status=307, headers={"Location": chosen.href})
    add_link_headers(response, base, link)
    response.headers["Vary"] = "Accept, Accept-Language"
    response.headers["Cache-Control"] = "no-store"
    return response


def add_link_headers(response: Response, base: str, link: DigitalLink) -> None:
    anchor = canonical_uri(base, link)
    signed = signature_query(link)
    linkset_url = with_query(anchor, [*signed, ("linkType", "linkset")])
    response.headers["Link"] = link_header(anchor, with_query(anchor, signed), linkset_url)
    response.headers.update(CORS)  # a resolver answers other origins' scripts too


def linkset_response(
    base: str, link: DigitalLink, links: list[Any], vocabulary: Vocabulary, name: str
) -> Response:
    anchor = canonical_uri(base, link)
    body = build_linkset(anchor, links, vocabulary, name=name)
    best = request.accept_mimetypes.best_match([LINKSET_TYPE, "application/json"])
    mimetype = (
        "application/json"
        if best == "application/json" and "linkset" not in request.headers.get("Accept", "")
        else LINKSET_TYPE
    )
    response = Response(json.dumps(body, ensure_ascii=False), mimetype=mimetype)
    add_link_headers(response, base, link)
    response.headers["Link"] += (
        f', <{LINKSET_CONTEXT}>; rel="{JSONLD_CONTEXT_REL}"; type="application/ld+json"'
    )
    response.headers["Vary"] = "Accept, Accept-Language"
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


def _verify_label_document() -> None:
    """The label URL as a GS1-Conformant resolver answers it (for the OpenAPI document; the route is
    signing's ``verify_label``)."""


_verify_label_document.__name__ = "verify_label"
api.describe(
    signing_views.bp,
    "/01/<gtin>",
    "GET",
    summary="A label URL (GS1 Digital Link): the verdict page, the JSON verdict, the RFC 9264 linkset "
    "(linkType=linkset or Accept: application/linkset+json) or a 307 to one link (linkType=gs1:pip ...)",
    tags=["resolver"],
    query={
        "linkType": {
            "type": "string",
            "description": "linkset (or all): the linkset; a link type such as gs1:pip, "
            "gs1:verificationService, gs1:certificationInfo, gs1:masterData, mib:authenticityRecord: "
            "a 307 redirect to that link",
        },
        "s": {"type": "string", "description": "the label's signature parameter (unit labels)"},
    },
    produces=("text/html", "application/json", LINKSET_TYPE),
    scope=PUBLIC,
)(_verify_label_document)
api.operations[-1].extra["openapi"]["responses"].update(
    {
        "307": {
            "description": "a redirect to the link of the type asked for, in the client's language (Location)"
        },
        "400": {
            "description": "a malformed GS1 Digital Link URI: a problem, or a page in its language for a browser",
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}},
                "text/html": {},
            },
        },
    }
)


@api.describe(
    bp,
    "/.well-known/gs1resolver",
    "GET",
    summary="The GS1-Conformant resolver description file (GS1-Conformant Resolver Standard 1.2)",
    tags=["resolver"],
    produces="application/json",
    scope=PUBLIC,
)
@bp.get("/.well-known/gs1resolver")
def resolver_description() -> Response:
    mail = settings_of(current_app).mail
    contact = mail.resolver_contact or mail.sender
    body = describe_resolver(base_url(), name=RESOLVER_NAME, contact_email=contact)
    response = Response(json.dumps(body, ensure_ascii=False), mimetype="application/json")
    response.headers.update(CORS)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


# ---------------------------------------------------------------------------------------------- passports


def signing_extension() -> SigningExtension:
    ext: SigningExtension = current_app.extensions["signing"]
    ext.ready()
    return ext


def passport_bytes(product: Product, base: str) -> bytes:
    return canonicalize(build_passport(product, base, today()))


def sign_passport(data: bytes, gtin: str, session: Session) -> str:
    signer = signing_extension().signer(session)
    return sign_detached(data, signer, name=passport_name(gtin), now=datetime.now(UTC))


def gtin_of_path(gtin: str) -> str:
    try:
        return normalize_gtin(gtin)
    except ValueError as exc:
        raise NoSuchProduct(f"{gtin!r} is not a GTIN: {exc}") from exc


@api.describe(
    bp,
    "/passports/context.jsonld",
    "GET",
    summary="The JSON-LD context of every product passport (GS1 Web Vocabulary, schema.org, mib:)",
    tags=["passports"],
    produces="application/ld+json",
    scope=PUBLIC,
)
@bp.get(CONTEXT_PATH)
def passport_context_document() -> Response:
    response = Response(json.dumps(passport_context(base_url()), ensure_ascii=False), mimetype=PASSPORT_TYPE)
    response.headers.update(CORS)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@api.describe(
    bp,
    "/passports/<gtin>",
    "GET",
    summary="A licensed product's passport: JSON-LD (GS1 Web Vocabulary and schema.org), RFC 8785 bytes "
    "signed by /passports/{gtin}/signature",
    tags=["passports"],
    produces=(PASSPORT_TYPE, "application/json"),
    scope=PUBLIC,
)
@bp.get("/passports/<gtin>")
def show_passport(gtin: str) -> Response:
    gtin14 = gtin_of_path(gtin)
    base = base_url()
    data = passport_bytes(find_linked_product(get_session(), gtin14), base)
    best = request.accept_mimetypes.best_match([PASSPORT_TYPE, "application/json"])
    json_only = best == "application/json" and PASSPORT_TYPE not in request.headers.get("Accept", "")
    response = Response(data, mimetype="application/json" if json_only else PASSPORT_TYPE)
    response.headers["Link"] = (
        f'<{base}/passports/{gtin14}/signature>; rel="{base}/voc/signature"; type="{JWS_TYPE}", '
        f'<{base}{CONTEXT_PATH}>; rel="{JSONLD_CONTEXT_REL}"; type="{PASSPORT_TYPE}"'
    )
    response.headers["ETag"] = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
    response.headers["Vary"] = "Accept"
    response.headers.update(CORS)
    return response


@api.describe(
    bp,
    "/passports/<gtin>/signature",
    "GET",
    summary="The detached JWS (EdDSA, the issuing key of /.well-known/jwks.json) of the passport's bytes",
    tags=["passports"],
    produces=JWS_TYPE,
    scope=PUBLIC,
)
@bp.get("/passports/<gtin>/signature")
def passport_signature(gtin: str) -> Response:
    gtin14 = gtin_of_path(gtin)
    session = get_session()
    data = passport_bytes(find_linked_product(session, gtin14), base_url())
    response = Response(sign_passport(data, gtin14, session), mimetype=JWS_TYPE)
    response.headers.update(CORS)
    response.headers["Cache-Control"] = "no-store"
    return response


@api.describe(
    bp,
    "/api/v1/manufacturers/<int:manufacturer_id>/passports",
    "GET",
    summary="Export every passport of the company's licensed products, one JSON object per line "
    "({gtin, passport, signature}), streamed",
    tags=["passports"],
    produces="application/x-ndjson",
    scope="read",
)
@bp.get("/api/v1/manufacturers/<int:manufacturer_id>/passports")
def export_passports(manufacturer_id: int) -> Response:
    actor = current_actor()
    actor.require()
    session = get_session()
    maker = get_manufacturer(session, actor, manufacturer_id)
    if not (actor.is_reviewer or actor.is_staff_of(maker.id)):
        raise NotFound(f"no manufacturer {manufacturer_id}")  # another company's catalogue: as if none
    base = base_url()
    signer = signing_extension().signer(session)
    ids = list(
        session.scalars(
            select(Product.id)
            .where(Product.manufacturer_id == maker.id, Product.status.in_(list(PUBLIC_PRODUCT_STATES)))
            .order_by(Product.id)
        )
    )
    on = today()

    def lines() -> Iterator[str]:
        for start in range(0, len(ids), EXPORT_CHUNK):
            chunk = session.scalars(
                select(Product)
                .where(Product.id.in_(ids[start : start + EXPORT_CHUNK]))
                .options(selectinload(Product.certificates), selectinload(Product.manufacturer))
                .order_by(Product.id)
            )
            for product in chunk:
                if not has_passport(product):
                    continue
                passport = build_passport(product, base, on)
                data = canonicalize(passport)
                jws = sign_detached(data, signer, name=passport_name(product.gtin), now=datetime.now(UTC))
                yield (
                    json.dumps(
                        {"gtin": product.gtin, "passport": passport, "signature": jws}, ensure_ascii=False
                    )
                    + "\n"
                )

    response = Response(stream_with_context(lines()), mimetype="application/x-ndjson")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="passports-{maker.id}-{on.isoformat()}.jsonl"'
    )
    return response
