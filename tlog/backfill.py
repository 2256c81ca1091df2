"""``flask tlog backfill``: a database that had history before the log existed (migration 0010_tlog) gets one
entry per fact a verifier relies on today, so the monitor's rules hold from the first entry on.

Only into an empty log.  Order: verified manufacturers, keys, granted licences, records, batches, then the
states reached since (suspensions, revocations, expiries, retired and compromised keys), recalls, and the
newest status list.  Each entry's ``at`` is the row's own time where it has one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db import Base
from registry.models import Manufacturer, Product, ProductStatus
from tlog import entries
from tlog.errors import TlogError
from tlog.models import TlogEntry

LICENCE_STATES = [
    ProductStatus.LICENSED,
    ProductStatus.SUSPENDED,
    ProductStatus.REVOKED,
    ProductStatus.EXPIRED,
]


def mapped(table: str) -> Any:
    """The ORM class of ``table`` (signing's rows are read without importing signing: see tlog.entries)."""
    return next(m.class_ for m in Base.registry.mappers if m.local_table.name == table)


def backfill_rows(session: Session) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    SigningKey, SignedRecordRow, SerialBatch = (  # noqa: N806 - classes
        mapped("signing_keys"),
        mapped("signed_records"),
        mapped("serial_batches"),
    )
    Recall, StatusListToken = mapped("recalls"), mapped("status_list_tokens")  # noqa: N806

    def add(found: tuple[str, dict[str, Any]] | None, ref: str) -> None:
        if found is not None:
            rows.append(entries.entry_row(*found, ref))

    makers = session.scalars(
        select(Manufacturer)
        .where(Manufacturer.status.in_(["verified", "suspended"]))
        .order_by(Manufacturer.id)
    ).all()
    keys = session.scalars(select(SigningKey).order_by(SigningKey.created_at, SigningKey.kid)).all()
    products = session.scalars(
        select(Product)
        .where(Product.status.in_(LICENCE_STATES), Product.licence_valid_from.is_not(None))
        .order_by(Product.id)
    ).all()
    batches = session.scalars(select(SerialBatch).order_by(SerialBatch.id)).all()
    for m in makers:
        add(entries.manufacturer_event(m, None, "verified"), f"manufacturer:{m.id}")
    for k in keys:
        add(entries.key_event(k, None, "current"), f"key:{k.kid}")
    for p in products:
        add(entries.licence_event(p, None, ProductStatus.LICENSED), f"product:{p.id}")
    for r in session.scalars(select(SignedRecordRow).order_by(SignedRecordRow.id)):
        add(entries.record_event(r), f"record:{r.id}")
    for b in batches:
        add(entries.batch_event(b, None, "active"), f"batch:{b.id}")
    for b in batches:
        if b.status != "active":
            add(entries.batch_event(b, "active", b.status), f"batch:{b.id}")
    for p in products:
        if p.status != ProductStatus.LICENSED:
            add(entries.licence_event(p, ProductStatus.LICENSED, p.status), f"product:{p.id}")
    for k in keys:
        if k.status != "current":
            add(entries.key_event(k, "current", k.status), f"key:{k.kid}")
    for m in makers:
        if m.status == "suspended":
            add(entries.manufacturer_event(m, "verified", "suspended"), f"manufacturer:{m.id}")
    for recall in session.scalars(select(Recall).order_by(Recall.id)):
        add(entries.recall_event(recall), f"recall:{recall.id}")
    token = session.scalar(select(StatusListToken).order_by(StatusListToken.id.desc()).limit(1))
    if token is not None:
        add(entries.status_list_event(token), f"status_list:{token.id}")
    return rows


def backfill(session: Session) -> int:
    """Append the entries of the current state to an empty log; returns how many."""
    if session.scalar(select(func.count()).select_from(TlogEntry)):
        raise TlogError("the log is not empty: a backfill is only for a database that had no log yet")
    rows = backfill_rows(session)
    entries.append_rows(session, rows)
    return len(rows)
