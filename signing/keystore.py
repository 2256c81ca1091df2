"""Issuing keys in the database: key sources, loading the signer, the published keyring and its cache,
registering, rotating and compromising keys."""

from __future__ import annotations

import threading
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from signing.errors import KeySourceError
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
from signing.models import (
    SigningKey,
)
from signing.settings import SigningSettings


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
