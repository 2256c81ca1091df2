"""The check by SMS as a consumer, the aggregator and the registry see it: the code printed for a unit gets the
verdict a camera scan of the same label gets, for every verdict; the scan is recorded with the number hashed;
each number has its limit; the webhook answers only authenticated messages; the page explains the service."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from config import settings_of
from signing.checkcodes import CheckCodes, load_check_codes
from signing.models import Scan
from sms.gateways import sign_inbound
from tests.factories import RECALL_WORDS
from tests.signing.test_web import verdict_of
from tests.sms.conftest import SECRET
from tests.sms.helpers import exported_units, new_batch

NUMBER = "01711000001"


def send(client: Any, text: str, sender: str = NUMBER, *, as_json: bool = False) -> dict[str, Any]:
    """POST the message to the webhook, signed as the aggregator signs it; the webhook's JSON answer."""
    if as_json:
        body = json.dumps({"from": sender, "to": "26969", "text": text}).encode()
        content_type = "application/json"
    else:
        from urllib.parse import urlencode

        body = urlencode({"from": sender, "to": "26969", "message": text}).encode()
        content_type = "application/x-www-form-urlencoded"
    stamp = str(int(time.time()))
    resp = client.post(
        "/api/v1/sms/inbound",
        data=body,
        content_type=content_type,
        headers={"X-MIB-Timestamp": stamp, "X-MIB-Signature": sign_inbound(SECRET, stamp, body)},
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def camera_verdict(client: Any, url: str) -> str:
    return verdict_of(client, url)["verdict"]


@pytest.fixture()
def unit(sclient: Any, maker: Any, product: Any, gateway: Any) -> dict[str, Any]:
    batch = new_batch(sclient, maker, product)
    row = exported_units(sclient, maker, batch, stop=3)[1]
    return {"batch": batch, **row}


def test_a_genuine_unit_by_sms_in_english_and_bangla(
    sclient: Any, unit: dict[str, Any], product: Any, gateway: Any
) -> None:
    answer = send(sclient, f"MIB {unit['check_code']}")
    assert answer["kind"] == "genuine" and answer["encoding"] == "gsm7" and answer["length"] <= 160
    assert product.name_en in answer["reply"]
    bangla_code = unit["check_code"].translate(str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")).lower()
    answer = send(sclient, f"এমআইবি {bangla_code}", as_json=True)
    assert answer["kind"] == "genuine" and answer["language"] == "bn" and answer["encoding"] == "ucs2"
    assert answer["length"] <= 70 and answer["reply"].startswith("আসল পণ্য")
    assert [number for number, _ in gateway.sent] == ["8801711000001"] * 2  # each reply went out once
    assert camera_verdict(sclient, unit["url"]) == "genuine"


def test_the_code_names_the_unit_of_its_label(sclient: Any, ssession: Any, maker: Any, product: Any) -> None:
    batch = new_batch(sclient, maker, product, count=40)
    rows = exported_units(sclient, maker, batch, stop=40)
    codes = load_check_codes(ssession)
    for row in rows:
        from signing.checkcodes import normalise_code

        issued = codes.find(ssession, normalise_code(row["check_code"]))
        assert issued is not None and issued.batch.id == batch["id"] and issued.serial == row["serial"]
    assert len({row["check_code"] for row in rows}) == 40


def test_the_scan_is_recorded_like_a_camera_scan_with_the_number_hashed(
    sclient: Any, ssession: Any, unit: dict[str, Any]
) -> None:
    send(sclient, f"MIB {unit['check_code']}", sender="+880 1711-000001")
    send(sclient, f"MIB {unit['check_code']}", sender="01711000001")
    send(sclient, f"MIB {unit['check_code']}", sender="01811000002")
    scans = ssession.scalars(select(Scan).where(Scan.serial == unit["serial"]).order_by(Scan.id)).all()
    assert [scan.device_class for scan in scans] == ["sms"] * 3
    assert [scan.verdict for scan in scans] == ["genuine"] * 3
    hashes = [scan.device_hash for scan in scans]
    assert hashes[0] == hashes[1] != hashes[2]  # one number in two spellings is one client
    assert all("1711" not in h and "8801711000001" not in h for h in hashes)
    assert verdict_of(sclient, unit["url"])["scan_count"] == 4  # the camera sees the SMS checks too


def test_many_numbers_checking_one_code_warn_that_the_label_may_be_copied(
    sclient: Any, sapp: Any, unit: dict[str, Any]
) -> None:
    limit = sapp.extensions["signing"].settings.clone_rules.max_devices
    answers = [send(sclient, f"MIB {unit['check_code']}", sender=f"0171100010{n}") for n in range(limit + 1)]
    assert [a["kind"] for a in answers] == ["genuine"] * limit + ["copies"]
    assert "may be copied" in answers[-1]["reply"] and answers[-1]["length"] <= 160
    assert verdict_of(sclient, unit["url"])["clone_warning"]["flags"] == ["many_devices"]


def test_recalled_suspended_revoked_and_expired_as_the_camera_says(
    sclient: Any, ssession: Any, maker: Any, reviewer: Any, product: Any, gateway: Any
) -> None:
    batch = new_batch(sclient, maker, product)
    recalled, revoked_batch = batch, new_batch(sclient, maker, product)
    first = exported_units(sclient, maker, recalled, stop=1)[0]
    other = exported_units(sclient, maker, revoked_batch, stop=1)[0]
    resp = sclient.post(f"/api/v1/batches/{recalled['id']}/recall", json=RECALL_WORDS, headers=maker.headers)
    assert resp.status_code in (200, 201), resp.get_json()
    answer = send(sclient, f"MIB {first['check_code']}")
    assert answer["kind"] == "recalled" == camera_verdict(sclient, first["url"])
    assert answer["reply"].endswith(RECALL_WORDS["contact"])

    resp = sclient.post(
        f"/api/v1/batches/{revoked_batch['id']}/status",
        json={"status": "revoked", "reason": "printed twice"},
        headers=maker.headers,
    )
    assert resp.status_code == 200, resp.get_json()
    assert (
        send(sclient, f"MIB {other['check_code']}")["kind"]
        == "revoked"
        == camera_verdict(sclient, other["url"])
    )


def test_a_suspended_licence(sclient: Any, maker: Any, reviewer: Any, product: Any, gateway: Any) -> None:
    row = exported_units(sclient, maker, new_batch(sclient, maker, product), stop=1)[0]
    resp = sclient.post(
        f"/api/v1/products/{product.id}/suspend", json={"reason": "audit"}, headers=reviewer.headers
    )
    assert resp.status_code == 200, resp.get_json()
    answer = send(sclient, f"এমআইবি {row['check_code']}")
    assert answer["kind"] == "suspended" == camera_verdict(sclient, row["url"])
    assert answer["reply"].startswith("স্থগিত") and answer["length"] <= 70


def test_an_expired_licence(sclient: Any, ssession: Any, maker: Any, product: Any, gateway: Any) -> None:
    row = exported_units(sclient, maker, new_batch(sclient, maker, product), stop=1)[0]
    product.licence_valid_until = date.today() - timedelta(days=1)  # the licence ran out yesterday
    ssession.commit()
    answer = send(sclient, f"MIB {row['check_code']}")
    assert answer["kind"] == "expired" == camera_verdict(sclient, row["url"])
    assert str(product.licence_valid_until) in answer["reply"]


def test_a_code_never_issued_is_not_genuine_and_a_typo_asks_again(
    sclient: Any, ssession: Any, unit: dict[str, Any]
) -> None:
    codes = load_check_codes(ssession)
    never = codes.code(unit["batch"]["id"], unit["batch"]["count"] + 3)  # right check character, no such unit
    answer = send(sclient, f"MIB {never}")
    assert answer["kind"] == "not_genuine" and "never issued" in answer["reply"]
    beyond = codes.code(2**35 - 1, 0)  # a place past every database id (PostgreSQL's integer included)
    assert send(sclient, f"MIB {beyond}")["kind"] == "not_genuine"
    assert send(sclient, f"MIB {CheckCodes(bytes(32)).code(unit['batch']['id'], 1)}")["kind"] == "not_genuine"

    code = unit["check_code"].replace("-", "")
    swapped = (
        code[:4] + code[5] + code[4] + code[6:]
        if code[4] != code[5]
        else code[:2] + code[3] + code[2] + code[4:]
    )
    typo = send(sclient, f"MIB {swapped}")
    assert typo["kind"] == "typo" and "typing mistake" in typo["reply"]
    assert send(sclient, "hello")["kind"] == "help"
    assert send(sclient, "এমআইবি")["reply"].startswith("QR-এর")


def test_a_product_no_longer_public_is_unknown(
    sclient: Any, ssession: Any, unit: dict[str, Any], product: Any
) -> None:
    product.status = "submitted"  # back under review: not public, as the camera's page says too
    ssession.commit()
    answer = send(sclient, f"MIB {unit['check_code']}")
    assert answer["kind"] == "unknown" == camera_verdict(sclient, unit["url"])


def test_each_number_has_its_own_limit(
    sclient: Any, sapp: Any, unit: dict[str, Any], monkeypatch: Any
) -> None:
    monkeypatch.setattr(settings_of(sapp).ratelimit, "sms_number", "2/hour")
    kinds = [send(sclient, f"MIB {unit['check_code']}", sender="01711000009")["kind"] for _ in range(3)]
    assert kinds == ["genuine", "genuine", "limited"]
    limited = send(sclient, f"এমআইবি {unit['check_code']}", sender="+8801711000009")
    assert limited["kind"] == "limited" and limited["length"] <= 70
    assert send(sclient, f"MIB {unit['check_code']}", sender="01711000010")["kind"] == "genuine"


# ---------------------------------------------------------------------------------------------- the webhook


def post_inbound(client: Any, body: bytes, headers: dict[str, str], query: str = "") -> Any:
    return client.post(
        "/api/v1/sms/inbound" + query,
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers=headers,
    )


def test_the_webhook_refuses_what_is_not_signed(sclient: Any, gateway: Any) -> None:
    body = b"from=01711000001&text=MIB+1234"
    stamp = str(int(time.time()))
    unsigned = post_inbound(sclient, body, {})
    assert unsigned.status_code == 403 and unsigned.mimetype == "application/problem+json"
    assert unsigned.get_json()["code"] == "sms.inbound_auth"
    forged = post_inbound(
        sclient, body, {"X-MIB-Timestamp": stamp, "X-MIB-Signature": sign_inbound("guess", stamp, body)}
    )
    assert forged.status_code == 403 and forged.get_json()["errors"][0]["field"] == "X-MIB-Signature"
    old = str(int(time.time()) - 3600)
    replayed = post_inbound(
        sclient, body, {"X-MIB-Timestamp": old, "X-MIB-Signature": sign_inbound(SECRET, old, body)}
    )
    assert replayed.status_code == 403 and replayed.get_json()["errors"][0]["field"] == "X-MIB-Timestamp"
    wrong_token = post_inbound(sclient, body, {"X-MIB-Token": "guess"})
    assert wrong_token.status_code == 403
    assert gateway.sent == deque_empty()
    by_token = post_inbound(sclient, body, {}, f"?token={SECRET}")
    assert by_token.status_code == 200 and by_token.get_json()["kind"] == "help"


def deque_empty() -> Any:
    from collections import deque

    return deque(maxlen=100)


def test_without_a_secret_every_inbound_is_refused(sclient: Any, sapp: Any) -> None:
    assert sapp.extensions["sms"]["settings"].inbound_secret == ""
    resp = post_inbound(sclient, b"from=01711000001&text=MIB", {"X-MIB-Token": ""})
    assert resp.status_code == 403 and resp.mimetype == "application/problem+json"
    assert "SMS_INBOUND_SECRET" in resp.get_json()["detail"]


def test_a_malformed_inbound_is_a_problem_naming_the_field(sclient: Any, gateway: Any) -> None:
    stamp = str(int(time.time()))
    for body, field in (
        (b"text=MIB+1234", "from"),
        (b"from=nobody&text=MIB", "from"),
        (b"from=01711000001&text=MIB%00", "text"),
        (json.dumps([1, 2]).encode(), "body"),
    ):
        content_type = "application/json" if body.startswith(b"[") else "application/x-www-form-urlencoded"
        resp = sclient.post(
            "/api/v1/sms/inbound",
            data=body,
            content_type=content_type,
            headers={"X-MIB-Timestamp": stamp, "X-MIB-Signature": sign_inbound(SECRET, stamp, body)},
        )
        assert resp.status_code == 422, (body, resp.get_data(as_text=True))
        assert resp.get_json()["errors"][0]["field"] == field


def test_openapi_lists_the_webhook(sclient: Any) -> None:
    document = sclient.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/sms/inbound"]["post"]
    assert "sms" in operation["tags"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert set(schema["required"]) == {"from", "text"}


# ---------------------------------------------------------------------------------------------- pages and CLI


def test_the_public_page_explains_the_service_in_both_languages(
    sclient: Any, sapp: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(settings_of(sapp).sms, "service_number", "26969")
    english = sclient.get("/sms?lang=en")
    assert english.status_code == 200 and "26969" in english.get_data(as_text=True)
    assert "MIB 7K3Q-9F2M-ABC5" in english.get_data(as_text=True)
    bangla = sclient.get("/sms?lang=bn").get_data(as_text=True)
    assert "এসএমএসে পণ্য যাচাই করুন" in bangla and "<script" not in bangla


def test_the_simulator_page_shows_the_reply(sclient: Any, unit: dict[str, Any]) -> None:
    from tests.web.pages import csrf_token

    token = csrf_token(sclient, "/sms/simulate")
    resp = sclient.post(
        "/sms/simulate",
        data={"csrf_token": token, "from": "01711000005", "text": f"MIB {unit['check_code']}"},
    )
    assert resp.status_code == 200
    assert "MIB GENUINE" in resp.get_data(as_text=True)
    bad = sclient.post("/sms/simulate", data={"csrf_token": token, "from": "nobody", "text": "MIB"})
    assert bad.status_code == 200 and "not a phone number" in bad.get_data(as_text=True)


def test_flask_sms_simulate_prints_the_reply(sapp: Any, unit: dict[str, Any]) -> None:
    result = sapp.test_cli_runner().invoke(
        args=["sms", "simulate", f"mib {unit['check_code']}", "--from", "01711000006"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("MIB GENUINE")


def test_printed_labels_carry_the_codes_the_export_lists(
    sclient: Any, maker: Any, product: Any, gateway: Any
) -> None:
    import csv
    import io

    batch = new_batch(sclient, maker, product, count=4)
    exported = exported_units(sclient, maker, batch, stop=4)
    resp = sclient.post(
        f"/api/v1/batches/{batch['id']}/labels", json={"format": "csv"}, headers=maker.headers
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    printed = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert [(r["serial"], r["check_code"]) for r in printed] == [
        (r["serial"], r["check_code"]) for r in exported
    ]
    plain = sclient.get(f"/api/v1/batches/{batch['id']}/urls?stop=2", headers=maker.headers).get_data(
        as_text=True
    )
    assert plain.split() == [r["url"] for r in exported[:2]]  # the plain export is still one URL per line
    assert send(sclient, f"MIB {printed[3]['check_code']}")["kind"] == "genuine"
