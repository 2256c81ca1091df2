"""Status lists: IETF Token Status List bits, the signed token, and what it does to verdicts offline."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from signing import (
    KeyRing,
    Signer,
    StatusList,
    StatusSnapshot,
    StatusValue,
    Verdict,
    VerificationError,
    issue_label_url,
    load_status_list,
    sign_status_list,
    verify_label_url,
)
from signing.errors import Reason

from .conftest import ISSUED_ON, NOW

GTIN = "04006381333931"
OTHER_GTIN = "00000096385074"


def test_decodes_the_one_bit_example_of_the_draft() -> None:
    statuses = StatusList.from_json({"bits": 1, "lst": "eNrbuRgAAhcBXQ"})
    assert statuses.to_bytes() == bytes([0xB9, 0xA3])
    assert [statuses.get(i) for i in range(16)] == [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]


def test_decodes_the_two_bit_example_of_the_draft() -> None:
    statuses = StatusList.from_json({"bits": 2, "lst": "eNo76fITAAPfAgc"})
    assert statuses.to_bytes() == bytes([0xC9, 0x44, 0xF9])
    assert [statuses.get(i) for i in range(12)] == [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3]


def test_setting_bits_reproduces_the_draft_examples() -> None:
    one = StatusList(16, bits=1)
    for index in (0, 3, 4, 5, 7, 8, 9, 13, 15):
        one.set(index, 1)
    assert one.to_json() == {"bits": 1, "lst": "eNrbuRgAAhcBXQ"}
    two = StatusList(12, bits=2)
    for index, value in enumerate([1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3]):
        two.set(index, value)
    assert two.to_json() == {"bits": 2, "lst": "eNo76fITAAPfAgc"}


def test_set_overwrites_only_its_own_bits() -> None:
    statuses = StatusList(8, bits=2)
    statuses.set(5, StatusValue.SUSPENDED)
    statuses.set(5, StatusValue.INVALID)
    assert [statuses.get(i) for i in range(8)] == [0, 0, 0, 0, 0, 1, 0, 0]
    with pytest.raises(ValueError):
        statuses.set(1, 4)
    with pytest.raises(IndexError):
        statuses.get(8)


def make_snapshot(
    product: StatusValue = StatusValue.VALID, batch: StatusValue = StatusValue.VALID
) -> StatusSnapshot:
    statuses = StatusList(16, bits=2)
    statuses.set(0, product)
    statuses.set(1, batch)
    return StatusSnapshot(
        uri="https://verify.mib.gov.bd/status/1",
        statuses=statuses,
        gtin_index={GTIN: 0, OTHER_GTIN: 2},
        batch_index={GTIN: {"001": 1, "002": 3}},
        recalled_units={GTIN: frozenset({"002RECALLED01"})},
    )


def test_signed_token_is_a_statuslist_jwt(signer: Signer, keyring: KeyRing) -> None:
    token = sign_status_list(make_snapshot(), signer, now=NOW, ttl=timedelta(hours=24))
    header, payload, _ = token.split(".")
    assert json.loads(base64.urlsafe_b64decode(header + "==")) == {
        "alg": "EdDSA",
        "kid": signer.kid,
        "typ": "statuslist+jwt",
    }
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    assert claims["sub"] == "https://verify.mib.gov.bd/status/1"
    assert claims["exp"] - claims["iat"] == claims["ttl"] == 86400
    assert claims["status_list"]["bits"] == 2
    loaded = load_status_list(token, keyring.to_jwks(), now=NOW)
    assert loaded.gtin_index == {GTIN: 0, OTHER_GTIN: 2}
    assert loaded.statuses.to_bytes() == make_snapshot().statuses.to_bytes()


@pytest.mark.parametrize(
    ("snapshot", "serial", "verdict", "reason"),
    [
        (
            make_snapshot(product=StatusValue.INVALID),
            "001AAAAAAAAAA",
            Verdict.REVOKED,
            Reason.LICENCE_REVOKED,
        ),
        (
            make_snapshot(product=StatusValue.SUSPENDED),
            "001AAAAAAAAAA",
            Verdict.SUSPENDED,
            Reason.LICENCE_SUSPENDED,
        ),
        (
            make_snapshot(product=StatusValue.EXPIRED),
            "001AAAAAAAAAA",
            Verdict.EXPIRED,
            Reason.LICENCE_EXPIRED,
        ),
        (make_snapshot(batch=StatusValue.INVALID), "001AAAAAAAAAA", Verdict.REVOKED, Reason.BATCH_REVOKED),
        (
            make_snapshot(batch=StatusValue.SUSPENDED),
            "001AAAAAAAAAA",
            Verdict.SUSPENDED,
            Reason.BATCH_SUSPENDED,
        ),
        (make_snapshot(), "002RECALLED01", Verdict.RECALLED, Reason.UNIT_RECALLED),
        (make_snapshot(), "003ANOTHER000", Verdict.NOT_GENUINE, Reason.SERIAL_NOT_ISSUED),
    ],
)
def test_status_list_withdraws_labels_offline(
    snapshot: StatusSnapshot, serial: str, verdict: Verdict, reason: Reason, signer: Signer, keyring: KeyRing
) -> None:
    url = issue_label_url("verify.mib.gov.bd", GTIN, serial, ISSUED_ON, signer)
    verify_label_url(url, keyring)
    token = sign_status_list(snapshot, signer, now=NOW, ttl=timedelta(days=1))
    with pytest.raises(VerificationError) as caught:
        verify_label_url(url, keyring, load_status_list(token, keyring, now=NOW))
    assert (caught.value.verdict, caught.value.reason) == (verdict, reason)


def test_a_clean_status_list_keeps_labels_genuine(signer: Signer, keyring: KeyRing) -> None:
    snapshot = load_status_list(
        sign_status_list(make_snapshot(), signer, now=NOW, ttl=timedelta(days=1)), keyring, now=NOW
    )
    for serial in ("001AAAAAAAAAA", "002RECALLED02"):
        verify_label_url(
            issue_label_url("verify.mib.gov.bd", GTIN, serial, ISSUED_ON, signer), keyring, snapshot
        )


def test_an_expired_status_list_is_refused(signer: Signer, keyring: KeyRing) -> None:
    token = sign_status_list(make_snapshot(), signer, now=NOW, ttl=timedelta(hours=1))
    with pytest.raises(VerificationError) as caught:
        load_status_list(token, keyring, now=NOW + timedelta(hours=2))
    assert caught.value.reason is Reason.STATUS_LIST_EXPIRED
    assert caught.value.verdict is Verdict.UNKNOWN


@pytest.mark.parametrize("part", [0, 1, 2])
def test_a_tampered_status_list_is_refused(part: int, signer: Signer, keyring: KeyRing) -> None:
    token = sign_status_list(
        make_snapshot(product=StatusValue.INVALID), signer, now=NOW, ttl=timedelta(days=1)
    )
    pieces = token.split(".")
    if part == 1:  # flip the revocation back to valid
        claims = json.loads(base64.urlsafe_b64decode(pieces[1] + "=="))
        claims["status_list"] = StatusList(16, bits=2).to_json()
        pieces[1] = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    elif part == 0:
        pieces[0] = base64.urlsafe_b64encode(b'{"alg":"none","typ":"statuslist+jwt"}').rstrip(b"=").decode()
    else:
        pieces[2] = pieces[2][::-1]
    with pytest.raises(VerificationError) as caught:
        load_status_list(".".join(pieces), keyring, now=NOW)
    assert caught.value.reason is Reason.STATUS_LIST_INVALID


def test_a_status_list_signed_by_an_unknown_key_is_refused(other_signer: Signer, keyring: KeyRing) -> None:
    token = sign_status_list(make_snapshot(), other_signer, now=NOW, ttl=timedelta(days=1))
    with pytest.raises(VerificationError) as caught:
        load_status_list(token, keyring, now=NOW)
    assert caught.value.reason is Reason.STATUS_LIST_INVALID


def test_index_outside_the_list_is_refused(signer: Signer, keyring: KeyRing) -> None:
    snapshot = make_snapshot()
    broken = StatusSnapshot(uri=snapshot.uri, statuses=snapshot.statuses, gtin_index={GTIN: 9999})
    with pytest.raises(VerificationError, match="outside"):
        load_status_list(sign_status_list(broken, signer, now=NOW, ttl=timedelta(days=1)), keyring, now=NOW)


def test_issued_at_is_kept(signer: Signer, keyring: KeyRing) -> None:
    token = sign_status_list(make_snapshot(), signer, now=NOW, ttl=timedelta(days=1))
    loaded = load_status_list(token, keyring, now=NOW)
    assert loaded.issued_at == NOW and loaded.expires_at == NOW + timedelta(days=1)
    assert loaded.issued_at.tzinfo is UTC or loaded.issued_at.utcoffset() == timedelta(0)
    assert isinstance(loaded.issued_at, datetime)
