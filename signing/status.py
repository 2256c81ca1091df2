"""Offline revocation: a signed IETF Token Status List (draft-ietf-oauth-status-list) plus recalled units.

Why the IETF Token Status List and not the W3C Bitstring Status List: it is a plain signed JWT (or CWT) that
needs no JSON-LD or Data Integrity suite, it has multi-bit statuses (we use 2 bits: valid, revoked,
suspended, expired — the W3C list needs one list per purpose), and its signing uses the same Ed25519 keys and
JWKS as everything else.

The token is a compact JWS (``typ`` ``statuslist+jwt``, ``alg`` ``EdDSA``) whose payload carries the
standard ``sub``/``iat``/``exp``/``ttl``/``status_list`` claims and registry claims that let an offline
verifier find a label's entries without any other data: ``gtin_index`` (GTIN-14 → index of its licence),
``batch_index`` (GTIN-14 → batch prefix → index), ``batch_days`` (GTIN-14 → batch prefix → the day the batch
was created, in days since 1970-01-01; the registry lists only batches created since the earliest key
compromise, the only ones whose day changes a verdict), ``recalled_units`` (GTIN-14 → recalled serials) and ``recalls``
(GTIN-14 → the product's recall, its batches' recalls by prefix and its units' recalls by serial, each as
``{"on": day, "en": reason, "bn": reason}`` with the reason cut to :data:`RECALL_REASON_CHARS`).

The list is the whole truth an offline verifier has, so it fails closed: a GTIN it does not list is
``unknown``, a serial whose batch prefix it does not list is ``not_genuine``, and for a label signed by a
compromised key (before the compromise) a batch created on or after the day of the compromise is
``not_genuine`` and anything else can only be checked online (``unknown``, ``check_online``): the serials
of a batch are a keyed permutation whose secret only the registry holds.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import IntEnum
from typing import Any

from signing.canonical import canonicalize
from signing.errors import Reason, RecordFormatError, VerificationError
from signing.keys import (
    KeyRing,
    Signer,
    coerce_keyring,
    decode_b64url,
    encode_b64url,
    end_of_day,
    format_time,
)

__all__ = [
    "STATUS_LIST_TYPE",
    "GTINRecalls",
    "RecallSummary",
    "RecalledError",
    "StatusList",
    "StatusSnapshot",
    "StatusValue",
    "load_status_list",
    "sign_status_list",
]

STATUS_LIST_TYPE = "statuslist+jwt"
MAX_STATUS_BYTES = 16 * 1024 * 1024
EPOCH = date(1970, 1, 1)


def day_number(moment: datetime | date) -> int:
    """Days since 1970-01-01 (UTC) of a moment or a day: how the list writes dates."""
    day = moment.astimezone(UTC).date() if isinstance(moment, datetime) else moment
    return (day - EPOCH).days


class StatusValue(IntEnum):
    """Status Type values (draft-ietf-oauth-status-list section 7); 0x03 is ours: the licence lapsed."""

    VALID = 0x00
    INVALID = 0x01
    SUSPENDED = 0x02
    EXPIRED = 0x03


class StatusList:
    """A packed array of ``bits``-bit statuses, least significant bits first within each byte."""

    def __init__(self, size: int, bits: int = 2, data: bytes | None = None) -> None:
        if bits not in (1, 2, 4, 8):
            raise RecordFormatError("bits must be 1, 2, 4 or 8", field="bits")
        self.bits = bits
        self.size = size
        length = (size * bits + 7) // 8
        self._data = bytearray(data if data is not None else bytes(length))
        if len(self._data) != length:
            raise RecordFormatError("status list length does not match its size", field="lst")

    def _locate(self, index: int) -> tuple[int, int, int]:
        if not 0 <= index < self.size:
            raise IndexError(f"status index {index} is outside 0..{self.size - 1}")
        per_byte = 8 // self.bits
        return index // per_byte, (index % per_byte) * self.bits, (1 << self.bits) - 1

    def get(self, index: int) -> int:
        position, shift, mask = self._locate(index)
        return self._data[position] >> shift & mask

    def set(self, index: int, value: int) -> None:
        position, shift, mask = self._locate(index)
        if not 0 <= value <= mask:
            raise ValueError(f"status {value} does not fit {self.bits} bits")
        self._data[position] = self._data[position] & ~(mask << shift) | value << shift

    def to_bytes(self) -> bytes:
        return bytes(self._data)

    def to_json(self) -> dict[str, Any]:
        return {"bits": self.bits, "lst": encode_b64url(zlib.compress(bytes(self._data), 9))}

    @classmethod
    def from_json(cls, data: Any) -> StatusList:
        if not isinstance(data, Mapping) or not isinstance(data.get("bits"), int):
            raise RecordFormatError("status_list needs 'bits' and 'lst'", field="status_list")
        bits = data["bits"]
        try:
            decompressor = zlib.decompressobj()
            raw = decompressor.decompress(decode_b64url(data["lst"]), MAX_STATUS_BYTES)
            if decompressor.unconsumed_tail:
                raise RecordFormatError("status list is too large", field="lst")
        except (KeyError, ValueError, zlib.error) as exc:
            raise RecordFormatError("status_list.lst is not base64url ZLIB data", field="lst") from exc
        if bits not in (1, 2, 4, 8):
            raise RecordFormatError("bits must be 1, 2, 4 or 8", field="bits")
        return cls(size=len(raw) * 8 // bits, bits=bits, data=raw)


RECALL_REASON_CHARS = 120  # a recall's reason in the list, per language; the full text is online


@dataclass(frozen=True)
class RecallSummary:
    """A recall as the status list carries it: the day and the reason, short, in English and Bangla."""

    on: date
    reason_en: str
    reason_bn: str

    @classmethod
    def short(cls, on: date, reason_en: str, reason_bn: str) -> RecallSummary:
        return cls(on, shorten(reason_en), shorten(reason_bn))

    def to_json(self) -> dict[str, Any]:
        return {"on": day_number(self.on), "en": self.reason_en, "bn": self.reason_bn}

    @classmethod
    def from_json(cls, data: Any) -> RecallSummary:
        if not isinstance(data, Mapping):
            raise RecordFormatError("a recall is an object with 'on', 'en' and 'bn'", field="recalls")
        return cls(EPOCH + timedelta(days=int(data["on"])), str(data["en"]), str(data["bn"]))


def shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= RECALL_REASON_CHARS else text[: RECALL_REASON_CHARS - 1].rstrip() + "…"


@dataclass(frozen=True)
class GTINRecalls:
    """The recalls of one GTIN: the whole product, batches by prefix, units by serial."""

    product: RecallSummary | None = None
    batches: dict[str, RecallSummary] = field(default_factory=dict)
    units: dict[str, RecallSummary] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.product is not None:
            data["product"] = self.product.to_json()
        if self.batches:
            data["batches"] = {prefix: r.to_json() for prefix, r in sorted(self.batches.items())}
        if self.units:
            data["units"] = {serial: r.to_json() for serial, r in sorted(self.units.items())}
        return data

    @classmethod
    def from_json(cls, data: Any) -> GTINRecalls:
        if not isinstance(data, Mapping):
            raise RecordFormatError("recalls of a GTIN is an object", field="recalls")
        product = data.get("product")
        return cls(
            product=RecallSummary.from_json(product) if product is not None else None,
            batches={str(k): RecallSummary.from_json(v) for k, v in data.get("batches", {}).items()},
            units={str(k): RecallSummary.from_json(v) for k, v in data.get("units", {}).items()},
        )


NO_RECALLS = GTINRecalls()


class RecalledError(VerificationError):
    """``recalled``: the label is genuine, and what it names is recalled; ``recall`` is the list's summary
    (``None`` for a unit listed only in ``recalled_units``)."""

    code = "verification.recalled"

    def __init__(self, what: str, *, reason: Reason, recall: RecallSummary | None) -> None:
        detail = f"{what} has been recalled"
        if recall is not None:
            detail += f" (on {recall.on.isoformat()}): {recall.reason_en} / {recall.reason_bn}"
        super().__init__(detail + "; the registry's page for this label says what to do", reason=reason)
        self.recall = recall


@dataclass(frozen=True)
class StatusSnapshot:
    """The registry's revocation state at one moment, as published in (and verified from) a status list."""

    uri: str
    statuses: StatusList
    gtin_index: dict[str, int] = field(default_factory=dict)
    batch_index: dict[str, dict[str, int]] = field(default_factory=dict)
    batch_days: dict[str, dict[str, int]] = field(default_factory=dict)
    recalled_units: dict[str, frozenset[str]] = field(default_factory=dict)
    recalls: dict[str, GTINRecalls] = field(default_factory=dict)
    issued_at: datetime | None = None
    expires_at: datetime | None = None

    def check_product(self, gtin: str) -> None:
        """Raise :class:`VerificationError` unless the list has the product and its licence is in force."""
        index = self.gtin_index.get(gtin)
        if index is None:
            raise VerificationError(
                f"the status list has no product with GTIN {gtin}: it is not registered, or it was registered "
                "after this list was published",
                reason=Reason.PRODUCT_NOT_REGISTERED,
            )
        value = self.statuses.get(index)
        if value == StatusValue.INVALID:
            raise VerificationError("the product's licence has been revoked", reason=Reason.LICENCE_REVOKED)
        if value == StatusValue.SUSPENDED:
            raise VerificationError("the product's licence is suspended", reason=Reason.LICENCE_SUSPENDED)
        if value == StatusValue.EXPIRED:
            raise VerificationError("the product's licence has expired", reason=Reason.LICENCE_EXPIRED)

    def check_unit(self, gtin: str, serial: str, *, compromised_after: datetime | None = None) -> None:
        """Raise :class:`VerificationError` unless the serial's batch is listed and in force (recalls: see
        :meth:`check_recalls`).

        ``compromised_after``: the label was signed by a key that is compromised since then (and is dated
        before it).  Then a signature proves nothing, so the list must vouch for the serial, and it can do
        so only in part: a batch created on or after the day of the compromise is refused, and a serial of
        an older batch can only be checked online (the list does not carry the batches' secrets).
        """
        batches = self.batch_index.get(gtin, {})
        prefix = next((prefix for prefix in batches if serial.startswith(prefix)), None)
        if prefix is None:
            raise VerificationError(
                f"no batch of GTIN {gtin} in the status list issued serial {serial}",
                reason=Reason.SERIAL_NOT_ISSUED,
            )
        value = self.statuses.get(batches[prefix])
        if value == StatusValue.SUSPENDED:
            raise VerificationError(f"batch {prefix} is suspended", reason=Reason.BATCH_SUSPENDED)
        if value != StatusValue.VALID:
            raise VerificationError(f"batch {prefix} has been revoked", reason=Reason.BATCH_REVOKED)
        if compromised_after is not None:
            created = self.batch_days.get(gtin, {}).get(prefix)
            if created is not None and end_of_day(EPOCH + timedelta(days=created)) > compromised_after:
                raise VerificationError(
                    f"batch {prefix} was created on {(EPOCH + timedelta(days=created)).isoformat()}, not before "
                    f"the day the key that signed this label was compromised ({format_time(compromised_after)})",
                    reason=Reason.BATCH_AFTER_COMPROMISE,
                )
        if compromised_after is not None:
            raise VerificationError(
                f"signed by a key compromised since {format_time(compromised_after)}: whether batch {prefix} "
                "issued this serial can only be checked online",
                reason=Reason.CHECK_ONLINE,
            )

    def check_recalls(self, gtin: str, serial: str | None) -> None:
        """Raise :class:`RecalledError` if the product, the serial's batch or the unit is recalled (in that
        order; call it once the label is known to be genuine)."""
        recalls = self.recalls.get(gtin, NO_RECALLS)
        if recalls.product is not None:
            raise RecalledError("this product", reason=Reason.PRODUCT_RECALLED, recall=recalls.product)
        if serial is None:
            return
        prefix = next((prefix for prefix in recalls.batches if serial.startswith(prefix)), None)
        if prefix is not None:
            raise RecalledError(
                f"batch {prefix}", reason=Reason.BATCH_RECALLED, recall=recalls.batches[prefix]
            )
        if serial in recalls.units or serial in self.recalled_units.get(gtin, frozenset()):
            raise RecalledError(
                f"unit {serial}", reason=Reason.UNIT_RECALLED, recall=recalls.units.get(serial)
            )

    def to_claims(self) -> dict[str, Any]:
        return {
            "status_list": self.statuses.to_json(),
            "gtin_index": dict(sorted(self.gtin_index.items())),
            "batch_index": {
                gtin: dict(sorted(batches.items())) for gtin, batches in sorted(self.batch_index.items())
            },
            "batch_days": {
                gtin: dict(sorted(days.items())) for gtin, days in sorted(self.batch_days.items())
            },
            "recalled_units": {
                gtin: sorted(serials) for gtin, serials in sorted(self.recalled_units.items())
            },
            "recalls": {gtin: recalls.to_json() for gtin, recalls in sorted(self.recalls.items())},
        }


def sign_status_list(snapshot: StatusSnapshot, signer: Signer, *, now: datetime, ttl: timedelta) -> str:
    """The Status List Token (compact JWS) for ``snapshot``, valid from ``now`` for ``ttl``."""
    issued = int(now.timestamp())
    payload = {
        "sub": snapshot.uri,
        "iat": issued,
        "exp": issued + int(ttl.total_seconds()),
        "ttl": int(ttl.total_seconds()),
        **snapshot.to_claims(),
    }
    header = {"alg": "EdDSA", "kid": signer.kid, "typ": STATUS_LIST_TYPE}
    signing_input = encode_b64url(canonicalize(header)) + "." + encode_b64url(canonicalize(payload))
    return signing_input + "." + encode_b64url(signer.sign(signing_input.encode("ascii")))


def invalid(detail: str) -> VerificationError:
    return VerificationError(f"status list: {detail}", reason=Reason.STATUS_LIST_INVALID)


def load_status_list(
    token: str | bytes, jwks: KeyRing | Mapping[str, Any], *, now: datetime | None = None
) -> StatusSnapshot:
    """Verify a Status List Token and return what it says; raise :class:`VerificationError` otherwise.

    Steps:
    1. split the compact JWS and parse header and payload;
    2. require ``typ`` ``statuslist+jwt`` and ``alg`` ``EdDSA``;
    3. find the key by ``kid`` and check it was trusted at ``iat``;
    4. check the Ed25519 signature over the JWS signing input;
    5. refuse a list past its ``exp`` (``unknown``: fetch a fresh one);
    6. parse the status list and the registry's index claims.
    """
    # 1.
    text = token.decode("ascii", "replace") if isinstance(token, bytes) else token
    parts = text.strip().split(".")
    if len(parts) != 3:
        raise invalid("not a compact JWS")
    try:
        header = json.loads(decode_b64url(parts[0]))
        payload = json.loads(decode_b64url(parts[1]))
        signature = decode_b64url(parts[2])
    except ValueError as exc:
        raise invalid("header, payload or signature is not base64url JSON") from exc
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise invalid("header and payload must be JSON objects")
    # 2.
    if header.get("typ") != STATUS_LIST_TYPE or header.get("alg") != "EdDSA":
        raise invalid(f"typ must be {STATUS_LIST_TYPE} and alg EdDSA")
    issued_at = payload.get("iat")
    if not isinstance(issued_at, int) or not isinstance(header.get("kid"), str):
        raise invalid("kid and iat are required")
    # 3. and 4.
    try:
        key = coerce_keyring(jwks).find(header["kid"])
        key.check_trusted_at(datetime.fromtimestamp(issued_at, UTC))
        key.verify_signature(signature, f"{parts[0]}.{parts[1]}".encode("ascii"))
    except VerificationError as exc:
        raise invalid(str(exc)) from exc
    # 5.
    expires = payload.get("exp")
    moment = now or datetime.now(UTC)
    if isinstance(expires, int) and moment.timestamp() > expires:
        raise VerificationError(
            "the status list has expired; fetch a fresh one", reason=Reason.STATUS_LIST_EXPIRED
        )
    # 6.
    try:
        statuses = StatusList.from_json(payload.get("status_list"))
        gtin_index = {str(gtin): int(index) for gtin, index in payload.get("gtin_index", {}).items()}
        batch_index = {
            str(gtin): {str(prefix): int(index) for prefix, index in batches.items()}
            for gtin, batches in payload.get("batch_index", {}).items()
        }
        batch_days = {
            str(gtin): {str(prefix): int(day) for prefix, day in days.items()}
            for gtin, days in payload.get("batch_days", {}).items()
        }
        recalled = {
            str(gtin): frozenset(map(str, serials))
            for gtin, serials in payload.get("recalled_units", {}).items()
        }
        recalls = {
            str(gtin): GTINRecalls.from_json(data) for gtin, data in payload.get("recalls", {}).items()
        }
    except (RecordFormatError, AttributeError, KeyError, TypeError, ValueError, OverflowError) as exc:
        raise invalid(f"malformed claims: {exc}") from exc
    indexes = list(gtin_index.values()) + [
        index for batches in batch_index.values() for index in batches.values()
    ]
    if any(not 0 <= index < statuses.size for index in indexes):
        raise invalid("an index points outside the status list")
    return StatusSnapshot(
        uri=str(payload.get("sub", "")),
        statuses=statuses,
        gtin_index=gtin_index,
        batch_index=batch_index,
        batch_days=batch_days,
        recalled_units=recalled,
        recalls=recalls,
        issued_at=datetime.fromtimestamp(issued_at, UTC),
        expires_at=datetime.fromtimestamp(expires, UTC) if isinstance(expires, int) else None,
    )
