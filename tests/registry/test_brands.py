"""Protected brand names: what a manufacturer, a reviewer and the public see (issue 23, part 3)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.models import AuditEvent
from registry.brand_matching import brand_keys, compare_keys
from registry.models import Brand, BrandLicence
from tests.factories import make_party, own_brand
from tests.registry.test_workflow import PRODUCT

PAIRS = Path(__file__).resolve().parents[1] / "data" / "brands" / "confusable_pairs.csv"


def _pairs() -> list[dict[str, str]]:
    with PAIRS.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("pair", _pairs(), ids=lambda p: f"{p['existing_en']}~{p['new_en']}/{p['new_bn']}")
def test_the_table_of_confusable_pairs(pair: dict[str, str]) -> None:
    existing = [(1, k) for k in brand_keys(pair["existing_en"], pair["existing_bn"])]
    found = compare_keys(brand_keys(pair["new_en"], pair["new_bn"]), existing)
    assert ("conflict" if found else "distinct") == pair["expected"], (pair["why"], found)


def _actions(session: Any, brand_id: int) -> list[str]:
    return list(
        session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.target_type == "brand", AuditEvent.target_id == str(brand_id))
            .order_by(AuditEvent.id)
        )
    )


def _audit(session: Any, brand_id: int) -> list[str]:
    session.expire_all()
    return _actions(session, brand_id)


def test_a_brand_nobody_else_has_is_registered_at_once_and_audited(client: Any, session: Any) -> None:
    maker = make_party(session)
    session.commit()
    resp = client.post("/api/v1/brands", json={"name_en": "Nodi", "name_bn": "নদী"}, headers=maker.headers)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "registered" and body["conflicts"] == []
    assert body["owner_id"] == maker.manufacturer.id
    assert _audit(session, body["id"]) == ["brand.registered"]
    public = client.get(f"/api/v1/brands/{body['id']}").get_json()
    assert public["name_bn"] == "নদী" and "conflicts" not in {k for k, v in public.items() if v is not None}


def test_a_confusable_brand_waits_for_a_reviewer_with_the_conflicts_shown(client: Any, session: Any) -> None:
    owner, newcomer = make_party(session), make_party(session)
    walton = own_brand(session, owner.manufacturer, "Walton", "ওয়ালটন")
    session.commit()
    resp = client.post(
        "/api/v1/brands", json={"name_en": "Wаlton", "name_bn": "ওয়াল্টন"}, headers=newcomer.headers
    )
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["status"] == "pending"
    [conflict] = body["conflicts"]
    assert conflict["brand_id"] == walton.id and conflict["owner_id"] == owner.manufacturer.id
    assert {"same_letters", "same_consonants"} <= {m["reason"] for m in conflict["matches"]}
    assert _audit(session, body["id"]) == ["brand.submitted"]
    # the public does not see a pending brand
    assert client.get(f"/api/v1/brands/{body['id']}").status_code == 404
    # and the newcomer cannot put it on a product yet
    resp = client.post("/api/v1/products", json=PRODUCT | {"brand": "Wаlton"}, headers=newcomer.headers)
    assert resp.status_code == 422
    assert resp.get_json()["errors"] == [
        {
            "field": "brand",
            "reason": "brand Walton is registered to another manufacturer; ask its owner for a licence to use it",
            "code": "brand.not_yours",
            "params": {"name": "Walton"},
        }
    ]


def test_checking_a_name_stores_nothing_and_lists_the_conflicts(client: Any, session: Any) -> None:
    owner, other = make_party(session), make_party(session)
    padma = own_brand(session, owner.manufacturer, "Padma", "পদ্মা")
    session.commit()
    before = session.query(Brand).count()
    resp = client.post("/api/v1/brands/check", json={"name_en": "Padrna"}, headers=other.headers)
    assert resp.status_code == 200
    assert [c["brand_id"] for c in resp.get_json()["conflicts"]] == [padma.id]
    assert session.query(Brand).count() == before
    # the owner's own brands are no conflict for the owner
    mine = client.post("/api/v1/brands/check", json={"name_en": "Padrna"}, headers=owner.headers)
    assert mine.get_json()["conflicts"] == []


def test_the_reviewer_approves_or_rejects_with_a_reason_and_both_are_audited(
    client: Any, session: Any
) -> None:
    owner, a, b = make_party(session), make_party(session), make_party(session)
    reviewer = make_party(session, "reviewer")
    own_brand(session, owner.manufacturer, "Meghna", "মেঘনা")
    session.commit()
    first = client.post("/api/v1/brands", json={"name_en": "Megna", "name_bn": "মেগনা"}, headers=a.headers)
    second = client.post("/api/v1/brands", json={"name_en": "Meghna", "name_bn": "মেঘনা"}, headers=b.headers)
    first_id, second_id = first.get_json()["id"], second.get_json()["id"]
    assert first.get_json()["status"] == second.get_json()["status"] == "pending"
    queue = client.get("/api/v1/brands?status=pending", headers=reviewer.headers).get_json()
    assert {first_id, second_id} <= {item["id"] for item in queue["items"]}
    # a manufacturer cannot decide
    assert client.post(f"/api/v1/brands/{first_id}/approve", json={}, headers=a.headers).status_code == 403
    # a rejection needs a reason
    resp = client.post(f"/api/v1/brands/{second_id}/reject", json={}, headers=reviewer.headers)
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "reason"
    resp = client.post(
        f"/api/v1/brands/{second_id}/reject",
        json={"reason": "Meghna is another company's registered brand"},
        headers=reviewer.headers,
    )
    assert resp.status_code == 200 and resp.get_json()["status"] == "rejected"
    resp = client.post(
        f"/api/v1/brands/{first_id}/approve", json={"reason": "a different trade"}, headers=reviewer.headers
    )
    assert resp.status_code == 200 and resp.get_json()["status"] == "registered"
    # a decided brand is not decided again
    again = client.post(f"/api/v1/brands/{first_id}/reject", json={"reason": "x"}, headers=reviewer.headers)
    assert again.status_code == 409
    assert _audit(session, first_id) == ["brand.submitted", "brand.approved"]
    assert _audit(session, second_id) == ["brand.submitted", "brand.rejected"]
    # now the approved brand goes on products
    ok = client.post("/api/v1/products", json=PRODUCT | {"brand": "MEGNA"}, headers=a.headers)
    assert ok.status_code == 201 and ok.get_json()["brand"] == "Megna"


def test_a_product_under_another_companys_brand_needs_a_licence(client: Any, session: Any) -> None:
    owner, maker = make_party(session), make_party(session, brand="Shapla")
    padma = own_brand(session, owner.manufacturer, "Padma", "পদ্মা")
    session.commit()
    refused = client.post("/api/v1/products", json=PRODUCT | {"brand": "পদ্মা"}, headers=maker.headers)
    assert refused.status_code == 422
    assert refused.get_json()["errors"][0]["field"] == "brand"
    # only the owner licenses it
    assert (
        client.post(
            f"/api/v1/brands/{padma.id}/licences",
            json={"licensee_id": maker.manufacturer.id},
            headers=maker.headers,
        ).status_code
        == 403
    )
    granted = client.post(
        f"/api/v1/brands/{padma.id}/licences",
        json={"licensee_id": maker.manufacturer.id, "reason": "contract manufacturing"},
        headers=owner.headers,
    )
    assert granted.status_code == 201
    assert [lic["manufacturer_id"] for lic in granted.get_json()["licensees"]] == [maker.manufacturer.id]
    made = client.post("/api/v1/products", json=PRODUCT | {"brand": "পদ্মা"}, headers=maker.headers)
    assert made.status_code == 201 and made.get_json()["brand"] == "Padma"
    assert made.get_json()["brand_id"] == padma.id
    # the product appears under the brand
    listed = client.get(f"/api/v1/products?brand_id={padma.id}", headers=maker.headers).get_json()
    assert [p["id"] for p in listed["items"]] == [made.get_json()["id"]]
    # after the licence ends, a new product or a change of brand is refused again
    ended = client.post(
        f"/api/v1/brands/{padma.id}/licences/{maker.manufacturer.id}/revoke",
        json={"reason": "contract ended"},
        headers=owner.headers,
    )
    assert ended.status_code == 200 and ended.get_json()["licensees"] == []
    again = client.post(
        "/api/v1/products", json=PRODUCT | {"brand": "Padma", "gtin": "96385074"}, headers=maker.headers
    )
    assert again.status_code == 422 and again.get_json()["errors"][0]["field"] == "brand"
    pid = made.get_json()["id"]
    assert (
        client.patch(f"/api/v1/products/{pid}", json={"brand": "Shapla"}, headers=maker.headers).status_code
        == 200
    )
    back = client.patch(f"/api/v1/products/{pid}", json={"brand": "Padma"}, headers=maker.headers)
    assert back.status_code == 422 and back.get_json()["errors"][0]["field"] == "brand"
    assert _audit(session, padma.id) == ["brand.licensed", "brand.licence_revoked"]


def test_a_brand_nobody_registered_is_refused_on_a_product(client: Any, session: Any) -> None:
    maker = make_party(session)
    session.commit()
    resp = client.post("/api/v1/products", json=PRODUCT | {"brand": "Nobody"}, headers=maker.headers)
    assert resp.status_code == 422
    assert resp.get_json()["errors"] == [
        {
            "field": "brand",
            "reason": "not a registered brand of your company; register it in both spellings first",
            "code": "brand.not_registered",
        }
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name_en": "পদ্মা", "name_bn": "পদ্মা"}, "name_en"),
        ({"name_en": "Padma", "name_bn": "Padma"}, "name_bn"),
        ({"name_en": "Pad\u202ema", "name_bn": "পদ্মা"}, "name_en"),
        ({"name_en": "Padma"}, "name_bn"),
        ({"name_en": "P" * 101, "name_bn": "পদ্মা"}, "name_en"),
    ],
)
def test_bad_brand_names_are_refused_naming_the_field(
    client: Any, session: Any, body: Any, field: str
) -> None:
    maker = make_party(session)
    session.commit()
    resp = client.post("/api/v1/brands", json=body, headers=maker.headers)
    assert resp.status_code == 422
    assert resp.headers["Content-Type"].startswith("application/problem+json")
    assert field in [e["field"] for e in resp.get_json()["errors"]]


def test_the_same_brand_twice_for_one_company_is_a_conflict(client: Any, session: Any) -> None:
    maker = make_party(session, brand="Ekota")
    session.commit()
    resp = client.post("/api/v1/brands", json={"name_en": "EKOTA", "name_bn": "একতা"}, headers=maker.headers)
    assert resp.status_code == 409 and resp.get_json()["errors"][0]["field"] == "name_en"


def test_an_unverified_company_cannot_register_a_brand(client: Any, session: Any) -> None:
    maker = make_party(session, status="pending")
    session.commit()
    resp = client.post("/api/v1/brands", json={"name_en": "Nodi", "name_bn": "নদী"}, headers=maker.headers)
    assert resp.status_code == 403


def test_every_demo_product_carries_a_brand_its_maker_owns_or_is_licensed_to_use(session: Any) -> None:
    from registry.brands import usable_brands
    from registry.demo import seed_demo
    from registry.models import Product

    seed_demo(session, manufacturers=14, products=120)
    session.flush()
    products = list(session.scalars(select(Product)))
    assert products and all(p.brand_id for p in products)
    usable = {}
    for p in products:
        if p.manufacturer_id not in usable:
            usable[p.manufacturer_id] = {b.id for b in usable_brands(session, p.manufacturer_id)}
        assert p.brand_id in usable[p.manufacturer_id], (p.brand, p.manufacturer_id)
    licensed_makers = session.scalars(select(BrandLicence.licensee_id)).all()
    assert licensed_makers  # some companies make another's brand under licence
    [waiting] = session.scalars(select(Brand).where(Brand.status == "pending")).all()
    assert waiting.name_en == "Padrna" and [c["name_en"] for c in waiting.conflicts] == ["Padma"]
