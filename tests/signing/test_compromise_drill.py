"""The key-compromise drill, as an operator runs it: rotate, mark the old key compromised, and check that labels
forged with the stolen key get the right verdict online (the HTTP JSON verdict) and offline (``python -m
signing verify --jwks … --status …``), and that the record endpoints serve records re-signed under the new key.

Time line (N = now): batch A created N − 30 days; the old key is compromised after N − 10 days; the rotation and
batch B happen at N.  Forged labels are dated N − 20 days (before the compromise) unless the case says otherwise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from signing import Signer, issue_label_url, parse_label_url
from signing.offline import main
from tests.factories import CertificateFactory, ProductFactory, licensed, make_party

JSON = {"Accept": "application/json"}
UNREGISTERED_GTIN = "00000096385074"


@dataclass
class Drill:
    """What the drill set up: the stolen key, the two batches' label URLs, the published JWKS and status list."""

    now: datetime
    compromised_after: datetime
    old_signer: Signer
    new_signer: Signer
    host: str
    product: Any
    old_key_labels_of_a: list[str]  # signed by the old key before the compromise (genuine)
    new_key_labels_of_a: list[str]  # the same batch printed again under the new key
    labels_of_b: list[str]  # batch B, created after the compromise, signed by the new key
    prefix_a: str
    jwks: Path
    status: Path
    output: str

    def forge(self, gtin: str, serial: str, days_before_now: int = 20, signer: Signer | None = None) -> str:
        day = (self.now - timedelta(days=days_before_now)).date()
        return issue_label_url(self.host, gtin, serial, day, signer or self.old_signer)


def verdict_online(client: Any, url: str) -> tuple[str, list[str]]:
    resp = client.get(url, headers=JSON)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    return body["verdict"], [reason["code"] for reason in body["reasons"]]


def verdict_offline(
    capsys: pytest.CaptureFixture[str], drill: Drill, target: str
) -> tuple[str, str | None, int]:
    code = main(["verify", target, "--jwks", str(drill.jwks), "--status", str(drill.status), "--json"])
    report = json.loads(capsys.readouterr().out)
    return report["verdict"], report["reason"], code


def batch_urls(client: Any, headers: dict[str, str], batch_id: int, stop: int = 3) -> list[str]:
    resp = client.get(f"/api/v1/batches/{batch_id}/urls?stop={stop}", headers=headers)
    assert resp.status_code == 200
    return resp.get_data(as_text=True).split()


@pytest.fixture()
def drill(sapp: Any, sclient: Any, ssession: Any, tmp_path: Path) -> Drill:
    from signing import record_service
    from signing.models import SerialBatch

    maker = make_party(ssession, "manufacturer")
    product = ProductFactory(manufacturer_id=maker.manufacturer.id, **licensed())
    product.certificates.append(CertificateFactory(manufacturer_id=maker.manufacturer.id))
    ssession.commit()
    ext = sapp.extensions["signing"]
    ext.ready()
    now = datetime.now(UTC)
    old_signer = ext.signer(ssession)
    # the product's record, signed by the old key after what will be the compromise time
    record_service.sign_product_record(
        ssession, old_signer, ext.settings, product, "approve", now=now - timedelta(days=5)
    )
    resp = sclient.post(f"/api/v1/products/{product.id}/batches", json={"count": 50}, headers=maker.headers)
    assert resp.status_code == 201, resp.get_json()
    batch_a = ssession.get(SerialBatch, resp.get_json()["id"])
    batch_a.created_at = now - timedelta(days=30)  # an older batch, made long before the compromise
    batch_a.issued_on = batch_a.created_at.date()
    ssession.commit()
    old_key_labels = batch_urls(sclient, maker.headers, batch_a.id)

    runner = sapp.test_cli_runner()
    result = runner.invoke(args=["signing", "rotate-key"])
    assert result.exit_code == 0, result.output
    new_signer = ext.signer(ssession)
    assert new_signer.kid != old_signer.kid
    resp = sclient.post(f"/api/v1/products/{product.id}/batches", json={"count": 50}, headers=maker.headers)
    assert resp.status_code == 201, resp.get_json()
    labels_of_b = batch_urls(sclient, maker.headers, resp.get_json()["id"])

    compromised_after = now - timedelta(days=10)
    result = runner.invoke(
        args=["signing", "compromise", "--after", compromised_after.isoformat(), "--", old_signer.kid]
    )
    assert result.exit_code == 0, result.output
    jwks = tmp_path / "jwks.json"
    assert runner.invoke(args=["signing", "export-jwks", "--out", str(jwks)]).exit_code == 0
    status = tmp_path / "status.jwt"
    status.write_bytes(sclient.get("/status/1").get_data())
    return Drill(
        now=now,
        compromised_after=compromised_after,
        old_signer=old_signer,
        new_signer=new_signer,
        host=ext.settings.public_host,
        product=product,
        old_key_labels_of_a=old_key_labels,
        new_key_labels_of_a=batch_urls(sclient, maker.headers, batch_a.id),
        labels_of_b=labels_of_b,
        prefix_a=batch_a.prefix,
        jwks=jwks,
        status=status,
        output=result.output,
    )


def forged_cases(drill: Drill) -> dict[str, str]:
    gtin = drill.product.gtin
    real_serial_of_b = parse_label_url(drill.labels_of_b[0]).serial
    assert real_serial_of_b is not None
    return {
        "unregistered GTIN": drill.forge(UNREGISTERED_GTIN, drill.prefix_a + "0000000000"),
        "never-issued batch prefix": drill.forge(gtin, "ZZZ0000000000"),
        "never-issued serial in a real batch": drill.forge(gtin, drill.prefix_a + "ZZZZZZZZZZ"),
        "batch created after the compromise": drill.forge(gtin, real_serial_of_b),
        "future date, stolen key": drill.forge(gtin, drill.prefix_a + "0000000000", days_before_now=-5),
        "future date, current key": drill.forge(
            gtin, parse_label_url(drill.labels_of_b[1]).serial or "", -5, drill.new_signer
        ),
    }


# case → (online verdict, online reason code, offline verdict, offline reason)
EXPECTED = {
    "unregistered GTIN": ("unknown", "product_not_registered", "unknown", "product_not_registered"),
    "never-issued batch prefix": ("not_genuine", "serial_not_issued", "not_genuine", "serial_not_issued"),
    "never-issued serial in a real batch": ("not_genuine", "serial_not_issued", "unknown", "check_online"),
    "batch created after the compromise": (
        "not_genuine",
        "batch_after_compromise",
        "not_genuine",
        "batch_after_compromise",
    ),
    "future date, stolen key": ("untrusted_key", "key_compromised", "untrusted_key", "key_compromised"),
    "future date, current key": ("not_genuine", "future_dated", "not_genuine", "future_dated"),
}


@pytest.mark.parametrize("case", list(EXPECTED))
def test_labels_forged_with_the_stolen_key_are_refused_online_and_offline(
    case: str, drill: Drill, sclient: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    url = forged_cases(drill)[case]
    online_verdict, online_reason, offline_verdict, offline_reason = EXPECTED[case]
    verdict, codes = verdict_online(sclient, url)
    assert verdict == online_verdict and online_reason in codes, (verdict, codes)
    verdict, reason, code = verdict_offline(capsys, drill, url)
    assert (verdict, reason) == (offline_verdict, offline_reason)
    assert code != 0


def test_genuine_labels_survive_the_drill(
    drill: Drill, sclient: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # signed by the old key before the compromise, in a batch created before it: genuine online; offline the
    # status list cannot tell a real serial from one a thief made up, so it sends the consumer online
    old = drill.old_key_labels_of_a[0]
    assert verdict_online(sclient, old)[0] == "genuine"
    assert verdict_offline(capsys, drill, old)[:2] == ("unknown", "check_online")
    # the same batch and the newer one under the new key: genuine both ways
    for url in (drill.new_key_labels_of_a[0], drill.labels_of_b[2]):
        assert verdict_online(sclient, url)[0] == "genuine"
        assert verdict_offline(capsys, drill, url) == ("genuine", None, 0)


def test_compromise_re_signs_the_records_under_the_current_key_and_audits_it(
    drill: Drill, sclient: Any, ssession: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from core.models import AuditEvent

    assert "1 records re-signed" in drill.output
    history = sclient.get(f"/api/v1/products/{drill.product.id}/records").get_json()["items"]
    assert [(item["action"], item["kid"]) for item in history[:2]] == [
        ("resign", drill.new_signer.kid),
        ("approve", drill.old_signer.kid),
    ]
    current = tmp_path / "record.json"
    current.write_bytes(sclient.get(f"/api/v1/products/{drill.product.id}/record").get_data())
    assert verdict_offline(capsys, drill, str(current)) == ("genuine", None, 0)
    stale = tmp_path / "stale.json"
    stale.write_bytes(sclient.get(f"/api/v1/records/{history[1]['id']}").get_data())
    assert verdict_offline(capsys, drill, str(stale))[:2] == ("untrusted_key", "key_compromised")
    events = list(
        ssession.execute(
            select(AuditEvent.action, AuditEvent.target_id)
            .where(AuditEvent.action.like("signing.%"))
            .order_by(AuditEvent.id)
        )
    )
    assert [action for action, _ in events][-2:] == ["signing.compromise_key", "signing.resign_records"]


def test_the_status_list_carries_creation_days_only_for_batches_made_since_the_compromise(
    drill: Drill, sclient: Any
) -> None:
    from signing import load_status_list

    snapshot = load_status_list(drill.status.read_text(), json.loads(drill.jwks.read_text()))
    prefix_b = (parse_label_url(drill.labels_of_b[0]).serial or "")[:3]
    assert list(snapshot.batch_days) == [drill.product.gtin]
    days = snapshot.batch_days[drill.product.gtin]
    assert list(days) == [prefix_b]  # batch A predates the compromise: its day would change no verdict
    assert days[prefix_b] >= (drill.compromised_after.date() - date(1970, 1, 1)).days
