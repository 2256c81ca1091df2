"""Bad input gets RFC 9457 problem+json naming the field and the reason, and writes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.models import AuditEvent
from registry.models import Manufacturer, Product
from tests.factories import make_party
from tests.registry.test_workflow import PRODUCT, REGISTRATION


def _problem(resp, status):
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert {"type", "title", "status", "detail", "instance", "errors"} <= body.keys()
    assert body["status"] == status
    return body


def _fields(body):
    return {e["field"] for e in body["errors"]}


def _counts(session):
    return tuple(
        session.scalar(select(func.count()).select_from(t)) for t in (Manufacturer, Product, AuditEvent)
    )


@pytest.mark.parametrize(
    ("change", "field", "reason_part"),
    [
        ({"bin": "12345"}, "bin", "13 digits"),
        ({"tin": "12345678901a"}, "tin", "12 digits"),
        ({"district": "atlantis"}, "district", "unknown district"),
        ({"contact_email": "not-an-email"}, "contact_email", "email"),
        ({"website": "javascript:alert(1)"}, "website", "pattern"),
        ({"legal_name_en": 42}, "legal_name_en", "string"),
        ({"surprise": "field"}, "surprise", "unknown field"),
        (
            {"owner": {"name": "x", "email": "a@b.example.com", "password": "short"}},
            "owner.password",
            "12 characters",
        ),
    ],
)
def test_registration_field_errors(client, session, change, field, reason_part):
    before = _counts(session)
    body = _problem(client.post("/api/v1/manufacturers", json=REGISTRATION | change), 422)
    match = [e for e in body["errors"] if e["field"] == field]
    assert match, body
    assert reason_part in match[0]["reason"]
    assert _counts(session) == before


def test_missing_field_is_named(client):
    payload = dict(REGISTRATION)
    del payload["bin"]
    body = _problem(client.post("/api/v1/manufacturers", json=payload), 422)
    assert {"field": "bin", "reason": "this field is required", "code": "value.required"} in body["errors"]


def test_district_accepts_bangla_name(client):
    resp = client.post("/api/v1/manufacturers", json=REGISTRATION | {"district": "গাজীপুর"})
    assert resp.status_code == 201 and resp.get_json()["district"] == "gazipur"


def test_malformed_json_and_wrong_media_type(client, session):
    before = _counts(session)
    body = _problem(
        client.post("/api/v1/manufacturers", data="{not json", content_type="application/json"), 422
    )
    assert _fields(body) == {"body"} and "malformed JSON" in body["errors"][0]["reason"]
    body = _problem(
        client.post("/api/v1/manufacturers", data="a=b", content_type="application/x-www-form-urlencoded"),
        415,
    )
    assert _fields(body) == {"Content-Type"}
    body = _problem(client.post("/api/v1/manufacturers", json=[1, 2]), 422)
    assert _counts(session) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"gtin": "5901234123458"}, "gtin"),  # wrong check digit
        ({"gtin": "12345"}, "gtin"),
        ({"category": "spaceships"}, "category"),
        ({"local_value_addition": 101}, "local_value_addition"),
        ({"local_value_addition": -1}, "local_value_addition"),
        ({"hs_code": "85x"}, "hs_code"),
        ({"launch_date": "2026-13-45"}, "launch_date"),
        ({"specifications": {"RAM": {"nested": 1}}}, "specifications.RAM"),
    ],
)
def test_product_field_errors(client, session, change, field):
    maker = make_party(session, brand="Padma")
    session.commit()
    before = _counts(session)
    body = _problem(client.post("/api/v1/products", json=PRODUCT | change, headers=maker.headers), 422)
    assert field in _fields(body), body
    assert _counts(session) == before


def test_gtin_check_digit_reason_is_clear(client, session):
    maker = make_party(session, brand="Padma")
    session.commit()
    body = _problem(
        client.post("/api/v1/products", json=PRODUCT | {"gtin": "5901234123458"}, headers=maker.headers), 422
    )
    assert "expected 7" in body["errors"][0]["reason"]


def test_duplicate_gtin_in_any_spelling_conflicts(client, session):
    maker = make_party(session, brand="Padma")
    session.commit()
    assert client.post("/api/v1/products", json=PRODUCT, headers=maker.headers).status_code == 201
    body = _problem(
        client.post("/api/v1/products", json=PRODUCT | {"gtin": "05901234123457"}, headers=maker.headers), 409
    )
    assert _fields(body) == {"gtin"}


def test_markup_and_sql_are_stored_as_text(client, session):
    maker = make_party(session, brand="Padma")
    session.commit()
    evil = "<script>alert('x')</script>'; DROP TABLE products; --"
    resp = client.post("/api/v1/products", json=PRODUCT | {"name_en": evil}, headers=maker.headers)
    assert resp.status_code == 201
    assert (
        client.get(f"/api/v1/products/{resp.get_json()['id']}", headers=maker.headers).get_json()["name_en"]
        == evil
    )
    assert session.scalar(select(func.count()).select_from(Product)) >= 1


def test_oversize_body(client, app):
    body = _problem(
        client.post(
            "/api/v1/manufacturers",
            data=b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1),
            content_type="application/json",
        ),
        413,
    )
    assert _fields(body) == {"body"}


def test_unknown_route_and_method(client):
    body = _problem(client.get("/api/v1/nothing-here"), 404)
    assert body["instance"] == "/api/v1/nothing-here"
    _problem(client.delete("/api/v1/manufacturers"), 405)


def test_credentials(client, session):
    body = _problem(client.get("/api/v1/me"), 401)
    assert "sign in" in body["detail"]
    _problem(client.get("/api/v1/me", headers={"Authorization": "Bearer mib_nope_nope"}), 401)
    _problem(client.get("/api/v1/me", headers={"Authorization": "Basic Zm9vOmJhcg=="}), 401)
    _problem(client.post("/api/v1/tokens", json={"name": "x"}, auth=("nobody@example.com", "whatever")), 401)


def test_bad_query_parameters(client):
    body = _problem(client.get("/api/v1/products?page=0"), 422)
    assert _fields(body) == {"query.page"}
    body = _problem(client.get("/api/v1/products?per_page=100000"), 422)
    assert _fields(body) == {"query.per_page"}
    body = _problem(client.get("/api/v1/products?status=bogus"), 422)
    assert _fields(body) == {"query.status"}
    assert client.get("/api/v1/products?page=999").get_json()["items"] == []


def test_if_match_header(client, session):
    maker, reviewer = make_party(session, brand="Padma"), make_party(session, "reviewer")
    session.commit()
    pid = client.post("/api/v1/products", json=PRODUCT, headers=maker.headers).get_json()["id"]
    body = _problem(
        client.post(f"/api/v1/products/{pid}/submit", headers=maker.headers | {"If-Match": "banana"}), 422
    )
    assert _fields(body) == {"If-Match"}
    resp = client.get(f"/api/v1/products/{pid}", headers=maker.headers)
    etag = resp.headers["ETag"]
    assert (
        client.post(f"/api/v1/products/{pid}/submit", headers=maker.headers | {"If-Match": etag}).status_code
        == 200
    )
    # the reviewer decides on what they saw: a stale ETag gets 412 and changes nothing
    body = _problem(
        client.post(
            f"/api/v1/products/{pid}/approve", json={}, headers=reviewer.headers | {"If-Match": etag}
        ),
        412,
    )
    assert _fields(body) == {"If-Match"}
    assert client.get(f"/api/v1/products/{pid}", headers=maker.headers).get_json()["status"] == "submitted"
