"""The whole registry workflow over HTTP, as a manufacturer and a reviewer see it."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from core.models import AuditEvent, OutboxEntry
from tests.factories import CertificateFactory, make_party

REGISTRATION = {
    "legal_name_en": "Padma Digital Ltd.",
    "legal_name_bn": "পদ্মা ডিজিটাল লিমিটেড",
    "trade_licence_no": "TRAD/DNCC/123456/2024",
    "bin": "0012345678901",
    "tin": "123456789012",
    "address": "Plot 12, Hi-Tech Park, Kaliakair",
    "district": "gazipur",
    "factory_locations": [{"address": "Block C, Bangabandhu Hi-Tech City", "district": "gazipur"}],
    "contact_name": "Rahima Khatun",
    "contact_email": "rahima@padma.example.com.bd",
    "contact_phone": "+8801711000000",
    "website": "https://padma.example.com.bd",
    "owner": {
        "name": "Rahima Khatun",
        "email": "Owner@Padma.example.com.bd",
        "password": "a long enough password",
    },
}

PRODUCT = {
    "name_en": "Padma Smartphone P10",
    "name_bn": "পদ্মা স্মার্টফোন পি১০",
    "brand": "Padma",
    "model_number": "P10",
    "category": "phones",
    "gtin": "5901234123457",  # a GTIN-13 with a valid check digit
    "hs_code": "8517.13",
    "specifications": {"RAM": "6 GB", "Storage": "128 GB"},
    "local_value_addition": 42.5,
    "lva_basis": "ex-factory price less imported inputs",
    "launch_date": "2026-01-15",
}


def _token(client, email, password, scopes=None):
    resp = client.post(
        "/api/v1/tokens",
        json={"name": "cli", **({"scopes": scopes} if scopes else {})},
        auth=(email, password),
    )
    assert resp.status_code == 201, resp.get_json()
    return {"Authorization": f"Bearer {resp.get_json()['token']}"}


def test_register_verify_draft_submit_approve_suspend_reinstate_revoke(client, session):
    reviewer = make_party(session, "reviewer")
    session.commit()

    # 1. the company registers itself; the owner's email is normalised
    resp = client.post("/api/v1/manufacturers", json=REGISTRATION)
    assert resp.status_code == 201, resp.get_json()
    maker = resp.get_json()
    assert maker["status"] == "pending" and maker["owner"]["email"] == "owner@padma.example.com.bd"
    assert resp.headers["Location"] == f"/api/v1/manufacturers/{maker['id']}"
    owner = _token(client, "owner@padma.example.com.bd", "a long enough password")

    # 2. a pending manufacturer cannot draft products
    resp = client.post("/api/v1/products", json=PRODUCT, headers=owner)
    assert resp.status_code == 403 and "verified" in resp.get_json()["detail"]

    # 3. the reviewer verifies it
    resp = client.post(f"/api/v1/manufacturers/{maker['id']}/verify", json={}, headers=reviewer.headers)
    assert resp.status_code == 200 and resp.get_json()["status"] == "verified"

    # 3b. it registers its brand in both spellings (nobody else's is like it: registered at once)
    resp = client.post("/api/v1/brands", json={"name_en": "Padma", "name_bn": "পদ্মা"}, headers=owner)
    assert resp.status_code == 201 and resp.get_json()["status"] == "registered", resp.get_json()

    # 4. draft -> submit; the GTIN-13 is stored as GTIN-14
    cert = client.post(
        "/api/v1/certificates",
        headers=owner,
        json={
            "scheme": "BTRC",
            "number": "BTRC/TA/2026/77",
            "issuer": "BTRC",
            "valid_from": "2026-01-01",
            "valid_until": "2029-01-01",
        },
    )
    assert cert.status_code == 201, cert.get_json()
    resp = client.post(
        "/api/v1/products", json=PRODUCT | {"certificate_ids": [cert.get_json()["id"]]}, headers=owner
    )
    assert resp.status_code == 201, resp.get_json()
    product = resp.get_json()
    assert product["gtin"] == "05901234123457" and product["status"] == "draft" and product["flags"] == []
    pid = product["id"]
    # the public cannot see a draft
    assert client.get(f"/api/v1/products/{pid}").status_code == 404
    resp = client.post(f"/api/v1/products/{pid}/submit", headers=owner)
    assert resp.status_code == 200 and resp.get_json()["status"] == "submitted"

    # 5. approve: a 3-year licence by default
    resp = client.post(f"/api/v1/products/{pid}/approve", json={}, headers=reviewer.headers)
    body = resp.get_json()
    assert resp.status_code == 200, body
    assert body["status"] == "licensed" and body["licence_number"].startswith("MIB-")
    from datetime import date

    start, until = (
        date.fromisoformat(body["licence_valid_from"]),
        date.fromisoformat(body["licence_valid_until"]),
    )
    assert until.year - start.year == 3
    assert client.get(f"/api/v1/products/{pid}").status_code == 200  # now public

    # 6. suspend needs a reason; then reinstate; then revoke is final
    resp = client.post(f"/api/v1/products/{pid}/suspend", json={}, headers=reviewer.headers)
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "reason"
    assert (
        client.post(
            f"/api/v1/products/{pid}/suspend",
            json={"reason": "surveillance test failed"},
            headers=reviewer.headers,
        ).get_json()["status"]
        == "suspended"
    )
    assert (
        client.post(f"/api/v1/products/{pid}/reinstate", json={}, headers=reviewer.headers).get_json()[
            "status"
        ]
        == "licensed"
    )
    assert (
        client.post(
            f"/api/v1/products/{pid}/revoke", json={"reason": "counterfeit parts"}, headers=reviewer.headers
        ).get_json()["status"]
        == "revoked"
    )
    resp = client.post(f"/api/v1/products/{pid}/reinstate", json={}, headers=reviewer.headers)
    assert resp.status_code == 409 and resp.get_json()["errors"][0]["field"] == "status"

    # every transition is audited, with before and after
    actions = [
        e.action
        for e in session.scalars(
            select(AuditEvent)
            .where(AuditEvent.target_type == "product", AuditEvent.target_id == str(pid))
            .order_by(AuditEvent.id)
        )
    ]
    assert actions == [
        "product.created",
        "product.submitted",
        "product.approve",
        "product.suspend",
        "product.reinstate",
        "product.revoke",
    ]
    revoke = session.scalars(select(AuditEvent).where(AuditEvent.action == "product.revoke")).one()
    assert revoke.before["status"] == "licensed" and revoke.after["status"] == "revoked"
    assert revoke.reason == "counterfeit parts" and revoke.actor == reviewer.user.email and revoke.request_id
    # and every licence decision leaves a search-outbox row in the same transaction
    assert session.scalar(select(OutboxEntry).where(OutboxEntry.entity_id == pid)) is not None


def test_reject_with_reasons_then_fix_and_resubmit(client, session):
    maker, reviewer = make_party(session, brand="Padma"), make_party(session, "reviewer")
    session.commit()
    pid = client.post("/api/v1/products", json=PRODUCT, headers=maker.headers).get_json()["id"]
    client.post(f"/api/v1/products/{pid}/submit", headers=maker.headers)
    resp = client.post(
        f"/api/v1/products/{pid}/reject",
        json={"reason": "LVA basis lacks an audit report"},
        headers=reviewer.headers,
    )
    assert resp.get_json()["status"] == "rejected"
    seen = client.get(f"/api/v1/products/{pid}", headers=maker.headers).get_json()
    assert seen["status_reason"] == "LVA basis lacks an audit report"
    resp = client.patch(
        f"/api/v1/products/{pid}",
        json={"lva_basis": "audited by KPMG, report 2026-04"},
        headers=maker.headers,
    )
    assert resp.status_code == 200
    assert (
        client.post(f"/api/v1/products/{pid}/submit", headers=maker.headers).get_json()["status"]
        == "submitted"
    )


def test_wrong_roles_and_other_manufacturers(client, session):
    maker, other, reviewer = (
        make_party(session, brand="Padma"),
        make_party(session),
        make_party(session, "reviewer"),
    )
    session.commit()
    pid = client.post("/api/v1/products", json=PRODUCT, headers=maker.headers).get_json()["id"]
    # no credentials: 401; a manufacturer reviewing: 403; another manufacturer: 404
    assert client.post(f"/api/v1/products/{pid}/submit").status_code == 401
    assert client.post(f"/api/v1/products/{pid}/approve", json={}, headers=maker.headers).status_code == 403
    assert client.get(f"/api/v1/products/{pid}", headers=other.headers).status_code == 404
    assert (
        client.patch(f"/api/v1/products/{pid}", json={"brand": "X"}, headers=other.headers).status_code == 404
    )
    # reviewers cannot draft products
    assert (
        client.post(
            "/api/v1/products", json=PRODUCT | {"gtin": "96385074"}, headers=reviewer.headers
        ).status_code
        == 403
    )
    # approving a draft is an illegal transition
    resp = client.post(f"/api/v1/products/{pid}/approve", json={}, headers=reviewer.headers)
    assert resp.status_code == 409 and "draft" in resp.get_json()["detail"]


def test_expired_required_certificate_is_flagged(client, session):
    maker = make_party(session, brand="Padma")
    old = CertificateFactory(
        manufacturer_id=maker.manufacturer.id,
        scheme="BTRC",
        valid_from=date(2020, 1, 1),
        valid_until=date(2021, 1, 1),
    )
    session.commit()
    resp = client.post(
        "/api/v1/products", json=PRODUCT | {"certificate_ids": [old.id]}, headers=maker.headers
    )
    assert resp.get_json()["flags"] == ["required_certificate_expired:BTRC"]
    resp = client.post(
        "/api/v1/products", json=PRODUCT | {"gtin": "96385074", "category": "chargers"}, headers=maker.headers
    )
    assert resp.get_json()["flags"] == ["missing_required_certificate:BSTI"]


def test_licence_expires_by_itself(client, session, runner):
    from datetime import date, timedelta

    from tests.factories import ProductFactory, licensed

    maker = make_party(session, brand="Padma")
    p = ProductFactory(manufacturer_id=maker.manufacturer.id, **licensed(date.today() - timedelta(days=4000)))
    session.commit()
    assert client.get(f"/api/v1/products/{p.id}").get_json()["status"] == "expired"
    result = runner.invoke(args=["registry", "expire-licences"])
    assert "1 licences expired" in result.output
