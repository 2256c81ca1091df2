"""The online side as its users see it: JWKS, records, batches, label pages and JSON verdicts, scans and
clone warnings, recalls, reports, rate limits, the status list and the `flask signing` commands."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from config import settings_of
from signing import KeyRing, load_status_list, parse_label_url, verify_record
from tests.conftest import ADDRESS_IN, from_address
from tests.factories import RECALL_WORDS, CertificateFactory, ProductFactory, licensed, make_party

JSON = {"Accept": "application/json"}


@pytest.fixture()
def maker(ssession: Any) -> Any:
    party = make_party(ssession, "manufacturer")
    ssession.commit()
    return party


@pytest.fixture()
def reviewer(ssession: Any) -> Any:
    party = make_party(ssession, "reviewer")
    ssession.commit()
    return party


@pytest.fixture()
def product(ssession: Any, maker: Any) -> Any:
    p = ProductFactory(manufacturer_id=maker.manufacturer.id, **licensed())
    p.certificates.append(CertificateFactory(manufacturer_id=maker.manufacturer.id))
    ssession.commit()
    return p


def new_batch(client: Any, maker: Any, product: Any, count: int = 50) -> dict[str, Any]:
    resp = client.post(f"/api/v1/products/{product.id}/batches", json={"count": count}, headers=maker.headers)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def batch_urls(client: Any, maker: Any, batch: dict[str, Any], stop: int = 5) -> list[str]:
    resp = client.get(f"{batch['links']['urls']}?stop={stop}", headers=maker.headers)
    assert resp.status_code == 200
    return resp.get_data(as_text=True).split()


def verdict_of(
    client: Any, url: str, headers: dict[str, str] | None = None, *, address: str = "127.0.0.1", **params: str
) -> dict[str, Any]:
    """The JSON verdict of ``url`` for a client at ``address`` (scan places come from the address alone)."""
    from urllib.parse import urlencode

    if params:
        url += ("&" if "?" in url else "?") + urlencode(params)
    resp = client.get(url, headers=JSON | (headers or {}), **from_address(address))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def test_jwks_publishes_the_current_key(sclient: Any) -> None:
    resp = sclient.get("/.well-known/jwks.json")
    assert resp.status_code == 200
    keys = resp.get_json()["keys"]
    assert [key["status"] for key in keys] == ["current"]
    assert KeyRing.from_jwks(resp.get_json()).current is not None  # kid checked against its thumbprint


def test_approving_a_product_signs_a_record_that_verifies_offline(
    sclient: Any, ssession: Any, maker: Any, reviewer: Any
) -> None:
    p = ProductFactory(manufacturer_id=maker.manufacturer.id, category="laptops", status="submitted")
    ssession.commit()
    resp = sclient.post(f"/api/v1/products/{p.id}/approve", json={}, headers=reviewer.headers)
    assert resp.status_code == 200, resp.get_json()
    record = sclient.get(f"/api/v1/products/{p.id}/record")
    assert record.status_code == 200
    assert "attachment" in record.headers["Content-Disposition"]
    jwks = sclient.get("/.well-known/jwks.json").get_json()
    verify_record(record.get_data(), jwks)
    assert record.get_json()["record"]["licence"]["status"] == "granted"
    sclient.post(
        f"/api/v1/products/{p.id}/suspend", json={"reason": "failed audit"}, headers=reviewer.headers
    )
    history = sclient.get(f"/api/v1/products/{p.id}/records").get_json()["items"]
    assert [item["action"] for item in history] == ["suspend", "approve"]
    suspended = sclient.get(f"/api/v1/products/{p.id}/record").get_json()
    assert suspended["record"]["licence"]["status"] == "suspended"


def test_a_genuine_label_page_and_json(sclient: Any, maker: Any, product: Any) -> None:
    url = batch_urls(sclient, maker, new_batch(sclient, maker, product))[0]
    assert url.startswith("https://VERIFY.EXAMPLE.GOV.BD/01/")
    body = verdict_of(sclient, url, address=ADDRESS_IN["sylhet"])
    assert body["verdict"] == "genuine", body
    assert body["product"]["gtin"] == product.gtin
    assert body["licence"]["valid"] is True
    assert body["certificates"][0]["scheme"] == "BSTI"
    assert body["scan_count"] == 1
    assert body["first_seen"]["district"] == "sylhet"
    assert body["first_seen"]["district_name_bn"] == "সিলেট"
    again = verdict_of(sclient, url)
    assert again["scan_count"] == 2 and again["first_seen"]["district"] == "sylhet"
    page = sclient.get(url, headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert len(page.get_data()) <= 100 * 1024
    assert "আসল" in html and "Genuine" in html
    assert "<script" not in html


@pytest.mark.parametrize("part", ["serial", "signature", "gtin", "host"])
def test_a_tampered_label_is_not_genuine(sclient: Any, maker: Any, product: Any, part: str) -> None:
    url = batch_urls(sclient, maker, new_batch(sclient, maker, product))[0]
    label = parse_label_url(url)
    assert label.serial is not None
    changed = {
        "serial": url.replace(
            f"/21/{label.serial}", f"/21/{label.serial[:-1]}{'A' if label.serial[-1] != 'A' else 'B'}"
        ),
        "signature": url[:-3] + ("000" if url[-3:] != "000" else "111"),
        "gtin": url.replace(f"/01/{product.gtin}", "/01/00000096385074"),
        "host": url.replace("VERIFY.EXAMPLE.GOV.BD", "VERIFY.EXAMPLE.GOV.BD.EVIL.EXAMPLE"),
    }[part]
    # the full URL through the API: a label page is verified on the public host, whatever Host it arrived with
    body = verdict_of(sclient, "/api/v1/verify?" + urlencode({"url": changed}))
    assert body["verdict"] == "not_genuine", body


def test_a_serial_outside_every_batch_is_not_genuine_even_if_signed(
    sclient: Any, sapp: Any, ssession: Any, maker: Any, product: Any
) -> None:
    from datetime import date

    from signing import issue_label_url

    ext = sapp.extensions["signing"]
    ext.ready()
    forged = issue_label_url(
        "verify.example.gov.bd", product.gtin, "ZZZ0000000000", date.today(), ext.signer(ssession)
    )
    body = verdict_of(sclient, forged)
    assert body["verdict"] == "not_genuine"
    assert body["reasons"][0]["code"] == "serial_not_issued"


def test_other_spellings_resolve_to_the_same_unit(sclient: Any, maker: Any, product: Any) -> None:
    url = batch_urls(sclient, maker, new_batch(sclient, maker, product))[0]
    gtin13 = url.replace(f"/01/{product.gtin}", f"/01/{product.gtin[1:]}")
    lower_host = url.replace("VERIFY.EXAMPLE.GOV.BD", "verify.example.gov.bd")
    with_lot = url.replace("/21/", "/10/LOT7/21/")
    counts = [verdict_of(sclient, u) for u in (url, gtin13, lower_host, with_lot)]
    assert [c["verdict"] for c in counts] == ["genuine"] * 4
    assert [c["scan_count"] for c in counts] == [1, 2, 3, 4]


def test_product_address_shows_the_product_without_unit_authenticity(sclient: Any, product: Any) -> None:
    body = verdict_of(sclient, f"https://verify.example.gov.bd/01/{product.gtin}")
    assert body["verdict"] == "unknown"
    assert body["product_only"] is True
    assert body["product"]["id"] == product.id
    assert "scan_count" not in body


def test_suspension_revocation_and_recall_change_the_verdict_and_the_status_list(
    sclient: Any, ssession: Any, maker: Any, reviewer: Any, product: Any
) -> None:
    batch = new_batch(sclient, maker, product)
    first, second = batch_urls(sclient, maker, batch, stop=2)
    resp = sclient.post("/api/v1/units/recall", json={"url": second, **RECALL_WORDS}, headers=maker.headers)
    assert resp.status_code == 201, resp.get_json()
    assert verdict_of(sclient, second)["verdict"] == "recalled"
    assert verdict_of(sclient, first)["verdict"] == "genuine"
    resp = sclient.post(
        f"/api/v1/products/{product.id}/suspend", json={"reason": "audit"}, headers=reviewer.headers
    )
    assert resp.status_code == 200, resp.get_json()
    assert verdict_of(sclient, first)["verdict"] == "suspended"
    jwks = sclient.get("/.well-known/jwks.json").get_json()
    token = sclient.get("/status/1")
    assert token.mimetype == "application/statuslist+jwt"
    snapshot = load_status_list(token.get_data(as_text=True), jwks)
    with pytest.raises(Exception, match="suspended"):
        snapshot.check_product(product.gtin)
    label = parse_label_url(second)
    assert label.serial in snapshot.recalled_units[product.gtin]


def test_batch_revocation_is_published(sclient: Any, maker: Any, reviewer: Any, product: Any) -> None:
    batch = new_batch(sclient, maker, product)
    url = batch_urls(sclient, maker, batch)[0]
    resp = sclient.post(
        f"/api/v1/batches/{batch['id']}/status",
        json={"status": "revoked", "reason": "labels stolen"},
        headers=reviewer.headers,
    )
    assert resp.status_code == 200, resp.get_json()
    assert verdict_of(sclient, url)["verdict"] == "revoked"


def test_batches_only_for_licensed_products_of_ones_own_company(
    sclient: Any, ssession: Any, maker: Any, product: Any
) -> None:
    draft = ProductFactory(manufacturer_id=maker.manufacturer.id)
    other = make_party(ssession, "manufacturer")
    ssession.commit()
    refused = sclient.post(f"/api/v1/products/{draft.id}/batches", json={"count": 5}, headers=maker.headers)
    assert refused.status_code == 409
    assert refused.mimetype == "application/problem+json"
    not_theirs = sclient.post(
        f"/api/v1/products/{product.id}/batches", json={"count": 5}, headers=other.headers
    )
    assert not_theirs.status_code == 404  # another manufacturer's product: as if it did not exist
    too_many = sclient.post(
        f"/api/v1/products/{product.id}/batches", json={"count": 1_000_001}, headers=maker.headers
    )
    assert too_many.status_code == 422
    assert too_many.get_json()["errors"][0]["field"] == "count"
    anonymous = sclient.post(f"/api/v1/products/{product.id}/batches", json={"count": 5})
    assert anonymous.status_code == 401


def test_two_batches_of_a_product_never_share_a_serial(sclient: Any, maker: Any, product: Any) -> None:
    one, two = new_batch(sclient, maker, product, 300), new_batch(sclient, maker, product, 300)
    assert one["prefix"] != two["prefix"]
    serials = {parse_label_url(u).serial for b in (one, two) for u in batch_urls(sclient, maker, b, stop=300)}
    assert len(serials) == 600


def test_far_apart_districts_flag_a_copied_label_for_the_manufacturer(
    sclient: Any, maker: Any, product: Any
) -> None:
    url = batch_urls(sclient, maker, new_batch(sclient, maker, product))[0]
    assert verdict_of(sclient, url, address=ADDRESS_IN["dhaka"])["clone_warning"] is False
    flagged = verdict_of(sclient, url, address=ADDRESS_IN["chattogram"])
    assert flagged["verdict"] == "genuine"
    assert flagged["clone_warning"]["flags"] == ["far_apart_districts"]
    units = sclient.get(f"/api/v1/products/{product.id}/units?flagged=true", headers=maker.headers).get_json()
    assert [u["serial"] for u in units["items"]] == [parse_label_url(url).serial]


def test_many_devices_flag_a_copied_label(
    sclient: Any, sapp: Any, maker: Any, product: Any, monkeypatch: Any
) -> None:
    url = batch_urls(sclient, maker, new_batch(sclient, maker, product))[0]
    limit = sapp.extensions["signing"].settings.clone_rules.max_devices
    bodies = [verdict_of(sclient, url, address=f"10.1.7.{n}") for n in range(limit + 1)]
    assert bodies[limit - 1]["clone_warning"] is False
    assert bodies[limit]["clone_warning"]["flags"] == ["many_devices"]


def test_consumer_reports_reach_reviewers_and_the_manufacturer(
    sclient: Any, ssession: Any, maker: Any, reviewer: Any, product: Any
) -> None:
    url = batch_urls(sclient, maker, new_batch(sclient, maker, product))[0]
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    resp = sclient.post(
        "/api/v1/reports",
        data={
            "text": "Sold at half price in a street market",
            "url": url,
            "district": "Khulna",
            "photo": (io.BytesIO(png), "fake.png"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 201, resp.get_json()
    report_id = resp.get_json()["id"]
    seen_by_reviewer = sclient.get("/api/v1/reports", headers=reviewer.headers).get_json()["items"]
    assert [r["id"] for r in seen_by_reviewer] == [report_id]
    assert seen_by_reviewer[0]["district"] == "khulna" and seen_by_reviewer[0]["has_photo"]
    assert [r["id"] for r in sclient.get("/api/v1/reports", headers=maker.headers).get_json()["items"]] == [
        report_id
    ]
    other = make_party(ssession, "manufacturer")
    ssession.commit()
    assert sclient.get("/api/v1/reports", headers=other.headers).get_json()["items"] == []
    photo = sclient.get(f"/api/v1/reports/{report_id}/photo", headers=reviewer.headers)
    assert photo.mimetype == "image/png" and photo.get_data() == png
    bad = sclient.post("/api/v1/reports", json={"text": "x"})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "text"


def test_rate_limit_answers_429_problem_json(sclient: Any, sapp: Any, product: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(settings_of(sapp).ratelimit, "verify", "3/minute")
    url = f"https://verify.example.gov.bd/01/{product.gtin}"
    codes = [sclient.get(url, headers=JSON).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = sclient.get(url, headers=JSON)
    assert limited.mimetype == "application/problem+json"
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.get_json()["status"] == 429


def test_rotate_key_keeps_old_labels_and_compromise_distrusts_later_ones(
    sclient: Any, sapp: Any, maker: Any, product: Any
) -> None:
    old_url = batch_urls(sclient, maker, new_batch(sclient, maker, product))[0]
    old_kid = sclient.get("/.well-known/jwks.json").get_json()["keys"][0]["kid"]
    runner = sapp.test_cli_runner()
    result = runner.invoke(args=["signing", "rotate-key"])
    assert result.exit_code == 0, result.output
    keys = sclient.get("/.well-known/jwks.json").get_json()["keys"]
    assert [(k["kid"] == old_kid, k["status"]) for k in keys] == [(True, "retired"), (False, "current")]
    assert verdict_of(sclient, old_url)["verdict"] == "genuine"
    new_url = batch_urls(sclient, maker, new_batch(sclient, maker, product))[0]
    assert parse_label_url(new_url).key_tag != parse_label_url(old_url).key_tag
    assert verdict_of(sclient, new_url)["verdict"] == "genuine"
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    result = runner.invoke(args=["signing", "compromise", "--after", yesterday, "--", old_kid])
    assert result.exit_code == 0, result.output
    assert verdict_of(sclient, old_url)["verdict"] == "untrusted_key"
    assert verdict_of(sclient, new_url)["verdict"] == "genuine"
    refused = runner.invoke(args=["signing", "compromise", "--after", yesterday, "--", keys[1]["kid"]])
    assert refused.exit_code != 0 and "rotate" in refused.output


def test_demo_labels_verify_as_their_file_says(
    sclient: Any, sapp: Any, ssession: Any, maker: Any, reviewer: Any, tmp_path: Any
) -> None:
    for status in ("licensed", "suspended", "revoked"):
        ProductFactory(manufacturer_id=maker.manufacturer.id, **(licensed() | {"status": status}))
    expired = licensed(valid_from=datetime.now(UTC).date() - timedelta(days=4 * 365))
    ProductFactory(manufacturer_id=maker.manufacturer.id, **expired)
    ssession.commit()
    out = tmp_path / "demo-labels.txt"
    result = sapp.test_cli_runner().invoke(args=["signing", "demo-labels", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = [line.split(" ", 1) for line in out.read_text().splitlines()]
    expected = {verdict for verdict, _ in lines}
    assert {"genuine", "suspended", "revoked", "expired", "not_genuine", "unknown"} <= expected
    for verdict, url in lines:
        assert verdict_of(sclient, url)["verdict"] == verdict, url


def test_export_jwks_and_offline_verification_of_a_batch_url(
    sclient: Any, sapp: Any, maker: Any, product: Any, tmp_path: Any
) -> None:
    from signing.offline import main

    url = batch_urls(sclient, maker, new_batch(sclient, maker, product))[0]
    jwks = tmp_path / "jwks.json"
    result = sapp.test_cli_runner().invoke(args=["signing", "export-jwks", "--out", str(jwks)])
    assert result.exit_code == 0, result.output
    status = tmp_path / "status.jwt"
    status.write_bytes(sclient.get("/status/1").get_data())
    assert main(["verify", url, "--jwks", str(jwks), "--status", str(status)]) == 0


def test_batch_and_recall_changes_are_audited(
    sclient: Any, ssession: Any, maker: Any, reviewer: Any, product: Any
) -> None:
    from sqlalchemy import select

    from core.models import AuditEvent

    batch = new_batch(sclient, maker, product)
    url = batch_urls(sclient, maker, batch)[0]
    recall = sclient.post("/api/v1/units/recall", json={"url": url}, headers=maker.headers)
    assert recall.status_code == 422 and recall.get_json()["errors"][0]["field"] == "reason_en"
    recall = sclient.post("/api/v1/units/recall", json={"url": url, **RECALL_WORDS}, headers=maker.headers)
    assert recall.status_code == 201
    sclient.post(
        f"/api/v1/batches/{batch['id']}/status",
        json={"status": "suspended", "reason": "check"},
        headers=reviewer.headers,
    )
    actions = list(
        ssession.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.target_type.in_(["batch", "unit"]))
            .order_by(AuditEvent.id)
        )
    )
    assert actions == ["batch.created", "unit.recalled", "batch.suspended"]


def test_a_product_under_review_is_not_shown_to_the_public(sclient: Any, ssession: Any, maker: Any) -> None:
    draft = ProductFactory(manufacturer_id=maker.manufacturer.id, status="submitted")
    ssession.commit()
    body = verdict_of(sclient, f"https://verify.example.gov.bd/01/{draft.gtin}")
    assert body["verdict"] == "unknown"
    assert "product" not in body
    assert draft.name_en not in sclient.get(f"https://verify.example.gov.bd/01/{draft.gtin}").get_data(
        as_text=True
    )


def test_printed_labels_use_the_public_scheme_so_demo_labels_open_on_the_demo_server(
    sapp: Any, sclient: Any, maker: Any, product: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The portal and the labels API print batches through signing.label_views.snapshot_batch/batch_items."""
    from dataclasses import replace

    from core.db import get_session
    from signing.label_views import batch_items, snapshot_batch
    from signing.models import SerialBatch

    ext = sapp.extensions["signing"]
    monkeypatch.setattr(ext, "settings", replace(ext.settings, public_base_url="http://127.0.0.1:5000"))
    batch_id = new_batch(sclient, maker, product, count=3)["id"]
    with sapp.test_request_context():
        session = get_session()
        batch = session.get(SerialBatch, batch_id)
        items, count = batch_items(snapshot_batch(batch, batch.product), 0, 3)
        urls = [url for url, _ in items]
    assert count == 3 and len(urls) == 3
    assert all(url.startswith("http://127.0.0.1:5000/01/") for url in urls), urls
    assert [
        url for url in batch_urls(sclient, maker, {"links": {"urls": f"/api/v1/batches/{batch_id}/urls"}}, 3)
    ] == urls
    assert verdict_of(sclient, urls[0])["verdict"] == "genuine"
