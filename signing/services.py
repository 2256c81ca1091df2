"""Signing services on the database: issuing keys, signed records, serial batches, online verification with
scans and clone rules, consumer reports, and the published status list.

Flask-free: every function takes a SQLAlchemy ``Session`` and explicit settings; the caller owns the
transaction (nothing here commits).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Table, bindparam, case, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from core.media import HEAD_BYTES, sniff_media_type
from gs1.digital_link import normalize_host
from gs1.errors import LabelURLError
from registry.data.districts import DISTRICTS, find_district
from registry.models import Product, ProductStatus
from registry.services import PUBLIC_PRODUCT_STATES
from signing.errors import KeySourceError, Reason, SigningError, Verdict, VerificationError
from signing.keys import (
    EncryptedPKCS8FileKeySource,
    KeyRing,
    KeySource,
    KeyStatus,
    PKCS11KeySource,
    PublishedKey,
    Signer,
    UnsafeDevelopmentKeySource,
    UnsafeKeyWarning,
    decode_b64url,
    encode_b64url,
    encode_public_key,
    write_encrypted_pkcs8,
)
from signing.labels import LabelURL, issue_label_urls, parse_label_url, verify_label_url
from signing.models import (
    ConsumerReport,
    Recall,
    Scan,
    SerialBatch,
    SignedRecordRow,
    SigningKey,
    StatusListEntry,
    StatusListToken,
    Unit,
)
from signing.recalls import (
    RecallNotice,
    RecallText,
    WideRecalls,
    find_unit_recall,
    load_wide_recalls,
    recall_batch,
)
from signing.records import AuthenticityRecord, Certificate, LicenceStatus, sign_record
from signing.serials import (
    DEFAULT_PREFIX_LENGTH,
    DEFAULT_SERIAL_LENGTH,
    SerialError,
    SerialPermutation,
    encode_batch_prefix,
    generate_batch_secret,
)
from signing.status import (
    GTINRecalls,
    RecallSummary,
    StatusList,
    StatusSnapshot,
    StatusValue,
    day_number,
    sign_status_list,
)

if TYPE_CHECKING:
    from signing.scans import ScanRecorder

MAX_BATCH = 1_000_000
STATUS_LIST_PATH = "/status/1"


class BatchError(SigningError):
    """A serial batch cannot be created or changed."""

    status_code = 409
    title = "Serial batch refused"

    def __init__(self, detail: str, *, field: str = "product", status_code: int | None = None) -> None:
        super().__init__(detail, errors=[{"field": field, "reason": detail}])
        if status_code is not None:
            self.status_code = status_code


class ReportError(SigningError):
    status_code = 422
    title = "The report is not valid"

    def __init__(self, detail: str, *, field: str) -> None:
        super().__init__(detail, errors=[{"field": field, "reason": detail}])


# ---------------------------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class CloneRules:
    """When a serial counts as possibly copied (documented in docs/formats.md, configurable)."""

    max_devices: int = 6  # distinct clients (addresses, see client_key) that may verify one serial ...
    device_window_days: int = 14  # ... within this many days (0: ever)
    window_hours: int = 2  # scans by two clients in two divisions within this many hours look copied

    def devices_since(self, now: datetime, cleared: datetime | None) -> datetime:
        """The start of the scans whose clients the device rule counts."""
        start = now - timedelta(days=self.device_window_days) if self.device_window_days else EPOCH
        return max(start, cleared or EPOCH)

    def districts_since(self, now: datetime, cleared: datetime | None) -> datetime:
        """The start of the scans whose places the district rule compares."""
        return max(now - timedelta(hours=self.window_hours), cleared or EPOCH)


@dataclass(frozen=True)
class SigningSettings:
    env: str
    instance_path: Path
    public_base_url: str
    key_path: str = ""
    key_passphrase: str = ""
    secret_key: str = ""
    status_ttl: timedelta = timedelta(hours=24)
    scan_flush_ms: int = 0  # 0: each scan in its request's transaction; > 0: buffered (signing.scans)
    clone_rules: CloneRules = field(default_factory=CloneRules)
    ip_districts: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = ()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SigningSettings:
        env = str(config.get("ENV", "development"))
        instance = Path(str(config.get("INSTANCE_PATH", "instance")))
        table_path = config.get("SIGNING_IP_DISTRICTS") or instance / "ip-districts.csv"
        ranges = load_ip_districts(Path(table_path)) if Path(table_path).is_file() else []
        if env == "development" and not ranges:
            ranges = [
                (ipaddress.ip_network("127.0.0.0/8"), "dhaka"),
                (ipaddress.ip_network("::1/128"), "dhaka"),
            ]
        return cls(
            env=env,
            instance_path=instance,
            public_base_url=str(config.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")).rstrip("/"),
            key_path=str(config.get("SIGNING_KEY_PATH", "") or ""),
            key_passphrase=str(config.get("SIGNING_KEY_PASSPHRASE", "") or ""),
            secret_key=str(config.get("SECRET_KEY", "")),
            status_ttl=timedelta(hours=int(config.get("SIGNING_STATUS_TTL_HOURS", 24))),
            scan_flush_ms=scan_flush_ms(env, config.get("SIGNING_SCAN_FLUSH_MS", -1)),
            clone_rules=CloneRules(
                max_devices=int(config.get("SIGNING_CLONE_MAX_DEVICES", 6)),
                device_window_days=int(config.get("SIGNING_CLONE_DEVICE_WINDOW_DAYS", 14)),
                window_hours=int(config.get("SIGNING_CLONE_WINDOW_HOURS", 2)),
            ),
            ip_districts=tuple(ranges),
        )

    @property
    def public_host(self) -> str:
        return normalize_host(self.public_base_url.split("://", 1)[1].split("/", 1)[0])

    @property
    def public_scheme(self) -> str:
        """``https``, or ``http`` when PUBLIC_BASE_URL is a plain-http demo server (so demo labels open)."""
        return "http" if self.public_base_url.startswith("http://") else "https"

    @property
    def status_list_uri(self) -> str:
        return self.public_base_url + STATUS_LIST_PATH


DEFAULT_SCAN_FLUSH_MS = 100


def scan_flush_ms(env: str, setting: Any) -> int:
    """``SIGNING_SCAN_FLUSH_MS``: -1 (the default) buffers scans for 100 ms, except under ``ENV=testing``
    where every test runs inside one rolled-back transaction and scans are written with their request."""
    value = int(setting if setting is not None else -1)
    if value < 0:
        return 0 if env == "testing" else DEFAULT_SCAN_FLUSH_MS
    return value


def load_ip_districts(path: Path) -> list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str]]:
    """Read ``cidr,district`` lines (``#`` comments allowed); districts by code or name."""
    ranges = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        cidr, _, name = text.partition(",")
        district = find_district(name)
        if district is None:
            raise SigningError(f"{path}:{number}: unknown district {name.strip()!r}")
        try:
            ranges.append((ipaddress.ip_network(cidr.strip(), strict=False), district.code))
        except ValueError as exc:
            raise SigningError(f"{path}:{number}: not a network: {cidr!r}") from exc
    return ranges


# ---------------------------------------------------------------------------------------------- keys


def describe_source(source: KeySource) -> str:
    if isinstance(source, EncryptedPKCS8FileKeySource):
        return f"file:{source.path}"
    if isinstance(source, UnsafeDevelopmentKeySource):
        return f"unsafe-dev:{source.path}"
    if isinstance(source, PKCS11KeySource):
        return f"pkcs11:module={source.module};token={source.token_label};key={source.key_label}"
    raise KeySourceError(f"unknown key source {source!r}")


def parse_source(text: str, passphrase: str) -> KeySource:
    """Inverse of :func:`describe_source`; the passphrase (or PKCS#11 PIN) comes from the settings."""
    kind, _, rest = text.partition(":")
    if kind == "file":
        return EncryptedPKCS8FileKeySource(rest, passphrase)
    if kind == "unsafe-dev":
        return UnsafeDevelopmentKeySource(rest)
    if kind == "pkcs11":
        parts = dict(item.split("=", 1) for item in rest.split(";") if "=" in item)
        return PKCS11KeySource(parts["module"], parts["token"], passphrase, parts["key"])
    raise KeySourceError(f"unknown key source {text!r}")


def configured_key_source(settings: SigningSettings) -> KeySource:
    """The key named by SIGNING_KEY_PATH (a PEM file, or ``pkcs11:module=...;token=...;key=...``), else the
    unsafe development key under the instance folder (refused in production)."""
    if settings.key_path:
        if settings.key_path.startswith("pkcs11:"):
            return parse_source(settings.key_path, settings.key_passphrase)
        return EncryptedPKCS8FileKeySource(settings.key_path, settings.key_passphrase)
    if settings.env == "production":
        raise KeySourceError("production refuses the development key: set SIGNING_KEY_PATH")
    return UnsafeDevelopmentKeySource(settings.instance_path / "signing" / "dev-signing-key.pem")


def load_signer(source: KeySource, settings: SigningSettings) -> Signer:
    """Load a signer; the unsafe development key warns (in tests the warning is logged, not raised)."""
    if isinstance(source, UnsafeDevelopmentKeySource):
        if settings.env == "production":
            raise KeySourceError("production refuses the development key: set SIGNING_KEY_PATH")
        if settings.env == "testing":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UnsafeKeyWarning)
                return Signer.from_key_source(source)
    return Signer.from_key_source(source)


def key_row_to_published(row: SigningKey) -> PublishedKey:
    return PublishedKey(
        kid=row.kid,
        public_key=Ed25519PublicKey.from_public_bytes(decode_b64url(row.public_x)),
        status=KeyStatus(row.status),
        created_at=row.created_at,
        retired_at=row.retired_at,
        compromised_after=row.compromised_after,
    )


def load_keyring(session: Session) -> KeyRing:
    rows = session.scalars(select(SigningKey).order_by(SigningKey.created_at, SigningKey.kid))
    return KeyRing(tuple(key_row_to_published(row) for row in rows))


def register_key(session: Session, signer: Signer, source: KeySource, *, now: datetime) -> SigningKey:
    row = SigningKey(
        kid=signer.kid,
        public_x=encode_b64url(encode_public_key(signer.private_key.public_key())),
        status=KeyStatus.CURRENT.value,
        source=describe_source(source),
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def current_key_row(session: Session) -> SigningKey | None:
    return session.scalar(select(SigningKey).where(SigningKey.status == KeyStatus.CURRENT.value))


def ensure_current_signer(
    session: Session, settings: SigningSettings, *, now: datetime | None = None
) -> Signer:
    """The signer of the current key; on a fresh database the configured key becomes current."""
    row = current_key_row(session)
    if row is None:
        source = configured_key_source(settings)
        signer = load_signer(source, settings)
        existing = session.get(SigningKey, signer.kid)
        if existing is not None:
            raise KeySourceError(f"the configured key {signer.kid} is {existing.status}, not current")
        register_key(session, signer, source, now=now or datetime.now(UTC))
        return signer
    signer = load_signer(parse_source(row.source, settings.key_passphrase), settings)
    if signer.kid != row.kid:
        raise KeySourceError(f"the key at {row.source} is {signer.kid}, but the current key is {row.kid}")
    return signer


def rotate_key(
    session: Session,
    settings: SigningSettings,
    *,
    now: datetime,
    out_path: Path | None = None,
    pkcs11_key_label: str | None = None,
) -> Signer:
    """Make a new issuing key current; the old one is retired but stays published and keeps verifying.

    File keys: a new key is generated and written next to the current one (encrypted with the configured
    passphrase; the development key stays unencrypted).  PKCS#11: the new key pair must already be on the
    token under ``pkcs11_key_label``.
    """
    row = current_key_row(session)
    old_source = parse_source(row.source, settings.key_passphrase) if row else configured_key_source(settings)
    source: KeySource
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    if pkcs11_key_label:
        if not isinstance(old_source, PKCS11KeySource):
            raise KeySourceError("--pkcs11-key-label needs the current key to be on a PKCS#11 token")
        source = PKCS11KeySource(old_source.module, old_source.token_label, old_source.pin, pkcs11_key_label)
    elif isinstance(old_source, UnsafeDevelopmentKeySource):
        source = UnsafeDevelopmentKeySource(
            out_path or old_source.path.with_name(f"dev-signing-key-{stamp}.pem")
        )
    elif isinstance(old_source, EncryptedPKCS8FileKeySource):
        path = out_path or old_source.path.with_name(f"signing-key-{stamp}.pem")
        write_encrypted_pkcs8(Ed25519PrivateKey.generate(), path, old_source.passphrase)
        source = EncryptedPKCS8FileKeySource(path, old_source.passphrase)
    else:
        raise KeySourceError("give --pkcs11-key-label to rotate a PKCS#11 key")
    signer = load_signer(source, settings)
    if session.get(SigningKey, signer.kid) is not None:
        raise KeySourceError(f"key {signer.kid} is already known")
    if row is not None:
        row.status = KeyStatus.RETIRED.value
        row.retired_at = now
    register_key(session, signer, source, now=now)
    return signer


def compromise_key(session: Session, kid: str, *, after: datetime) -> SigningKey:
    """Distrust what key ``kid`` signed after ``after``; it stays published.  The current key cannot be
    marked: rotate first."""
    row = session.get(SigningKey, kid)
    if row is None:
        raise KeySourceError(f"no key has id {kid!r}")
    if row.status == KeyStatus.CURRENT.value:
        raise KeySourceError("this is the current key: run `flask signing rotate-key` first")
    if after.tzinfo is None:
        raise KeySourceError("the time needs a zone, e.g. 2026-05-10T15:30:00Z")
    row.status = KeyStatus.COMPROMISED.value
    row.compromised_after = after
    return row


# ---------------------------------------------------------------------------------------------- records

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


# ---------------------------------------------------------------------------------------------- status list


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


# ---------------------------------------------------------------------------------------------- batches


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


# ---------------------------------------------------------------------------------------------- scans


@dataclass(frozen=True)
class ScanContext:
    """What we may know about the person verifying: nothing more personal than this.

    ``ip`` is the client's address as the server sees it (behind a trusted proxy, the address that proxy
    reports); nothing a client sends in a parameter or header feeds the clone rules."""

    ip: str
    user_agent: str


_BOT = re.compile(r"bot|crawl|spider|slurp|curl|wget|python|httpie|go-http", re.IGNORECASE)
_TABLET = re.compile(r"ipad|tablet", re.IGNORECASE)
_MOBILE = re.compile(r"mobi|android|iphone|ipod|opera mini", re.IGNORECASE)


def classify_device(user_agent: str) -> str:
    if not user_agent:
        return "unknown"
    if _BOT.search(user_agent):
        return "bot"
    if _TABLET.search(user_agent):
        return "tablet"
    if _MOBILE.search(user_agent):
        return "mobile"
    return "desktop"


def client_key(ip: str) -> str:
    """The part of a client's address that identifies one client: an IPv4 address, or an IPv6 /64 (one
    subscriber's network, whose addresses a single device can rotate through at will)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6 and address.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address.ipv4_mapped or address) if address.version == 6 else str(address)


def hash_device(secret: str, context: ScanContext) -> str:
    """A keyed, truncated hash of the client (``client_key`` of its address): counts distinct clients without
    storing addresses.  The browser string is left out on purpose: one client that changes it is still one."""
    keyed = device_hasher(secret).copy()
    keyed.update(client_key(context.ip).encode())
    return keyed.hexdigest()[:16]


@functools.lru_cache(maxsize=8)
def device_hasher(secret: str) -> hmac.HMAC:
    """The HMAC keyed with ``secret``, ready to copy (keying it costs more than hashing a short message)."""
    return hmac.new(secret.encode() or b"-", digestmod=hashlib.sha256)


def locate_district(settings: SigningSettings, context: ScanContext) -> tuple[str | None, str | None]:
    """(district code, ``"ip"``) from the configured IP-range table and the server's view of the client's
    address, or (None, None).  Never from anything the client sends: a bystander must not be able to place a
    scan in another division."""
    try:
        address = ipaddress.ip_address(context.ip)
    except ValueError:
        return None, None
    for network, code in settings.ip_districts:
        if address in network:
            return code, "ip"
    return None, None


def division_of(code: str | None) -> str | None:
    district = DISTRICTS.get(code or "")
    return district.division if district else None


def clone_flags(
    rules: CloneRules,
    *,
    flags: set[str],
    scan_count: int,
    client: str,
    district: str | None,
    devices: Callable[[], set[str]],
    recent: Callable[[], set[tuple[str, str]]],
) -> set[str]:
    """The clone rules (docs/formats.md, *Copied labels*) for one new scan of a unit, already counted in
    ``scan_count``; ``flags`` are those the unit has.  Reads lazily: ``devices()`` gives the distinct client
    hashes of the unit's scans since its flags were last cleared (this scan included), ``recent()`` the
    (district, client hash) pairs of its scans within the window (and since the last clearing).

    * ``many_devices``: more than ``max_devices`` distinct clients within ``device_window_days``.  One client
      scanning again and again, with any browser, is one client.
    * ``far_apart_districts``: this scan and one by *another* client lie in different divisions within
      ``window_hours``.  Districts come from the server's view of the address only.
    """
    flags = set(flags)
    # clients <= scans: no read until the count could exceed the limit
    if scan_count > rules.max_devices and "many_devices" not in flags and len(devices()) > rules.max_devices:
        flags.add("many_devices")
    if district and scan_count > 1 and "far_apart_districts" not in flags:
        division = division_of(district)
        if any(other_client != client and division_of(other) != division for other, other_client in recent()):
            flags.add("far_apart_districts")
    return flags


def apply_clone_rules(
    connection: Connection,
    unit: Unit,
    rules: CloneRules,
    district: str | None,
    client: str,
    *,
    now: datetime,
) -> list[str]:
    """Flag ``unit`` as possibly copied, given its new scan in ``district`` by ``client`` (already stored, and
    counted in ``unit.scan_count``); returns the flags that are set.

    Reads with prepared Core statements and writes the unit row only when its flags change.  A unit's first
    scan is its only scan, so the district rule has nothing to compare it with and reads nothing.
    """
    devices_since = rules.devices_since(now, unit.flags_cleared_at)
    districts_since = rules.districts_since(now, unit.flags_cleared_at)
    before = set(unit.flags or [])
    flags = clone_flags(
        rules,
        flags=before,
        scan_count=unit.scan_count,
        client=client,
        district=district,
        devices=lambda: set(
            connection.execute(UNIT_DEVICES, {"unit_id": unit.id, "since": devices_since}).scalars()
        ),
        recent=lambda: {
            (row[0], row[1])
            for row in connection.execute(RECENT_UNIT_DISTRICTS, {"unit_id": unit.id, "since": districts_since})
        },
    )
    if flags != before:
        unit.flags = sorted(flags)
        unit.flagged_at = unit.flagged_at or now
        connection.execute(
            update(UNITS)
            .where(UNITS.c.id == unit.id)
            .values(flags=unit.flags, flagged_at=func.coalesce(UNITS.c.flagged_at, unit.flagged_at))
        )
    return sorted(flags)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
UNITS = cast(Table, Unit.__table__)
SCANS = cast(Table, Scan.__table__)
UNIT_DEVICES = (
    select(SCANS.c.device_hash)
    .where(
        SCANS.c.unit_id == bindparam("unit_id"),
        SCANS.c.scanned_at > bindparam("since", type_=SCANS.c.scanned_at.type),
    )
    .distinct()
)
RECENT_UNIT_DISTRICTS = (
    select(SCANS.c.district, SCANS.c.device_hash)
    .where(
        SCANS.c.unit_id == bindparam("unit_id"),
        SCANS.c.scanned_at >= bindparam("since", type_=SCANS.c.scanned_at.type),
        SCANS.c.district.is_not(None),
    )
    .distinct()
)


@dataclass(frozen=True)
class UnitSighting:
    """What a scan shows of its unit when the unit row is not at hand (buffered scan recording)."""

    first_seen_at: datetime | None
    first_district: str | None
    scan_count: int


@dataclass
class Outcome:
    """The online verdict of one label URL, with everything the page and the JSON show."""

    verdict: Verdict
    reasons: list[dict[str, str]] = field(default_factory=list)
    label: LabelURL | None = None
    product: Product | None = None
    batch: SerialBatch | None = None
    unit: Unit | UnitSighting | None = None
    flags: list[str] = field(default_factory=list)
    recall: RecallNotice | None = None

    def recalled(self, notice: RecallNotice | None, reason: Reason) -> None:
        """A genuine label of a recalled unit, batch or product: ``recalled`` with the recall's words."""
        if self.recall is None and notice is not None:
            self.recall = notice
        self.fail(Verdict.RECALLED, reason.value, f"this {reason.value.split('_')[0]} has been recalled")

    def fail(self, verdict: Verdict, code: str, detail: str) -> None:
        if (
            self.verdict is Verdict.GENUINE
            or self.verdict is Verdict.UNKNOWN
            and verdict is not Verdict.UNKNOWN
        ):
            self.verdict = verdict
        self.reasons.append({"code": code, "detail": detail})


def verify_online(
    session: Session, keyring: KeyRing, url: str, *, now: datetime, cache: CatalogueCache | None = None
) -> Outcome:
    """Verify a label URL against the registry's own records (no scan is recorded here).

    1. parse the URL — malformed is ``not_genuine``;
    2. find the product by GTIN — none is ``unknown``;
    3. a product URL without a signature shows the product, with no unit authenticity;
    4. check the signature with the registry's keyring (complete, so an unknown key is ``not_genuine``),
       and the issue day: later than ``now`` plus ``CLOCK_TOLERANCE`` is ``not_genuine`` (``future_dated``);
    5. the serial must belong to a batch of that product; for a label signed by a key that has since been
       compromised (dated before the compromise), the batch must have been created before the compromise;
    6. the licence, the batch and the unit must not be withdrawn;
    7. a genuine label of a recalled product or batch is ``recalled`` (a recalled unit: ``record_scan``).
    """
    outcome = Outcome(Verdict.GENUINE)
    # 1.
    try:
        label = parse_label_url(url)
    except LabelURLError as exc:
        outcome.fail(Verdict.NOT_GENUINE, Reason.MALFORMED.value, str(exc))
        return outcome
    outcome.label = label
    # 2.
    product = (cache or UNCACHED).product(session, label.gtin)
    outcome.product = product
    # 3. and 4.
    try:
        verify_label_url(label, keyring, now=now)
    except VerificationError as exc:
        if exc.reason is Reason.NO_UNIT_SIGNATURE:
            outcome.fail(
                Verdict.UNKNOWN, exc.reason.value, "a product address: no unit authenticity is shown"
            )
        elif exc.reason is Reason.UNKNOWN_KEY:
            outcome.fail(Verdict.NOT_GENUINE, exc.reason.value, "signed with a key the registry never used")
        else:
            outcome.fail(exc.verdict, exc.reason.value, exc.detail)
    if product is None:
        outcome.fail(
            Verdict.UNKNOWN, "product_not_registered", f"no registered product has GTIN {label.gtin}"
        )
        return outcome
    # 5.
    if label.serial is not None and outcome.verdict is not Verdict.NOT_GENUINE:
        outcome.batch = find_batch(session, label.gtin, label.serial, cache=cache)
        if outcome.batch is None:
            outcome.fail(
                Verdict.NOT_GENUINE, "serial_not_issued", "no batch of this product issued this serial"
            )
        else:
            check_batch_before_compromise(outcome, keyring, label, outcome.batch)
    # 6.
    state = product.licence_state(now.date())
    if state == ProductStatus.SUSPENDED:
        outcome.fail(Verdict.SUSPENDED, Reason.LICENCE_SUSPENDED.value, "the brand licence is suspended")
    elif state == ProductStatus.REVOKED:
        outcome.fail(Verdict.REVOKED, Reason.LICENCE_REVOKED.value, "the brand licence has been revoked")
    elif state == ProductStatus.EXPIRED:
        outcome.fail(Verdict.EXPIRED, Reason.LICENCE_EXPIRED.value, "the brand licence has expired")
    elif state != ProductStatus.LICENSED:
        outcome.fail(Verdict.UNKNOWN, "not_licensed", f"the product is not licensed ({state})")
    if outcome.batch is not None and outcome.batch.status != "active":
        if outcome.batch.status == "suspended":
            outcome.fail(Verdict.SUSPENDED, Reason.BATCH_SUSPENDED.value, "this batch of labels is suspended")
        else:
            outcome.fail(Verdict.REVOKED, Reason.BATCH_REVOKED.value, "this batch of labels has been revoked")
    # 7.
    if outcome.verdict is not Verdict.NOT_GENUINE and outcome.verdict is not Verdict.UNTRUSTED_KEY:
        recalls = (cache or UNCACHED).recalls(session, label.gtin)
        if recalls.product is not None:
            outcome.recalled(recalls.product, Reason.PRODUCT_RECALLED)
        elif outcome.batch is not None and (notice := recalls.covering(outcome.batch.id)) is not None:
            outcome.recalled(notice, Reason.BATCH_RECALLED)
    return outcome


def check_batch_before_compromise(
    outcome: Outcome, keyring: KeyRing, label: LabelURL, batch: SerialBatch
) -> None:
    """Step 5 of :func:`verify_online` for a key compromised after the label's issue day: a thief can back-date
    labels, so only serials of batches the registry created before the compromise are accepted."""
    if outcome.verdict is Verdict.NOT_GENUINE or label.key_tag is None:
        return
    key = next((key for key in keyring if key.key_tag == label.key_tag), None)
    if key is None or key.compromised_after is None:
        return
    if batch.created_at >= key.compromised_after:
        outcome.fail(
            Verdict.NOT_GENUINE,
            Reason.BATCH_AFTER_COMPROMISE.value,
            "this batch was created after the key that signed the label was compromised",
        )


@functools.cache
def unit_upsert_statement(dialect: str) -> Any:
    """``INSERT ... ON CONFLICT (gtin, serial) DO UPDATE ... RETURNING`` for units, built once per dialect."""
    units = UNITS
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(units).values(
        {name: bindparam(name, type_=units.c[name].type) for name in UNIT_INSERT_COLUMNS}
    )
    return stmt.on_conflict_do_update(
        index_elements=[units.c.gtin, units.c.serial],
        set_={  # every right-hand side reads the row as it was before this scan
            "scan_count": func.coalesce(units.c.scan_count, 0) + 1,
            "first_seen_at": func.coalesce(units.c.first_seen_at, stmt.excluded.first_seen_at),
            "first_district": case(
                (units.c.first_seen_at.is_(None), stmt.excluded.first_district),
                else_=units.c.first_district,
            ),
        },
    ).returning(*(units.c[name] for name in UNIT_COLUMNS))


def upsert_unit(
    connection: Connection, batch: SerialBatch, serial: str, district: str | None, *, now: datetime
) -> Unit:
    """Count one scan of ``serial`` in one statement: create its unit row at the first scan (first seen now,
    in ``district``), else add one to its scan count.  Returns the row as it is after the scan (a transient
    ``Unit``, not in the session)."""
    stmt = unit_upsert_statement(connection.dialect.name)
    row = connection.execute(
        stmt,
        {
            "gtin": batch.gtin,
            "serial": serial,
            "batch_id": batch.id,
            "product_id": batch.product_id,
            "first_seen_at": now,
            "first_district": district,
            "scan_count": 1,
            "flags": [],
        },
    ).one()
    return Unit(**dict(zip(UNIT_COLUMNS, row, strict=True)))


UNIT_INSERT_COLUMNS = (
    "gtin",
    "serial",
    "batch_id",
    "product_id",
    "first_seen_at",
    "first_district",
    "scan_count",
    "flags",
)
UNIT_COLUMNS = ("id", *UNIT_INSERT_COLUMNS, "flagged_at", "recalled_at", "recall_reason", "flags_cleared_at")


SCAN_INSERT = insert(SCANS)


def record_scan(
    session: Session, settings: SigningSettings, outcome: Outcome, context: ScanContext, *, now: datetime
) -> None:
    """Record the scan; for a unit of a known batch, update first sighting, count and clone flags.

    At most three statements for a unit (upsert the unit, insert the scan, read the unit's recent districts
    when the scan has one and is not the unit's first), with prepared Core statements: no ORM flush."""
    label = outcome.label
    if label is None:
        return
    district, source = locate_district(settings, context)
    client = hash_device(settings.secret_key, context)
    connection = session.connection()  # the session's transaction; Core statements on it, no ORM flush
    unit = None
    if label.serial is not None and outcome.batch is not None:
        unit = upsert_unit(connection, outcome.batch, label.serial, district, now=now)
        if unit.recalled_at is not None:
            outcome.recalled(find_unit_recall(session, label.gtin, label.serial), Reason.UNIT_RECALLED)
    connection.execute(
        SCAN_INSERT,
        {
            "unit_id": unit.id if unit is not None else None,
            "gtin": label.gtin,
            "serial": label.serial,
            "scanned_at": now,
            "verdict": outcome.verdict.value,
            "district": district,
            "location_source": source,
            "device_class": classify_device(context.user_agent),
            "device_hash": client,
        },
    )
    if unit is not None:
        outcome.unit = unit
        outcome.flags = apply_clone_rules(connection, unit, settings.clone_rules, district, client, now=now)


def district_names(code: str | None) -> dict[str, str | None]:
    district = DISTRICTS.get(code or "")
    return {
        "district": code,
        "district_name": district.name_en if district else None,
        "district_name_bn": district.name_bn if district else None,
    }


FLAG_TEXT = {
    "many_devices": "verified from more devices than one unit normally is",
    "far_apart_districts": "verified in far-apart districts within a few hours",
}


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


def outcome_to_dict(outcome: Outcome, *, today: date, cache: CatalogueCache | None = None) -> dict[str, Any]:
    """The JSON verdict (also the context of the verification page).

    With ``cache``, the product's part is built once per cached product and day and shared between verdicts:
    treat the returned dictionary as read-only."""
    product, label, unit = outcome.product, outcome.label, outcome.unit
    body: dict[str, Any] = {
        "verdict": outcome.verdict.value,
        "reasons": outcome.reasons,
        "gtin": label.gtin if label else None,
        "serial": label.serial if label else None,
        "issued_on": label.issued_on.isoformat() if label and label.issued_on else None,
        "product_only": bool(label and label.serial is None),
    }
    if product is not None:
        body.update((cache or UNCACHED).product_body(product, today))
    if unit is not None:
        body["first_seen"] = {
            "at": unit.first_seen_at.isoformat() if unit.first_seen_at else None,
            **district_names(unit.first_district),
        }
        body["scan_count"] = unit.scan_count
        # a copy warning only on a label that is otherwise genuine: a recalled, withdrawn or forged label has
        # its own verdict, and a consumer must not read it as "someone copied this"
        body["clone_warning"] = (
            {"flags": outcome.flags, "reasons": [FLAG_TEXT.get(flag, flag) for flag in outcome.flags]}
            if outcome.flags and outcome.verdict is Verdict.GENUINE
            else False
        )
    if outcome.recall is not None:
        body["recall"] = outcome.recall.to_json()
    return body


# ---------------------------------------------------------------------------------------------- demo


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


DEMO_RECALL = RecallText(
    reason_en="The charger supplied with this batch can overheat.",
    reason_bn="এই ব্যাচের সঙ্গে দেওয়া চার্জার অতিরিক্ত গরম হতে পারে।",
    instructions_en="Stop using the charger and take it to the shop where you bought it for a free replacement.",
    instructions_bn="চার্জারটি ব্যবহার বন্ধ করুন এবং বিনামূল্যে বদলে নিতে যে দোকান থেকে কিনেছেন সেখানে নিয়ে যান।",
    contact="16xxx (toll-free) · recall@example.com.bd",
)


def issue_demo_labels(
    session: Session,
    signer: Signer,
    settings: SigningSettings,
    *,
    now: datetime,
    products: int = 3,
    units: int = 3,
) -> list[tuple[str, str]]:
    """(expected verdict, label URL) pairs for the demo: genuine, suspended, revoked and expired products'
    labels, a recalled batch, a tampered copy (not_genuine) and a product address (unknown)."""
    lines: list[tuple[str, str]] = []
    host = settings.public_host
    for state, verdict in (
        (ProductStatus.LICENSED, "genuine"),
        (ProductStatus.SUSPENDED, "suspended"),
        (ProductStatus.REVOKED, "revoked"),
        (ProductStatus.EXPIRED, "expired"),
    ):
        chosen = [
            p
            for p in session.scalars(
                select(Product)
                .where(Product.licence_valid_from.is_not(None), Product.status.in_([state.value, "licensed"]))
                .order_by(Product.id)
                .limit(200)
            )
            if p.licence_state(now.date()) == state
        ][:products]
        for product in chosen:
            batch = session.scalar(select(SerialBatch).where(SerialBatch.product_id == product.id).limit(1))
            if batch is None:
                batch = create_batch(session, product, 1000, user_id=None, now=now, require_licensed=False)
            for url, _serial in iter_batch_urls(
                batch, signer, host, stop=units, scheme=settings.public_scheme
            ):
                lines.append((verdict, url))
    recalled = next(
        (
            p
            for p in session.scalars(
                select(Product).where(Product.status == ProductStatus.LICENSED.value).order_by(Product.id.desc())
            )
            if p.licence_state(now.date()) == ProductStatus.LICENSED
        ),
        None,
    )
    if recalled is not None and not any(recalled.gtin in url for _, url in lines):
        batch = session.scalar(select(SerialBatch).where(SerialBatch.product_id == recalled.id).limit(1))
        if batch is None:
            batch = create_batch(session, recalled, 1000, user_id=None, now=now)
        if session.scalar(select(Recall.id).where(Recall.batch_id == batch.id).limit(1)) is None:
            recall_batch(session, batch, DEMO_RECALL, now=now, user_id=None)
        for url, _serial in iter_batch_urls(batch, signer, host, stop=units, scheme=settings.public_scheme):
            lines.append(("recalled", url))
    genuine = next((url for verdict, url in lines if verdict == "genuine"), None)
    if genuine is not None:
        base, _, parameter = genuine.partition("?s=")
        tampered = base[:-1] + ("A" if base[-1] != "A" else "B") + "?s=" + parameter
        lines.append(("not_genuine", tampered))
        lines.append(("unknown", base.split("/21/")[0]))
    return lines


# ---------------------------------------------------------------------------------------------- reports

PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
MAX_PHOTO_BYTES = 2 * 1024 * 1024


def create_report(
    session: Session,
    keyring: KeyRing,
    *,
    text: str,
    url: str | None,
    district: str | None,
    photo: bytes | None,
    now: datetime,
) -> ConsumerReport:
    """A consumer's report of a suspected fake (text, optional label URL, district and photo)."""
    text = (text or "").strip()
    if not 3 <= len(text) <= 2000:
        raise ReportError("describe what you saw in 3 to 2,000 characters", field="text")
    media_type = None
    if photo:
        if len(photo) > MAX_PHOTO_BYTES:
            raise ReportError("the photo is larger than 2 MB", field="photo")
        media_type = sniff_media_type(photo[:HEAD_BYTES], PHOTO_TYPES)
        if media_type is None:
            raise ReportError("the photo must be a JPEG, PNG or WebP image", field="photo")
    code = None
    if district:
        found = find_district(district)
        if found is None:
            raise ReportError("unknown district", field="district")
        code = found.code
    gtin = serial = verdict = None
    product_id = None
    if url:
        outcome = verify_online(session, keyring, url, now=now)
        verdict = outcome.verdict.value
        if outcome.label is not None:
            gtin, serial = outcome.label.gtin, outcome.label.serial
        product_id = outcome.product.id if outcome.product is not None else None
    report = ConsumerReport(
        gtin=gtin,
        serial=serial,
        product_id=product_id,
        label_url=url,
        verdict=verdict,
        text=text,
        district=code,
        photo=photo or None,
        photo_media_type=media_type,
        status="open",
        created_at=now,
    )
    session.add(report)
    session.flush()
    return report


def report_to_dict(report: ConsumerReport) -> dict[str, Any]:
    return {
        "id": report.id,
        "gtin": report.gtin,
        "serial": report.serial,
        "product_id": report.product_id,
        "label_url": report.label_url,
        "verdict": report.verdict,
        "text": report.text,
        "district": report.district,
        "has_photo": report.photo is not None,
        "status": report.status,
        "created_at": report.created_at.isoformat(),
    }


def batch_to_dict(batch: SerialBatch) -> dict[str, Any]:
    return {
        "id": batch.id,
        "product_id": batch.product_id,
        "gtin": batch.gtin,
        "prefix": batch.prefix,
        "count": batch.count,
        "serial_length": batch.serial_length,
        "issued_on": batch.issued_on.isoformat(),
        "status": batch.status,
        "status_reason": batch.status_reason,
        "created_at": batch.created_at.isoformat(),
    }


def unit_to_dict(unit: Unit) -> dict[str, Any]:
    return {
        "gtin": unit.gtin,
        "serial": unit.serial,
        "batch_id": unit.batch_id,
        "first_seen_at": unit.first_seen_at.isoformat() if unit.first_seen_at else None,
        "first_district": unit.first_district,
        "scan_count": unit.scan_count,
        "flags": list(unit.flags or []),
        "flagged_at": unit.flagged_at.isoformat() if unit.flagged_at else None,
        "recalled_at": unit.recalled_at.isoformat() if unit.recalled_at else None,
        "recall_reason": unit.recall_reason,
        "flags_cleared_at": unit.flags_cleared_at.isoformat() if unit.flags_cleared_at else None,
    }


# ---------------------------------------------------------------------------------------------- extension


class KeyringCache:
    """The keyring read from the database, kept for a few seconds (rotation reaches every worker soon)."""

    def __init__(self, ttl_seconds: float = 5.0) -> None:
        self.ttl = ttl_seconds
        self._lock = threading.Lock()
        self._value: KeyRing | None = None
        self._loaded = 0.0

    def get(self, session: Session) -> KeyRing:
        with self._lock:
            if self._value is not None and time.monotonic() - self._loaded < self.ttl:
                return self._value
        value = load_keyring(session)
        with self._lock:
            self._value, self._loaded = value, time.monotonic()
        return value

    def clear(self) -> None:
        with self._lock:
            self._value = None


DEFAULT_LIMITS = {"verify": "300/minute", "report": "10/hour"}


class SigningExtension:
    """What ``init_app`` keeps in ``app.extensions["signing"]``: settings, the signer, caches, rate limits."""

    def __init__(
        self, settings: SigningSettings, rate_limiter: Any, open_session: Callable[[], Session]
    ) -> None:
        self.settings = settings
        self.rate_limiter = rate_limiter
        self.default_limits = dict(DEFAULT_LIMITS)
        self._open_session = open_session
        # tests roll every transaction back, so nothing read from the database may outlive a request there
        self._keyrings = KeyringCache(0.0 if settings.env == "testing" else 5.0)
        self.catalogue = CatalogueCache(0.0 if settings.env == "testing" else 5.0)
        self.scans: ScanRecorder | None = None  # set by signing.init_app (signing.scans)
        self._lock = threading.Lock()
        self._signer: Signer | None = None
        self._ready = False
        self.check_configured_key()

    def check_configured_key(self) -> None:
        """Open the configured key file now, so that a wrong passphrase or a missing or unreadable file stops
        the service at start-up (``KeySourceError``) instead of failing every signing request later.

        A PKCS#11 token is left to the first request (logging in to it may wait for the device)."""
        source = configured_key_source(self.settings)
        if isinstance(source, EncryptedPKCS8FileKeySource):
            source.load_private_key()

    def ready(self) -> None:
        """Make sure an issuing key is registered (on a fresh database the configured key becomes current).

        Runs at the start of a request (``before_app_request``), before the request opens its own write
        transaction: on SQLite a second writer in the same thread would wait for the first one forever.
        """
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            session: Session = self._open_session()
            try:
                self._signer = ensure_current_signer(session, self.settings)
                session.commit()
            finally:
                session.close()
            self._keyrings.clear()
            self._ready = True

    @property
    def is_ready(self) -> bool:
        return self._ready

    def keyring(self, session: Session) -> KeyRing:
        return self._keyrings.get(session)

    def signer(self, session: Session) -> Signer:
        """The current key's signer; reloaded when another process rotated the key."""
        current = self.keyring(session).current
        signer = self._signer
        if (
            signer is not None
            and current is not None
            and signer.kid == current.kid
            and session.get(SigningKey, signer.kid) is not None
        ):
            return signer
        with self._lock:
            self._keyrings.clear()
            self._signer = ensure_current_signer(session, self.settings)
            return self._signer

    def forget_keys(self) -> None:
        """After a rotation or compromise in this process."""
        with self._lock:
            self._keyrings.clear()
            self._signer = None

    def describe(self) -> str:
        signer = self._signer
        if signer is None:
            return "Ed25519 (key not loaded yet)"
        source = configured_key_source(self.settings) if not self.settings.key_path else None
        unsafe = " UNSAFE development key" if isinstance(source, UnsafeDevelopmentKeySource) else ""
        return f"Ed25519 kid={signer.kid}{unsafe}"
