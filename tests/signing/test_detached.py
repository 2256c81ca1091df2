"""Detached signatures over whole files (open data): made with the RFC 8032 test keys, checked with the
published keys alone; any changed byte, another file's name, a foreign or compromised key, a malformed
signature each fail with their reason."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from signing import KeyRing, Signer
from signing.detached import DETACHED_TYPE, sign_detached, verify_detached
from signing.errors import Reason, VerificationError
from tests.signing.conftest import NOW

DATA = "id,name_bn\r\n1,পদ্মা ফোন\r\n".encode()
NAME = "2026-11-28/catalogue.csv"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_a_signature_verifies_and_names_its_file(signer: Signer, keyring: KeyRing) -> None:
    jws = sign_detached(DATA, signer, name=NAME, now=NOW)
    protected, payload, _signature = jws.split(".")
    assert payload == ""  # detached (RFC 7515 appendix F)
    header = verify_detached(DATA, jws, keyring.to_jwks(), name=NAME)
    assert header == {
        "alg": "EdDSA",
        "iat": int(NOW.timestamp()),
        "kid": signer.kid,
        "name": NAME,
        "typ": DETACHED_TYPE,
    }
    assert json.loads(base64.urlsafe_b64decode(protected + "==")) == header
    # an ordinary JWS verifier gets the payload back between the dots: the same signature checks out
    attached = jws.replace("..", f".{_b64(DATA)}.")
    key = keyring.find(signer.kid)
    head, body, sig = attached.split(".")
    key.verify_signature(base64.urlsafe_b64decode(sig + "=="), f"{head}.{body}".encode())


@pytest.mark.parametrize("position", [0, 5, len(DATA) - 1])
def test_any_changed_byte_fails(signer: Signer, keyring: KeyRing, position: int) -> None:
    jws = sign_detached(DATA, signer, name=NAME, now=NOW)
    changed = bytearray(DATA)
    changed[position] ^= 0x20
    with pytest.raises(VerificationError) as caught:
        verify_detached(bytes(changed), jws, keyring, name=NAME)
    assert caught.value.reason is Reason.BAD_SIGNATURE


def test_a_signature_for_another_file_or_day_fails(signer: Signer, keyring: KeyRing) -> None:
    jws = sign_detached(DATA, signer, name=NAME, now=NOW)
    with pytest.raises(VerificationError) as caught:
        verify_detached(DATA, jws, keyring, name="2026-11-29/catalogue.csv")
    assert caught.value.reason is Reason.BAD_SIGNATURE


def test_a_key_the_registry_did_not_publish_is_untrusted(other_signer: Signer, keyring: KeyRing) -> None:
    with pytest.raises(VerificationError) as caught:
        verify_detached(DATA, sign_detached(DATA, other_signer, name=NAME, now=NOW), keyring, name=NAME)
    assert caught.value.reason is Reason.UNKNOWN_KEY


def test_a_compromised_key_proves_nothing_even_for_files_dated_before(
    signer: Signer, keyring: KeyRing
) -> None:
    jws = sign_detached(DATA, signer, name=NAME, now=NOW)
    ring = keyring.mark_compromised(signer.kid, after=NOW + timedelta(days=3))
    with pytest.raises(VerificationError) as caught:
        verify_detached(DATA, jws, ring, name=NAME)
    assert caught.value.reason is Reason.KEY_COMPROMISED


@pytest.mark.parametrize(
    "mangle",
    [
        lambda jws: jws.replace("..", "." + _b64(DATA) + "."),  # payload attached: not a detached signature
        lambda jws: jws.split(".")[0],
        lambda jws: "!!!.." + jws.split("..")[1],
        lambda jws: (
            _b64(json.dumps({"alg": "EdDSA", "typ": "JWT", "kid": "k", "iat": 1, "name": NAME}).encode())
            + ".."
            + jws.split("..")[1]
        ),
        lambda jws: (
            _b64(
                json.dumps(
                    {"alg": "EdDSA", "typ": DETACHED_TYPE, "kid": "k", "iat": "1", "name": NAME}
                ).encode()
            )
            + ".."
            + jws.split("..")[1]
        ),
        lambda jws: (
            _b64(json.dumps({"alg": "EdDSA", "typ": DETACHED_TYPE, "kid": "k", "iat": 1}).encode())
            + ".."
            + jws.split("..")[1]
        ),
    ],
)
def test_malformed_signatures_are_refused(signer: Signer, keyring: KeyRing, mangle: object) -> None:
    jws = sign_detached(DATA, signer, name=NAME, now=datetime(2026, 11, 28, tzinfo=UTC))
    with pytest.raises(VerificationError) as caught:
        verify_detached(DATA, mangle(jws), keyring, name=NAME)  # type: ignore[operator]
    assert caught.value.reason is Reason.MALFORMED
