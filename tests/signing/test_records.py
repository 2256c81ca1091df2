"""Authenticity records: sign, download, verify with the published keys alone; any change fails."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from signing import (
    AuthenticityRecord,
    Certificate,
    KeyRing,
    LicenceStatus,
    PublishedKey,
    RecordFormatError,
    SignedRecord,
    Signer,
    Verdict,
    VerificationError,
    sign_record,
    verify_record,
)
from signing.errors import Reason

from .conftest import NOW

ISSUED = datetime(2026, 11, 28, 10, 15, 30, tzinfo=UTC)


def make_record(**changes: Any) -> AuthenticityRecord:
    fields: dict[str, Any] = {
        "product_id": "prd_01HZX",
        "gtin": "4006381333931",
        "brand": "Walton",
        "model": "Primo X5 (ওয়ালটন)",
        "manufacturer_id": "mfr_17",
        "manufacturer_legal_name": "Walton Hi-Tech Industries PLC",
        "licence_status": LicenceStatus.GRANTED,
        "valid_from": date(2026, 1, 1),
        "valid_until": date(2028, 12, 31),
        "certificates": (Certificate("BTRC type approval", "BTRC/LS/2026/118", date(2029, 1, 31)),),
    }
    fields.update(changes)
    return AuthenticityRecord(**fields)


def test_signed_record_has_the_documented_shape(signer: Signer) -> None:
    signed = sign_record(make_record(), signer, issued_at=ISSUED)
    document = json.loads(signed.to_bytes())
    assert document["record"] == {
        "type": "mib.authenticity-record",
        "version": 1,
        "product": {
            "id": "prd_01HZX",
            "gtin": "04006381333931",
            "brand": "Walton",
            "model": "Primo X5 (ওয়ালটন)",
        },
        "manufacturer": {"id": "mfr_17", "legal_name": "Walton Hi-Tech Industries PLC"},
        "licence": {"status": "granted", "valid_from": "2026-01-01", "valid_until": "2028-12-31"},
        "certificates": [
            {"scheme": "BTRC type approval", "number": "BTRC/LS/2026/118", "valid_until": "2029-01-31"}
        ],
        "issued_at": "2026-11-28T10:15:30Z",
        "kid": "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k",
    }
    assert signed.to_bytes().startswith(b'{"record":{"certificates":')  # RFC 8785: keys sorted, no spaces


def test_downloaded_record_verifies_with_the_published_keys_alone(signer: Signer, keyring: KeyRing) -> None:
    downloaded = sign_record(make_record(), signer, issued_at=ISSUED).to_bytes()
    jwks = json.loads(json.dumps(keyring.to_jwks()))
    verify_record(downloaded, jwks, now=NOW)
    assert verify_record(SignedRecord.from_json(downloaded.decode()), keyring, now=NOW) is None


def leaf_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaf_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaf_paths(item, (*path, index))
    else:
        yield path


def tamper(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return "tampered"
    if isinstance(value, int):
        return value + 1
    if value and value[-1].isdigit():
        return value[:-1] + str((int(value[-1]) + 1) % 10)
    return value + "x"


ZERO_KEY = Ed25519PrivateKey.from_private_bytes(bytes(32))
RECORD_DOCUMENT = sign_record(
    AuthenticityRecord(
        product_id="p1",
        gtin="4006381333931",
        brand="Walton",
        model="X5",
        manufacturer_id="m1",
        manufacturer_legal_name="Walton PLC",
        licence_status=LicenceStatus.GRANTED,
        valid_from=date(2026, 1, 1),
        valid_until=date(2028, 12, 31),
        certificates=(Certificate("BSTI", "B-1", date(2029, 1, 1)),),
    ),
    Signer.from_private_key(ZERO_KEY),
    issued_at=ISSUED,
).to_json()


@pytest.mark.parametrize(
    "path", list(leaf_paths(RECORD_DOCUMENT["record"])), ids=lambda path: ".".join(map(str, path))
)
def test_changing_any_field_of_a_record_fails_verification(path: tuple[Any, ...]) -> None:
    ring = KeyRing((PublishedKey.from_public_key(ZERO_KEY.public_key()),))
    verify_record(RECORD_DOCUMENT, ring, now=NOW)
    document = copy.deepcopy(RECORD_DOCUMENT)
    target = document["record"]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = tamper(target[path[-1]])
    with pytest.raises(VerificationError) as caught:
        verify_record(document, ring, now=NOW)
    assert caught.value.verdict in (Verdict.NOT_GENUINE, Verdict.UNTRUSTED_KEY)


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["record"].update(extra="field"),
        lambda d: d["record"]["certificates"].append({"scheme": "X", "number": "1", "valid_until": None}),
        lambda d: d["record"].pop("licence"),
        lambda d: d.update(signature=d["signature"][:-2]),
        lambda d: d.update(signature=d["signature"] + "A"),
        lambda d: d.update(extra=1),
    ],
    ids=[
        "added-member",
        "added-certificate",
        "removed-member",
        "short-signature",
        "long-signature",
        "outer-member",
    ],
)
def test_structural_changes_are_not_genuine(change: Any, signer: Signer, keyring: KeyRing) -> None:
    document = sign_record(make_record(), signer, issued_at=ISSUED).to_json()
    change(document)
    with pytest.raises(VerificationError) as caught:
        verify_record(document, keyring, now=NOW)
    assert caught.value.verdict is Verdict.NOT_GENUINE


def test_a_record_signed_by_another_key_is_untrusted(other_signer: Signer, keyring: KeyRing) -> None:
    signed = sign_record(make_record(), other_signer, issued_at=ISSUED)
    with pytest.raises(VerificationError) as caught:
        verify_record(signed, keyring, now=NOW)
    assert caught.value.reason is Reason.UNKNOWN_KEY


def test_a_record_issued_after_the_key_was_compromised_is_untrusted(signer: Signer, keyring: KeyRing) -> None:
    ring = keyring.mark_compromised(signer.kid, after=datetime(2026, 11, 28, 10, 0, tzinfo=UTC))
    with pytest.raises(VerificationError) as caught:
        verify_record(sign_record(make_record(), signer, issued_at=ISSUED), ring, now=NOW)
    assert caught.value.verdict is Verdict.UNTRUSTED_KEY
    # dated before the compromise: a thief could have back-dated it, so only the registry can vouch for it
    with pytest.raises(VerificationError) as caught:
        verify_record(
            sign_record(make_record(), signer, issued_at=datetime(2026, 11, 28, 9, tzinfo=UTC)), ring, now=NOW
        )
    assert (caught.value.verdict, caught.value.reason) == (Verdict.UNKNOWN, Reason.CHECK_ONLINE)


def test_a_future_dated_record_is_refused(signer: Signer, keyring: KeyRing) -> None:
    verify_record(sign_record(make_record(), signer, issued_at=NOW + timedelta(hours=23)), keyring, now=NOW)
    with pytest.raises(VerificationError) as caught:
        verify_record(sign_record(make_record(), signer, issued_at=NOW + timedelta(days=2)), keyring, now=NOW)
    assert (caught.value.verdict, caught.value.reason) == (Verdict.NOT_GENUINE, Reason.FUTURE_DATED)


@pytest.mark.parametrize(
    ("changes", "verdict"),
    [
        ({"licence_status": LicenceStatus.SUSPENDED}, Verdict.SUSPENDED),
        ({"licence_status": LicenceStatus.REVOKED}, Verdict.REVOKED),
        ({"licence_status": LicenceStatus.EXPIRED}, Verdict.EXPIRED),
        ({"valid_until": date(2026, 11, 27)}, Verdict.EXPIRED),
        ({"valid_from": date(2026, 12, 1), "valid_until": None}, Verdict.UNKNOWN),
    ],
)
def test_the_licence_in_the_record_decides_the_verdict(
    changes: dict[str, Any], verdict: Verdict, signer: Signer, keyring: KeyRing
) -> None:
    signed = sign_record(make_record(**changes), signer, issued_at=ISSUED)
    with pytest.raises(VerificationError) as caught:
        verify_record(signed, keyring, now=NOW)
    assert caught.value.verdict is verdict


def test_record_models_check_their_own_structure() -> None:
    with pytest.raises(RecordFormatError):
        make_record(valid_from=date(2027, 1, 1), valid_until=date(2026, 1, 1))
    with pytest.raises(ValueError, match="check digit"):
        make_record(gtin="4006381333932")
    with pytest.raises(RecordFormatError, match="sign_record"):
        make_record().to_json()
    with pytest.raises(RecordFormatError, match="not JSON"):
        SignedRecord.from_json("{")


texts = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40).filter(
    lambda s: s.strip()
)


@settings(max_examples=60, deadline=None)
@given(brand=texts, model=texts, legal_name=texts, number=texts, seconds=st.integers(0, 10**8))
def test_any_record_round_trips_and_any_change_to_it_fails(
    brand: str, model: str, legal_name: str, number: str, seconds: int
) -> None:
    private = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    ring = KeyRing((PublishedKey.from_public_key(private.public_key()),))
    record = make_record(
        brand=brand,
        model=model,
        manufacturer_legal_name=legal_name,
        certificates=(Certificate("BSTI", number, None),),
    )
    issued = datetime.fromtimestamp(1_672_531_200 + seconds, UTC)
    signed = sign_record(record, Signer.from_private_key(private), issued_at=issued)
    verify_record(signed.to_bytes(), ring, now=NOW)
    document = json.loads(signed.to_bytes())
    document["record"]["product"]["brand"] = brand + "."
    with pytest.raises(VerificationError):
        verify_record(document, ring, now=NOW)
