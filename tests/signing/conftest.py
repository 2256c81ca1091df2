"""Fixed keys for signing tests: published test keys, never random, never mocked."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from signing import KeyRing, PublishedKey, Signer

# RFC 8032 section 7.1 TEST 1 secret key (also RFC 8037 appendix A.1's "d")
RFC8032_TEST1_SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
# RFC 8032 section 7.1 TEST 2 secret key
RFC8032_TEST2_SECRET = bytes.fromhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")

ISSUED_ON = date(2026, 11, 28)
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture()
def private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(RFC8032_TEST1_SECRET)


@pytest.fixture()
def signer(private_key: Ed25519PrivateKey) -> Signer:
    return Signer.from_private_key(private_key)


@pytest.fixture()
def other_signer() -> Signer:
    return Signer.from_private_key(Ed25519PrivateKey.from_private_bytes(RFC8032_TEST2_SECRET))


@pytest.fixture()
def keyring(private_key: Ed25519PrivateKey) -> KeyRing:
    return KeyRing(
        (PublishedKey.from_public_key(private_key.public_key(), created_at=NOW.replace(year=2025)),)
    )
