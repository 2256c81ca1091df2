# ruff: noqa: F811 - the fixtures are imported from test_web and named as parameters, pytest-style
"""Recalls as a consumer and a manufacturer see them: a recalled genuine unit, batch or product says
``recalled`` with the manufacturer's words in both languages — never a copy warning or "Report a fake" — and a
false copy flag can be cleared, with a reason, audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.models import AuditEvent
from signing import parse_label_url
from tests.conftest import ADDRESS_IN
from tests.factories import RECALL_WORDS
from tests.signing.test_web import batch_urls, maker, new_batch, product, reviewer, verdict_of  # noqa: F401

HTML = {"Accept": "text/html"}


def test_a_batch_recall_covers_its_units_only(sclient: Any, maker: Any, product: Any) -> None:  # noqa: F811
    recalled, other = new_batch(sclient, maker, product), new_batch(sclient, maker, product)
    resp = sclient.post(f"/api/v1/batches/{recalled['id']}/recall", json=RECALL_WORDS, headers=maker.headers)
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["scope"] == "batch"
    body = verdict_of(sclient, batch_urls(sclient, maker, recalled)[0])
    assert body["verdict"] == "recalled"
    assert [r["code"] for r in body["reasons"]] == ["batch_recalled"]
    assert body["recall"] | {"recalled_at": None} == {"scope": "batch", **RECALL_WORDS, "recalled_at": None}
    assert verdict_of(sclient, batch_urls(sclient, maker, other)[0])["verdict"] == "genuine"


def test_a_product_recall_covers_every_label_and_the_product_address(
    sclient: Any,
    maker: Any,
    product: Any,  # noqa: F811
) -> None:
    url = batch_urls(sclient, maker, new_batch(sclient, maker, product))[0]
    resp = sclient.post(f"/api/v1/products/{product.id}/recall", json=RECALL_WORDS, headers=maker.headers)
    assert resp.status_code == 201, resp.get_json()
    assert verdict_of(sclient, url)["verdict"] == "recalled"
    address = verdict_of(sclient, f"https://verify.example.gov.bd/01/{product.gtin}")
    assert address["verdict"] == "recalled" and address["recall"]["scope"] == "product"
    listed = sclient.get(f"/api/v1/products/{product.id}/recalls", headers=maker.headers).get_json()["items"]
    assert [r["scope"] for r in listed] == ["product"]


def test_a_forged_label_of_a_recalled_product_is_still_not_genuine(
    sclient: Any,
    maker: Any,
    product: Any,  # noqa: F811
) -> None:
    url = batch_urls(sclient, maker, new_batch(sclient, maker, product))[0]
    sclient.post(f"/api/v1/products/{product.id}/recall", json=RECALL_WORDS, headers=maker.headers)
    serial = parse_label_url(url).serial
    assert serial is not None
    forged = url.replace(f"/21/{serial}", f"/21/{serial[:-1]}{'Y' if serial[-1] != 'Y' else 'Z'}")
    body = verdict_of(sclient, forged)
    assert body["verdict"] == "not_genuine" and "recall" not in body


def test_the_recalled_page_shows_the_words_in_both_languages_and_no_fake_report(
    sclient: Any,
    maker: Any,
    product: Any,  # noqa: F811
) -> None:
    url = batch_urls(sclient, maker, new_batch(sclient, maker, product))[0]
    sclient.post("/api/v1/units/recall", json={"url": url, **RECALL_WORDS}, headers=maker.headers)
    for scan in range(2):  # from two divisions: still no copy warning on a recalled unit
        sclient.get(url, headers=HTML, environ_base={"REMOTE_ADDR": ADDRESS_IN[("dhaka", "sylhet")[scan]]})
    bangla = sclient.get(url, headers=HTML | {"Accept-Language": "bn"}).get_data(as_text=True)
    english = sclient.get(url + "&lang=en", headers=HTML | {"Accept-Language": "en"}).get_data(as_text=True)
    assert RECALL_WORDS["reason_bn"] in bangla and RECALL_WORDS["instructions_bn"] in bangla
    assert RECALL_WORDS["reason_en"] in english and RECALL_WORDS["instructions_en"] in english
    for html in (bangla, english):
        assert RECALL_WORDS["contact"] in html
        assert "verdict-recalled" in html
        main = html.split("<main", 1)[1].split("</main>", 1)[
            0
        ]  # the site's menu links to reports on every page
        assert "/report" not in main and "clone-warning" not in main


def test_a_recall_needs_both_languages_and_whom_to_contact(
    sclient: Any,
    maker: Any,
    product: Any,  # noqa: F811
) -> None:
    batch = new_batch(sclient, maker, product)
    for missing in RECALL_WORDS:
        words = {k: v for k, v in RECALL_WORDS.items() if k != missing}
        resp = sclient.post(f"/api/v1/batches/{batch['id']}/recall", json=words, headers=maker.headers)
        assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
        assert resp.get_json()["errors"][0]["field"] == missing
    assert verdict_of(sclient, batch_urls(sclient, maker, batch)[0])["verdict"] == "genuine"


def test_another_company_cannot_recall_or_clear_flags(
    sclient: Any,
    ssession: Any,
    maker: Any,
    product: Any,  # noqa: F811
) -> None:
    from tests.factories import make_party

    other = make_party(ssession, "manufacturer")
    ssession.commit()
    batch = new_batch(sclient, maker, product)
    url = batch_urls(sclient, maker, batch)[0]
    for path, body in (
        (f"/api/v1/batches/{batch['id']}/recall", RECALL_WORDS),
        (f"/api/v1/products/{product.id}/recall", RECALL_WORDS),
        ("/api/v1/units/recall", {"url": url, **RECALL_WORDS}),
        ("/api/v1/units/clear-flags", {"url": url, "reason": "checked"}),
    ):
        resp = sclient.post(path, json=body, headers=other.headers)
        assert resp.status_code == 404, (path, resp.status_code)
    assert verdict_of(sclient, url)["verdict"] == "genuine"


def test_a_false_copy_flag_is_cleared_with_a_reason_and_audited(
    sclient: Any,
    ssession: Any,
    maker: Any,
    reviewer: Any,
    product: Any,  # noqa: F811
) -> None:
    url = batch_urls(sclient, maker, new_batch(sclient, maker, product))[0]
    verdict_of(sclient, url, address=ADDRESS_IN["dhaka"])
    assert verdict_of(sclient, url, address=ADDRESS_IN["chattogram"])["clone_warning"]
    no_reason = sclient.post("/api/v1/units/clear-flags", json={"url": url}, headers=maker.headers)
    assert no_reason.status_code == 422 and no_reason.get_json()["errors"][0]["field"] == "reason"
    resp = sclient.post(
        "/api/v1/units/clear-flags",
        json={"url": url, "reason": "owner travelled Dhaka to Chattogram; receipt seen"},
        headers=reviewer.headers,
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["flags"] == [] and resp.get_json()["flags_cleared_at"]
    # the scans before the clearing no longer count; the same two places again are needed to flag it anew
    assert verdict_of(sclient, url, address=ADDRESS_IN["chattogram"])["clone_warning"] is False
    event = ssession.scalar(select(AuditEvent).where(AuditEvent.action == "unit.flags_cleared"))
    assert event is not None and event.before == {"flags": ["far_apart_districts"]}
    assert event.reason == "owner travelled Dhaka to Chattogram; receipt seen"
    again = sclient.post(
        "/api/v1/units/clear-flags", json={"url": url, "reason": "again"}, headers=reviewer.headers
    )
    assert again.status_code == 409
