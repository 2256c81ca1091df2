"""Public pages: home, catalogue results, product and manufacturer pages, compare, scan, report a fake;
sign-in, sign-out and password reset for staff."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from config import settings_of
from core.api import api
from core.auth import ANONYMOUS
from core.db import get_session
from core.errors import NotAuthenticated, TooManyRequests, ValidationFailed
from core.problems import problem_response
from core.ratelimit import client_id, hit_limit
from gs1.errors import LabelURLError
from registry import brands, queries, serialization
from registry.accounts import end_session, start_session
from registry.data.districts import DISTRICTS
from registry.data.taxonomy import CATEGORIES, CERTIFICATE_SCHEMES
from registry.models import Manufacturer, ProductStatus
from registry.signin import DEVICE_COOKIE, remember_device, sign_in
from search.documents import build_product_documents
from search.errors import InvalidQuery, SearchUnavailable
from search.queries import MAX_COMPARE, page_count, parse_catalogue_query, parse_compare_ids
from signing import parse_label_url
from web import accounts, catalogue_labels, reports
from web.field_errors import from_entry
from web.helpers import (
    page_arg,
    register_error_pages,
    render_error,
    safe_next,
    too_many_attempts,
)

bp = Blueprint("web_public", __name__)
register_error_pages(bp)
api.declare_public_pages(bp)  # the catalogue, verification, sign-in and reports: anyone may open them
bp.record_once(lambda state: catalogue_labels.init_app(state.app))

SORT_LABELS = {
    "relevance": _l("Best match"),
    "newest": _l("Newest"),
    "name": _l("Name"),
    "lva": _l("Local value addition"),
}
FILTER_KEYS = (
    "q",
    "category",
    "district",
    "manufacturer",
    "certificate",
    "lva_min",
    "licence_valid_on",
    "certificate_valid_on",
    "bid_date",
    "sort",
)
PER_PAGE = 20


def _today() -> Any:
    return datetime.now(UTC).date()


def _search_backend() -> Any:
    return current_app.extensions.get("search")


# ---------------------------------------------------------------- catalogue


@bp.get("/")
def home() -> Any:
    return render_template("public/home.html", categories=CATEGORIES.values())


def _filter_args() -> dict[str, list[str]]:
    """The catalogue filters of the current request (what export and pagination links carry)."""
    args = request.args.to_dict(flat=False)
    return {
        k: [v for v in args[k] if v.strip()]
        for k in FILTER_KEYS
        if k in args and any(v.strip() for v in args[k])
    }


def _query_string(args: dict[str, list[str]], **changes: Any) -> str:
    merged = dict(args)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = [str(value)] if not isinstance(value, list) else [str(v) for v in value]
    return urlencode(merged, doseq=True)


def _facet_view(facets: dict[str, Any], args: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Facet counts with labels in both languages and the link that toggles each value."""
    manufacturer_ids = [int(c.value) for c in facets.get("manufacturer", []) if str(c.value).isdigit()]
    makers = {}
    if manufacturer_ids:
        rows = get_session().execute(
            select(Manufacturer.id, Manufacturer.legal_name_en, Manufacturer.legal_name_bn).where(
                Manufacturer.id.in_(manufacturer_ids)
            )
        )
        makers = {str(i): {"label_en": en, "label_bn": bn} for i, en, bn in rows}
    titles = {
        "category": _("Category"),
        "certificate": _("Valid certificate"),
        "district": _("District"),
        "manufacturer": _("Manufacturer"),
        "lva": _("Local value addition"),
    }
    out = []
    for name in ("category", "certificate", "lva", "district", "manufacturer"):
        counts = facets.get(name) or []
        if not counts:
            continue
        param = "lva_min" if name == "lva" else name
        selected = set(args.get(param, []))
        items = []
        for c in counts:
            value = str(c.value)
            if name == "category" and value in CATEGORIES:
                label = {"label_en": CATEGORIES[value].name_en, "label_bn": CATEGORIES[value].name_bn}
            elif name == "district" and value in DISTRICTS:
                label = {"label_en": DISTRICTS[value].name_en, "label_bn": DISTRICTS[value].name_bn}
            elif name == "certificate" and value in CERTIFICATE_SCHEMES:
                label = {"label_en": CERTIFICATE_SCHEMES[value][0], "label_bn": CERTIFICATE_SCHEMES[value][1]}
            elif name == "manufacturer":
                label = makers.get(value, {"label_en": value, "label_bn": value})
            else:
                label = {"label_en": f"{value} %", "label_bn": f"{value} %"}
            if name == "lva":
                low = value.split("-")[0]
                on = low in selected
                link = _query_string(args, lva_min=None if on else low, page=None)
            else:
                on = value in selected
                values = sorted(selected - {value}) if on else sorted(selected | {value})
                link = _query_string(args, **{param: values or None, "page": None})
            items.append({"value": value, "count": c.count, "selected": on, "query": link, **label})
        out.append({"name": name, "title": titles[name], "items": items})
    return out


_BID_DATE_FIELDS = ("licence_valid_on", "certificate_valid_on")


def _with_bid_date(args: dict[str, list[str]]) -> dict[str, list[str]]:
    """A procurement officer's bid date: the licence and the certificates must be valid on that day (unless
    the two days are given apart, as the API takes them)."""
    out = {k: v for k, v in args.items() if k != "bid_date"}
    if "bid_date" in args:
        for key in _BID_DATE_FIELDS:
            out.setdefault(key, args["bid_date"][:1])
    return out


@bp.get("/search")
def search() -> Any:

    args = _filter_args()
    page_arg = request.args.get("page", "1")
    backend = _search_backend()
    searched = _with_bid_date(args)
    context: dict[str, Any] = {
        "args": args,
        "q": request.args.get("q", ""),
        "categories": CATEGORIES,
        "districts": DISTRICTS,
        "schemes": CERTIFICATE_SCHEMES,
        "sort_labels": SORT_LABELS,
        "errors": [],
        "export_csv": "/api/v1/catalogue/export?" + _query_string(searched, format="csv"),
        "export_xlsx": "/api/v1/catalogue/export?" + _query_string(searched, format="xlsx"),
    }
    if backend is None:
        return render_template("public/results.html", unavailable=True, **context), 503
    try:
        query = parse_catalogue_query({**searched, "page": [page_arg], "per_page": [str(PER_PAGE)]}, _today())
    except InvalidQuery as exc:
        context["errors"] = [
            {**e, "field": "bid_date"} if "bid_date" in args and e.get("field") in _BID_DATE_FIELDS else e
            for e in exc.errors
        ]
        return render_template("public/results.html", result=None, **context), 422
    try:
        result = backend.search(query)
    except SearchUnavailable:
        return render_template("public/results.html", unavailable=True, **context), 503
    pages = page_count(result.total, query.per_page)
    return render_template(
        "public/results.html",
        result=result,
        query=query,
        pages=pages,
        facets=_facet_view(result.facets, args),
        prev_query=_query_string(args, page=query.page - 1) if query.page > 1 else None,
        next_query=_query_string(args, page=query.page + 1) if query.page < pages else None,
        sort_query=lambda s: _query_string(args, sort=s, page=None),
        **context,
    )


@bp.get("/products/<int:product_id>")
def product(product_id: int) -> Any:
    # Public pages always look as the public: a signed-in manufacturer sees its drafts in the portal.
    p = queries.get_product(get_session(), ANONYMOUS, product_id)
    data = serialization.product_to_dict(p)
    base = settings_of(current_app).public_url()
    return render_template(
        "public/product.html",
        p=data,
        maker=p.manufacturer,
        category=CATEGORIES.get(p.category),
        district=DISTRICTS.get(p.manufacturer.district),
        product_url=f"{base}/01/{p.gtin}",
    )


@bp.get("/manufacturers/<int:manufacturer_id>")
def manufacturer(manufacturer_id: int) -> Any:
    db = get_session()
    m = queries.get_manufacturer(db, ANONYMOUS, manufacturer_id)
    page = page_arg()
    stmt = queries.list_products_stmt(
        ANONYMOUS, status=ProductStatus.LICENSED, manufacturer_id=m.id, category=None
    )
    items, total = queries.paginate(db, stmt, page, PER_PAGE)
    return render_template(
        "public/manufacturer.html",
        m=m,
        brands=[b for b in brands.usable_brands(db, m.id) if b.owner_id == m.id],
        district=DISTRICTS.get(m.district),
        products=items,
        total=total,
        page=page,
        pages=(total + PER_PAGE - 1) // PER_PAGE,
        categories=CATEGORIES,
    )


@bp.get("/brands/<int:brand_id>")
def brand(brand_id: int) -> Any:
    """A registered brand: both spellings, its owner, the makers licensed to use it, its licensed products."""
    db = get_session()
    b = brands.get_brand(db, ANONYMOUS, brand_id)
    page = page_arg()
    stmt = queries.list_products_stmt(
        ANONYMOUS, status=ProductStatus.LICENSED, manufacturer_id=None, category=None, brand_id=b.id
    )
    items, total = queries.paginate(db, stmt, page, PER_PAGE)
    return render_template(
        "public/brand.html",
        b=b,
        licences=brands.active_licences(db, b),
        products=items,
        total=total,
        page=page,
        pages=(total + PER_PAGE - 1) // PER_PAGE,
        categories=CATEGORIES,
    )


@bp.get("/compare")
def compare() -> Any:

    args = request.args.to_dict(flat=False)
    wanted = list(
        dict.fromkeys(v.strip() for raw in args.get("ids", []) for v in raw.split(",") if v.strip())
    )
    dropped = len(wanted) > MAX_COMPARE  # a sixth tick keeps the first five rather than losing them all
    try:
        ids = parse_compare_ids({"ids": wanted[:MAX_COMPARE]})
    except InvalidQuery as exc:
        return render_template("public/compare.html", products=[], rows=[], errors=exc.errors), 422
    docs, missing = build_product_documents(get_session(), ids)
    by_id = {d["id"]: d for d in docs}
    products = [by_id[i] for i in ids if i in by_id]
    rows = [
        (_("Brand"), [{"free": d["brand"]} for d in products]),
        (_("Model number"), [{"code": d["model_number"]} for d in products]),
        ("GTIN", [{"code": d["gtin"]} for d in products]),
        (
            _("Manufacturer"),
            [{"en": d["manufacturer_name_en"], "bn": d["manufacturer_name_bn"]} for d in products],
        ),
        (_("Category"), [{"en": d["category_name_en"], "bn": d["category_name_bn"]} for d in products]),
        (_("District"), [{"en": d["district_name_en"], "bn": d["district_name_bn"]} for d in products]),
        (_("Local value addition"), [{"pct": d["local_value_addition"]} for d in products]),
        (_("Certificates"), [{"certs": d["certificates"]} for d in products]),
        (_("Licence valid until"), [{"day": d["licence_valid_until"]} for d in products]),
        (_("Launch date"), [{"day": d["launch_date"]} for d in products]),
    ]
    spec_keys: list[str] = []
    for d in products:
        spec_keys.extend(k for k in (d.get("specifications") or {}) if k not in spec_keys)
    rows += [
        (
            catalogue_labels.spec_key_label(k),
            [{"spec": (d.get("specifications") or {}).get(k, "—")} for d in products],
        )
        for k in spec_keys
    ]
    return render_template(
        "public/compare.html",
        products=products,
        rows=rows,
        missing=missing,
        errors=[],
        dropped=dropped,
        export_csv="/api/v1/catalogue/export?format=csv",
    )


@bp.get("/scan")
def scan() -> Any:
    return render_template("public/scan.html")


@bp.get("/scan/open")
def open_label() -> Any:
    """A label address typed in (or decoded without JavaScript help): open it if the registry issued it.

    Only a label path (``/01/<GTIN>[/21/<serial>]``, the signature its only parameter) on this registry's
    public host is opened, and the redirect is rebuilt from the parsed label, never copied from the address:
    ``http://HOST//evil.example/01/…`` would otherwise send the phone to ``//evil.example/…``."""
    raw = (request.args.get("url") or "").strip()
    target = own_label_path(raw, current_app.extensions["signing"].settings.public_host)
    if target is not None:
        return redirect(target, 303)
    best = request.accept_mimetypes.best_match(["text/html", "application/json", "application/problem+json"])
    if best != "text/html":
        reason = (
            "not a label URL of this registry: https://<registry host>/01/<GTIN>[/21/<serial>]?s=<digits>"
        )
        return problem_response(
            400,
            "Not a registry label",
            reason,
            slug="not-a-registry-label",
            code="gs1.label_url",
            errors=[{"field": "url", "reason": reason}],
        )
    return render_error(
        400,
        _("This is not a registry label"),
        _("The address is not a label of the Made in Bangladesh registry."),
    )


LABEL_PATH = re.compile(r"/01/[0-9]{8,14}(?:/21/[0-9A-Za-z-]{1,20})?/?")
LABEL_QUERY = re.compile(r"(?:[sS]=[0-9]{1,200})?")


def own_label_path(raw: str, public_host: str) -> str | None:
    """The canonical path and query of a label URL on ``public_host``, or None for anything else (another
    host, a path prefix or an encoded character, other parameters, not a URL at all)."""
    try:
        label = parse_label_url(raw)
    except LabelURLError:
        return None
    parts = urlsplit(raw)
    if (
        label.host != public_host
        or not LABEL_PATH.fullmatch(parts.path)
        or not LABEL_QUERY.fullmatch(parts.query)
    ):
        return None
    return "/" + label.to_url().split("://", 1)[1].split("/", 1)[1]


@bp.route("/report", methods=["GET", "POST"])
def report() -> Any:
    """Report a suspected fake: where it was bought, what looks wrong, the label URL or GTIN/serial."""

    form = request.form if request.method == "POST" else request.args
    values = {
        k: form.get(k, "").strip()
        for k in ("url", "gtin", "serial", "district", "where", "details", "contact")
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        retry = hit_limit("report-form", client_id())
        if retry:
            return too_many_attempts(retry)
        photo = request.files.get("photo")
        try:
            reports.submit_report(values, photo)
        except reports.ReportInvalid as exc:
            errors = exc.fields
        else:
            get_session().commit()
            return render_template("public/report_done.html")
    return render_template("public/report.html", values=values, errors=errors, districts=DISTRICTS), (
        422 if errors else 200
    )


# ---------------------------------------------------------------- accounts


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    next_url = safe_next(request.values.get("next"), "")
    error = None
    status = 200
    if request.method == "POST":
        db = get_session()
        try:
            user = sign_in(
                db,
                request.form.get("email", ""),
                request.form.get("password", ""),
                address=client_id(),
                device=request.cookies.get(DEVICE_COOKIE),
            )
        except TooManyRequests as exc:
            page = render_template(
                "public/login.html",
                error=_(
                    "Too many sign-in attempts from your network. Please wait a few minutes and try again."
                ),
                next=next_url,
            )
            return page, 429, {"Retry-After": str(math.ceil(exc.retry_after))}
        except NotAuthenticated:
            # one answer for an unknown address, a wrong password, a disabled account and one that must wait
            error = _(
                "Wrong email address or password. After repeated failures, wait a minute before trying again."
            )
            status = 401
        else:
            start_session(db, user)  # a new session id: the cookie from before sign-in signs no one in
            db.commit()
            default = (
                url_for("web_console.queues")
                if user.role in ("reviewer", "admin")
                else url_for("procurement_pages.shortlists_page")
                if user.role == "officer"
                else url_for("web_portal.dashboard")
            )
            return remember_device(redirect(next_url or default, 303), user)
    return render_template("public/login.html", error=error, next=next_url), status


@bp.post("/logout")
def logout() -> Any:
    db = get_session()
    end_session(db)  # ends on the server: a copy of the old cookie signs no one in
    db.commit()
    return redirect(url_for("web_public.home"), 303)


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password() -> Any:
    if request.method == "POST":
        retry = hit_limit("password-reset", client_id())
        if retry:
            return too_many_attempts(retry)
        accounts.send_reset_link(get_session(), request.form.get("email", ""))
        # The same answer whether or not the address has an account.
        return render_template("public/forgot_sent.html")
    return render_template("public/forgot.html")


@bp.get("/password/reset/<token>")
def reset_link(token: str) -> Any:
    """The link in the e-mail: keep its token in the session cookie and go on to a URL without it, so the
    token is in no later request line, Referer or form address (and accounts.redact_reset_links keeps it
    out of the access log line of this one)."""
    if accounts.user_for_reset_token(get_session(), token) is None:
        return render_error(400, _("This link has expired"), _("Ask for a new password reset link."))
    session[accounts.RESET_SESSION_KEY] = token
    return redirect(url_for("web_public.reset_password"), 303)


@bp.route("/password/reset", methods=["GET", "POST"])
def reset_password() -> Any:
    db = get_session()
    token = session.get(accounts.RESET_SESSION_KEY) or ""
    user = accounts.user_for_reset_token(db, token) if token else None
    if user is None:
        return render_error(400, _("This link has expired"), _("Ask for a new password reset link."))
    error = None
    if request.method == "POST":
        password = request.form.get("password", "")
        if password != request.form.get("password2", ""):
            error = _("The two passwords are not the same.")
        else:
            try:
                accounts.set_password(db, user, password)
            except ValidationFailed as exc:
                error = from_entry(exc.errors[0])
            else:
                db.commit()
                session.clear()
                flash(
                    _(
                        "Your password was changed, you were signed out everywhere and your API tokens were "
                        "revoked. Please sign in."
                    )
                )
                return redirect(url_for("web_public.login"), 303)
    return render_template("public/reset.html", error=error), (422 if error else 200)
