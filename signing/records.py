"""Authenticity records: what the registry says about a licensed product, as signed RFC 8785 JSON.

A signed record is ``{"record": {...}, "signature": "<base64url Ed25519 signature>"}``.  The signature is
over the RFC 8785 canonical bytes of ``record`` and nothing else, so anyone holding the published JWKS can
check it with a JCS library and any Ed25519 implementation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from gs1.errors import InvalidGTIN
from gs1.gtin import normalize_gtin
from signing.canonical import canonicalize
from signing.errors import Reason, RecordFormatError, VerificationError
from signing.keys import (
    KeyRing,
    Signer,
    check_not_future,
    coerce_keyring,
    decode_b64url,
    encode_b64url,
    format_time,
)

if TYPE_CHECKING:
    from signing.status import StatusSnapshot

__all__ = [
    "RECORD_TYPE",
    "RECORD_VERSION",
    "AuthenticityRecord",
    "Certificate",
    "LicenceStatus",
    "SignedRecord",
    "sign_record",
    "verify_record",
]

RECORD_TYPE = "mib.authenticity-record"
RECORD_VERSION = 1
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class LicenceStatus(StrEnum):
    GRANTED = "granted"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"


def require(mapping: Mapping[str, Any], name: str, kind: type, where: str) -> Any:
    value = mapping.get(name)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise RecordFormatError(f"{where}{name} must be a {kind.__name__}", field=f"{where}{name}")
    return value


def require_text(mapping: Mapping[str, Any], name: str, where: str) -> str:
    value: str = require(mapping, name, str, where)
    if not value.strip():
        raise RecordFormatError(f"{where}{name} must not be empty", field=f"{where}{name}")
    return value


def parse_day(mapping: Mapping[str, Any], name: str, where: str, *, optional: bool = False) -> date | None:
    value = mapping.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise RecordFormatError(f"{where}{name} must be a YYYY-MM-DD date", field=f"{where}{name}")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise RecordFormatError(f"{where}{name} is not a real date", field=f"{where}{name}") from exc


def parse_instant(mapping: Mapping[str, Any], name: str) -> datetime:
    value = mapping.get(name)
    if not isinstance(value, str) or not value.endswith("Z"):
        raise RecordFormatError(f"{name} must be an RFC 3339 UTC time ending in Z", field=name)
    try:
        return datetime.fromisoformat(value[:-1] + "+00:00")
    except ValueError as exc:
        raise RecordFormatError(f"{name} is not an RFC 3339 time", field=name) from exc


def reject_unknown(mapping: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(mapping) - allowed)
    if unknown:
        raise RecordFormatError(f"unknown member {where}{unknown[0]}", field=f"{where}{unknown[0]}")


@dataclass(frozen=True)
class Certificate:
    """A conformity certificate the product holds (e.g. BTRC type approval, BSTI)."""

    scheme: str
    number: str
    valid_until: date | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "scheme": self.scheme,
            "number": self.number,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
        }

    @classmethod
    def from_json(cls, data: Any, where: str = "certificates[].") -> Certificate:
        if not isinstance(data, Mapping):
            raise RecordFormatError("a certificate must be an object", field="certificates")
        reject_unknown(data, {"scheme", "number", "valid_until"}, where)
        return cls(
            scheme=require_text(data, "scheme", where),
            number=require_text(data, "number", where),
            valid_until=parse_day(data, "valid_until", where, optional=True),
        )


@dataclass(frozen=True)
class AuthenticityRecord:
    """What the registry attests about one licensed product at one moment.

    ``kid`` and ``issued_at`` are filled in by :func:`sign_record`.
    """

    product_id: str
    gtin: str
    brand: str
    model: str
    manufacturer_id: str
    manufacturer_legal_name: str
    licence_status: LicenceStatus
    valid_from: date
    valid_until: date | None
    certificates: tuple[Certificate, ...] = ()
    issued_at: datetime | None = None
    kid: str = ""
    status_index: int | None = None
    status_uri: str | None = None
    record_type: str = field(default=RECORD_TYPE)
    record_version: int = field(default=RECORD_VERSION)

    def __post_init__(self) -> None:
        object.__setattr__(self, "gtin", normalize_gtin(self.gtin))
        object.__setattr__(self, "licence_status", LicenceStatus(self.licence_status))
        object.__setattr__(self, "certificates", tuple(self.certificates))
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise RecordFormatError("licence valid_until is before valid_from", field="licence.valid_until")
        if (self.status_index is None) != (self.status_uri is None):
            raise RecordFormatError("status needs both idx and uri", field="status")

    def to_json(self) -> dict[str, Any]:
        if self.issued_at is None or not self.kid:
            raise RecordFormatError("an unsigned record has no JSON form; use sign_record()", field="kid")
        data: dict[str, Any] = {
            "type": self.record_type,
            "version": self.record_version,
            "product": {"id": self.product_id, "gtin": self.gtin, "brand": self.brand, "model": self.model},
            "manufacturer": {"id": self.manufacturer_id, "legal_name": self.manufacturer_legal_name},
            "licence": {
                "status": self.licence_status.value,
                "valid_from": self.valid_from.isoformat(),
                "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            },
            "certificates": [certificate.to_json() for certificate in self.certificates],
            "issued_at": format_time(self.issued_at.replace(microsecond=0)),
            "kid": self.kid,
        }
        if self.status_index is not None:
            data["status"] = {"status_list": {"idx": self.status_index, "uri": self.status_uri}}
        return data

    @classmethod
    def from_json(cls, data: Any) -> AuthenticityRecord:
        """Parse and check a record's structure (not its signature)."""
        if not isinstance(data, Mapping):
            raise RecordFormatError("a record must be a JSON object", field="record")
        reject_unknown(
            data,
            {
                "type",
                "version",
                "product",
                "manufacturer",
                "licence",
                "certificates",
                "issued_at",
                "kid",
                "status",
            },
            "",
        )
        if data.get("type") != RECORD_TYPE:
            raise RecordFormatError(f"type must be {RECORD_TYPE!r}", field="type")
        if data.get("version") != RECORD_VERSION or isinstance(data.get("version"), bool):
            raise RecordFormatError(f"unsupported record version {data.get('version')!r}", field="version")
        product = require(data, "product", Mapping, "")
        reject_unknown(product, {"id", "gtin", "brand", "model"}, "product.")
        manufacturer = require(data, "manufacturer", Mapping, "")
        reject_unknown(manufacturer, {"id", "legal_name"}, "manufacturer.")
        licence = require(data, "licence", Mapping, "")
        reject_unknown(licence, {"status", "valid_from", "valid_until"}, "licence.")
        certificates = require(data, "certificates", list, "")
        try:
            licence_status = LicenceStatus(licence.get("status"))
        except ValueError as exc:
            raise RecordFormatError("licence.status is not a known status", field="licence.status") from exc
        status_index, status_uri = None, None
        if "status" in data:
            status = require(data, "status", Mapping, "")
            reject_unknown(status, {"status_list"}, "status.")
            reference = require(status, "status_list", Mapping, "status.")
            reject_unknown(reference, {"idx", "uri"}, "status.status_list.")
            status_index = require(reference, "idx", int, "status.status_list.")
            status_uri = require_text(reference, "uri", "status.status_list.")
        valid_from = parse_day(licence, "valid_from", "licence.")
        assert valid_from is not None
        gtin = require_text(product, "gtin", "product.")
        if len(gtin) != 14:
            raise RecordFormatError("product.gtin must be a GTIN-14", field="product.gtin")
        try:
            return cls(
                product_id=require_text(product, "id", "product."),
                gtin=gtin,
                brand=require_text(product, "brand", "product."),
                model=require_text(product, "model", "product."),
                manufacturer_id=require_text(manufacturer, "id", "manufacturer."),
                manufacturer_legal_name=require_text(manufacturer, "legal_name", "manufacturer."),
                licence_status=licence_status,
                valid_from=valid_from,
                valid_until=parse_day(licence, "valid_until", "licence.", optional=True),
                certificates=tuple(Certificate.from_json(item) for item in certificates),
                issued_at=parse_instant(data, "issued_at"),
                kid=require_text(data, "kid", ""),
                status_index=status_index,
                status_uri=status_uri,
            )
        except InvalidGTIN as exc:
            raise RecordFormatError(str(exc), field="product.gtin") from exc


@dataclass(frozen=True)
class SignedRecord:
    """A record as it was signed: the exact JSON object, its parsed form, and the signature."""

    record: AuthenticityRecord
    record_json: dict[str, Any]
    signature: bytes

    def to_json(self) -> dict[str, Any]:
        return {"record": self.record_json, "signature": encode_b64url(self.signature)}

    def to_bytes(self) -> bytes:
        """The downloadable file: canonical JSON, so the bytes are the same every time."""
        return canonicalize(self.to_json())

    @classmethod
    def from_json(cls, data: Any) -> SignedRecord:
        """Parse a signed record from a mapping, JSON text or bytes; checks structure, not the signature."""
        data = load_signed_json(data, "record")
        signature = parse_signature(data["signature"])
        record_json = data["record"]
        return cls(
            record=AuthenticityRecord.from_json(record_json),
            record_json=dict(record_json),
            signature=signature,
        )


def load_signed_json(data: Any, member: str) -> Mapping[str, Any]:
    """A signed document (mapping, JSON text or bytes) with exactly the members ``member`` and ``signature``."""
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise RecordFormatError(f"not JSON: {exc}") from exc
    if not isinstance(data, Mapping) or set(data) != {member, "signature"}:
        raise RecordFormatError(f"a signed {member} has exactly the members {member!r} and 'signature'")
    return data


def parse_signature(text: Any) -> bytes:
    """A canonical base64url 64-byte Ed25519 signature."""
    try:
        signature = decode_b64url(text)
    except ValueError as exc:
        raise RecordFormatError("signature is not base64url", field="signature") from exc
    if len(signature) != 64 or encode_b64url(signature) != text:
        raise RecordFormatError("signature is not a canonical 64-byte Ed25519 signature", field="signature")
    return signature


def sign_record(
    record: AuthenticityRecord, signer: Signer, *, issued_at: datetime | None = None
) -> SignedRecord:
    """Sign ``record`` with the current issuing key; ``issued_at`` defaults to now (whole seconds, UTC)."""
    moment = (issued_at or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    stamped = replace(record, kid=signer.kid, issued_at=moment)
    record_json = stamped.to_json()
    return SignedRecord(
        record=stamped, record_json=record_json, signature=signer.sign(canonicalize(record_json))
    )


def verify_record(
    signed: SignedRecord | Mapping[str, Any] | str | bytes,
    jwks: KeyRing | Mapping[str, Any],
    status: StatusSnapshot | None = None,
    *,
    now: datetime | None = None,
) -> None:
    """Return ``None`` if ``signed`` is a genuine record that is in force; raise :class:`VerificationError`.

    Steps:
    1. parse the document and check its structure;
    2. find the signing key by ``kid`` in the published keys;
    3. check that the key was trustworthy when the record was issued (not retired, not compromised), and
       that ``issued_at`` is not later than ``now`` plus :data:`~signing.keys.CLOCK_TOLERANCE`;
    4. check the Ed25519 signature over the record's RFC 8785 canonical bytes;
    5. a key compromised since (even if the record is dated before) proves nothing about the record's
       content: ``unknown`` (``check_online``) — the registry re-signs current records under a trusted key
       when a key is compromised, so the current record is at the record endpoint;
    6. check the licence the record states and its validity period against ``now``;
    7. if a verified status list is given, it must list the product, its licence must be in force and the
       product must not be recalled (``recalled``).
    """
    # 1.
    if not isinstance(signed, SignedRecord):
        try:
            signed = SignedRecord.from_json(signed)
        except RecordFormatError as exc:
            raise VerificationError(
                f"not a well-formed signed record: {exc}", reason=Reason.MALFORMED
            ) from exc
    record = signed.record
    keyring = coerce_keyring(jwks)
    # 2.
    key = keyring.find(record.kid)
    # 3.
    assert record.issued_at is not None
    moment = now or datetime.now(UTC)
    key.check_trusted_at(record.issued_at)
    check_not_future(record.issued_at, moment)
    # 4.
    key.verify_signature(signed.signature, canonicalize(signed.record_json))
    # 5.
    if key.compromised_after is not None:
        raise VerificationError(
            f"signed by key {key.kid}, compromised since {format_time(key.compromised_after)}: download the "
            "product's current record from the registry",
            reason=Reason.CHECK_ONLINE,
        )
    # 6.
    check_licence(record, moment.astimezone(UTC).date())
    # 7.
    if status is not None:
        status.check_product(record.gtin)
        status.check_recalls(record.gtin, None)


def check_licence(record: AuthenticityRecord, today: date) -> None:
    if record.licence_status is LicenceStatus.SUSPENDED:
        raise VerificationError("the record states the licence is suspended", reason=Reason.LICENCE_SUSPENDED)
    if record.licence_status is LicenceStatus.REVOKED:
        raise VerificationError("the record states the licence is revoked", reason=Reason.LICENCE_REVOKED)
    if record.licence_status is LicenceStatus.EXPIRED or (record.valid_until and today > record.valid_until):
        raise VerificationError("the licence has expired", reason=Reason.LICENCE_EXPIRED)
    if today < record.valid_from:
        raise VerificationError(
            f"the licence is valid only from {record.valid_from.isoformat()}",
            reason=Reason.RECORD_NOT_YET_VALID,
        )
