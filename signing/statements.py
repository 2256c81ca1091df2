"""Compliance statements: what the registry found when it checked a bidder's list against a tender's rules,
as signed RFC 8785 JSON, and the short signed link printed as a QR code on the statement's PDF.

A signed statement is ``{"statement": {...}, "signature": "<base64url Ed25519 signature>"}``; the signature
is over the RFC 8785 canonical bytes of ``statement`` alone (as for authenticity records).  What the lines
say is the procurement package's business; this module checks the envelope: ``type``, ``version``, ``id``,
``url``, ``kid``, ``issued_at``, ``bid_date``, ``checked_at`` and a ``lines`` array.

A statement is a dated attestation ("as of the bid date, checked at ..."): a product suspended or revoked
later does not make it untrue, so verifying one needs no status list.  Its live status is at its ``url``.

The link is ``<url>?t=<issue day>&k=<key tag>&d=<digest>&s=<signature>``: ``d`` is the SHA-256 of the
statement's canonical bytes, ``s`` an Ed25519 signature over the canonical JSON
``{"d": d, "t": day, "type": "mib.compliance-statement-link", "url": url}``: the URL alone proves
that the registry issued the statement with that digest (``python -m signing verify <link>``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from gs1.errors import LabelURLError
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
from signing.records import (
    load_signed_json,
    parse_day,
    parse_instant,
    parse_signature,
    require,
    require_text,
)

STATEMENT_TYPE = "mib.compliance-statement"
STATEMENT_VERSION = 1
LINK_TYPE = "mib.compliance-statement-link"
_REQUIRED = ("type", "version", "id", "url", "kid", "issued_at", "bid_date", "checked_at", "lines")

__all__ = [
    "STATEMENT_TYPE",
    "SignedStatement",
    "StatementLink",
    "parse_statement_link",
    "sign_statement",
    "statement_link",
    "verify_statement",
    "verify_statement_link",
]


@dataclass(frozen=True)
class SignedStatement:
    statement: dict[str, Any]
    signature: bytes

    @property
    def id(self) -> str:
        return str(self.statement["id"])

    @property
    def kid(self) -> str:
        return str(self.statement["kid"])

    @property
    def issued_at(self) -> datetime:
        return parse_instant(self.statement, "issued_at")

    @property
    def digest(self) -> str:
        return encode_b64url(hashlib.sha256(canonicalize(self.statement)).digest())

    def to_json(self) -> dict[str, Any]:
        return {"statement": self.statement, "signature": encode_b64url(self.signature)}

    def to_bytes(self) -> bytes:
        return canonicalize(self.to_json())

    @classmethod
    def from_json(cls, data: Any) -> SignedStatement:
        """Parse a signed statement (mapping, JSON text or bytes); checks its envelope, not its signature."""
        data = load_signed_json(data, "statement")
        statement = data["statement"]
        check_envelope(statement)
        signature = parse_signature(data["signature"])
        return cls(dict(statement), signature)


def is_statement(data: Any) -> bool:
    return isinstance(data, Mapping) and "statement" in data


def check_envelope(statement: Any) -> None:
    if not isinstance(statement, Mapping):
        raise RecordFormatError("statement must be a JSON object", field="statement")
    missing = [name for name in _REQUIRED if name not in statement]
    if missing:
        raise RecordFormatError(f"statement.{missing[0]} is missing", field=f"statement.{missing[0]}")
    if statement["type"] != STATEMENT_TYPE:
        raise RecordFormatError(f"statement.type must be {STATEMENT_TYPE!r}", field="statement.type")
    if statement["version"] != STATEMENT_VERSION or isinstance(statement["version"], bool):
        raise RecordFormatError("unsupported statement version", field="statement.version")
    for name in ("id", "url", "kid"):
        require_text(statement, name, "statement.")
    if not str(statement["url"]).startswith("https://") and not str(statement["url"]).startswith("http://"):
        raise RecordFormatError("statement.url must be an http(s) URL", field="statement.url")
    parse_instant(statement, "issued_at")
    parse_instant(statement, "checked_at")
    parse_day(statement, "bid_date", "statement.")
    require(statement, "lines", list, "statement.")


def sign_statement(
    content: Mapping[str, Any], signer: Signer, *, issued_at: datetime | None = None
) -> SignedStatement:
    """Stamp ``content`` (``id``, ``url``, ``bid_date``, ``checked_at``, ``lines``, anything else) with the
    type, version, key id and issue time, and sign its canonical bytes."""
    moment = (issued_at or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    statement = {
        **content,
        "type": STATEMENT_TYPE,
        "version": STATEMENT_VERSION,
        "kid": signer.kid,
        "issued_at": format_time(moment),
    }
    check_envelope(statement)
    return SignedStatement(statement, signer.sign(canonicalize(statement)))


def verify_statement(
    signed: SignedStatement | Mapping[str, Any] | str | bytes,
    jwks: KeyRing | Mapping[str, Any],
    *,
    now: datetime | None = None,
) -> SignedStatement:
    """Return the statement if the registry signed it with a key trusted when it was issued; else raise
    :class:`VerificationError`.

    1. parse the envelope; 2. find the key by ``kid``; 3. the key was trusted at ``issued_at``, which is not
    in the future; 4. the Ed25519 signature over the statement's canonical bytes; 5. a key compromised since
    proves nothing (``check_online``: open the statement's ``url``)."""
    # 1.
    if not isinstance(signed, SignedStatement):
        try:
            signed = SignedStatement.from_json(signed)
        except RecordFormatError as exc:
            raise VerificationError(
                f"not a well-formed signed statement: {exc}", reason=Reason.MALFORMED
            ) from exc
    # 2.
    key = coerce_keyring(jwks).find(signed.kid)
    # 3.
    key.check_trusted_at(signed.issued_at)
    check_not_future(signed.issued_at, now or datetime.now(UTC))
    # 4.
    key.verify_signature(signed.signature, canonicalize(signed.statement))
    # 5.
    if key.compromised_after is not None:
        raise VerificationError(
            f"signed by key {key.kid}, compromised since {format_time(key.compromised_after)}: open "
            f"{signed.statement['url']} for the statement as the registry holds it",
            reason=Reason.CHECK_ONLINE,
        )
    return signed


@dataclass(frozen=True)
class StatementLink:
    """The QR code's URL: a statement's page plus the proof that the registry issued that statement."""

    url: str
    issued_on: date
    key_tag: bytes
    digest: str
    signature: bytes

    def payload(self) -> bytes:
        return canonicalize(
            {"d": self.digest, "t": self.issued_on.isoformat(), "type": LINK_TYPE, "url": self.url}
        )

    def to_url(self) -> str:
        query = urlencode(
            {
                "t": self.issued_on.isoformat(),
                "k": encode_b64url(self.key_tag),
                "d": self.digest,
                "s": encode_b64url(self.signature),
            }
        )
        return f"{self.url}?{query}"


def statement_link(signed: SignedStatement, signer: Signer) -> StatementLink:
    url = str(signed.statement["url"])
    unsigned = StatementLink(url, signed.issued_at.date(), signer.key_tag, signed.digest, b"")
    return StatementLink(
        url, unsigned.issued_on, signer.key_tag, signed.digest, signer.sign(unsigned.payload())
    )


def parse_statement_link(text: str) -> StatementLink:
    """Parse a statement link; :class:`LabelURLError` when ``text`` is not one."""
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or "/statements/" not in parts.path:
        raise LabelURLError("not a compliance statement link")
    query = parse_qs(parts.query, strict_parsing=False)
    if sorted(query) != ["d", "k", "s", "t"] or any(len(v) != 1 for v in query.values()):
        raise LabelURLError("a statement link carries exactly t, k, d and s")
    try:
        issued_on = date.fromisoformat(query["t"][0])
        key_tag = decode_b64url(query["k"][0])
        signature = decode_b64url(query["s"][0])
        digest = query["d"][0]
        if len(decode_b64url(digest)) != 32 or len(signature) != 64:
            raise ValueError("wrong length")
    except ValueError as exc:
        raise LabelURLError(f"malformed statement link: {exc}") from exc
    url = f"{parts.scheme}://{parts.netloc}{parts.path}"
    return StatementLink(url, issued_on, key_tag, digest, signature)


def verify_statement_link(
    link: StatementLink | str, jwks: KeyRing | Mapping[str, Any], *, now: datetime | None = None
) -> StatementLink:
    """Return the link if the registry signed it (key trusted on its issue day); else raise
    :class:`VerificationError`.  With the statement file at hand, compare its digest with ``link.digest``."""
    if isinstance(link, str):
        try:
            link = parse_statement_link(link)
        except LabelURLError as exc:
            raise VerificationError(str(exc), reason=Reason.MALFORMED) from exc
    key = coerce_keyring(jwks).find_by_tag(link.key_tag)
    key.check_trusted_at(link.issued_on)
    check_not_future(link.issued_on, now or datetime.now(UTC))
    key.verify_signature(link.signature, link.payload())
    if key.compromised_after is not None:
        raise VerificationError(
            f"signed by key {key.kid}, compromised since {format_time(key.compromised_after)}: open the link",
            reason=Reason.CHECK_ONLINE,
        )
    return link
