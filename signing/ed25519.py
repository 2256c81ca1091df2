"""Which Ed25519 implementation signs and verifies, chosen once per process:

* ``mib_ed25519`` (ed25519-dalek, built from ``native/ed25519`` by ``make install`` when cargo can build it):
  the fastest, and the only one with batch verification;
* otherwise libsodium through PyNaCl (wheels for every supported platform, no compiler): the default path,
  faster than ``cryptography`` (OpenSSL) at signing and verifying (bench/results/ed25519.json).

``cryptography`` still loads and stores keys (PKCS#8, JWK) and checks the rare public key the fast path
refuses.  All paths give the same signatures (Ed25519 is deterministic) and the same verdicts on anything an
issuing key could have produced; the rules each applies are in docs/formats.md ("Ed25519 verification rules").

Callers use :class:`signing.keys.Signer` and :class:`signing.keys.PublishedKey`, never this module directly.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import cache
from types import ModuleType
from typing import Protocol

import nacl.bindings
import nacl.exceptions
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "SigningKey",
    "VerifyingKey",
    "backend_name",
    "load_native",
    "native_signing_key",
    "native_verifying_key",
    "verify_many",
]

NATIVE_MODULE = "mib_ed25519"
LIBSODIUM = "pynacl"
logger = logging.getLogger(__name__)


class SigningKey(Protocol):
    def public_bytes(self) -> bytes: ...
    def sign(self, message: bytes) -> bytes: ...
    def sign_many(self, messages: list[bytes]) -> list[bytes]: ...


class VerifyingKey(Protocol):
    def verify(self, message: bytes, signature: bytes) -> bool: ...


class SodiumSigningKey:
    """An in-memory Ed25519 key signing through libsodium (``crypto_sign``)."""

    __slots__ = ("_public", "_secret")

    def __init__(self, seed: bytes) -> None:
        self._public, self._secret = nacl.bindings.crypto_sign_seed_keypair(seed)

    def __repr__(self) -> str:
        return f"SodiumSigningKey(public={self._public.hex()})"

    def public_bytes(self) -> bytes:
        return self._public

    def sign(self, message: bytes) -> bytes:
        return nacl.bindings.crypto_sign(message, self._secret)[:64]

    def sign_many(self, messages: list[bytes]) -> list[bytes]:
        sign, secret = nacl.bindings.crypto_sign, self._secret
        return [sign(message, secret)[:64] for message in messages]


class SodiumVerifyingKey:
    """A published Ed25519 key checked by libsodium (``crypto_sign_open``); ``verify`` never raises."""

    __slots__ = ("_public",)

    def __init__(self, public: bytes) -> None:
        if len(public) != 32:
            raise ValueError("an Ed25519 public key is 32 bytes")
        self._public = public

    def verify(self, message: bytes, signature: bytes) -> bool:
        if len(signature) != 64:
            return False
        try:
            nacl.bindings.crypto_sign_open(signature + message, self._public)
        except nacl.exceptions.BadSignatureError:
            return False
        return True


@cache
def load_native() -> ModuleType | None:
    """The native module, or ``None`` (logged once, at INFO: PyNaCl is a supported path) if not installed."""
    # lazy: the optional native module, probed once
    try:
        import mib_ed25519
    except ImportError as exc:
        logger.info(
            "Ed25519: the native module %s is not installed (%s); signing and verifying use libsodium "
            "(PyNaCl). `make install` builds it when cargo can.",
            NATIVE_MODULE,
            exc,
        )
        return None
    return mib_ed25519


def backend_name() -> str:
    """``"mib_ed25519"`` or ``"pynacl"``: what signs and verifies in-memory keys in this process."""
    return NATIVE_MODULE if load_native() is not None else LIBSODIUM


def native_signing_key(private_key: object) -> SigningKey | None:
    """A fast copy of ``private_key`` if it is an in-memory ``cryptography`` key.

    Keys that never leave their token (PKCS#11) get ``None``: they sign on the token.
    """
    if not isinstance(private_key, Ed25519PrivateKey):
        return None
    native = load_native()
    seed = private_key.private_bytes_raw()
    key: SigningKey = native.SigningKey(seed) if native is not None else SodiumSigningKey(seed)
    if key.public_bytes() != private_key.public_key().public_bytes_raw():  # pragma: no cover - a broken build
        raise RuntimeError(f"{backend_name()} derives a different public key than cryptography")
    return key


def native_verifying_key(public_key: Ed25519PublicKey) -> VerifyingKey | None:
    """The fast path's copy of a published key; ``None`` leaves the key to ``cryptography``."""
    native = load_native()
    raw = public_key.public_bytes_raw()
    if native is None:
        return SodiumVerifyingKey(raw)
    try:
        key: VerifyingKey = native.VerifyingKey(raw)
    except ValueError:  # pragma: no cover - a point OpenSSL loads but dalek does not: let OpenSSL judge it
        logger.warning("Ed25519: the native module refuses a published key; cryptography checks it instead")
        return None
    return key


def verify_many(items: Sequence[tuple[VerifyingKey, bytes, bytes]]) -> list[bool]:
    """``(key, message, signature)`` triples: one bool per triple, in order (batch verification natively)."""
    native = load_native()
    if native is not None:
        results: list[bool] = native.verify_batch(items)
        return results
    return [key.verify(message, signature) for key, message, signature in items]
