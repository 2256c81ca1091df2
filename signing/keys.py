"""Issuing keys: where the private key comes from, key ids, and the keyring of published public keys.

A key id (``kid``) is the RFC 7638 JWK thumbprint of the Ed25519 public key (RFC 8037 OKP form), base64url
without padding.  Label URLs carry only a short *key tag*: the first five bytes of that thumbprint.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from signing import ed25519
from signing.ed25519 import SigningKey as NativeSigningKey
from signing.ed25519 import VerifyingKey as NativeVerifyingKey
from signing.errors import KeySourceError, Reason, RecordFormatError, VerificationError

__all__ = [
    "CLOCK_TOLERANCE",
    "EncryptedPKCS8FileKeySource",
    "KeyRing",
    "KeySource",
    "KeyStatus",
    "PKCS11KeySource",
    "PrivateKey",
    "PublishedKey",
    "Signer",
    "UnsafeDevelopmentKeySource",
    "UnsafeKeyWarning",
    "check_not_future",
    "compute_key_id",
    "verify_signatures",
    "write_encrypted_pkcs8",
]

KEY_TAG_BYTES = 5
# How far a verifier's clock may lag the registry's: a label dated, or a record issued, later than the
# verifier's "now" plus this is refused as future-dated (docs/formats.md, "Trust rules").
CLOCK_TOLERANCE = timedelta(days=1)


def encode_b64url(data: bytes) -> str:
    """base64url without padding (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def decode_b64url(text: str) -> bytes:
    """Inverse of :func:`encode_b64url`; raises ``ValueError`` on anything that is not base64url."""
    if not isinstance(text, str) or "=" in text or not text.isascii():
        raise ValueError("not unpadded base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def compute_key_id(public_key: Ed25519PublicKey) -> str:
    """RFC 7638 thumbprint of the OKP JWK (members crv, kty, x in lexicographic order, no whitespace)."""
    x = encode_b64url(encode_public_key(public_key))
    canonical = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"), sort_keys=True)
    return encode_b64url(hashlib.sha256(canonical.encode("ascii")).digest())


def compute_key_tag(kid: str) -> bytes:
    """The short key tag carried in label URLs: the first bytes of the thumbprint."""
    return decode_b64url(kid)[:KEY_TAG_BYTES]


# ---------------------------------------------------------------------------------------------- key sources


@runtime_checkable
class PrivateKey(Protocol):
    """What a key source hands back: something that signs with Ed25519 and knows its public key.

    ``cryptography``'s ``Ed25519PrivateKey`` is one; a PKCS#11 token key (which never leaves the token) is
    another.
    """

    def sign(self, data: bytes) -> bytes: ...

    def public_key(self) -> Ed25519PublicKey: ...


class KeySource(Protocol):
    """Where the issuing key lives."""

    def load_private_key(self) -> PrivateKey: ...


def write_encrypted_pkcs8(
    private_key: Ed25519PrivateKey, path: str | os.PathLike[str], passphrase: bytes
) -> None:
    """Store ``private_key`` as PKCS#8 PEM encrypted with ``passphrase`` (file mode 0600)."""
    if not passphrase:
        raise KeySourceError("an encrypted key file needs a non-empty passphrase")
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    write_private_file(Path(path), pem)


def write_private_file(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)


def load_ed25519_pem(pem: bytes, passphrase: bytes | None, origin: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=passphrase)
    except (ValueError, TypeError) as exc:
        raise KeySourceError(f"cannot load the private key from {origin}: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeySourceError(f"{origin} holds a {type(key).__name__}, not an Ed25519 key")
    return key


@dataclass(frozen=True)
class EncryptedPKCS8FileKeySource:
    """An Ed25519 key in an encrypted PKCS#8 PEM file; the passphrase comes from the environment."""

    path: Path
    passphrase: bytes

    def __init__(self, path: str | os.PathLike[str], passphrase: str | bytes) -> None:
        object.__setattr__(self, "path", Path(path))
        object.__setattr__(
            self, "passphrase", passphrase.encode() if isinstance(passphrase, str) else passphrase
        )

    def load_private_key(self) -> PrivateKey:
        if not self.passphrase:
            raise KeySourceError("an encrypted key file needs a non-empty passphrase")
        try:
            pem = self.path.read_bytes()
        except OSError as exc:
            raise KeySourceError(f"cannot read the key file {self.path}: {exc.strerror}") from exc
        return load_ed25519_pem(pem, self.passphrase, str(self.path))


class UnsafeKeyWarning(UserWarning):
    """An unencrypted development key is in use: labels it signs prove nothing."""


@dataclass(frozen=True)
class UnsafeDevelopmentKeySource:
    """An *unencrypted* key file generated on first use, for the embedded demo only.  Warns on every load."""

    path: Path

    def __init__(self, path: str | os.PathLike[str]) -> None:
        object.__setattr__(self, "path", Path(path))

    def load_private_key(self) -> PrivateKey:
        warnings.warn(
            f"UNSAFE: signing with the unencrypted development key {self.path}. Labels and records it signs "
            "prove nothing; never use it in production.",
            UnsafeKeyWarning,
            stacklevel=2,
        )
        if not self.path.exists():
            key = Ed25519PrivateKey.generate()
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            try:
                write_private_file(self.path, pem)
            except FileExistsError:
                pass  # another process created it first: use theirs
            else:
                return key
        return load_ed25519_pem(self.path.read_bytes(), None, str(self.path))


class PKCS11PrivateKey:
    """An Ed25519 private key that stays on a PKCS#11 token; signs with CKM_EDDSA."""

    def __init__(self, session: Any, private: Any, public_key: Ed25519PublicKey) -> None:
        self._session = session
        self._private = private
        self._public_key = public_key

    def sign(self, data: bytes) -> bytes:
        # lazy: PKCS#11 loads only when the key lives in an HSM
        import pkcs11

        try:
            return bytes(self._private.sign(data, mechanism=pkcs11.Mechanism.EDDSA))
        except pkcs11.PKCS11Error as exc:
            raise KeySourceError(f"the PKCS#11 token refused to sign: {exc!r}") from exc

    def public_key(self) -> Ed25519PublicKey:
        return self._public_key

    def close(self) -> None:
        self._session.close()


@dataclass(frozen=True)
class PKCS11KeySource:
    """An Ed25519 key pair on a PKCS#11 token (tested against SoftHSMv2), found by token and key label."""

    module: str
    token_label: str
    pin: str = field(repr=False)
    key_label: str

    def load_private_key(self) -> PrivateKey:
        # lazy: PKCS#11 loads only when the key lives in an HSM
        import pkcs11
        from asn1crypto.core import OctetString

        try:
            token = pkcs11.lib(self.module).get_token(token_label=self.token_label)
            session = token.open(user_pin=self.pin)
        except (pkcs11.PKCS11Error, RuntimeError, OSError) as exc:
            raise KeySourceError(f"cannot open PKCS#11 token {self.token_label!r}: {exc!r}") from exc
        try:
            private = session.get_key(
                object_class=pkcs11.ObjectClass.PRIVATE_KEY,
                key_type=pkcs11.KeyType.EC_EDWARDS,
                label=self.key_label,
            )
            public = session.get_key(
                object_class=pkcs11.ObjectClass.PUBLIC_KEY,
                key_type=pkcs11.KeyType.EC_EDWARDS,
                label=self.key_label,
            )
            point = OctetString.load(bytes(public[pkcs11.Attribute.EC_POINT])).native
            public_key = Ed25519PublicKey.from_public_bytes(point)
        except (pkcs11.PKCS11Error, ValueError) as exc:
            session.close()
            raise KeySourceError(
                f"no Ed25519 key pair labelled {self.key_label!r} on the token: {exc!r}"
            ) from exc
        return PKCS11PrivateKey(session, private, public_key)


# ---------------------------------------------------------------------------------------------- signer


@dataclass(frozen=True)
class Signer:
    """The current issuing key and its key id."""

    private_key: PrivateKey
    kid: str
    key_tag: bytes

    @classmethod
    def from_private_key(cls, private_key: PrivateKey) -> Signer:
        kid = compute_key_id(private_key.public_key())
        return cls(private_key=private_key, kid=kid, key_tag=compute_key_tag(kid))

    @classmethod
    def from_key_source(cls, source: KeySource) -> Signer:
        return cls.from_private_key(source.load_private_key())

    @cached_property
    def _native_key(self) -> NativeSigningKey | None:
        return ed25519.native_signing_key(self.private_key)

    def sign(self, data: bytes) -> bytes:
        native = self._native_key
        return native.sign(data) if native is not None else self.private_key.sign(data)

    def sign_many(self, messages: list[bytes]) -> list[bytes]:
        """One signature per message (in one native call when the key is in memory: the batch fast path)."""
        native = self._native_key
        if native is not None:
            return native.sign_many(messages)
        sign = self.private_key.sign
        return [sign(message) for message in messages]


# ---------------------------------------------------------------------------------------------- keyring


class KeyStatus(StrEnum):
    CURRENT = "current"
    RETIRED = "retired"
    COMPROMISED = "compromised"


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_time(text: object, member: str) -> datetime:
    if not isinstance(text, str):
        raise RecordFormatError(f"JWK member {member!r} must be an RFC 3339 string", field=member)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise RecordFormatError(
            f"JWK member {member!r} is not an RFC 3339 time: {text!r}", field=member
        ) from exc
    if moment.tzinfo is None:
        raise RecordFormatError(f"JWK member {member!r} needs a time zone", field=member)
    return moment


def end_of_day(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def check_not_future(signed_at: datetime | date, now: datetime) -> None:
    """Raise :class:`VerificationError` (``future_dated``) if ``signed_at`` is later than ``now`` plus
    :data:`CLOCK_TOLERANCE`.  A day (a label's issue date) counts from its first moment (UTC), so a label
    dated tomorrow passes and one dated the day after tomorrow does not."""
    latest = now.astimezone(UTC) + CLOCK_TOLERANCE
    if isinstance(signed_at, datetime):
        future = signed_at.astimezone(UTC) > latest
    else:
        future = signed_at > latest.date()
    if future:
        raise VerificationError(
            f"dated {signed_at.isoformat()}, after {latest.date().isoformat()} (today plus the clock "
            "tolerance): the registry never issues future-dated labels or records",
            reason=Reason.FUTURE_DATED,
        )


@dataclass(frozen=True)
class PublishedKey:
    """One public key as the registry publishes it, with what it may still be trusted for."""

    kid: str
    public_key: Ed25519PublicKey
    status: KeyStatus = KeyStatus.CURRENT
    created_at: datetime | None = None
    retired_at: datetime | None = None
    compromised_after: datetime | None = None

    @classmethod
    def from_public_key(cls, public_key: Ed25519PublicKey, **kwargs: Any) -> PublishedKey:
        return cls(kid=compute_key_id(public_key), public_key=public_key, **kwargs)

    @cached_property
    def key_tag(self) -> bytes:
        return compute_key_tag(self.kid)

    def to_jwk(self) -> dict[str, str]:
        jwk = {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": encode_b64url(encode_public_key(self.public_key)),
            "kid": self.kid,
            "use": "sig",
            "alg": "EdDSA",
            "status": self.status.value,
        }
        if self.created_at is not None:
            jwk["created_at"] = format_time(self.created_at)
        if self.retired_at is not None:
            jwk["retired_at"] = format_time(self.retired_at)
        if self.compromised_after is not None:
            jwk["compromised_after"] = format_time(self.compromised_after)
        return jwk

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any]) -> PublishedKey:
        """Parse and check one JWK; the ``kid`` must equal the thumbprint of ``x``."""
        if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            raise RecordFormatError("only OKP / Ed25519 keys are accepted", field="kty")
        try:
            public_key = Ed25519PublicKey.from_public_bytes(decode_b64url(jwk["x"]))
        except (KeyError, ValueError, TypeError) as exc:
            raise RecordFormatError(
                "JWK member 'x' is not a 32-byte base64url Ed25519 key", field="x"
            ) from exc
        kid = compute_key_id(public_key)
        if jwk.get("kid", kid) != kid:
            raise RecordFormatError(
                f"JWK kid {jwk.get('kid')!r} is not the RFC 7638 thumbprint {kid}", field="kid"
            )
        try:
            status = KeyStatus(jwk.get("status", KeyStatus.CURRENT.value))
        except ValueError as exc:
            raise RecordFormatError(f"unknown key status {jwk.get('status')!r}", field="status") from exc
        times = {
            name: parse_time(jwk[name], name)
            for name in ("created_at", "retired_at", "compromised_after")
            if name in jwk
        }
        if status is KeyStatus.COMPROMISED and "compromised_after" not in times:
            raise RecordFormatError("a compromised key needs 'compromised_after'", field="compromised_after")
        return cls(kid=kid, public_key=public_key, status=status, **times)

    def check_trusted_at(self, signed_at: datetime | date) -> None:
        """Raise :class:`VerificationError` unless a signature this key made at ``signed_at`` can be trusted.

        ``signed_at`` may be a day (label URLs carry only the issue date): then the whole day counts, so a
        label dated on the day a key was compromised or retired is not trusted if any of that day is after.
        """
        latest = end_of_day(signed_at) if not isinstance(signed_at, datetime) else signed_at
        if self.compromised_after is not None and latest > self.compromised_after:
            raise VerificationError(
                f"key {self.kid} is compromised since {format_time(self.compromised_after)}; "
                "what it signed after that is not trusted",
                reason=Reason.KEY_COMPROMISED,
            )
        if self.retired_at is not None and latest > end_of_day(self.retired_at.astimezone(UTC).date()):
            raise VerificationError(
                f"key {self.kid} was retired on {format_time(self.retired_at)} and signed nothing after that",
                reason=Reason.KEY_COMPROMISED,
            )

    @cached_property
    def _native_key(self) -> NativeVerifyingKey | None:
        return ed25519.native_verifying_key(self.public_key)

    def check_signature(self, signature: bytes, data: bytes) -> bool:
        """True if ``signature`` is this key's Ed25519 signature of ``data``."""
        native = self._native_key
        if native is not None:
            return native.verify(data, signature)
        try:
            self.public_key.verify(signature, data)
        except InvalidSignature:
            return False
        return True

    def verify_signature(self, signature: bytes, data: bytes) -> None:
        if not self.check_signature(signature, data):
            raise VerificationError("the signature does not match", reason=Reason.BAD_SIGNATURE)


@dataclass(frozen=True)
class KeyRing:
    """Every issuing key the registry has published: the current one, retired ones and compromised ones.

    A retired key stays here (and in the JWKS) forever so that what it signed keeps verifying.
    """

    keys: tuple[PublishedKey, ...] = ()

    def __iter__(self) -> Iterator[PublishedKey]:
        return iter(self.keys)

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def current(self) -> PublishedKey | None:
        return next((key for key in self.keys if key.status is KeyStatus.CURRENT), None)

    def find(self, kid: str) -> PublishedKey:
        """The key with id ``kid``; raises :class:`VerificationError` (untrusted key) if there is none."""
        for key in self.keys:
            if key.kid == kid:
                return key
        raise VerificationError(f"no published key has id {kid!r}", reason=Reason.UNKNOWN_KEY)

    def find_by_tag(self, key_tag: bytes) -> PublishedKey:
        """The key whose thumbprint starts with ``key_tag`` (the short id in label URLs)."""
        for key in self.keys:
            if key.key_tag == key_tag:
                return key
        raise VerificationError(f"no published key has tag {key_tag.hex()}", reason=Reason.UNKNOWN_KEY)

    def rotate(self, new_key: Ed25519PublicKey, *, now: datetime) -> KeyRing:
        """A keyring where ``new_key`` is current and the previous current key is retired at ``now``."""
        new = PublishedKey.from_public_key(new_key, created_at=now)
        if any(key.key_tag == new.key_tag for key in self.keys):
            raise KeySourceError(f"key {new.kid} (or one with the same label tag) is already in the keyring")
        keys = tuple(
            replace(key, status=KeyStatus.RETIRED, retired_at=now) if key.status is KeyStatus.CURRENT else key
            for key in self.keys
        )
        return KeyRing((*keys, new))

    def mark_compromised(self, kid: str, *, after: datetime) -> KeyRing:
        """A keyring where key ``kid`` is not trusted for anything it signed after ``after``."""
        if after.tzinfo is None:
            raise ValueError("'after' needs a time zone")
        target = self.find(kid)
        keys = tuple(
            replace(key, status=KeyStatus.COMPROMISED, compromised_after=after) if key is target else key
            for key in self.keys
        )
        return KeyRing(keys)

    def to_jwks(self) -> dict[str, list[dict[str, str]]]:
        """The RFC 7517 JWK Set published at ``/.well-known/jwks.json``."""
        return {"keys": [key.to_jwk() for key in self.keys]}

    @classmethod
    def from_jwks(cls, jwks: Mapping[str, Any]) -> KeyRing:
        keys = jwks.get("keys") if isinstance(jwks, Mapping) else None
        if not isinstance(keys, list):
            raise RecordFormatError("a JWK Set needs a 'keys' array", field="keys")
        return cls(tuple(PublishedKey.from_jwk(jwk) for jwk in keys))

    @classmethod
    def from_keys(cls, keys: Iterable[PublishedKey]) -> KeyRing:
        return cls(tuple(keys))


def verify_signatures(items: Sequence[tuple[PublishedKey, bytes, bytes]]) -> list[bool]:
    """Check many ``(key, signature, data)`` triples; one bool per triple, in order.

    With the native module the signatures are checked together (batch verification, see docs/formats.md);
    the answer is the same as :meth:`PublishedKey.check_signature` on each triple.
    """
    batch: list[tuple[NativeVerifyingKey, bytes, bytes]] = []
    for key, signature, data in items:
        native = key._native_key
        if native is None:  # a key only cryptography accepts: one by one
            return [key.check_signature(signature, data) for key, signature, data in items]
        batch.append((native, data, signature))
    return ed25519.verify_many(batch) if batch else []


def coerce_keyring(jwks: KeyRing | Mapping[str, Any]) -> KeyRing:
    """Verifiers accept a :class:`KeyRing` or a parsed JWKS document."""
    return jwks if isinstance(jwks, KeyRing) else KeyRing.from_jwks(jwks)
