"""What a status list lets an offline verifier say about labels signed by a key compromised since: the batch's
creation day decides what it can refuse, and the rest is sent online."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from signing import (
    KeyRing,
    PublishedKey,
    Signer,
    StatusList,
    StatusSnapshot,
    VerificationError,
    issue_label_url,
)
from signing import verify_label_url as verify
from signing.errors import Reason, Verdict

from .conftest import NOW

GTIN = "04006381333931"
COMPROMISED_AFTER = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
EPOCH = date(1970, 1, 1)


def snapshot(batch_day: date | None) -> StatusSnapshot:
    return StatusSnapshot(
        uri="https://verify.mib.gov.bd/status/1",
        statuses=StatusList(4),
        gtin_index={GTIN: 0},
        batch_index={GTIN: {"001": 1}},
        batch_days={} if batch_day is None else {GTIN: {"001": (batch_day - EPOCH).days}},
    )


def compromised(signer: Signer) -> KeyRing:
    ring = KeyRing(
        (PublishedKey.from_public_key(signer.private_key.public_key(), created_at=NOW.replace(year=2025)),)
    )
    return ring.mark_compromised(signer.kid, after=COMPROMISED_AFTER)


@pytest.mark.parametrize(
    ("batch_day", "reason"),
    [
        (date(2026, 11, 21), Reason.BATCH_AFTER_COMPROMISE),
        (date(2026, 11, 20), Reason.BATCH_AFTER_COMPROMISE),  # the day of the compromise counts as after
        (date(2026, 11, 19), Reason.CHECK_ONLINE),  # older batch: only the registry knows its serials
        (None, Reason.CHECK_ONLINE),  # a list without creation days cannot refuse anything more
    ],
)
def test_a_back_dated_label_under_a_compromised_key_is_never_genuine_offline(
    batch_day: date | None, reason: Reason, signer: Signer
) -> None:
    url = issue_label_url("verify.mib.gov.bd", GTIN, "001AAAAAAAAAA", date(2026, 11, 1), signer)
    with pytest.raises(VerificationError) as caught:
        verify(url, compromised(signer), snapshot(batch_day), now=NOW)
    assert caught.value.reason is reason
    assert caught.value.verdict is {Reason.CHECK_ONLINE: Verdict.UNKNOWN}.get(reason, Verdict.NOT_GENUINE)


def test_the_same_label_under_a_trusted_key_is_genuine(signer: Signer, keyring: KeyRing) -> None:
    url = issue_label_url("verify.mib.gov.bd", GTIN, "001AAAAAAAAAA", date(2026, 11, 1), signer)
    assert verify(url, keyring, snapshot(date(2026, 11, 1)), now=NOW) is None


def test_batch_days_survive_signing_and_loading(signer: Signer, keyring: KeyRing) -> None:
    from signing import load_status_list, sign_status_list

    token = sign_status_list(snapshot(date(2026, 11, 19)), signer, now=NOW, ttl=timedelta(days=1))
    loaded = load_status_list(token, keyring, now=NOW)
    assert loaded.batch_days == {GTIN: {"001": (date(2026, 11, 19) - EPOCH).days}}
