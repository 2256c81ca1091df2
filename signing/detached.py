"""Detached signatures over whole files (the open data snapshots): a JWS with a detached payload.

The signature file is a compact JWS (RFC 7515) whose payload part is left empty (RFC 7515, Appendix F):
``BASE64URL(header) + ".." + BASE64URL(signature)``.  The signature is the same Ed25519 signature over the
same kind of JWS signing input as the status list's (``signing.status.sign_status_list``), with the file's
bytes as the payload: ``BASE64URL(header) + "." + BASE64URL(file bytes)``.  The protected header is RFC 8785
canonical JSON: ``alg`` ``EdDSA``, ``typ`` :data:`DETACHED_TYPE`, ``kid`` (a key of ``/.well-known/jwks.json``),
``iat`` (seconds since 1970), and ``name`` (the file's published name, e.g. ``2026-12-06/catalogue.csv``), so
a signature cannot be passed off for another file or another day.

Any JOSE library verifies it by putting the payload back (``header.BASE64URL(file).signature``); the Python
recipe in docs/formats.md needs only ``cryptography``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from signing.canonical import canonicalize
from signing.errors import Reason, VerificationError
from signing.keys import KeyRing, Signer, coerce_keyring, decode_b64url, encode_b64url, format_time

__all__ = ["DETACHED_TYPE", "sign_detached", "verify_detached"]

DETACHED_TYPE = "mib-open-data+jws"


def sign_detached(data: bytes, signer: Signer, *, name: str, now: datetime) -> str:
    """The detached JWS of ``data`` published as ``name``."""
    header = {
        "alg": "EdDSA",
        "iat": int(now.timestamp()),
        "kid": signer.kid,
        "name": name,
        "typ": DETACHED_TYPE,
    }
    protected = encode_b64url(canonicalize(header))
    signing_input = (protected + "." + encode_b64url(data)).encode("ascii")
    return protected + ".." + encode_b64url(signer.sign(signing_input))


def _malformed(detail: str) -> VerificationError:
    return VerificationError(f"detached signature: {detail}", reason=Reason.MALFORMED)


def verify_detached(
    data: bytes, jws: str | bytes, jwks: KeyRing | Mapping[str, Any], *, name: str | None = None
) -> dict[str, Any]:
    """Return the protected header if ``jws`` is the registry's signature of ``data``; raise
    :class:`VerificationError` otherwise.

    Steps:
    1. split the compact JWS: three parts, the middle one empty (a detached payload);
    2. parse the header: ``alg`` ``EdDSA``, ``typ`` :data:`DETACHED_TYPE`, a ``kid``, an integer ``iat``
       and a ``name``;
    3. if ``name`` is given, the header must name the same file;
    4. find the key by ``kid`` and check it was trusted at ``iat`` (not retired before, not compromised);
    5. check the Ed25519 signature over ``header "." BASE64URL(data)``;
    6. a key compromised since proves nothing about the file (whoever holds it can sign with any ``iat``):
       ``untrusted_key`` / ``key_compromised`` — the registry re-signs its files under the new key
       (``flask stats resign``), so fetch the signature again.
    """
    # 1.
    text = jws.decode("ascii", "replace") if isinstance(jws, bytes) else jws
    parts = text.strip().split(".")
    if len(parts) != 3 or parts[1] != "":
        raise _malformed("not a compact JWS with a detached payload (header..signature)")
    # 2.
    try:
        header = json.loads(decode_b64url(parts[0]))
        signature = decode_b64url(parts[2])
    except ValueError as exc:
        raise _malformed("the header or the signature is not base64url JSON") from exc
    if not isinstance(header, dict) or header.get("alg") != "EdDSA" or header.get("typ") != DETACHED_TYPE:
        raise _malformed(f"the header must say alg EdDSA and typ {DETACHED_TYPE}")
    issued_at, kid, signed_name = header.get("iat"), header.get("kid"), header.get("name")
    if not isinstance(issued_at, int) or isinstance(issued_at, bool) or not isinstance(kid, str):
        raise _malformed("the header needs kid and an integer iat")
    if not isinstance(signed_name, str):
        raise _malformed("the header needs the file's name")
    # 3.
    if name is not None and signed_name != name:
        raise VerificationError(
            f"the signature is for {signed_name!r}, not {name!r}", reason=Reason.BAD_SIGNATURE
        )
    # 4.
    key = coerce_keyring(jwks).find(kid)
    try:
        key.check_trusted_at(datetime.fromtimestamp(issued_at, UTC))
    except (OverflowError, OSError, ValueError) as exc:
        raise _malformed("iat is not a time") from exc
    # 5.
    key.verify_signature(signature, (parts[0] + "." + encode_b64url(data)).encode("ascii"))
    # 6.
    if key.compromised_after is not None:
        raise VerificationError(
            f"signed by key {kid}, compromised since {format_time(key.compromised_after)}: fetch the file's "
            "current signature from the registry",
            reason=Reason.KEY_COMPROMISED,
        )
    return header
