"""The tender compliance check: match each line of a bidder's list to a registered product and judge it
against the tender's rules *as of the bid date*.

Matching is done in bulk (a few queries per 500 identifiers, whatever the number of lines): a GTIN first,
then a licence number, then brand + model (compared without case, spacing or punctuation in the model).
The licence on the bid date comes from the product's audit trail (the status after the last licence
event of that day or before, or the status before the first later event), inside the licence's validity
period; certificates count when their validity covers the bid date.  Dates are Bangladesh dates.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.models import AuditEvent
from procurement.importing import TenderLine
from registry.data.taxonomy import CATEGORIES, CERTIFICATE_SCHEMES
from registry.models import Product, ProductStatus

DHAKA = ZoneInfo("Asia/Dhaka")
CHUNK = 500
PUBLIC_STATES = (
    ProductStatus.LICENSED,
    ProductStatus.SUSPENDED,
    ProductStatus.REVOKED,
    ProductStatus.EXPIRED,
)
MAX_CANDIDATES = 10

# verdicts
COMPLIANT, NOT_COMPLIANT, AMBIGUOUS, NO_MATCH = "compliant", "not_compliant", "ambiguous", "no_match"
# reason codes (stable: pages translate them, clients key on them)
REASONS = (
    "no_match",
    "ambiguous",
    "identifiers_disagree",
    "licence_not_yet_valid",
    "licence_expired",
    "licence_suspended",
    "licence_revoked",
    "not_licensed",
    "certificate_missing",
    "certificate_not_valid",
    "lva_below_minimum",
    "category_not_allowed",
)


@dataclass(frozen=True)
class TenderRules:
    """The tender's rules; an empty rule is not checked."""

    min_lva: Decimal | None = None
    schemes: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = [s for s in self.schemes if s not in CERTIFICATE_SCHEMES]
        if unknown:
            raise ValueError(
                f"unknown certificate scheme {unknown[0]}: one of {', '.join(CERTIFICATE_SCHEMES)}"
            )
        unknown = [c for c in self.categories if c not in CATEGORIES]
        if unknown:
            raise ValueError(f"unknown category {unknown[0]}")
        if self.min_lva is not None and not Decimal(0) <= self.min_lva <= Decimal(100):
            raise ValueError("the minimum local value addition is a percentage from 0 to 100")

    def to_json(self) -> dict[str, Any]:
        return {
            "min_lva": str(self.min_lva) if self.min_lva is not None else None,
            "schemes": list(self.schemes),
            "categories": list(self.categories),
        }


@dataclass
class LineResult:
    line: TenderLine
    verdict: str
    method: str | None = None
    product: Product | None = None
    candidates: list[Product] = field(default_factory=list)
    reasons: list[dict[str, Any]] = field(default_factory=list)
    licence_on_bid_date: str | None = None
    certificates: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self, today: date, products: dict[int, dict[str, Any]] | None = None) -> dict[str, Any]:
        """``products`` memoises each product's JSON across the lines of one check."""
        memo = {} if products is None else products

        def product_of(p: Product) -> dict[str, Any]:
            found = memo.get(p.id)
            if found is None:
                found = memo[p.id] = product_json(p, today)
            return found

        p = self.product
        return {
            "line": self.line.line,
            "input": self.line.to_json(),
            "verdict": self.verdict,
            "match": {
                "method": self.method,
                "product": product_of(p) if p is not None else None,
                "candidates": [product_of(c) for c in self.candidates],
            },
            "licence_on_bid_date": self.licence_on_bid_date,
            "certificates": self.certificates,
            "reasons": self.reasons,
        }


def product_json(p: Product, today: date) -> dict[str, Any]:
    return {
        "id": p.id,
        "gtin": p.gtin,
        "name_en": p.name_en,
        "name_bn": p.name_bn,
        "brand": p.brand,
        "model": p.model_number,
        "category": p.category,
        "licence_number": p.licence_number,
        "local_value_addition": str(p.local_value_addition),
        "manufacturer": {
            "id": p.manufacturer_id,
            "name_en": p.manufacturer.legal_name_en,
            "name_bn": p.manufacturer.legal_name_bn,
            "bin": p.manufacturer.bin,
        },
        "licence_status_now": str(p.licence_state(today)),
    }


@dataclass
class TenderCheck:
    bid_date: date
    checked_at: datetime
    rules: TenderRules
    results: list[LineResult]

    def summary(self) -> dict[str, int]:
        counts = {COMPLIANT: 0, NOT_COMPLIANT: 0, AMBIGUOUS: 0, NO_MATCH: 0}
        for r in self.results:
            counts[r.verdict] += 1
        return {"lines": len(self.results), **counts}

    def to_json(self) -> dict[str, Any]:
        today = self.checked_at.astimezone(DHAKA).date()
        memo: dict[int, dict[str, Any]] = {}
        return {
            "bid_date": self.bid_date.isoformat(),
            "checked_at": self.checked_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "rules": self.rules.to_json(),
            "summary": self.summary(),
            "lines": [r.to_json(today, memo) for r in self.results],
        }


def brand_key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def model_key(text: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).casefold())


def _chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    items = list(values)
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


class _Catalogue:
    """The products the lines name, loaded in bulk."""

    def __init__(self, session: Session, lines: Sequence[TenderLine]) -> None:
        self.session = session
        self.by_id: dict[int, Product] = {}
        self.by_gtin: dict[str, Product] = {}
        self.by_licence: dict[str, Product] = {}
        self.by_brand_model: dict[tuple[str, str], list[int]] = defaultdict(list)
        self._certificates: dict[int, tuple[list[dict[str, Any]], dict[str, bool]]] = {}
        gtins = {line.gtin for line in lines if line.gtin}
        licences = {line.licence_number.upper() for line in lines if line.licence_number}
        for chunk in _chunks(gtins):
            self._load(Product.gtin.in_(chunk))
        for chunk in _chunks(licences):
            self._load(Product.licence_number.in_(chunk))
        if any(line.brand and line.model for line in lines):
            # brand + model are compared folded, which SQL's lower() does not do for Bangla: read the
            # three short columns of every public product once and load only the ones asked for
            wanted = {
                (brand_key(line.brand), model_key(line.model)) for line in lines if line.brand and line.model
            }
            rows = session.execute(
                select(Product.id, Product.brand, Product.model_number).where(
                    Product.status.in_(PUBLIC_STATES)
                )
            )
            ids = []
            for pid, brand, model in rows:
                key = (brand_key(brand), model_key(model))
                if key in wanted:
                    self.by_brand_model[key].append(pid)
                    ids.append(pid)
            for chunk in _chunks(set(ids) - set(self.by_id)):
                self._load(Product.id.in_(chunk))
        self.history = self._load_history()

    def _load(self, condition: Any) -> None:
        stmt = (
            select(Product)
            .where(condition, Product.status.in_(PUBLIC_STATES))
            .options(selectinload(Product.certificates), selectinload(Product.manufacturer))
        )
        for p in self.session.scalars(stmt):
            self.by_id[p.id] = p
            self.by_gtin[p.gtin] = p
            if p.licence_number:
                self.by_licence[p.licence_number.upper()] = p

    def _load_history(self) -> dict[int, list[tuple[date, str | None, str | None]]]:
        """Per product: (Bangladesh day, status before, status after) of each event that recorded a status."""
        history: dict[int, list[tuple[date, str | None, str | None]]] = defaultdict(list)
        for chunk in _chunks(str(pid) for pid in self.by_id):
            rows = self.session.execute(
                select(AuditEvent.target_id, AuditEvent.occurred_at, AuditEvent.before, AuditEvent.after)
                .where(AuditEvent.target_type == "product", AuditEvent.target_id.in_(chunk))
                .order_by(AuditEvent.id)
            )
            for target_id, occurred_at, before, after in rows:
                before_status = (before or {}).get("status")
                after_status = (after or {}).get("status")
                if after_status is None or before_status == after_status:
                    continue
                moment = occurred_at if occurred_at.tzinfo else occurred_at.replace(tzinfo=UTC)
                history[int(target_id)].append((moment.astimezone(DHAKA).date(), before_status, after_status))
        return history

    def certificates_on(self, p: Product, day: date) -> tuple[list[dict[str, Any]], dict[str, bool]]:
        """The product's certificates (each marked valid on ``day`` or not) and, per scheme, whether one is
        valid; worked out once per product (a list names the same product on many lines)."""
        cached = self._certificates.get(p.id)
        if cached is None:
            listed: list[dict[str, Any]] = []
            valid: dict[str, bool] = {}
            for c in sorted(p.certificates, key=lambda c: (c.scheme, c.valid_until)):
                ok = c.valid_from <= day <= c.valid_until
                valid[c.scheme] = valid.get(c.scheme, False) or ok
                listed.append(
                    {
                        "scheme": c.scheme,
                        "number": c.number,
                        "valid_from": c.valid_from.isoformat(),
                        "valid_until": c.valid_until.isoformat(),
                        "valid_on_bid_date": ok,
                    }
                )
            cached = self._certificates[p.id] = (listed, valid)
        return cached

    def brand_model(self, line: TenderLine) -> list[Product]:
        assert line.brand and line.model
        ids = self.by_brand_model.get((brand_key(line.brand), model_key(line.model)), [])
        return sorted((self.by_id[i] for i in ids if i in self.by_id), key=lambda p: p.id)


def status_on(p: Product, history: list[tuple[date, str | None, str | None]], day: date) -> str:
    """The product's recorded status at the end of ``day``: after its last status change that day or
    before, else before its first later change; with no recorded change, its status now."""
    past = [after for when, _before, after in history if when <= day]
    if past:
        return str(past[-1])
    future = [before for when, before, _after in history if when > day]
    if future:
        return str(future[0])
    return str(p.status)


def licence_on(p: Product, history: list[tuple[date, str | None, str | None]], day: date) -> str:
    """``valid``, or why not: ``not_yet_valid``, ``expired``, ``suspended``, ``revoked``, ``not_licensed``."""
    status = status_on(p, history, day)
    if status == ProductStatus.REVOKED:
        return "revoked"
    if status == ProductStatus.SUSPENDED:
        return "suspended"
    if p.licence_valid_from is None or status not in (ProductStatus.LICENSED, ProductStatus.EXPIRED):
        return "not_licensed"
    if day < p.licence_valid_from:
        return "not_yet_valid"
    if status == ProductStatus.EXPIRED or (p.licence_valid_until is not None and day > p.licence_valid_until):
        return "expired"
    return "valid"


_LICENCE_REASONS = {
    "not_yet_valid": "licence_not_yet_valid",
    "expired": "licence_expired",
    "suspended": "licence_suspended",
    "revoked": "licence_revoked",
    "not_licensed": "not_licensed",
}


def _match(
    line: TenderLine, catalogue: _Catalogue
) -> tuple[str | None, Product | None, list[Product], list[Product]]:
    """(method, product, candidates when ambiguous, other products the line's identifiers name)."""
    named: list[tuple[str, Product | None]] = []
    if line.gtin:
        named.append(("gtin", catalogue.by_gtin.get(line.gtin)))
    if line.licence_number:
        named.append(("licence_number", catalogue.by_licence.get(line.licence_number.upper())))
    found = [(method, p) for method, p in named if p is not None]
    if found:
        method, product = found[0]
        others = [p for _m, p in found[1:] if p.id != product.id]
        if line.brand and line.model:
            by_name = catalogue.brand_model(line)
            if by_name and product.id not in {p.id for p in by_name}:
                others.extend(by_name[:1])
        return method, product, [], others
    if line.brand and line.model:
        by_name = catalogue.brand_model(line)
        if len(by_name) == 1:
            return "brand_model", by_name[0], [], []
        if by_name:
            return "brand_model", None, by_name[:MAX_CANDIDATES], []
    return None, None, [], []


def judge_line(line: TenderLine, catalogue: _Catalogue, rules: TenderRules, bid_date: date) -> LineResult:
    method, product, candidates, others = _match(line, catalogue)
    if product is None:
        if candidates:
            return LineResult(
                line,
                AMBIGUOUS,
                method,
                None,
                candidates,
                [{"code": "ambiguous", "candidates": len(candidates)}],
            )
        return LineResult(line, NO_MATCH, None, reasons=[{"code": "no_match"}])
    result = LineResult(line, COMPLIANT, method, product)
    reasons = result.reasons
    for other in others:
        reasons.append(
            {"code": "identifiers_disagree", "other_product_id": other.id, "other_gtin": other.gtin}
        )
    state = licence_on(product, catalogue.history.get(product.id, []), bid_date)
    result.licence_on_bid_date = state
    if state != "valid":
        reasons.append(
            {
                "code": _LICENCE_REASONS[state],
                "valid_from": product.licence_valid_from.isoformat() if product.licence_valid_from else None,
                "valid_until": product.licence_valid_until.isoformat()
                if product.licence_valid_until
                else None,
            }
        )
    result.certificates, valid_schemes = catalogue.certificates_on(product, bid_date)
    for scheme in rules.schemes:
        if scheme not in valid_schemes:
            reasons.append({"code": "certificate_missing", "scheme": scheme})
        elif not valid_schemes[scheme]:
            reasons.append({"code": "certificate_not_valid", "scheme": scheme})
    if rules.min_lva is not None and product.local_value_addition < rules.min_lva:
        reasons.append(
            {
                "code": "lva_below_minimum",
                "lva": str(product.local_value_addition),
                "minimum": str(rules.min_lva),
            }
        )
    if rules.categories and product.category not in rules.categories:
        reasons.append({"code": "category_not_allowed", "category": product.category})
    if reasons:
        result.verdict = NOT_COMPLIANT
    return result


def check_tender(
    session: Session,
    lines: Sequence[TenderLine],
    bid_date: date,
    rules: TenderRules,
    *,
    now: datetime | None = None,
) -> TenderCheck:
    """Judge every line; reads only."""
    catalogue = _Catalogue(session, lines)
    results = [judge_line(line, catalogue, rules, bid_date) for line in lines]
    return TenderCheck(bid_date, (now or datetime.now(UTC)).replace(microsecond=0), rules, results)


__all__ = ["TenderCheck", "TenderRules", "check_tender", "licence_on"]
