"""Fixed keys for signing tests: published test keys, never random, never mocked."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core.ratelimit import rate_limiter
from signing import KeyRing, PublishedKey, Signer
from tests.conftest import rolled_back

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


# ---------------------------------------------------------------------------------------------- Flask side


@pytest.fixture(scope="session")
def _signing_app(_app: Any, instance_path: Path, database_url: str) -> Iterator[Any]:
    """The application with signing wired (the lead's app once app.py wires it; else one wired here)."""
    if "signing" in _app.extensions:
        yield _app
        return
    import signing
    from app import create_app
    from tests.conftest import app_settings

    app = create_app(app_settings(instance_path, database_url))
    signing.init_app(app)
    yield app
    app.extensions["core.db"].dispose()


@pytest.fixture()
def sapp(_signing_app: Any) -> Iterator[Any]:
    """Like the ``app`` fixture: every session inside one rolled-back transaction."""
    ext = _signing_app.extensions["signing"]
    ext.restart()
    rate_limiter(_signing_app).reset()
    try:
        with rolled_back(_signing_app):
            yield _signing_app
    finally:
        ext.restart()


@pytest.fixture()
def sclient(sapp: Any) -> Any:
    return sapp.test_client()


@pytest.fixture()
def ssession(sapp: Any) -> Iterator[Any]:
    from registry.factories import bind_factories

    s = sapp.extensions["core.db"].session()
    bind_factories(s)
    yield s
    s.close()
