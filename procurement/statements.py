"""Issuing compliance statements from a tender check, and reading their live status.

A statement is signed with the registry's current issuing key (``signing.statements``), stored as signed,
and never changed: its page adds, beside each line, what has happened to the product since.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import record_event
from core.auth import Actor
from core.models import AuditEvent, Role
from procurement.checks import DHAKA, TenderCheck
from procurement.errors import ProcurementError, StatementNotFound
from procurement.models import ComplianceStatement
from registry.models import Product
from signing.keys import Signer
from signing.statements import SignedStatement, sign_statement, statement_link

ISSUERS = (Role.OFFICER, Role.REVIEWER, Role.ADMIN)
MAX_STATEMENT_LINES = 2_000
ISSUER_NAME = {"en": "Made in Bangladesh ICT product registry", "bn": "মেড ইন বাংলাদেশ আইসিটি পণ্য নিবন্ধন"}


class TooManyLinesForStatement(ProcurementError):
    status_code = 422
    title = "Too many lines for one statement"
    slug = "tender-file"
    code = "statement.too_many_lines"


def statement_lines(check: TenderCheck) -> list[dict[str, Any]]:
    """The lines as the statement states them: what was asked, what matched, the verdict and its reasons."""
    today = check.checked_at.astimezone(DHAKA).date()
    out = []
    memo: dict[int, dict[str, Any]] = {}
    for result in check.results:
        data = result.to_json(today, memo)
        product = data["match"]["product"]
        if product is not None:
            product = {k: v for k, v in product.items() if k != "licence_status_now"}
            product["licence_status_at_check"] = data["match"]["product"]["licence_status_now"]
        out.append(
            {
                "line": data["line"],
                "input": data["input"],
                "verdict": data["verdict"],
                "match_method": data["match"]["method"],
                "product": product,
                "candidates": [{"id": c["id"], "gtin": c["gtin"]} for c in data["match"]["candidates"]],
                "licence_on_bid_date": data["licence_on_bid_date"],
                "certificates": data["certificates"],
                "reasons": data["reasons"],
            }
        )
    return out


def issue_statement(
    session: Session,
    actor: Actor,
    check: TenderCheck,
    signer: Signer,
    *,
    base_url: str,
    reference: str | None,
) -> ComplianceStatement:
    """Sign and store ``check`` as a statement (audited), in the caller's transaction."""
    user = actor.require(roles=ISSUERS)
    if len(check.results) > MAX_STATEMENT_LINES:
        raise TooManyLinesForStatement(
            f"a statement holds at most {MAX_STATEMENT_LINES} lines; this list has {len(check.results)}: "
            "split it by bidder or lot",
            errors=[{"field": "file", "reason": f"more than {MAX_STATEMENT_LINES} lines"}],
        )
    statement_id = "cs-" + secrets.token_urlsafe(12)
    checked = check.to_json()
    content = {
        "id": statement_id,
        "url": f"{base_url.rstrip('/')}/statements/{statement_id}",
        "issuer": ISSUER_NAME,
        "issued_by": user.name,
        "reference": reference,
        "bid_date": checked["bid_date"],
        "checked_at": checked["checked_at"],
        "rules": checked["rules"],
        "summary": checked["summary"],
        "lines": statement_lines(check),
    }
    signed = sign_statement(content, signer, issued_at=check.checked_at)
    link = statement_link(signed, signer)
    row = ComplianceStatement(
        id=statement_id,
        issued_by_id=user.id,
        issued_at=signed.issued_at,
        bid_date=check.bid_date,
        reference=reference,
        line_count=len(check.results),
        compliant_count=checked["summary"]["compliant"],
        document=signed.to_json(),
        link=link.to_url(),
    )
    session.add(row)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="statement.issued",
        target_type="statement",
        target_id=statement_id,
        after={"bid_date": checked["bid_date"], "lines": len(check.results), "sha256": signed.digest},
    )
    return row


def get_statement(session: Session, statement_id: str) -> ComplianceStatement:
    row = session.get(ComplianceStatement, statement_id) if len(statement_id) <= 32 else None
    if row is None:
        raise StatementNotFound(f"no statement {statement_id}")
    return row


def signed_statement(row: ComplianceStatement) -> SignedStatement:
    return SignedStatement.from_json(row.document)


@dataclass(frozen=True)
class LaterChange:
    """What happened to a listed product's licence after the statement was issued."""

    status_now: str
    since: date | None


def later_changes(
    session: Session, row: ComplianceStatement, today: date | None = None
) -> dict[int, LaterChange]:
    """Per listed product whose licence reads differently now than when the statement was issued: its
    status now and the day of the change (Bangladesh date).  What the statement says stays as signed."""
    statement = row.document["statement"]
    ids = {line["product"]["id"] for line in statement["lines"] if line.get("product")}
    if not ids:
        return {}
    today = today or datetime.now(DHAKA).date()
    issued_at = row.issued_at if row.issued_at.tzinfo else row.issued_at.replace(tzinfo=UTC)
    changes: dict[int, LaterChange] = {}
    first_change: dict[int, datetime] = {}
    for target_id, occurred_at in session.execute(
        select(AuditEvent.target_id, AuditEvent.occurred_at)
        .where(
            AuditEvent.target_type == "product",
            AuditEvent.target_id.in_([str(i) for i in ids]),
            AuditEvent.occurred_at > issued_at,
            AuditEvent.action.in_(
                ("product.suspend", "product.revoke", "product.reinstate", "product.expire")
            ),
        )
        .order_by(AuditEvent.id)
    ):
        first_change.setdefault(int(target_id), occurred_at)
    at_check = {line["product"]["id"]: line["product"] for line in statement["lines"] if line.get("product")}
    for p in session.scalars(select(Product).where(Product.id.in_(ids))):
        now = str(p.licence_state(today))
        moment = first_change.get(p.id)
        if moment is None and now == at_check[p.id].get("licence_status_at_check"):
            continue
        if moment is not None:
            since = moment.astimezone(DHAKA).date()
        else:  # expired by date, which no event announces
            since = p.licence_valid_until + timedelta(days=1) if p.licence_valid_until else None
        changes[p.id] = LaterChange(now, since)
    return changes
