"""Serial batches: create, find and load them, the label URLs of their units, recalls and unit rows, the
catalogue cache the verifier reads products through, and their JSON shapes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from registry.models import Product, ProductStatus
from registry.queries import PUBLIC_PRODUCT_STATES
from signing.errors import BatchError
from signing.keys import (
    Signer,
)
from signing.labels import issue_label_urls
from signing.models import (
    SerialBatch,
    Unit,
)
from signing.recalls import (
    WideRecalls,
    load_wide_recalls,
)
from signing.record_service import BATCH_STATUS_VALUE, allocate_status_index
from signing.serials import (
    DEFAULT_PREFIX_LENGTH,
    DEFAULT_SERIAL_LENGTH,
    SerialError,
    SerialPermutation,
    encode_batch_prefix,
    generate_batch_secret,
)

MAX_BATCH = 1_000_000


def create_batch(
    session: Session,
    product: Product,
    count: int,
    *,
    user_id: int | None,
    now: datetime,
    require_licensed: bool = True,
) -> SerialBatch:
    """A batch of ``count`` serials for a licensed product: one row, serials derived on demand."""
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_BATCH:
        raise BatchError(
            f"count must be a whole number from 1 to {MAX_BATCH:,}", field="count", status_code=422
        )
    state = product.licence_state()
    if require_licensed and state != ProductStatus.LICENSED:
        raise BatchError(
            f"serials are issued only for licensed products; this one is {state}", field="status"
        )
    sequence = session.scalar(
        select(func.count()).select_from(SerialBatch).where(SerialBatch.gtin == product.gtin)
    )
    batch = SerialBatch(
        product_id=product.id,
        gtin=product.gtin,
        prefix=encode_batch_prefix(int(sequence or 0), DEFAULT_PREFIX_LENGTH),
        secret=generate_batch_secret(),
        count=count,
        serial_length=DEFAULT_SERIAL_LENGTH,
        issued_on=now.date(),
        status="active",
        created_by_id=user_id,
        created_at=now,
    )
    session.add(batch)
    session.flush()
    allocate_status_index(session, "product", product.id)  # offline verifiers must find its GTIN
    batch.status_index = allocate_status_index(session, "batch", batch.id)
    return batch


def batch_permutation(batch: SerialBatch) -> SerialPermutation:
    return SerialPermutation(batch.secret, batch.prefix, batch.serial_length)


def iter_batch_urls(
    batch: SerialBatch,
    signer: Signer,
    host: str,
    *,
    start: int = 0,
    stop: int | None = None,
    chunk: int = 10_000,
    scheme: str = "https",
) -> Iterator[tuple[str, str]]:
    """(label URL, serial) for units ``start`` .. ``stop - 1`` of the batch, computed on demand.

    ``scheme``: pass ``settings.public_scheme`` (``http`` only for a local demo server)."""
    stop = batch.count if stop is None else min(stop, batch.count)
    permutation = batch_permutation(batch)
    for first in range(max(start, 0), stop, chunk):
        serials = permutation.serials(first, min(first + chunk, stop))
        yield from zip(
            issue_label_urls(host, batch.gtin, serials, batch.issued_on, signer, scheme=scheme),
            serials,
            strict=True,
        )


def find_batch(
    session: Session, gtin: str, serial: str, *, cache: CatalogueCache | None = None
) -> SerialBatch | None:
    """The batch that issued ``serial`` of ``gtin``, or ``None`` if no batch did."""
    found = (cache or UNCACHED).batch(session, gtin, serial[:DEFAULT_PREFIX_LENGTH])
    if found is None:
        return None
    batch, permutation = found
    if len(serial) != batch.serial_length:
        return None
    try:
        index = permutation.index(serial)
    except SerialError:
        return None
    return batch if index < batch.count else None


def load_public_product(session: Session, gtin: str) -> Product | None:
    """The public product (with manufacturer and certificates loaded) that has ``gtin``, or ``None``."""
    product = session.scalar(
        select(Product)
        .where(Product.gtin == gtin)
        .options(selectinload(Product.manufacturer), selectinload(Product.certificates))
    )
    if product is not None and product.status not in PUBLIC_PRODUCT_STATES:
        return None  # drafts and applications under review are not public
    return product


def load_batch(session: Session, gtin: str, prefix: str) -> tuple[SerialBatch, SerialPermutation] | None:
    batch = session.scalar(select(SerialBatch).where(SerialBatch.gtin == gtin, SerialBatch.prefix == prefix))
    return None if batch is None else (batch, batch_permutation(batch))


class CatalogueCache:
    """Products and serial batches by the identifiers of a label URL, kept for ``ttl_seconds`` in this process.

    Verification reads them on every scan; with the cache it does not go to the database for them.  The
    price: a suspension, revocation or batch withdrawal made elsewhere shows in every worker within
    ``ttl_seconds`` (5 s by default), not at once.  Cached ORM objects are detached and read-only: their
    attributes and the relationships loaded with them (manufacturer, certificates) stay readable.
    With ``ttl_seconds=0`` nothing is kept (tests roll every transaction back).
    """

    def __init__(self, ttl_seconds: float = 5.0, max_entries: int = 50_000) -> None:
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._entries: dict[tuple[str, ...], tuple[float, Any]] = {}
        self._bodies: dict[int, tuple[Product, date, dict[str, Any]]] = {}

    def _get(self, key: tuple[str, ...], load: Callable[[], Any]) -> Any:
        if self.ttl <= 0:
            return load()
        moment = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and entry[0] > moment:
            return entry[1]
        value = load()
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key] = (moment + self.ttl, value)
        return value

    def product(self, session: Session, gtin: str) -> Product | None:
        product: Product | None = self._get(("product", gtin), lambda: load_public_product(session, gtin))
        return product

    def batch(self, session: Session, gtin: str, prefix: str) -> tuple[SerialBatch, SerialPermutation] | None:
        found: tuple[SerialBatch, SerialPermutation] | None = self._get(
            ("batch", gtin, prefix), lambda: load_batch(session, gtin, prefix)
        )
        return found

    def recalls(self, session: Session, gtin: str) -> WideRecalls:
        """The product-wide and batch-wide recalls of ``gtin`` (rare: one small read per GTIN per ``ttl``)."""
        found: WideRecalls = self._get(("recalls", gtin), lambda: load_wide_recalls(session, gtin))
        return found

    def product_body(self, product: Product, today: date) -> dict[str, Any]:
        """``product_to_dict(product, today)``, built once per cached product object and day."""
        if self.ttl <= 0:
            return product_to_dict(product, today)
        found = self._bodies.get(product.id)
        if found is not None and found[0] is product and found[1] == today:
            return found[2]
        body = product_to_dict(product, today)
        if len(self._bodies) >= self.max_entries:
            self._bodies.clear()
        self._bodies[product.id] = (product, today, body)
        return body

    def clear(self) -> None:
        self._entries.clear()
        self._bodies.clear()


UNCACHED = CatalogueCache(ttl_seconds=0)


def set_batch_status(session: Session, batch: SerialBatch, status: str, reason: str | None) -> SerialBatch:
    if status not in BATCH_STATUS_VALUE:
        raise BatchError(
            f"status must be one of {sorted(BATCH_STATUS_VALUE)}", field="status", status_code=422
        )
    if batch.status == "revoked" and status != "revoked":
        raise BatchError("a revoked batch stays revoked", field="status")
    batch.status = status
    batch.status_reason = reason
    return batch


def get_or_create_unit(session: Session, gtin: str, serial: str, batch: SerialBatch | None) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.gtin == gtin, Unit.serial == serial))
    if unit is not None:
        return unit
    unit = Unit(
        gtin=gtin,
        serial=serial,
        batch_id=batch.id if batch else None,
        product_id=batch.product_id if batch else None,
        scan_count=0,
        flags=[],
    )
    try:
        with session.begin_nested():
            session.add(unit)
    except IntegrityError:  # another request created it first
        found = session.scalar(select(Unit).where(Unit.gtin == gtin, Unit.serial == serial))
        assert found is not None
        return found
    return unit


def clear_unit_flags(session: Session, gtin: str, serial: str, *, now: datetime) -> tuple[Unit, list[str]]:
    """Clear a unit's copy flags (a false flag, checked by its manufacturer or a reviewer): the clone rules
    then look only at scans after ``now``.  Returns the unit and the flags it had."""
    unit = session.scalar(select(Unit).where(Unit.gtin == gtin, Unit.serial == serial))
    if unit is None or not unit.flags:
        raise BatchError("this unit carries no copy flag to clear", field="url", status_code=409)
    previous = list(unit.flags)
    unit.flags = []
    unit.flagged_at = None
    unit.flags_cleared_at = now
    return unit, previous


def product_to_dict(product: Product, today: date) -> dict[str, Any]:
    """The product's part of a verdict: product, manufacturer, licence and certificates as of ``today``."""
    state = product.licence_state(today)
    return {
        "product": {
            "id": product.id,
            "name_en": product.name_en,
            "name_bn": product.name_bn,
            "brand": product.brand,
            "model_number": product.model_number,
            "gtin": product.gtin,
        },
        "manufacturer": {
            "id": product.manufacturer_id,
            "legal_name_en": product.manufacturer.legal_name_en,
            "legal_name_bn": product.manufacturer.legal_name_bn,
            "district": product.manufacturer.district,
        },
        "licence": {
            "status": state,
            "number": product.licence_number,
            "valid_from": product.licence_valid_from.isoformat() if product.licence_valid_from else None,
            "valid_until": product.licence_valid_until.isoformat() if product.licence_valid_until else None,
            "valid": state == ProductStatus.LICENSED,
        },
        "certificates": [
            {
                "scheme": c.scheme,
                "number": c.number,
                "valid_until": c.valid_until.isoformat() if c.valid_until else None,
                "valid": c.valid_from <= today <= c.valid_until,
            }
            for c in sorted(product.certificates, key=lambda c: c.id)
        ],
    }
