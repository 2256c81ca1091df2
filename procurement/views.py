"""HTTP for procurement: the tender check and compliance statements, as API operations and as pages.

Who may do what: checking a list is public (it reads the public catalogue and changes nothing); issuing a
signed statement needs a signed-in procurement officer (or reviewer, admin) on the page, or an API token with
the ``procure`` scope; a statement's page, JSON and PDF are open to whoever has its (unguessable) address.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

import orjson
from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request, url_for

from config import settings_of
from core.api import PUBLIC, api
from core.auth import current_actor
from core.db import get_db, get_session
from core.errors import TooManyRequests, ValidationFailed
from core.ratelimit import client_id, hit_limit
from procurement import shortlists
from procurement.checks import DHAKA, TenderCheck, TenderRules, check_tender
from procurement.errors import ProcurementError, TenderFileError
from procurement.importing import MAX_BYTES, read_tender_file
from procurement.statements import ISSUERS, get_statement, issue_statement, later_changes, signed_statement
from procurement.words import (
    in_both,
    licence_text,
    method_text,
    reason_text,
    status_now_text,
    update_text,
    verdict_text,
)
from registry.data.taxonomy import CATEGORIES, CERTIFICATE_SCHEMES
from web.guards import public_page, signed_in
from web.helpers import register_error_pages, render_error

api_bp = Blueprint("procurement_api", __name__, url_prefix="/api/v1")
pages = Blueprint("procurement_pages", __name__)
register_error_pages(pages)
pages.register_error_handler(ProcurementError, lambda exc: _page_error(exc))

_FORM_SCHEMA = {
    "type": "object",
    "required": ["file", "bid_date"],
    "properties": {
        "file": {
            "type": "string",
            "format": "binary",
            "description": "the bidder's list, CSV (UTF-8) or XLSX",
        },
        "bid_date": {"type": "string", "format": "date"},
        "min_lva": {"type": "number", "minimum": 0, "maximum": 100},
        "schemes": {"type": "string", "description": "required certificate schemes, comma-separated"},
        "categories": {"type": "string", "description": "allowed categories, comma-separated"},
        "reference": {
            "type": "string",
            "maxLength": 200,
            "description": "the tender's reference (statements)",
        },
    },
}
_MULTIPART = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": _FORM_SCHEMA}}}}


def _page_error(exc: ProcurementError) -> Any:
    return render_error(exc.status_code, exc.title, exc.detail)


def _field_error(field: str, reason: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {reason}", errors=[{"field": field, "reason": reason}])


def _list_arg(form: Any, name: str) -> tuple[str, ...]:
    values = [part.strip() for value in form.getlist(name) for part in value.split(",")]
    return tuple(dict.fromkeys(v for v in values if v))


def read_check_request() -> tuple[list[Any], date, TenderRules]:
    """The uploaded list, bid date and rules of a tender-check form (API or page); raises a problem naming
    the field."""
    if request.content_length is not None and request.content_length > MAX_BYTES + 64 * 1024:
        raise TenderFileError(
            f"the file is larger than {MAX_BYTES // 1024 // 1024} MB",
            errors=[{"field": "file", "reason": f"larger than {MAX_BYTES} bytes"}],
        )
    if request.mimetype != "multipart/form-data":
        raise _field_error(
            "Content-Type", "send a multipart/form-data form with the fields file and bid_date"
        )
    form = request.form
    text = form.get("bid_date", "").strip()
    if not text:
        raise _field_error("bid_date", "required")
    try:
        bid_date = date.fromisoformat(text)
    except ValueError as exc:
        raise _field_error("bid_date", "must be a date as YYYY-MM-DD") from exc
    today = datetime.now(DHAKA).date()
    if not date(2000, 1, 1) <= bid_date <= today + timedelta(days=366):
        raise _field_error("bid_date", "must be between 2000-01-01 and a year from today")
    min_lva = None
    if form.get("min_lva", "").strip():
        try:
            min_lva = Decimal(form["min_lva"].strip())
        except InvalidOperation as exc:
            raise _field_error("min_lva", "must be a number from 0 to 100") from exc
        if not min_lva.is_finite():
            raise _field_error("min_lva", "must be a number from 0 to 100")
    schemes, categories = _list_arg(form, "schemes"), _list_arg(form, "categories")
    try:
        rules = TenderRules(min_lva=min_lva, schemes=schemes, categories=categories)
    except ValueError as exc:
        field = "schemes" if "scheme" in str(exc) else "categories" if "category" in str(exc) else "min_lva"
        raise _field_error(field, str(exc)) from exc
    upload = request.files.get("file")
    if upload is None or not upload.filename and not upload.content_length:
        raise _field_error("file", "send the bidder's list (CSV or XLSX) in the field 'file'")
    lines = read_tender_file(upload.stream.read(MAX_BYTES + 1), upload.filename or "")
    return lines, bid_date, rules


def limit_anonymous_checks() -> None:
    """A check of a long list costs seconds of CPU: anonymous callers get ``PROCUREMENT_RATELIMIT_CHECK`` checks
    per client (``client_id``: IPv4 address or IPv6 /64; the one limiter, ``core.ratelimit``); signed-in officers and token holders are not limited."""
    if current_actor().user is not None:
        return
    wait = hit_limit("tender-check", client_id())
    if wait:
        error = TooManyRequests(
            f"too many checks from your address: try again in {int(wait) + 1} s, or sign in",
            errors=[{"field": "file", "reason": "rate limited"}],
        )
        error.retry_after = wait + 1
        raise error


def run_check(lines: list[Any], bid_date: date, rules: TenderRules) -> TenderCheck:
    """Check on a read session (on SQLite it does not take the write lock)."""
    with get_db().session(write=False) as session:
        return check_tender(session, lines, bid_date, rules)


def _reference() -> str | None:
    reference = " ".join(request.form.get("reference", "").split()) or None
    if reference is not None and len(reference) > 200:
        raise _field_error("reference", "at most 200 characters")
    return reference


def _issue(check: TenderCheck) -> Any:
    session = get_session()
    ext = current_app.extensions["signing"]
    base = settings_of(current_app).public_url()
    row = issue_statement(
        session, current_actor(), check, ext.signer(session), base_url=base, reference=_reference()
    )
    session.commit()
    return row


def statement_json(row: Any) -> dict[str, Any]:
    changes = later_changes(get_session(), row)
    return {
        "id": row.id,
        "link": row.link,
        "pdf": url_for("procurement_pages.statement_pdf", statement_id=row.id, _external=True),
        "signed": row.document,
        "later_changes": [
            {"product_id": pid, "status_now": c.status_now, "since": c.since.isoformat() if c.since else None}
            for pid, c in sorted(changes.items())
        ],
    }


# ---------------------------------------------------------------- API


@api.describe(
    api_bp,
    "/tender-checks",
    "POST",
    summary="Check a bidder's list against a tender's rules on its bid date (CSV or XLSX; changes nothing)",
    tags=["procurement"],
    scope=PUBLIC,
)
@api_bp.post("/tender-checks")
def tender_check_api() -> Any:
    limit_anonymous_checks()
    lines, bid_date, rules = read_check_request()
    # orjson: a 10,000-line answer is several MB, which Flask's json module takes a second to write
    return Response(orjson.dumps(run_check(lines, bid_date, rules).to_json()), mimetype="application/json")


@api.describe(
    api_bp,
    "/compliance-statements",
    "POST",
    status=201,
    summary="Check a bidder's list and issue the result as a signed compliance statement",
    tags=["procurement"],
    scope="procure",
)
@api_bp.post("/compliance-statements")
def issue_statement_api() -> Any:
    current_actor().require(roles=ISSUERS)
    lines, bid_date, rules = read_check_request()
    row = _issue(run_check(lines, bid_date, rules))
    resp = jsonify(statement_json(row))
    resp.status_code = 201
    resp.headers["Location"] = url_for("procurement_api.show_statement_api", statement_id=row.id)
    return resp


@api.describe(
    api_bp,
    "/compliance-statements/<statement_id>",
    summary="A signed compliance statement and what has happened to its products since",
    tags=["procurement"],
    scope=PUBLIC,
)
@api_bp.get("/compliance-statements/<statement_id>")
def show_statement_api(statement_id: str) -> Any:
    return jsonify(statement_json(get_statement(get_session(), statement_id)))


def _declare_form_body(*views: str) -> None:
    """``api.describe`` documents JSON bodies only: these operations take the multipart form."""
    for op in api.operations:
        if op.view in views and op.rule.startswith(api_bp.url_prefix or ""):
            op.extra["openapi"].update(_MULTIPART)


_declare_form_body("tender_check_api", "issue_statement_api")


# ---------------------------------------------------------------- pages


def _page_context() -> dict[str, Any]:
    return {
        "schemes": CERTIFICATE_SCHEMES,
        "categories": CATEGORIES,
        "verdict_text": verdict_text,
        "reason_text": reason_text,
        "method_text": method_text,
        "licence_text": licence_text,
        "status_now_text": status_now_text,
    }


def _can_issue() -> bool:
    actor = current_actor()
    return actor.user is not None and actor.via == "session" and actor.user.role in ISSUERS


@pages.route("/tender-check", methods=["GET", "POST"])
@public_page
def tender_check_page() -> Any:
    context = {**_page_context(), "can_issue": _can_issue(), "form": request.form, "errors": []}
    if request.method == "GET":
        return render_template("procurement/tender_check.html", result=None, **context)
    try:
        limit_anonymous_checks()
        lines, bid_date, rules = read_check_request()
    except (ProcurementError, ValidationFailed, TooManyRequests) as exc:
        return render_template(
            "procurement/tender_check.html", result=None, problem=exc, **context
        ), exc.status_code
    check = run_check(lines, bid_date, rules)
    if request.form.get("action") == "issue":
        if not _can_issue():
            return redirect(
                url_for("web_public.login", next=url_for("procurement_pages.tender_check_page")), 303
            )
        row = _issue(check)
        return redirect(url_for("procurement_pages.statement_page", statement_id=row.id), 303)
    return render_template("procurement/tender_check.html", result=check.to_json(), **context)


@pages.get("/statements/<statement_id>")
@public_page
def statement_page(statement_id: str) -> Any:
    session = get_session()
    row = get_statement(session, statement_id)
    statement = row.document["statement"]
    return render_template(
        "procurement/statement.html",
        row=row,
        statement=statement,
        changes=later_changes(session, row),
        **_page_context(),
    )


@pages.get("/statements/<statement_id>.json")
@public_page
def statement_file(statement_id: str) -> Any:
    row = get_statement(get_session(), statement_id)
    return Response(
        signed_statement(row).to_bytes(),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{row.id}.json"'},
    )


@pages.get("/statements/<statement_id>.pdf")
@public_page
def statement_pdf(statement_id: str) -> Any:
    # fpdf (with fontTools and HarfBuzz) costs each web worker about 33 MB it almost never needs: it loads
    # with the first statement PDF (docs/operations.md, "Capacity")
    from procurement.pdf import render_statement_pdf

    row = get_statement(get_session(), statement_id)
    pdf = render_statement_pdf(row.document["statement"], row.link)
    return Response(
        pdf, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{row.id}.pdf"'}
    )


# ---------------------------------------------------------------- shortlists (signed-in officers)


@pages.route("/shortlists", methods=["GET", "POST"])
@signed_in(*shortlists.OWNERS)
def shortlists_page(actor: Any) -> Any:
    session = get_session()
    problem = None
    if request.method == "POST":
        try:
            created = shortlists.create_shortlist(session, actor, request.form.get("name", ""))
        except ProcurementError as exc:
            session.rollback()
            problem = exc
        else:
            session.commit()
            return redirect(url_for("procurement_pages.shortlist_page", shortlist_id=created.id), 303)
    return render_template(
        "procurement/shortlists.html", lists=shortlists.own_shortlists(session, actor), problem=problem
    ), 422 if problem else 200


@pages.route("/shortlists/<int:shortlist_id>", methods=["GET", "POST"])
@signed_in(*shortlists.OWNERS)
def shortlist_page(actor: Any, shortlist_id: int) -> Any:
    session = get_session()
    shortlist = shortlists.get_shortlist(session, actor, shortlist_id)
    problem = None
    if request.method == "POST":
        action = request.form.get("action", "")
        try:
            if action == "add":
                shortlists.add_product(
                    session,
                    shortlist,
                    shortlists.find_public_product(session, request.form.get("product", "")),
                )
            elif action == "remove" and request.form.get("product_id", "").isdigit():
                shortlists.remove_product(session, shortlist, int(request.form["product_id"]))
            elif action == "email":
                shortlist.email_updates = request.form.get("email_updates") == "on"
        except ProcurementError as exc:
            session.rollback()
            problem = exc
        else:
            session.commit()
            return redirect(url_for("procurement_pages.shortlist_page", shortlist_id=shortlist.id), 303)
    today = datetime.now(DHAKA).date()
    return render_template(
        "procurement/shortlist.html",
        shortlist=shortlist,
        problem=problem,
        today=today,
        entries=[
            (e, *update_text(e.kind, _entry_params(e, shortlist)))
            for e in shortlists.feed_entries(session, shortlist, today)
        ],
        status_now_text=status_now_text,
        feed_url=url_for("procurement_pages.shortlist_feed", feed_key=shortlist.feed_key, _external=True),
    ), 422 if problem else 200


@pages.get("/shortlists/feed/<feed_key>.atom")
@public_page
def shortlist_feed(feed_key: str) -> Any:
    """The shortlist's changes as Atom (RFC 4287); the secret key in the address is the credential, so a
    feed reader needs no sign-in."""
    session = get_session()
    shortlist = shortlists.shortlist_by_feed_key(session, feed_key)
    entries = shortlists.feed_entries(session, shortlist)
    base = settings_of(current_app).public_url()
    body = render_atom(shortlist, entries, base, request.url)
    return Response(body, mimetype="application/atom+xml")


def render_atom(shortlist: Any, entries: list[Any], base: str, self_url: str) -> bytes:
    host = base.split("://", 1)[-1].split("/", 1)[0]
    feed = Element("feed", xmlns="http://www.w3.org/2005/Atom")
    SubElement(feed, "id").text = f"tag:{host},2026:shortlist-{shortlist.id}"
    SubElement(feed, "title").text = shortlist.name
    SubElement(feed, "updated").text = _atom_time(entries[0].at if entries else shortlist.created_at)
    SubElement(feed, "link", rel="self", href=self_url)
    SubElement(SubElement(feed, "author"), "name").text = "Made in Bangladesh ICT registry"
    for item in entries:
        params = _entry_params(item, shortlist)
        (title_en, body_en), (title_bn, body_bn) = in_both(lambda i=item, p=params: update_text(i.kind, p))
        entry = SubElement(feed, "entry")
        SubElement(entry, "id").text = f"tag:{host},2026:shortlist-{shortlist.id}/{item.key}"
        SubElement(entry, "title").text = f"{title_en} / {title_bn}"
        SubElement(entry, "updated").text = _atom_time(item.at)
        SubElement(entry, "link", href=f"{base}/products/{item.product.id}")
        lines = [body_en, body_bn, f"GTIN {item.product.gtin}"]
        if item.params.get("reason"):
            lines.append(str(item.params["reason"]))
        SubElement(entry, "content", type="text").text = "\n".join(line for line in lines if line)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + tostring(
        feed, encoding="utf-8", xml_declaration=False
    )


def _entry_params(entry: Any, shortlist: Any) -> dict[str, Any]:
    return {
        **entry.params,
        "name_en": entry.product.name_en,
        "name_bn": entry.product.name_bn,
        "shortlist": shortlist.name,
    }


def _atom_time(moment: datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
