"""What goes into the log: each trust-changing row change becomes one entry, appended in the same flush.

``capture`` is a SQLAlchemy ``after_flush`` listener on every session: it looks at the rows the flush just
wrote (new rows and changed ``status`` columns, with their history still in place) and inserts the entries
through the flush's own connection, so they commit or roll back with the change itself (a savepoint rolled
back takes its entries with it).  An entry is the RFC 8785 JSON of the event's public fields; the schema is
in docs/formats.md ("Transparency log").
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any

import rfc8785
from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from registry.models import Manufacturer, Product, ProductStatus
from tlog.errors import TlogError
from tlog.merkle import hash_leaf
from tlog.models import TlogEntry

ENTRY_VERSION = 1
_SURROGATE = re.compile("[\ud800-\udfff]")
REASON_CHARS = 280  # a recall's reason in an entry (the full text is on the recall); keeps entries small
LICENCE_KIND = {
    ProductStatus.SUSPENDED: "licence.suspended",
    ProductStatus.REVOKED: "licence.revoked",
    ProductStatus.EXPIRED: "licence.expired",
}
BATCH_KIND = {"suspended": "batch.suspended", "revoked": "batch.revoked", "active": "batch.reinstated"}
KINDS = (
    "manufacturer.verified",
    "manufacturer.suspended",
    "manufacturer.reinstated",
    "manufacturer.unverified",
    "licence.granted",
    "licence.suspended",
    "licence.reinstated",
    "licence.revoked",
    "licence.expired",
    "record.signed",
    "batch.issued",
    "batch.suspended",
    "batch.revoked",
    "batch.reinstated",
    "recall.product",
    "recall.batch",
    "recall.unit",
    "key.registered",
    "key.retired",
    "key.compromised",
    "status_list.published",
)


def stamp(moment: datetime | date | None) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return moment.isoformat()


def sha256_hex(data: str | bytes) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def status_change(obj: Any) -> tuple[str | None, str] | None:
    """(old, new) status of a row the flush wrote, or None when its status did not change."""
    state = inspect(obj)
    if state.pending or obj in state.session.new:
        return None, obj.status
    history = state.attrs.status.history
    if not history.added:
        return None
    old = history.deleted[0] if history.deleted else None
    new = history.added[0]
    return (None if old is None else str(old), str(new)) if str(old) != str(new) else None


def manufacturer_event(m: Manufacturer, old: str | None, new: str) -> tuple[str, dict[str, Any]] | None:
    if new == "verified":
        kind = "manufacturer.reinstated" if old == "suspended" else "manufacturer.verified"
    elif new == "suspended":
        kind = "manufacturer.suspended"
    elif old in ("verified", "suspended"):
        kind = "manufacturer.unverified"
    else:
        return None
    body = {"manufacturer_id": m.id, "legal_name_en": m.legal_name_en, "legal_name_bn": m.legal_name_bn}
    return kind, {**body, "status": new, "at": stamp(m.reviewed_at if old is not None else m.created_at)}


def licence_event(p: Product, old: str | None, new: str) -> tuple[str, dict[str, Any]] | None:
    if new == ProductStatus.LICENSED:
        kind = "licence.reinstated" if old == ProductStatus.SUSPENDED else "licence.granted"
    elif new in LICENCE_KIND:
        kind = LICENCE_KIND[ProductStatus(new)]
    else:
        return None
    return kind, {
        "product_id": p.id,
        "manufacturer_id": p.manufacturer_id,
        "gtin": p.gtin,
        "licence_number": p.licence_number,
        "valid_from": stamp(p.licence_valid_from),
        "valid_until": stamp(p.licence_valid_until),
        "status": new,
        "at": stamp(p.reviewed_at if new != ProductStatus.EXPIRED and p.reviewed_at else datetime.now(UTC)),
    }


def record_event(r: Any) -> tuple[str, dict[str, Any]]:
    product = json.loads(r.document)["record"]["product"]
    return "record.signed", {
        "record_id": r.id,
        "product_id": r.product_id,
        "gtin": product["gtin"],
        "kid": r.kid,
        "action": r.action,
        "record_sha256": sha256_hex(r.document),
        "at": stamp(r.issued_at),
    }


def batch_event(b: Any, old: str | None, new: str) -> tuple[str, dict[str, Any]] | None:
    kind = "batch.issued" if old is None else BATCH_KIND.get(new)
    if kind is None:
        return None
    return kind, {
        "batch_id": b.id,
        "product_id": b.product_id,
        "gtin": b.gtin,
        "prefix": b.prefix,
        "count": b.count,
        "issued_on": stamp(b.issued_on),
        "status": new,
        "at": stamp(b.created_at if old is None else datetime.now(UTC)),
    }


def recall_event(r: Any) -> tuple[str, dict[str, Any]]:
    return f"recall.{r.scope}", {
        "recall_id": r.id,
        "product_id": r.product_id,
        "gtin": r.gtin,
        "batch_id": r.batch_id,
        "serial": r.serial,
        "reason_en": r.reason_en[:REASON_CHARS],
        "reason_bn": r.reason_bn[:REASON_CHARS],
        "at": stamp(r.recalled_at),
    }


def key_event(k: Any, old: str | None, new: str) -> tuple[str, dict[str, Any]] | None:
    if old is None:
        kind, at = "key.registered", k.created_at
    elif new == "retired":
        kind, at = "key.retired", k.retired_at
    elif new == "compromised":
        kind, at = "key.compromised", datetime.now(UTC)
    else:
        return None
    return kind, {
        "kid": k.kid,
        "public_x": k.public_x,
        "status": new,
        "created_at": stamp(k.created_at),
        "retired_at": stamp(k.retired_at),
        "compromised_after": stamp(k.compromised_after),
        "at": stamp(at),
    }


def status_list_event(t: Any) -> tuple[str, dict[str, Any]]:
    return "status_list.published", {
        "token_id": t.id,
        "kid": t.kid,
        "token_sha256": sha256_hex(t.token),
        "expires_at": stamp(t.expires_at),
        "at": stamp(t.issued_at),
    }


def _with_status(
    build: Callable[[Any, str | None, str], tuple[str, dict[str, Any]] | None],
) -> Callable[[Any], tuple[str, dict[str, Any]] | None]:
    def on_row(obj: Any) -> tuple[str, dict[str, Any]] | None:
        change = status_change(obj)
        return None if change is None else build(obj, *change)

    return on_row


# table → what a row written there becomes in the log (None: nothing this time).  Keyed by table name, so this
# package needs none of signing's code (signing's command line uses tlog: the import goes one way).
EVENTS: dict[str, Callable[[Any], tuple[str, dict[str, Any]] | None]] = {
    "manufacturers": _with_status(manufacturer_event),
    "products": _with_status(licence_event),
    "serial_batches": _with_status(batch_event),
    "signing_keys": _with_status(key_event),
    "signed_records": lambda r: record_event(r) if r in inspect(r).session.new else None,
    "recalls": lambda r: recall_event(r) if r in inspect(r).session.new else None,
    "status_list_tokens": lambda t: status_list_event(t) if t in inspect(t).session.new else None,
}
REFS = {
    "manufacturers": "manufacturer",
    "products": "product",
    "serial_batches": "batch",
    "signing_keys": "key",
    "signed_records": "record",
    "recalls": "recall",
    "status_list_tokens": "status_list",
}


def canonicalize(value: Any) -> bytes:
    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as exc:
        raise TlogError(f"an entry cannot be canonicalised: {exc}") from exc


SAFE_INT = 2**53  # RFC 8785 numbers are IEEE doubles: larger integers would be written differently


def canonical_entry(entry: dict[str, Any]) -> bytes:
    """RFC 8785 bytes of a flat entry.  For ASCII keys and values that are strings (without lone
    surrogates), whole numbers below 2**53, booleans or null, the standard library's compact sorted JSON is
    byte for byte RFC 8785 (same key order, same escapes: only ``"``, backslash and C0 controls, as
    ``\\b \\t \\n \\f \\r`` or lower-case ``\\u00xx``) and ten times faster; anything else goes
    through the ``rfc8785`` library (tests/tlog/test_entries.py compares both)."""
    for key, value in entry.items():
        ok = isinstance(value, str) or value is None or isinstance(value, bool)
        ok = ok or (isinstance(value, int) and -SAFE_INT < value < SAFE_INT)
        if not ok or not key.isascii() or (isinstance(value, str) and _SURROGATE.search(value)):
            return canonicalize(entry)
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_row(kind: str, fields: dict[str, Any], ref: str | None) -> dict[str, Any]:
    """The ``tlog_entries`` row for one event (its bytes, leaf hash and search columns)."""
    data = canonical_entry({"v": ENTRY_VERSION, "kind": kind, **fields})
    return {
        "kind": kind,
        "data": data,
        "leaf_hash": hash_leaf(data).hex(),
        "ref": ref,
        "product_id": fields.get("product_id"),
        "manufacturer_id": fields.get("manufacturer_id"),
        "gtin": fields.get("gtin"),
        "created_at": datetime.now(UTC),
    }


def table_of(obj: Any) -> str | None:
    return getattr(type(obj), "__tablename__", None)


def rows_for(objects: Iterable[Any]) -> list[dict[str, Any]]:
    rows = []
    for obj in objects:
        table = table_of(obj)
        build = EVENTS.get(table) if table else None
        if build is None:
            continue
        found = build(obj)
        if found is not None:
            kind, fields = found
            key = obj.kid if table == "signing_keys" else obj.id
            rows.append(entry_row(kind, fields, f"{REFS[table]}:{key}"))
    return rows


def append_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert entry rows in the session's transaction (one multi-row statement)."""
    if rows:
        session.connection().execute(insert(TlogEntry.__table__), rows)


def capture(session: Session, _flush_context: Any) -> None:
    if not session.new and not session.dirty:
        return
    # dirty first: a key's retirement before its successor's registration
    objects = [o for o in (*session.dirty, *session.new) if table_of(o) in EVENTS]
    if objects:
        append_rows(session, rows_for(objects))


def install() -> None:
    """Listen on every session (idempotent)."""
    if not event.contains(Session, "after_flush", capture):
        event.listen(Session, "after_flush", capture)
