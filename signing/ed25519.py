"""Which Ed25519 implementation signs and verifies: the native ``mib_ed25519`` module when it is installed
(ed25519-dalek, built from ``native/ed25519`` by ``make install``), otherwise ``cryptography`` (OpenSSL).

Both give the same signatures (Ed25519 is deterministic) and the same verdicts on anything an issuing key
could have produced; the native module is about 2x faster per signature and verifies many signatures at once
(batch verification).  The rules each path applies are in docs/formats.md ("Ed25519 verification rules").

Callers use :class:`signing.keys.Signer` and :class:`signing.keys.PublishedKey`, never this module directly.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

if TYPE_CHECKING:
    from mib_ed25519 import SigningKey, VerifyingKey

__all__ = ["backend_name", "load_native", "native_signing_key", "native_verifying_key", "verify_many"]

NATIVE_MODULE = "mib_ed25519"
logger = logging.getLogger(__name__)


@cache
def load_native() -> ModuleType | None:
    """The native module, or ``None`` (logged once) if it is not installed."""
    # lazy: the optional native module, probed once
    try:
        import mib_ed25519
    except ImportError as exc:
        logger.warning(
            "Ed25519: the native module %s is not installed (%s); signing and verifying label URLs use "
            "cryptography instead, about half as fast. `make install` builds it (needs cargo).",
            NATIVE_MODULE,
            exc,
        )
        return None
    return mib_ed25519


def backend_name() -> str:
    """``"mib_ed25519"`` or ``"cryptography"``: what signs and verifies in this process."""
    return NATIVE_MODULE if load_native() is not None else "cryptography"


def native_signing_key(private_key: object) -> SigningKey | None:
    """A native copy of ``private_key`` if it is an in-memory ``cryptography`` key and the module is there.

    Keys that never leave their token (PKCS#11) get ``None``: they sign on the token.
    """
    native = load_native()
    if native is None or not isinstance(private_key, Ed25519PrivateKey):
        return None
    key: SigningKey = native.SigningKey(private_key.private_bytes_raw())
    if key.public_bytes() != private_key.public_key().public_bytes_raw():  # pragma: no cover - a broken build
        raise RuntimeError(f"{NATIVE_MODULE} derives a different public key than cryptography")
    return key


def native_verifying_key(public_key: Ed25519PublicKey) -> VerifyingKey | None:
    native = load_native()
    if native is None:
        return None
    try:
        key: VerifyingKey = native.VerifyingKey(public_key.public_bytes_raw())
    except ValueError:  # pragma: no cover - a point OpenSSL loads but dalek does not: let OpenSSL judge it
        logger.warning("Ed25519: the native module refuses a published key; cryptography checks it instead")
        return None
    return key


def verify_many(items: Sequence[tuple[VerifyingKey, bytes, bytes]]) -> list[bool]:
    """Batch verification of ``(native key, message, signature)`` triples: one bool per triple, in order."""
    native: Any = load_native()
    assert native is not None, "verify_many needs the native module"  # noqa: S101 - callers check first
    results: list[bool] = native.verify_batch(items)
    return results
