"""The licensing rule at approval: a category's required certificates must be valid on the approval day,
or a reviewer overrides it with a reason that is audited and shown on the product."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.models import AuditEvent
from tests.factories import CertificateFactory, ProductFactory, make_party

TODAY = datetime.now(UTC).date()


@pytest.fixture()
def reviewer(session):
    return make_party(session, "reviewer")


@pytest.fixture()
def phone(session):
    """A BTRC-requiring phone waiting for review, with no certificate linked."""
    maker = make_party(session)
    p = ProductFactory(
        manufacturer=maker.manufacturer, category="phones", status="submitted", submitted_at=datetime.now(UTC)
    )
    session.commit()
    return p


def _link(session, product, **dates):
    cert = CertificateFactory(manufacturer_id=product.manufacturer_id, scheme="BTRC", **dates)
    product.certificates = [cert]
    session.commit()
    return cert


def _approve(client, product, reviewer, body=None):
    return client.post(f"/api/v1/products/{product.id}/approve", json=body or {}, headers=reviewer.headers)


def _unchanged(client, session, product, reviewer, version):
    """The product is still waiting, with no licence and no approval in its audit trail."""
    body = client.get(f"/api/v1/products/{product.id}", headers=reviewer.headers).get_json()
    assert body["status"] == "submitted" and body["licence_number"] is None
    assert body["version"] == version and body["certificate_override"] is None
    actions = session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.target_type == "product", AuditEvent.target_id == str(product.id)
        )
    ).all()
    assert not {"product.approve", "product.certificate_override"} & set(actions)


def test_approval_without_the_required_certificate_is_refused_naming_it(client, session, phone, reviewer):
    version = phone.version
    resp = _approve(client, phone, reviewer)
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["errors"] == [
        {
            "field": "certificates",
            "reason": "BTRC: no certificate of this scheme is linked",
            "code": "certificate.required_missing",
            "params": {"scheme": "BTRC", "on": TODAY.isoformat()},
        }
    ]
    assert "BTRC (BTRC type approval)" in body["detail"] and "override_missing_certificates" in body["detail"]
    assert body["missing_certificates"] == [{"scheme": "BTRC", "problem": "missing"}]
    _unchanged(client, session, phone, reviewer, version)


@pytest.mark.parametrize(
    "dates",
    [
        {"valid_from": TODAY - timedelta(days=400), "valid_until": TODAY - timedelta(days=1)},  # expired
        {"valid_from": TODAY + timedelta(days=1), "valid_until": TODAY + timedelta(days=400)},  # not yet
    ],
    ids=["expired-the-day-before", "valid-from-tomorrow"],
)
def test_a_certificate_not_valid_on_the_approval_day_is_refused(client, session, phone, reviewer, dates):
    _link(session, phone, **dates)
    version = phone.version
    resp = _approve(client, phone, reviewer)
    assert resp.status_code == 422
    assert resp.get_json()["errors"] == [
        {
            "field": "certificates",
            "reason": f"BTRC: no linked certificate of this scheme is valid on {TODAY}",
            "code": "certificate.required_not_valid",
            "params": {"scheme": "BTRC", "on": TODAY.isoformat()},
        }
    ]
    _unchanged(client, session, phone, reviewer, version)


def test_a_certificate_valid_on_the_approval_day_lets_the_licence_through(client, session, phone, reviewer):
    _link(session, phone, valid_from=TODAY, valid_until=TODAY)  # its first and last day
    resp = _approve(client, phone, reviewer)
    body = resp.get_json()
    assert resp.status_code == 200, body
    assert body["status"] == "licensed" and body["certificate_override"] is None and body["flags"] == []


def test_an_override_with_a_reason_approves_and_is_audited_and_shown(client, session, phone, reviewer):
    reason = "BTRC approval letter seen on paper; scan to follow"
    resp = _approve(client, phone, reviewer, {"override_missing_certificates": {"reason": reason}})
    body = resp.get_json()
    assert resp.status_code == 200, body
    assert body["status"] == "licensed"
    assert body["certificate_override"] == {
        "schemes": ["BTRC"],
        "reason": reason,
        "approved_on": TODAY.isoformat(),
    }
    event = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "product.certificate_override", AuditEvent.target_id == str(phone.id)
        )
    ).one()
    assert event.reason == reason and event.actor == reviewer.user.email
    assert event.after["missing_certificates"] == {"BTRC": "missing"}
    # anyone reading the public record sees the override, and the still-missing certificate
    public = client.get(f"/api/v1/products/{phone.id}").get_json()
    assert public["certificate_override"]["reason"] == reason
    assert public["flags"] == ["missing_required_certificate:BTRC"]


@pytest.mark.parametrize("override", [{}, {"reason": "   "}], ids=["no-reason", "blank-reason"])
def test_an_override_without_a_reason_is_refused(client, session, phone, reviewer, override):
    version = phone.version
    resp = _approve(client, phone, reviewer, {"override_missing_certificates": override})
    assert resp.status_code == 422
    assert [e["field"] for e in resp.get_json()["errors"]] == ["override_missing_certificates.reason"]
    _unchanged(client, session, phone, reviewer, version)


def test_an_override_where_nothing_is_missing_is_refused(client, session, phone, reviewer):
    _link(session, phone)
    version = phone.version
    resp = _approve(client, phone, reviewer, {"override_missing_certificates": {"reason": "just in case"}})
    assert resp.status_code == 422
    assert [e["field"] for e in resp.get_json()["errors"]] == ["override_missing_certificates"]
    _unchanged(client, session, phone, reviewer, version)


def test_a_category_without_required_schemes_needs_no_certificate(client, session, reviewer):
    maker = make_party(session)
    laptop = ProductFactory(
        manufacturer=maker.manufacturer,
        category="laptops",
        status="submitted",
        submitted_at=datetime.now(UTC),
    )
    session.commit()
    resp = _approve(client, laptop, reviewer)
    assert resp.status_code == 200 and resp.get_json()["certificate_override"] is None


def test_the_api_document_offers_the_override(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    approve = doc["paths"]["/api/v1/products/{product_id}/approve"]["post"]
    ref = approve["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "override_missing_certificates" in doc["components"]["schemas"][ref]["properties"]
    assert "certificate_override" in doc["components"]["schemas"]["ProductOut"]["properties"]


def test_every_demo_licence_was_granted_while_its_required_certificates_were_valid(session):
    from registry.data.taxonomy import CATEGORIES
    from registry.demo import seed_demo
    from registry.models import Product
    from registry.queries import missing_required_certificates

    seed_demo(session, manufacturers=55, products=400)
    session.flush()
    granted = session.scalars(select(Product).where(Product.licence_valid_from.is_not(None))).all()
    ruled = [p for p in granted if CATEGORIES[p.category].required_schemes]
    assert len(ruled) > 100
    broken = {p.id: missing_required_certificates(p, p.licence_valid_from) for p in ruled}
    assert {pid: m for pid, m in broken.items() if m} == {}
