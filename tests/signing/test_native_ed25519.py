"""The fast Ed25519 paths against RFC 8032 and against cryptography: the native module (native/ed25519,
ed25519-dalek) and libsodium through PyNaCl (the path without a compiler).

What a caller relies on: each signs exactly what cryptography signs, accepts only what cryptography accepts,
finds exactly the bad signatures in a batch; the native module is what signing uses wherever it is
installed, PyNaCl everywhere else (in CI with cargo on PATH the native build must have worked: a compile
error may not hide behind the fallback).
"""

from __future__ import annotations

import json
import logging
import random
import shutil
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from signing import PublishedKey, Signer, ed25519
from signing.keys import verify_signatures
from tests.needs import IN_CI

VECTORS = json.loads((Path(__file__).parent / "vectors" / "rfc8032-ed25519.json").read_text())["vectors"]
# order of the prime subgroup (RFC 8032 section 5.1)
L = 2**252 + 27742317777372353535851937790883648493


def native_module() -> Any:
    if IN_CI:  # CI must build it: no skipping there
        import mib_ed25519

        return mib_ed25519
    return pytest.importorskip(
        "mib_ed25519", reason="the native module is not built here (no cargo)", exc_type=ImportError
    )


@pytest.fixture(params=["mib_ed25519", "pynacl"])
def implementation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The module-like API both fast paths offer: SigningKey, VerifyingKey and verify_batch."""
    if request.param == "mib_ed25519":
        return native_module()
    monkeypatch.setattr(ed25519, "load_native", lambda: None)
    return SimpleNamespace(
        SigningKey=ed25519.SodiumSigningKey,
        VerifyingKey=ed25519.SodiumVerifyingKey,
        verify_batch=ed25519.verify_many,
    )


def cryptography_accepts(public: bytes, message: bytes, signature: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except InvalidSignature:
        return False
    return True


# ---------------------------------------------------------------------------------------------- which backend


def test_signing_uses_the_native_module_wherever_it_is_installed() -> None:
    native_module()
    assert ed25519.backend_name() == "mib_ed25519"
    signer = Signer.from_private_key(
        Ed25519PrivateKey.from_private_bytes(bytes.fromhex(VECTORS[0]["secret_key"]))
    )
    assert type(signer._native_key).__module__ == "mib_ed25519"
    key = PublishedKey.from_public_key(signer.private_key.public_key())
    assert type(key._native_key).__module__ == "mib_ed25519"


@pytest.mark.skipif(
    not (IN_CI and shutil.which("cargo")), reason="CI with cargo only: there the native build must work"
)
def test_in_ci_with_cargo_the_native_module_is_what_signs_and_verifies() -> None:
    assert ed25519.load_native() is not None, "cargo is there but make install did not build native/ed25519"
    assert ed25519.backend_name() == "mib_ed25519"


def test_without_the_native_module_signing_falls_back_to_pynacl_and_says_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "mib_ed25519", None)  # what a machine without the build sees
    ed25519.load_native.cache_clear()
    try:
        with caplog.at_level(logging.INFO, logger="signing.ed25519"):
            assert ed25519.backend_name() == "pynacl"
            ed25519.backend_name()
        assert [record.levelno for record in caplog.records] == [logging.INFO]  # once, not per call
        assert "libsodium (PyNaCl)" in caplog.text and "make install" in caplog.text
        vector = VECTORS[1]
        signer = Signer.from_private_key(
            Ed25519PrivateKey.from_private_bytes(bytes.fromhex(vector["secret_key"]))
        )
        assert isinstance(signer._native_key, ed25519.SodiumSigningKey)
        key = PublishedKey.from_public_key(signer.private_key.public_key())
        assert isinstance(key._native_key, ed25519.SodiumVerifyingKey)
        assert signer.sign(bytes.fromhex(vector["message"])).hex() == vector["signature"]
    finally:
        ed25519.load_native.cache_clear()


# ---------------------------------------------------------------------------------------------- RFC 8032


@pytest.mark.parametrize("vector", VECTORS, ids=[vector["name"] for vector in VECTORS])
def test_rfc8032_vectors_sign_and_verify_on_each_fast_path(
    implementation: Any, vector: dict[str, str]
) -> None:
    secret, public, message, signature = (
        bytes.fromhex(vector[name]) for name in ("secret_key", "public_key", "message", "signature")
    )
    key = implementation.SigningKey(secret)
    assert key.public_bytes() == public
    assert key.sign(message) == signature
    assert key.sign_many([message, message]) == [signature, signature]
    verifying_key = implementation.VerifyingKey(public)
    assert verifying_key.verify(message, signature) is True
    assert implementation.verify_batch([(verifying_key, message, signature)]) == [True]
    assert verifying_key.verify(message + b"\x00", signature) is False


@pytest.mark.parametrize("vector", VECTORS, ids=[vector["name"] for vector in VECTORS])
def test_rfc8032_vectors_through_signer_and_published_key(vector: dict[str, str]) -> None:
    private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(vector["secret_key"]))
    message, signature = bytes.fromhex(vector["message"]), bytes.fromhex(vector["signature"])
    signer = Signer.from_private_key(private)
    assert signer.sign(message) == signature
    assert signer.sign_many([message]) == [signature]
    key = PublishedKey.from_public_key(private.public_key())
    assert key.check_signature(signature, message)
    assert verify_signatures([(key, signature, message)]) == [True]
    assert verify_signatures([(key, signature, message[:-1] + b"?")]) == [False]


def test_all_rfc8032_vectors_in_one_batch(implementation: Any) -> None:
    items = [
        (
            implementation.VerifyingKey(bytes.fromhex(v["public_key"])),
            bytes.fromhex(v["message"]),
            bytes.fromhex(v["signature"]),
        )
        for v in VECTORS
    ]
    assert implementation.verify_batch(items) == [True] * len(VECTORS)
    swapped = [
        (items[0][0], items[1][1], items[1][2]),
        *items[1:],
    ]  # TEST 2's message and signature, TEST 1's key
    assert implementation.verify_batch(swapped) == [False, True, True, True, True]


# ---------------------------------------------------------------------------------------------- against cryptography


def test_each_fast_path_signs_and_verifies_like_cryptography_on_random_keys_and_messages(
    implementation: Any,
) -> None:
    rng = random.Random(8032)  # reproducible "random" keys and messages
    items, expected = [], []
    for _ in range(150):
        seed = rng.randbytes(32)
        message = rng.randbytes(rng.randrange(0, 400))
        reference = Ed25519PrivateKey.from_private_bytes(seed)
        public = reference.public_key().public_bytes_raw()
        signature = implementation.SigningKey(seed).sign(message)
        assert signature == reference.sign(message)
        verifying_key = implementation.VerifyingKey(public)
        # one random change to the signature or the message: both implementations must agree it fails
        if rng.random() < 0.5:
            position = rng.randrange(64)
            bad_signature, bad_message = bytearray(signature), message
            bad_signature[position] ^= 1 << rng.randrange(8)
            bad_signature = bytes(bad_signature)
        else:
            bad_signature, bad_message = signature, message + bytes([rng.randrange(256)])
        for candidate_message, candidate_signature in ((message, signature), (bad_message, bad_signature)):
            accepted = cryptography_accepts(public, candidate_message, candidate_signature)
            assert verifying_key.verify(candidate_message, candidate_signature) is accepted
            items.append((verifying_key, candidate_message, candidate_signature))
            expected.append(accepted)
    assert expected.count(True) == 150 and expected.count(False) == 150
    assert implementation.verify_batch(items) == expected


def test_a_non_canonical_s_is_refused_like_cryptography_does(implementation: Any) -> None:
    """s + L verifies the same equation; RFC 8032 (and OpenSSL) refuse it, so must we (malleability)."""
    vector = VECTORS[2]
    public, message, signature = (
        bytes.fromhex(vector[name]) for name in ("public_key", "message", "signature")
    )
    s = int.from_bytes(signature[32:], "little")
    malleated = signature[:32] + (s + L).to_bytes(32, "little")
    assert not cryptography_accepts(public, message, malleated)
    key = implementation.VerifyingKey(public)
    assert key.verify(message, malleated) is False
    assert implementation.verify_batch([(key, message, signature), (key, message, malleated)]) == [
        True,
        False,
    ]


def test_a_small_order_key_proves_nothing_on_the_fast_paths_even_where_openssl_accepts_it(
    implementation: Any,
) -> None:
    """The identity point as 'public key' with R = identity, s = 0 passes OpenSSL's cofactorless check for
    any message; dalek's verify_strict and libsodium refuse it.  Their rules are the stricter ones."""
    identity = bytes([1]) + bytes(31)
    forged = identity + bytes(32)
    assert cryptography_accepts(identity, b"any message", forged)  # what OpenSSL does: why we do not use it
    key = implementation.VerifyingKey(identity)
    assert key.verify(b"any message", forged) is False
    assert implementation.verify_batch([(key, b"any message", forged)]) == [False]


# ---------------------------------------------------------------------------------------------- batches


def test_a_batch_names_exactly_the_bad_signatures_across_chunk_boundaries(implementation: Any) -> None:
    key = implementation.SigningKey(bytes.fromhex(VECTORS[0]["secret_key"]))
    verifying_key = implementation.VerifyingKey(key.public_bytes())
    messages = [f"label {i}".encode() for i in range(300)]
    signatures = key.sign_many(messages)
    bad = {0, 63, 127, 128, 255, 299}  # first, last and both sides of the 128-signature chunks
    items = [
        (verifying_key, message, signature if i not in bad else signatures[(i + 1) % 300])
        for i, (message, signature) in enumerate(zip(messages, signatures, strict=True))
    ]
    results = implementation.verify_batch(items)
    assert {i for i, ok in enumerate(results) if not ok} == bad
    assert implementation.verify_batch([]) == []


def test_signatures_of_the_wrong_length_are_invalid_not_errors(implementation: Any) -> None:
    vector = VECTORS[0]
    public, signature = bytes.fromhex(vector["public_key"]), bytes.fromhex(vector["signature"])
    key = implementation.VerifyingKey(public)
    for wrong in (b"", signature[:63], signature + b"\x00"):
        assert key.verify(b"", wrong) is False
    assert implementation.verify_batch([(key, b"", signature[:63]), (key, b"", signature)]) == [False, True]


def test_keys_of_the_wrong_size_or_off_the_curve_are_refused() -> None:
    native = native_module()
    with pytest.raises(ValueError, match="32 bytes"):
        native.SigningKey(bytes(31))
    with pytest.raises(ValueError, match="32 bytes"):
        native.VerifyingKey(bytes(33))
    off_curve = bytes([2]) + bytes(31)  # y = 2 has no x on edwards25519
    with pytest.raises(ValueError, match="curve point"):
        native.VerifyingKey(off_curve)
    with pytest.raises(TypeError):
        native.SigningKey("not bytes")
    assert "9d61" not in repr(native.SigningKey(bytes.fromhex(VECTORS[0]["secret_key"])))


def test_pynacl_keys_of_the_wrong_size_are_refused_and_never_show_the_secret() -> None:
    with pytest.raises(ValueError):
        ed25519.SodiumSigningKey(bytes(31))
    with pytest.raises(ValueError, match="32 bytes"):
        ed25519.SodiumVerifyingKey(bytes(33))
    assert "9d61" not in repr(ed25519.SodiumSigningKey(bytes.fromhex(VECTORS[0]["secret_key"])))
