"""Published vectors: RFC 8032 Ed25519, RFC 8785 canonical JSON, RFC 7638/8037 thumbprints, COSE encoding."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from signing import KeyRing, PublishedKey, Signer, VerificationError, compute_key_id
from signing.canonical import canonicalize
from signing.labels import encode_to_be_signed

VECTORS = Path(__file__).parent / "vectors"

# RFC 8032 section 7.1: (SECRET KEY, PUBLIC KEY, MESSAGE, SIGNATURE)
RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
]


@pytest.mark.parametrize(
    ("secret", "public", "message", "signature"), RFC8032, ids=["TEST1", "TEST2", "TEST3"]
)
def test_signer_reproduces_rfc8032_signatures(secret: str, public: str, message: str, signature: str) -> None:
    signer = Signer.from_private_key(Ed25519PrivateKey.from_private_bytes(bytes.fromhex(secret)))
    assert signer.private_key.public_key().public_bytes_raw().hex() == public
    assert signer.sign(bytes.fromhex(message)).hex() == signature


@pytest.mark.parametrize(
    ("secret", "public", "message", "signature"), RFC8032, ids=["TEST1", "TEST2", "TEST3"]
)
def test_published_key_accepts_rfc8032_signature_and_rejects_a_flipped_bit(
    secret: str, public: str, message: str, signature: str
) -> None:
    key = PublishedKey.from_jwk({"kty": "OKP", "crv": "Ed25519", "x": _b64url(bytes.fromhex(public))})
    key.verify_signature(bytes.fromhex(signature), bytes.fromhex(message))
    flipped = bytearray(bytes.fromhex(signature))
    flipped[0] ^= 1
    with pytest.raises(VerificationError):
        key.verify_signature(bytes(flipped), bytes.fromhex(message))


def test_key_id_is_the_rfc8037_appendix_a3_thumbprint() -> None:
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    key = PublishedKey.from_jwk(jwk)
    assert key.kid == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    # RFC 8037 A.1: the same key from its private half "d"
    private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(RFC8032[0][0]))
    assert compute_key_id(private.public_key()) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_jwks_entry_is_an_rfc7517_okp_key() -> None:
    private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(RFC8032[0][0]))
    jwks = KeyRing((PublishedKey.from_public_key(private.public_key()),)).to_jwks()
    assert jwks["keys"][0] | {} == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
        "kid": "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k",
        "use": "sig",
        "alg": "EdDSA",
        "status": "current",
    }


@pytest.mark.parametrize("name", sorted(path.stem for path in (VECTORS / "jcs" / "input").glob("*.json")))
def test_canonical_json_matches_cyberphone_vectors(name: str) -> None:
    source = json.loads((VECTORS / "jcs" / "input" / f"{name}.json").read_text(encoding="utf-8"))
    expected = (VECTORS / "jcs" / "output" / f"{name}.json").read_bytes()
    assert canonicalize(source) == expected


def test_all_six_cyberphone_vectors_are_present() -> None:
    assert len(list((VECTORS / "jcs" / "input").glob("*.json"))) == 6


@pytest.mark.parametrize("serial", ["001A9E2SE00GK", None, "X" * 20])
def test_label_to_be_signed_is_deterministic_cbor_of_the_cose_sig_structure(serial: str | None) -> None:
    tag = bytes.fromhex("90facafea9")
    claims: dict[int, object] = {1: "verify.mib.gov.bd", 2: "08901234567890", 4: date(2026, 11, 28)}
    if serial is not None:
        claims[3] = serial
    expected = cbor2.dumps(
        [
            "Signature1",
            cbor2.dumps({1: -8, 4: tag}, canonical=True),
            b"",
            cbor2.dumps(claims, canonical=True),
        ],
        canonical=True,
    )
    assert (
        encode_to_be_signed("verify.mib.gov.bd", "08901234567890", serial, date(2026, 11, 28), tag)
        == expected
    )


def test_label_to_be_signed_matches_hand_written_cbor() -> None:
    expected = bytes.fromhex(
        "84"  # array(4)
        "6a"
        + b"Signature1".hex()  # text(10) "Signature1"
        + "4a"
        + "a2"
        "01"
        "27"
        "04"
        "45"
        "90facafea9"  # bstr(10) {1: -8, 4: h'90facafea9'}
        + "40"  # bstr(0) external_aad
        + "58"
        "42"  # bstr(66) payload
        + "a4"  # map(4)
        + "01"
        "71"
        + b"verify.mib.gov.bd".hex()  # 1: text(17)
        + "02"
        "6e"
        + b"08901234567890".hex()  # 2: text(14)
        + "03"
        "6d"
        + b"001A9E2SE00GK".hex()  # 3: text(13)
        + "04"
        "d903ec"
        "6a" + b"2026-11-28".hex()  # 4: tag 1004 text(10)
    )
    actual = encode_to_be_signed(
        "verify.mib.gov.bd",
        "08901234567890",
        "001A9E2SE00GK",
        date(2026, 11, 28),
        bytes.fromhex("90facafea9"),
    )
    assert actual == expected


def _b64url(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
