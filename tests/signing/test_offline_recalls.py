"""Recalls offline: the status list carries product, batch and unit recalls with their day and a short reason in
both languages, and ``python -m signing verify`` answers ``recalled`` (exit 16) with them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from signing import (
    Signer,
    StatusList,
    StatusSnapshot,
    VerificationError,
    issue_label_url,
    load_status_list,
    sign_status_list,
    verify_label_url,
)
from signing.errors import Reason, Verdict
from signing.offline import main
from signing.status import RECALL_REASON_CHARS, GTINRecalls, RecallSummary
from tests.factories import RECALL_WORDS
from tests.signing.test_web import batch_urls, maker, new_batch, product  # noqa: F401

from .conftest import NOW

GTIN = "04006381333931"
HOST = "verify.mib.gov.bd"
CHARGER = RecallSummary.short(date(2026, 11, 20), RECALL_WORDS["reason_en"], RECALL_WORDS["reason_bn"])


def snapshot(recalls: GTINRecalls, recalled_units: frozenset[str] = frozenset()) -> StatusSnapshot:
    return StatusSnapshot(
        uri=f"https://{HOST}/status/1",
        statuses=StatusList(4),
        gtin_index={GTIN: 0},
        batch_index={GTIN: {"001": 1, "002": 2}},
        recalled_units={GTIN: recalled_units},
        recalls={GTIN: recalls},
    )


@pytest.mark.parametrize(
    ("recalls", "serial", "reason"),
    [
        (GTINRecalls(product=CHARGER), "001AAAAAAAAAA", Reason.PRODUCT_RECALLED),
        (GTINRecalls(product=CHARGER), None, Reason.PRODUCT_RECALLED),
        (GTINRecalls(batches={"001": CHARGER}), "001AAAAAAAAAA", Reason.BATCH_RECALLED),
        (GTINRecalls(units={"001AAAAAAAAAA": CHARGER}), "001AAAAAAAAAA", Reason.UNIT_RECALLED),
    ],
)
def test_a_recall_in_the_list_makes_a_genuine_label_recalled_with_its_reason(
    recalls: GTINRecalls, serial: str | None, reason: Reason, signer: Signer, keyring: Any
) -> None:
    token = sign_status_list(snapshot(recalls), signer, now=NOW, ttl=timedelta(days=1))
    loaded = load_status_list(token, keyring, now=NOW)  # through the signed token and back
    url = issue_label_url(HOST, GTIN, serial, date(2026, 11, 28), signer)
    with pytest.raises(VerificationError) as caught:
        verify_label_url(url, keyring, loaded, now=NOW)
    assert (caught.value.verdict, caught.value.reason) == (Verdict.RECALLED, reason)
    assert "2026-11-20" in caught.value.detail
    assert (
        RECALL_WORDS["reason_en"] in caught.value.detail and RECALL_WORDS["reason_bn"] in caught.value.detail
    )


def test_other_batches_and_units_of_a_partly_recalled_product_stay_genuine(
    signer: Signer, keyring: Any
) -> None:
    status = snapshot(GTINRecalls(batches={"001": CHARGER}, units={"001AAAAAAAAAA": CHARGER}))
    assert (
        verify_label_url(
            issue_label_url(HOST, GTIN, "002AAAAAAAAAA", date(2026, 11, 28), signer), keyring, status, now=NOW
        )
        is None
    )


def test_a_unit_listed_only_in_recalled_units_is_still_recalled(signer: Signer, keyring: Any) -> None:
    status = snapshot(GTINRecalls(), recalled_units=frozenset({"002AAAAAAAAAA"}))
    with pytest.raises(VerificationError) as caught:
        verify_label_url(
            issue_label_url(HOST, GTIN, "002AAAAAAAAAA", date(2026, 11, 28), signer), keyring, status, now=NOW
        )
    assert caught.value.reason is Reason.UNIT_RECALLED


def test_a_label_the_list_cannot_vouch_for_is_not_called_recalled(signer: Signer, keyring: Any) -> None:
    status = snapshot(GTINRecalls(product=CHARGER))
    with pytest.raises(VerificationError) as caught:  # a batch that does not exist: a forgery, not a recall
        verify_label_url(
            issue_label_url(HOST, GTIN, "009AAAAAAAAAA", date(2026, 11, 28), signer), keyring, status, now=NOW
        )
    assert caught.value.reason is Reason.SERIAL_NOT_ISSUED


def test_long_reasons_are_cut_short_in_the_list() -> None:
    summary = RecallSummary.short(date(2026, 11, 20), "word " * 100, "শব্দ " * 100)
    assert len(summary.reason_en) == len(summary.reason_bn) == RECALL_REASON_CHARS
    assert summary.reason_en.endswith("…")


def test_recalls_made_through_the_api_reach_the_offline_verifier(
    sclient: Any,
    sapp: Any,
    maker: Any,  # noqa: F811
    product: Any,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first, second, third = (new_batch(sclient, maker, product) for _ in range(3))
    unit_url, kept_url = batch_urls(sclient, maker, first, stop=2)
    batch_url = batch_urls(sclient, maker, second, stop=1)[0]
    resp = sclient.post("/api/v1/units/recall", json={"url": unit_url, **RECALL_WORDS}, headers=maker.headers)
    assert resp.status_code in (200, 201), resp.get_json()
    resp = sclient.post(f"/api/v1/batches/{second['id']}/recall", json=RECALL_WORDS, headers=maker.headers)
    assert resp.status_code == 201, resp.get_json()
    jwks = tmp_path / "jwks.json"
    assert sapp.test_cli_runner().invoke(args=["signing", "export-jwks", "--out", str(jwks)]).exit_code == 0

    def offline(url: str) -> tuple[int, dict[str, Any]]:
        status = tmp_path / "status.jwt"
        status.write_bytes(sclient.get("/status/1").get_data())
        code = main(["verify", url, "--jwks", str(jwks), "--status", str(status), "--json"])
        return code, json.loads(capsys.readouterr().out)

    code, report = offline(unit_url)
    assert (code, report["verdict"], report["reason"]) == (16, "recalled", "unit_recalled")
    assert report["recall"]["reason_bn"] == RECALL_WORDS["reason_bn"]
    assert report["recall"]["on"] == datetime.now(UTC).date().isoformat()
    assert offline(batch_url)[1]["reason"] == "batch_recalled"
    assert offline(kept_url)[0] == 0
    resp = sclient.post(f"/api/v1/products/{product.id}/recall", json=RECALL_WORDS, headers=maker.headers)
    assert resp.status_code == 201, resp.get_json()
    third_url = batch_urls(sclient, maker, third, stop=1)[0]
    code, report = offline(third_url)
    assert (code, report["reason"]) == (16, "product_recalled")
