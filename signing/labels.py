"""Label URLs: GS1 Digital Link URIs on the registry's host with a compact Ed25519 signature parameter.

A unit label is ``https://<HOST>/01/<GTIN-14>/21/<serial>?s=<signature parameter>``; a product label without
serials is ``https://<HOST>/01/<GTIN-14>``.  The signature parameter is 71 bytes written as one big-endian
unsigned integer in exactly 171 decimal digits (QR numeric mode packs digits at 3.33 bits each, tighter than
base32 in alphanumeric mode; the host and path are upper case so they pack in alphanumeric mode)::

    key tag (5 bytes: first bytes of the RFC 7638 key id) || issue day (uint16 BE, days since 1970-01-01)
    || Ed25519 signature (64 bytes)

The signature is over a COSE ``Sig_structure`` (RFC 9052 section 4.4, deterministic CBOR, RFC 8949 section
4.2.1)::

    ["Signature1", bstr({1: -8, 4: key tag}), h'', bstr({1: host, 2: GTIN-14, 3: serial, 4: 1004(date)})]

where ``host`` is the lower-case host (with its port unless 80/443) and key 3 is left out for product labels.
The scheme is not signed, so ``http`` and ``https`` spellings verify alike.  See docs/formats.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from gs1.digital_link import check_serial, format_digital_link, normalize_host, parse_digital_link
from gs1.errors import LabelURLError
from gs1.gtin import normalize_gtin
from signing.errors import Reason, VerificationError
from signing.keys import (
    KEY_TAG_BYTES,
    KeyRing,
    PublishedKey,
    Signer,
    check_not_future,
    coerce_keyring,
    verify_signatures,
)

if TYPE_CHECKING:
    from signing.status import StatusSnapshot

__all__ = [
    "SIGNATURE_PARAMETER",
    "LabelURL",
    "encode_to_be_signed",
    "issue_label_url",
    "issue_label_urls",
    "issue_product_url",
    "parse_label_url",
    "verify_label_url",
    "verify_label_urls",
]

SIGNATURE_PARAMETER = "s"
_EPOCH = date(1970, 1, 1)
_PARAMETER_BYTES = KEY_TAG_BYTES + 2 + 64
_PARAMETER_DIGITS = len(str(1 << 8 * _PARAMETER_BYTES))
_PARAMETER_LIMIT = 1 << 8 * _PARAMETER_BYTES


# ---------------------------------------------------------------------------------------------- CBOR


def encode_cbor_head(major: int, length: int) -> bytes:
    if length < 24:
        return bytes((major << 5 | length,))
    if length < 0x100:
        return bytes((major << 5 | 24, length))
    if length < 0x10000:
        return bytes((major << 5 | 25,)) + length.to_bytes(2, "big")
    raise LabelURLError("label field too long")


def encode_cbor_text(text: str) -> bytes:
    data = text.encode("utf-8")
    return encode_cbor_head(3, len(data)) + data


def encode_protected_header(key_tag: bytes) -> bytes:
    """``{1: -8 (EdDSA), 4: key tag}`` as deterministic CBOR."""
    return b"\xa2\x01\x27\x04" + encode_cbor_head(2, len(key_tag)) + key_tag


def encode_to_be_signed(host: str, gtin: str, serial: str | None, issued_on: date, key_tag: bytes) -> bytes:
    """The exact bytes an issuing key signs for one label (a COSE Sig_structure, deterministic CBOR)."""
    payload = b"".join(
        (
            b"\xa4" if serial is not None else b"\xa3",
            b"\x01",
            encode_cbor_text(host),
            b"\x02",
            encode_cbor_text(gtin),
            b"\x03" + encode_cbor_text(serial) if serial is not None else b"",
            b"\x04\xd9\x03\xec\x6a",  # 4: tag 1004 (RFC 8943 full-date), text of 10 bytes
            issued_on.isoformat().encode("ascii"),
        )
    )
    protected = encode_protected_header(key_tag)
    return b"".join(
        (
            b"\x84\x6aSignature1",
            encode_cbor_head(2, len(protected)),
            protected,
            b"\x40",
            encode_cbor_head(2, len(payload)),
            payload,
        )
    )


# ---------------------------------------------------------------------------------------------- model


def encode_day(issued_on: date) -> bytes:
    days = (issued_on - _EPOCH).days
    if not 0 <= days < 0x10000:
        raise LabelURLError(f"issue date {issued_on} is out of range", field="issued_on")
    return days.to_bytes(2, "big")


def encode_signature_parameter(key_tag: bytes, issued_on: date, signature: bytes) -> str:
    """``key tag || day || signature`` as exactly 171 decimal digits."""
    return str(int.from_bytes(key_tag + encode_day(issued_on) + signature, "big")).zfill(_PARAMETER_DIGITS)


@dataclass(frozen=True)
class LabelURL:
    """A parsed label URL.  ``host`` is normalised (lower case); ``gtin`` is always a GTIN-14."""

    host: str
    gtin: str
    serial: str | None = None
    lot: str | None = None
    key_tag: bytes | None = None
    issued_on: date | None = None
    signature: bytes | None = None

    @property
    def is_signed(self) -> bool:
        return self.signature is not None

    def to_be_signed(self) -> bytes:
        if self.key_tag is None or self.issued_on is None:
            raise LabelURLError("this label URL carries no signature", field=SIGNATURE_PARAMETER)
        return encode_to_be_signed(self.host, self.gtin, self.serial, self.issued_on, self.key_tag)

    def product_url(self, scheme: str = "https") -> str:
        """The product-level URL ``/01/<GTIN-14>`` on the same host."""
        return f"{scheme}://{self.host}/01/{self.gtin}"

    def to_url(self) -> str:
        """The canonical spelling, as :func:`issue_label_url` prints it."""
        url = format_digital_link(self.host, self.gtin, self.serial)
        if self.signature is not None:
            assert self.key_tag is not None and self.issued_on is not None
            url += f"?{SIGNATURE_PARAMETER}=" + encode_signature_parameter(
                self.key_tag, self.issued_on, self.signature
            )
        return url


def decode_signature_parameter(value: str) -> tuple[bytes, date, bytes]:
    if len(value) != _PARAMETER_DIGITS or not value.isascii() or not value.isdigit():
        raise LabelURLError(f"signature parameter must be {_PARAMETER_DIGITS} digits", field="s")
    number = int(value)
    if number >= _PARAMETER_LIMIT:
        raise LabelURLError("signature parameter is out of range", field="s")
    raw = number.to_bytes(_PARAMETER_BYTES, "big")
    key_tag = raw[:KEY_TAG_BYTES]
    issued_on = _EPOCH + timedelta(days=int.from_bytes(raw[KEY_TAG_BYTES : KEY_TAG_BYTES + 2], "big"))
    return key_tag, issued_on, raw[KEY_TAG_BYTES + 2 :]


def parse_label_url(url: str) -> LabelURL:
    """Parse any GS1 Digital Link spelling of a label URL (``gs1.digital_link``) and its signature parameter;
    raise :class:`LabelURLError` if it is malformed. Other query parameters (GS1 data attributes) are ignored.
    """
    link = parse_digital_link(url)
    signature_values = [pair[2:] for pair in link.query.split("&") if pair[:2] in ("s=", "S=")]
    if len(signature_values) > 1:
        raise LabelURLError("the signature parameter appears twice", field="s")
    key_tag: bytes | None = None
    issued_on: date | None = None
    signature: bytes | None = None
    if signature_values:
        key_tag, issued_on, signature = decode_signature_parameter(signature_values[0])
    return LabelURL(
        host=link.host,
        gtin=link.gtin,
        serial=link.serial,
        lot=link.lot,
        key_tag=key_tag,
        issued_on=issued_on,
        signature=signature,
    )


# ---------------------------------------------------------------------------------------------- issue


def issue_label_url(
    host: str, gtin14: str, serial: str | None, issued_on: date, signer: Signer, *, scheme: str = "https"
) -> str:
    """The signed label URL for one unit (or, with ``serial=None``, a signed product label).

    ``scheme`` is ``https`` (always lower case) except for a local demo server that speaks plain ``http``;
    it is not signed.
    """
    return issue_label_urls(host, gtin14, [serial], issued_on, signer, scheme=scheme)[0]


def issue_label_urls(
    host: str,
    gtin14: str,
    serials: Iterable[str | None],
    issued_on: date,
    signer: Signer,
    *,
    scheme: str = "https",
) -> list[str]:
    """Signed label URLs for many units of one product issued on one day (the fast path for batches)."""
    host = normalize_host(host)
    gtin = normalize_gtin(gtin14)
    key_tag = signer.key_tag
    if scheme not in ("https", "http"):
        raise LabelURLError("a label URL's scheme is https (or http for a local demo)", field="scheme")
    head = key_tag + encode_day(issued_on)
    paths = []
    messages = []
    for serial in serials:
        if serial is not None:
            check_serial(serial)
        messages.append(encode_to_be_signed(host, gtin, serial, issued_on, key_tag))
        paths.append(format_digital_link(host, gtin, serial, scheme=scheme))
    signatures = signer.sign_many(messages)  # all at once: one native call when the key is in memory
    return [
        f"{path}?{SIGNATURE_PARAMETER}={str(int.from_bytes(head + signature, 'big')).zfill(_PARAMETER_DIGITS)}"
        for path, signature in zip(paths, signatures, strict=True)
    ]


def issue_product_url(host: str, gtin14: str, *, scheme: str = "https") -> str:
    """The unsigned product-level URL ``https://<HOST>/01/<GTIN-14>`` (no unit authenticity)."""
    return format_digital_link(normalize_host(host), normalize_gtin(gtin14), scheme=scheme)


# ---------------------------------------------------------------------------------------------- verify


def verify_label_url(
    url: str | LabelURL,
    jwks: KeyRing | Mapping[str, Any],
    status: StatusSnapshot | None = None,
    *,
    now: datetime | None = None,
) -> None:
    """Return ``None`` if the registry issued ``url`` and nothing known withdraws it; raise otherwise.

    ``url`` may be a string or an already parsed :class:`LabelURL`.  Raises :class:`VerificationError`,
    whose ``reason`` says why and ``verdict`` what to tell a consumer.  ``now`` (default: the clock) is the
    moment against which a future issue date is judged.

    Steps:
    1. parse the URL (any accepted spelling) — malformed is ``not_genuine``;
    2. a label without a signature proves nothing about a unit (``unknown``; ``not_genuine`` if it names a
       serial, because every unit label the registry issues is signed);
    3. find the key by its tag in the published keys — none is ``untrusted_key``;
    4. check that the key was trusted on the issue day (not retired before, not compromised) — else
       ``untrusted_key``; an issue day later than ``now`` plus :data:`~signing.keys.CLOCK_TOLERANCE` is
       ``not_genuine`` (``future_dated``);
    5. check the Ed25519 signature over the COSE Sig_structure — else ``not_genuine``;
    6. if a verified status list is given, it must list the product (else ``unknown``) and the serial's
       batch (else ``not_genuine``), and the licence and the batch must not be withdrawn; for a key that is
       compromised since after the issue day, see :meth:`StatusSnapshot.check_unit`; then a recalled product,
       batch or unit is ``recalled``.

    Without a status list, step 6 is left out: callers that have no other source of status (the offline
    verifier) must not call the result genuine.
    """
    label, key, signature = check_label_before_signature(url, jwks, now=now)
    # 5.
    key.verify_signature(signature, label.to_be_signed())
    # 6.
    if status is not None:
        check_label_status(label, status, key)


def verify_label_urls(
    urls: Iterable[str | LabelURL],
    jwks: KeyRing | Mapping[str, Any],
    status: StatusSnapshot | None = None,
    *,
    now: datetime | None = None,
) -> list[VerificationError | None]:
    """:func:`verify_label_url` for many URLs: one entry per URL, ``None`` if it is genuine and in force,
    otherwise the :class:`VerificationError` that :func:`verify_label_url` would raise for it.

    The signatures of all URLs that get to step 5 are checked together (batch verification when the native
    Ed25519 module is installed), which is what makes bulk offline checks fast.  A JWKS document is read once,
    before any URL: if it is malformed, :class:`RecordFormatError` is raised.
    """
    keyring = coerce_keyring(jwks)
    moment = now or datetime.now(UTC)
    results: list[VerificationError | None] = []
    pending: list[tuple[int, LabelURL, PublishedKey]] = []
    checks: list[tuple[PublishedKey, bytes, bytes]] = []
    for url in urls:
        try:
            label, key, signature = check_label_before_signature(url, keyring, now=moment)
        except VerificationError as exc:
            results.append(exc)
            continue
        pending.append((len(results), label, key))
        checks.append((key, signature, label.to_be_signed()))
        results.append(None)
    for (index, label, key), valid in zip(pending, verify_signatures(checks), strict=True):
        try:
            if not valid:  # 5.
                raise VerificationError("the signature does not match", reason=Reason.BAD_SIGNATURE)
            if status is not None:  # 6.
                check_label_status(label, status, key)
        except VerificationError as exc:
            results[index] = exc
    return results


def check_label_before_signature(
    url: str | LabelURL, jwks: KeyRing | Mapping[str, Any], *, now: datetime | None = None
) -> tuple[LabelURL, PublishedKey, bytes]:
    """Steps 1 to 4 of :func:`verify_label_url`: the parsed label, the key that must have signed it and the
    signature to check."""
    # 1.
    if isinstance(url, LabelURL):
        label = url
    else:
        try:
            label = parse_label_url(url)
        except LabelURLError as exc:
            raise VerificationError(f"malformed label URL: {exc}", reason=Reason.MALFORMED) from exc
    # 2.
    if label.signature is None or label.key_tag is None or label.issued_on is None:
        if label.serial is not None:
            raise VerificationError("a unit label without a signature", reason=Reason.BAD_SIGNATURE)
        raise VerificationError(
            "a product label proves nothing about a unit", reason=Reason.NO_UNIT_SIGNATURE
        )
    # 3.
    key = coerce_keyring(jwks).find_by_tag(label.key_tag)
    # 4.
    key.check_trusted_at(label.issued_on)
    check_not_future(label.issued_on, now or datetime.now(UTC))
    return label, key, label.signature


def check_label_status(label: LabelURL, status: StatusSnapshot, key: PublishedKey) -> None:
    """Step 6 of :func:`verify_label_url`: a verified status list vouches for the label (signed by ``key``)."""
    status.check_product(label.gtin)
    if label.serial is not None:
        status.check_unit(label.gtin, label.serial, compromised_after=key.compromised_after)
    status.check_recalls(label.gtin, label.serial)
