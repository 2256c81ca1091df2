"""Signed authenticity records and the status list: build and sign a product's record on every licence
change, re-sign after a key compromise, allocate status indexes, build and publish the status list."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from registry.models import Product, ProductStatus
from signing.errors import BatchError, VerificationError
from signing.keys import (
    KeyRing,
    Signer,
)
from signing.models import (
    Recall,
    SerialBatch,
    SignedRecordRow,
    SigningKey,
    StatusListEntry,
    StatusListToken,
    Unit,
)
from signing.records import AuthenticityRecord, Certificate, LicenceStatus, sign_record
from signing.settings import SigningSettings
from signing.status import (
    GTINRecalls,
    RecallSummary,
    StatusList,
    StatusSnapshot,
    StatusValue,
    day_number,
    sign_status_list,
)

LICENCE_OF_STATE = {
    ProductStatus.LICENSED: LicenceStatus.GRANTED,
    ProductStatus.SUSPENDED: LicenceStatus.SUSPENDED,
    ProductStatus.REVOKED: LicenceStatus.REVOKED,
    ProductStatus.EXPIRED: LicenceStatus.EXPIRED,
}


def build_record(product: Product, status_index: int | None, status_uri: str | None) -> AuthenticityRecord:
    state = product.licence_state()
    if state not in LICENCE_OF_STATE or product.licence_valid_from is None:
        raise BatchError(f"product {product.id} has no licence to attest ({state})", field="status")
    return AuthenticityRecord(
        product_id=str(product.id),
        gtin=product.gtin,
        brand=product.brand,
        model=product.model_number,
        manufacturer_id=str(product.manufacturer_id),
        manufacturer_legal_name=product.manufacturer.legal_name_en,
        licence_status=LICENCE_OF_STATE[ProductStatus(state)],
        valid_from=product.licence_valid_from,
        valid_until=product.licence_valid_until,
        certificates=tuple(
            Certificate(c.scheme, c.number, c.valid_until)
            for c in sorted(product.certificates, key=lambda c: c.id)
        ),
        status_index=status_index,
        status_uri=status_uri if status_index is not None else None,
    )


def sign_product_record(
    session: Session,
    signer: Signer,
    settings: SigningSettings,
    product: Product,
    action: str,
    *,
    now: datetime,
) -> SignedRecordRow:
    """Sign and store the current authenticity record of ``product``."""
    index = allocate_status_index(session, "product", product.id)
    signed = sign_record(build_record(product, index, settings.status_list_uri), signer, issued_at=now)
    row = SignedRecordRow(
        product_id=product.id,
        kid=signer.kid,
        action=action,
        issued_at=now.replace(microsecond=0),
        document=signed.to_bytes().decode("utf-8"),
    )
    session.add(row)
    session.flush()
    return row


def latest_record(session: Session, product_id: int) -> SignedRecordRow | None:
    return session.scalar(
        select(SignedRecordRow)
        .where(SignedRecordRow.product_id == product_id)
        .order_by(SignedRecordRow.id.desc())
        .limit(1)
    )


def find_records_to_resign(session: Session, keyring: KeyRing) -> list[int]:
    """Ids of the products whose newest record a verifier cannot fully trust: signed by a key that is now
    compromised (after the compromise it is untrusted; before, a thief could have back-dated it, so offline
    verifiers answer ``check_online``) or by a key not trusted at the record's time (unknown, or retired
    before it)."""
    newest = select(func.max(SignedRecordRow.id)).group_by(SignedRecordRow.product_id).scalar_subquery()
    keys = {key.kid: key for key in keyring}
    affected = []
    for product_id, kid, issued_at in session.execute(
        select(SignedRecordRow.product_id, SignedRecordRow.kid, SignedRecordRow.issued_at)
        .where(SignedRecordRow.id.in_(newest))
        .order_by(SignedRecordRow.product_id)
    ):
        key = keys.get(kid)
        if key is None or key.compromised_after is not None:
            affected.append(product_id)
            continue
        try:
            key.check_trusted_at(issued_at)
        except VerificationError:
            affected.append(product_id)
    return affected


def resign_records(
    session: Session,
    signer: Signer,
    settings: SigningSettings,
    product_ids: list[int],
    *,
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Sign a new current record (action ``resign``) for each product, under ``signer``; returns how many.

    A product whose licence can no longer be attested (never licensed) keeps its old record and is not
    counted.  ``progress(n)`` is called after each product."""
    products = session.scalars(
        select(Product)
        .where(Product.id.in_(product_ids))
        .order_by(Product.id)
        .options(selectinload(Product.manufacturer), selectinload(Product.certificates))
    )
    count = 0
    for product in products:
        if ProductStatus(product.licence_state()) in LICENCE_OF_STATE and product.licence_valid_from:
            sign_product_record(session, signer, settings, product, "resign", now=now)
            count += 1
        if progress is not None:
            progress(1)
    return count


def allocate_status_index(session: Session, kind: str, ref_id: int) -> int:
    entry = session.scalar(
        select(StatusListEntry).where(StatusListEntry.kind == kind, StatusListEntry.ref_id == ref_id)
    )
    if entry is not None:
        return entry.idx
    highest = session.scalar(select(func.max(StatusListEntry.idx)))
    entry = StatusListEntry(idx=(highest if highest is not None else -1) + 1, kind=kind, ref_id=ref_id)
    session.add(entry)
    session.flush()
    return entry.idx


PRODUCT_STATUS_VALUE = {
    ProductStatus.LICENSED: StatusValue.VALID,
    ProductStatus.SUSPENDED: StatusValue.SUSPENDED,
    ProductStatus.REVOKED: StatusValue.INVALID,
    ProductStatus.EXPIRED: StatusValue.EXPIRED,
}
BATCH_STATUS_VALUE = {
    "active": StatusValue.VALID,
    "suspended": StatusValue.SUSPENDED,
    "revoked": StatusValue.INVALID,
}


def build_status_snapshot(session: Session, uri: str) -> StatusSnapshot:
    entries = list(session.scalars(select(StatusListEntry).order_by(StatusListEntry.idx)))
    size = max(1024, -(-(max((e.idx for e in entries), default=0) + 1) // 1024) * 1024)
    statuses = StatusList(size, bits=2)
    gtin_index: dict[str, int] = {}
    batch_index: dict[str, dict[str, int]] = {}
    batch_days: dict[str, dict[str, int]] = {}
    # creation days matter only for labels under a compromised key: list them for the batches created on or
    # after the day of the earliest compromise (none while no key is compromised), which keeps the list small
    earliest = session.scalar(select(func.min(SigningKey.compromised_after)))
    days_from = day_number(earliest) if earliest is not None else None
    product_ids = [e.ref_id for e in entries if e.kind == "product"]
    batch_ids = [e.ref_id for e in entries if e.kind == "batch"]
    products = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(product_ids)))}
    batches = {b.id: b for b in session.scalars(select(SerialBatch).where(SerialBatch.id.in_(batch_ids)))}
    for entry in entries:
        if entry.kind == "product" and entry.ref_id in products:
            product = products[entry.ref_id]
            state = product.licence_state()
            statuses.set(entry.idx, PRODUCT_STATUS_VALUE.get(ProductStatus(state), StatusValue.INVALID))
            gtin_index[product.gtin] = entry.idx
        elif entry.kind == "batch" and entry.ref_id in batches:
            batch = batches[entry.ref_id]
            statuses.set(entry.idx, BATCH_STATUS_VALUE.get(batch.status, StatusValue.INVALID))
            batch_index.setdefault(batch.gtin, {})[batch.prefix] = entry.idx
            created = day_number(batch.created_at)
            if days_from is not None and created >= days_from:
                batch_days.setdefault(batch.gtin, {})[batch.prefix] = created
    recalled: dict[str, set[str]] = {}
    for gtin, serial in session.execute(select(Unit.gtin, Unit.serial).where(Unit.recalled_at.is_not(None))):
        recalled.setdefault(gtin, set()).add(serial)
    recalls = build_recall_claims(session)
    for gtin, of_gtin in recalls.items():
        recalled.setdefault(gtin, set()).update(of_gtin.units)
    return StatusSnapshot(
        uri=uri,
        statuses=statuses,
        gtin_index=gtin_index,
        batch_index=batch_index,
        batch_days=batch_days,
        recalled_units={gtin: frozenset(serials) for gtin, serials in recalled.items()},
        recalls=recalls,
    )


def build_recall_claims(session: Session) -> dict[str, GTINRecalls]:
    """Every recall, as the status list carries it: per GTIN, the earliest recall of the product, of each
    batch (by prefix) and of each unit (by serial), with its day and its reason cut short."""
    products: dict[str, RecallSummary] = {}
    batches: dict[str, dict[str, RecallSummary]] = {}
    units: dict[str, dict[str, RecallSummary]] = {}
    rows = session.execute(
        select(
            Recall.scope, Recall.gtin, Recall.serial, Recall.recalled_at, Recall.reason_en, Recall.reason_bn
        )
        .add_columns(SerialBatch.prefix)
        .outerjoin(SerialBatch, SerialBatch.id == Recall.batch_id)
        .order_by(Recall.recalled_at, Recall.id)
    )
    for scope, gtin, serial, recalled_at, reason_en, reason_bn, prefix in rows:
        summary = RecallSummary.short(recalled_at.astimezone(UTC).date(), reason_en, reason_bn)
        if scope == "product":
            products.setdefault(gtin, summary)
        elif scope == "batch" and prefix is not None:
            batches.setdefault(gtin, {}).setdefault(prefix, summary)
        elif scope == "unit" and serial is not None:
            units.setdefault(gtin, {}).setdefault(serial, summary)
    return {
        gtin: GTINRecalls(products.get(gtin), batches.get(gtin, {}), units.get(gtin, {}))
        for gtin in sorted({*products, *batches, *units})
    }


def publish_status_list(
    session: Session, signer: Signer, settings: SigningSettings, *, now: datetime
) -> StatusListToken:
    """Sign the current revocation state and store it as the newest Status List Token."""
    token = sign_status_list(
        build_status_snapshot(session, settings.status_list_uri), signer, now=now, ttl=settings.status_ttl
    )
    row = StatusListToken(kid=signer.kid, issued_at=now, expires_at=now + settings.status_ttl, token=token)
    session.add(row)
    session.flush()
    return row


def latest_status_token(session: Session) -> StatusListToken | None:
    return session.scalar(select(StatusListToken).order_by(StatusListToken.id.desc()).limit(1))


def sign_missing_records(
    session: Session, signer: Signer, settings: SigningSettings, *, now: datetime
) -> int:
    """Sign a record for every product with a licence (in any state) that has none yet (seeded data)."""
    signed = select(SignedRecordRow.product_id)
    products = session.scalars(
        select(Product).where(
            Product.status.in_([state.value for state in PRODUCT_STATUS_VALUE]),
            Product.licence_valid_from.is_not(None),
            Product.id.not_in(signed),
        )
    )
    count = 0
    for product in products:
        sign_product_record(session, signer, settings, product, "backfill", now=now)
        count += 1
    return count
