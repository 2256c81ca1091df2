"""Recalls: a manufacturer or the registry withdraws one unit, one batch or a whole product from use.

A recall is not a verdict on authenticity: a recalled unit is genuine, and the consumer must be told so, with
the manufacturer's reason and what to do, in Bangla and English, the date and whom to contact — never a copy
warning or "Report a fake".  The verifier answers ``recalled`` (``signing.errors.Verdict.RECALLED``).

Flask-free: the HTTP side is in ``signing.views``.  Services change rows in the caller's transaction and never
commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import record_event
from core.validators import check_line, check_text
from registry import notices
from registry.models import Product, ProductStatus
from signing.errors import SigningError
from signing.models import Recall, SerialBatch, Unit

__all__ = [
    "RecallError",
    "RecallNotice",
    "RecallText",
    "WideRecalls",
    "audit_recall",
    "find_unit_recall",
    "load_wide_recalls",
    "recall_batch",
    "recall_product",
    "recall_unit",
]

SCOPES = ("product", "batch", "unit")
EVER_LICENSED = {
    ProductStatus.LICENSED,
    ProductStatus.SUSPENDED,
    ProductStatus.EXPIRED,
    ProductStatus.REVOKED,
}
TEXT_LIMITS = {"reason": 500, "instructions": 1000, "contact": 200}


class RecallError(SigningError):
    """A recall request that cannot be carried out (422, or 404 for a serial no batch issued)."""

    status_code = 422
    title = "Recall refused"
    code = "recall.invalid"

    def __init__(self, detail: str, *, field: str, status_code: int | None = None) -> None:
        super().__init__(detail, errors=[{"field": field, "reason": detail}])
        if status_code is not None:
            self.status_code = status_code


@dataclass(frozen=True)
class RecallText:
    """What the consumer is told, in both languages, and whom to contact."""

    reason_en: str
    reason_bn: str
    instructions_en: str
    instructions_bn: str
    contact: str

    @classmethod
    def from_json(cls, body: Any) -> RecallText:
        """Check a request body's recall fields; raise :class:`RecallError` naming the first bad field.

        ``reason`` alone (the older unit-recall API) is accepted as the English reason, with both
        instructions and the Bangla reason then required too — a consumer must be told what to do."""
        if not isinstance(body, dict):
            raise RecallError("send a JSON object", field="body")
        values: dict[str, str] = {}
        legacy_reason = body.get("reason")
        for name in ("reason_en", "reason_bn", "instructions_en", "instructions_bn", "contact"):
            raw = body.get(name, legacy_reason if name == "reason_en" else None)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                raise RecallError(f"{name} is required: {FIELD_HELP[name]}", field=name)
            if not isinstance(raw, str):
                raise RecallError(f"{name} must be text", field=name)
            text = raw.strip()
            limit = TEXT_LIMITS[name.split("_")[0]]
            if len(text) > limit:
                raise RecallError(f"{name} is longer than {limit} characters", field=name)
            try:  # the registry's one rule for text: no control or invisible characters
                text = check_line(text) if name == "contact" else check_text(text)
            except ValueError as exc:
                raise RecallError(f"{name}: {exc}", field=name) from exc
            values[name] = text
        return cls(**values)


FIELD_HELP = {
    "reason_en": "why the product is recalled, in English",
    "reason_bn": "why the product is recalled, in Bangla",
    "instructions_en": "what the owner should do, in English",
    "instructions_bn": "what the owner should do, in Bangla",
    "contact": "a phone number, e-mail or address owners can contact",
}


@dataclass(frozen=True)
class RecallNotice:
    """A recall as the verifier shows it (a plain value: cached across requests)."""

    scope: str
    reason_en: str
    reason_bn: str
    instructions_en: str
    instructions_bn: str
    contact: str
    recalled_at: datetime

    @classmethod
    def of(cls, row: Recall) -> RecallNotice:
        return cls(
            scope=row.scope,
            reason_en=row.reason_en,
            reason_bn=row.reason_bn,
            instructions_en=row.instructions_en,
            instructions_bn=row.instructions_bn,
            contact=row.contact,
            recalled_at=row.recalled_at,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "reason_en": self.reason_en,
            "reason_bn": self.reason_bn,
            "instructions_en": self.instructions_en,
            "instructions_bn": self.instructions_bn,
            "contact": self.contact,
            "recalled_at": self.recalled_at.isoformat(),
        }


def _new_recall(
    session: Session,
    scope: str,
    product: Product,
    text: RecallText,
    *,
    now: datetime,
    user_id: int | None,
    batch: SerialBatch | None = None,
    serial: str | None = None,
) -> Recall:
    row = Recall(
        scope=scope,
        product_id=product.id,
        batch_id=batch.id if batch is not None else None,
        gtin=product.gtin,
        serial=serial,
        reason_en=text.reason_en,
        reason_bn=text.reason_bn,
        instructions_en=text.instructions_en,
        instructions_bn=text.instructions_bn,
        contact=text.contact,
        recalled_at=now,
        created_by_id=user_id,
    )
    session.add(row)
    session.flush()
    notices.recall_published(
        session,
        product,
        scope,
        text.reason_en,
        text.reason_bn,
        serial,
        batch.prefix if batch is not None else None,
    )
    return row


def recall_product(
    session: Session, product: Product, text: RecallText, *, now: datetime, user_id: int | None
) -> Recall:
    """Recall every unit of ``product``: its labels then verify ``recalled``."""
    if product.status not in EVER_LICENSED:
        raise RecallError("only a product that has been licensed can be recalled", field="product")
    return _new_recall(session, "product", product, text, now=now, user_id=user_id)


def recall_batch(
    session: Session, batch: SerialBatch, text: RecallText, *, now: datetime, user_id: int | None
) -> Recall:
    """Recall every unit of ``batch``."""
    product = session.get(Product, batch.product_id)
    assert product is not None
    return _new_recall(session, "batch", product, text, now=now, user_id=user_id, batch=batch)


def recall_unit(
    session: Session,
    batch: SerialBatch,
    serial: str,
    text: RecallText,
    *,
    now: datetime,
    user_id: int | None,
) -> Recall:
    """Recall one unit of ``batch`` (the batch that issued ``serial``: ``signing.batches.find_batch``).  Its row
    is created if it was never scanned, and marked recalled (the scan path reads ``units.recalled_at``)."""
    product = session.get(Product, batch.product_id)
    assert product is not None
    unit = session.scalar(select(Unit).where(Unit.gtin == batch.gtin, Unit.serial == serial))
    if unit is None:
        unit = Unit(gtin=batch.gtin, serial=serial, batch_id=batch.id, product_id=product.id, scan_count=0)
        session.add(unit)
    unit.recalled_at = unit.recalled_at or now
    unit.recall_reason = text.reason_en
    session.flush()
    return _new_recall(session, "unit", product, text, now=now, user_id=user_id, batch=batch, serial=serial)


@dataclass(frozen=True)
class WideRecalls:
    """The product-wide and batch-wide recalls of one GTIN (cached per GTIN on the verification hot path)."""

    product: RecallNotice | None = None
    batches: tuple[tuple[int, RecallNotice], ...] = ()

    def covering(self, batch_id: int | None) -> RecallNotice | None:
        if self.product is not None:
            return self.product
        for recalled_batch, notice in self.batches:
            if recalled_batch == batch_id:
                return notice
        return None


NO_RECALLS = WideRecalls()


def load_wide_recalls(session: Session, gtin: str) -> WideRecalls:
    """The earliest product recall and the earliest recall of each batch of ``gtin`` (one indexed read)."""
    rows = session.scalars(
        select(Recall)
        .where(Recall.gtin == gtin, Recall.scope.in_(("product", "batch")))
        .order_by(Recall.recalled_at, Recall.id)
    ).all()
    if not rows:
        return NO_RECALLS
    product = next((RecallNotice.of(row) for row in rows if row.scope == "product"), None)
    batches: dict[int, RecallNotice] = {}
    for row in rows:
        if row.scope == "batch" and row.batch_id is not None:
            batches.setdefault(row.batch_id, RecallNotice.of(row))
    return WideRecalls(product, tuple(batches.items()))


def find_unit_recall(session: Session, gtin: str, serial: str) -> RecallNotice | None:
    """The earliest recall of this one unit (read only when its row says it is recalled)."""
    row = session.scalar(
        select(Recall)
        .where(Recall.gtin == gtin, Recall.scope == "unit", Recall.serial == serial)
        .order_by(Recall.recalled_at, Recall.id)
        .limit(1)
    )
    return RecallNotice.of(row) if row is not None else None


def audit_recall(session: Session, actor: Any, row: Recall) -> None:
    """The audit event of a recall (``unit.recalled``, ``batch.recalled`` or ``product.recalled``), in the
    caller's transaction: the same for the API and the portal."""
    target_id = {
        "product": str(row.product_id),
        "batch": str(row.batch_id),
        "unit": f"{row.gtin}/{row.serial}",
    }[row.scope]
    record_event(
        session,
        actor=actor,
        action=f"{row.scope}.recalled",
        target_type=row.scope,
        target_id=target_id,
        after={
            "id": row.id,
            "product_id": row.product_id,
            "batch_id": row.batch_id,
            "gtin": row.gtin,
            "serial": row.serial,
            **RecallNotice.of(row).to_json(),
        },
        reason=row.reason_en,
    )
