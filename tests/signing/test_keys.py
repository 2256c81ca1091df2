"""Key sources, key ids, the keyring and what rotation and compromise mean for verification."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from signing import (
    EncryptedPKCS8FileKeySource,
    KeyRing,
    KeySourceError,
    KeyStatus,
    PKCS11KeySource,
    PublishedKey,
    RecordFormatError,
    Signer,
    UnsafeDevelopmentKeySource,
    UnsafeKeyWarning,
    Verdict,
    VerificationError,
    issue_label_url,
    verify_label_url,
)
from signing.errors import Reason
from signing.keys import write_encrypted_pkcs8
from tests.needs import need

SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"


def test_encrypted_pkcs8_file_round_trips(tmp_path: Path, private_key: Ed25519PrivateKey) -> None:
    path = tmp_path / "issuing.pem"
    write_encrypted_pkcs8(private_key, path, b"correct horse")
    assert b"ENCRYPTED PRIVATE KEY" in path.read_bytes()
    assert path.stat().st_mode & 0o777 == 0o600
    loaded = EncryptedPKCS8FileKeySource(path, "correct horse").load_private_key()
    assert loaded.sign(b"x") == private_key.sign(b"x")


def test_encrypted_pkcs8_file_refuses_a_wrong_or_empty_passphrase(
    tmp_path: Path, private_key: Ed25519PrivateKey
) -> None:
    path = tmp_path / "issuing.pem"
    write_encrypted_pkcs8(private_key, path, b"correct horse")
    with pytest.raises(KeySourceError, match="cannot load"):
        EncryptedPKCS8FileKeySource(path, "wrong").load_private_key()
    with pytest.raises(KeySourceError, match="passphrase"):
        EncryptedPKCS8FileKeySource(path, "").load_private_key()
    with pytest.raises(KeySourceError, match="cannot read"):
        EncryptedPKCS8FileKeySource(tmp_path / "missing.pem", "x").load_private_key()


def test_unsafe_development_key_warns_and_is_stable_across_loads(tmp_path: Path) -> None:
    source = UnsafeDevelopmentKeySource(tmp_path / "dev" / "signing-key.pem")
    with pytest.warns(UnsafeKeyWarning, match="UNSAFE"):
        first = Signer.from_key_source(source)
    with pytest.warns(UnsafeKeyWarning):
        second = Signer.from_key_source(source)
    assert first.kid == second.kid
    assert (tmp_path / "dev" / "signing-key.pem").stat().st_mode & 0o777 == 0o600


def test_jwks_round_trips_with_status_metadata(private_key: Ed25519PrivateKey, other_signer: Signer) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    ring = KeyRing((PublishedKey.from_public_key(private_key.public_key(), created_at=now),))
    ring = ring.rotate(other_signer.private_key.public_key(), now=now + timedelta(days=30))
    ring = ring.mark_compromised(ring.keys[0].kid, after=now + timedelta(days=10))
    again = KeyRing.from_jwks(ring.to_jwks())
    assert again == ring
    assert [jwk["status"] for jwk in ring.to_jwks()["keys"]] == ["compromised", "current"]
    assert ring.to_jwks()["keys"][0]["compromised_after"] == "2026-01-11T00:00:00Z"


def test_jwks_with_a_kid_that_is_not_the_thumbprint_is_refused(private_key: Ed25519PrivateKey) -> None:
    jwk = PublishedKey.from_public_key(private_key.public_key()).to_jwk()
    with pytest.raises(RecordFormatError, match="thumbprint"):
        KeyRing.from_jwks({"keys": [jwk | {"kid": "someone-else"}]})
    with pytest.raises(RecordFormatError, match="OKP"):
        KeyRing.from_jwks({"keys": [jwk | {"crv": "P-256"}]})
    with pytest.raises(RecordFormatError, match="compromised_after"):
        KeyRing.from_jwks({"keys": [jwk | {"status": "compromised"}]})


def test_rotation_keeps_old_labels_verifying_and_new_ones_use_the_new_key(
    signer: Signer, other_signer: Signer, keyring: KeyRing
) -> None:
    old_label = issue_label_url(
        "verify.mib.gov.bd", "4006381333931", "001AAAAAAAAAA", date(2026, 3, 1), signer
    )
    rotated = keyring.rotate(other_signer.private_key.public_key(), now=datetime(2026, 6, 1, tzinfo=UTC))
    assert rotated.current is not None and rotated.current.kid == other_signer.kid
    assert [key.status for key in rotated] == [KeyStatus.RETIRED, KeyStatus.CURRENT]
    new_label = issue_label_url(
        "verify.mib.gov.bd", "4006381333931", "001AAAAAAAAAB", date(2026, 6, 2), other_signer
    )
    verify_label_url(old_label, rotated.to_jwks())
    verify_label_url(new_label, rotated.to_jwks())


def test_a_retired_key_is_not_trusted_for_labels_dated_after_its_retirement(
    signer: Signer, other_signer: Signer, keyring: KeyRing
) -> None:
    rotated = keyring.rotate(other_signer.private_key.public_key(), now=datetime(2026, 6, 1, 9, tzinfo=UTC))
    same_day = issue_label_url(
        "verify.mib.gov.bd", "4006381333931", "001AAAAAAAAAA", date(2026, 6, 1), signer
    )
    verify_label_url(same_day, rotated)
    late = issue_label_url("verify.mib.gov.bd", "4006381333931", "001AAAAAAAAAA", date(2026, 6, 2), signer)
    with pytest.raises(VerificationError) as caught:
        verify_label_url(late, rotated)
    assert caught.value.verdict is Verdict.UNTRUSTED_KEY


def test_compromise_distrusts_what_the_key_signed_after_the_time_only(
    signer: Signer, keyring: KeyRing
) -> None:
    after = datetime(2026, 5, 10, 15, 30, tzinfo=UTC)
    compromised = keyring.mark_compromised(signer.kid, after=after)
    before = issue_label_url("verify.mib.gov.bd", "4006381333931", "001AAAAAAAAAA", date(2026, 5, 9), signer)
    verify_label_url(before, compromised)
    for day in (date(2026, 5, 10), date(2026, 5, 11)):  # the day of the compromise counts as after
        label = issue_label_url("verify.mib.gov.bd", "4006381333931", "001AAAAAAAAAA", day, signer)
        with pytest.raises(VerificationError) as caught:
            verify_label_url(label, compromised)
        assert caught.value.reason is Reason.KEY_COMPROMISED
        assert caught.value.verdict is Verdict.UNTRUSTED_KEY


def test_an_unknown_key_is_untrusted(signer: Signer, other_signer: Signer) -> None:
    label = issue_label_url("verify.mib.gov.bd", "4006381333931", "001AAAAAAAAAA", date(2026, 5, 9), signer)
    ring = KeyRing((PublishedKey.from_public_key(other_signer.private_key.public_key()),))
    with pytest.raises(VerificationError) as caught:
        verify_label_url(label, ring)
    assert caught.value.reason is Reason.UNKNOWN_KEY
    assert caught.value.verdict is Verdict.UNTRUSTED_KEY


def test_rotating_to_a_key_already_in_the_ring_is_refused(signer: Signer, keyring: KeyRing) -> None:
    with pytest.raises(KeySourceError):
        keyring.rotate(signer.private_key.public_key(), now=datetime(2026, 1, 1, tzinfo=UTC))


@pytest.fixture()
def softhsm_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    util = shutil.which("softhsm2-util")
    need(util and os.path.exists(SOFTHSM_MODULE), "SoftHSMv2 is not installed (apt-get install softhsm2)")
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    config = tmp_path / "softhsm2.conf"
    config.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(config))
    subprocess.run(  # noqa: S603 - fixed argv from shutil.which, no shell
        [
            util,
            "--init-token",
            "--free",
            "--label",
            "registry",
            "--pin",
            "1234",
            "--so-pin",
            "5678",
        ],
        check=True,
        capture_output=True,
    )
    return "registry"


def generate_token_key(token_label: str, key_label: str) -> None:
    import pkcs11
    from pkcs11.util.ec import encode_named_curve_parameters

    token = pkcs11.lib(SOFTHSM_MODULE).get_token(token_label=token_label)
    with token.open(user_pin="1234", rw=True) as session:
        parameters = session.create_domain_parameters(
            pkcs11.KeyType.EC_EDWARDS,
            {pkcs11.Attribute.EC_PARAMS: encode_named_curve_parameters("1.3.101.112")},  # id-Ed25519
            local=True,
        )
        parameters.generate_keypair(
            mechanism=pkcs11.Mechanism.EC_EDWARDS_KEY_PAIR_GEN, store=True, label=key_label
        )


def test_pkcs11_token_key_signs_labels_that_verify_with_the_jwks(softhsm_token: str) -> None:
    generate_token_key(softhsm_token, "issuing-2026")
    private = PKCS11KeySource(SOFTHSM_MODULE, softhsm_token, "1234", "issuing-2026").load_private_key()
    signer = Signer.from_private_key(private)
    ring = KeyRing((PublishedKey.from_public_key(private.public_key()),))
    label = issue_label_url("verify.mib.gov.bd", "4006381333931", "001AAAAAAAAAA", date(2026, 5, 9), signer)
    verify_label_url(label, ring.to_jwks())
    with pytest.raises(VerificationError):
        verify_label_url(label.replace("001AAAAAAAAAA", "001AAAAAAAAAB"), ring)
    private.close()  # type: ignore[attr-defined]


def test_pkcs11_key_source_reports_a_wrong_pin_or_label(softhsm_token: str) -> None:
    generate_token_key(softhsm_token, "issuing-2026")
    with pytest.raises(KeySourceError, match="cannot open"):
        PKCS11KeySource(SOFTHSM_MODULE, softhsm_token, "0000", "issuing-2026").load_private_key()
    with pytest.raises(KeySourceError, match="no Ed25519 key pair"):
        PKCS11KeySource(SOFTHSM_MODULE, softhsm_token, "1234", "missing").load_private_key()
