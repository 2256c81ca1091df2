"""What a client can send never ends in a 500: JSON too deep or too large, ids beyond the database's integer
columns. Each answer is a problem naming what was wrong, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re

import pytest

from core.limits import MAX_DB_INT, MAX_JSON_BYTES, MAX_JSON_DEPTH, digits_at_most, json_deeper_than
from tests.factories import make_party
from tests.registry.test_workflow import PRODUCT


def _problem(resp, status):
    assert resp.status_code == status, resp.get_data(as_text=True)[:500]
    assert resp.mimetype == "application/problem+json"
    return resp.get_json()


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("text", "deeper"),
    [
        (_nested(MAX_JSON_DEPTH), False),
        (_nested(MAX_JSON_DEPTH + 1), True),
        ('{"a": [' * 20 + "1" + "]}" * 20, True),  # 40 levels, objects and arrays alike
        ('{"a": "' + "[" * 1000 + '"}', False),  # brackets inside a string do not nest
        ('{"a": "\\"' + "[" * 1000 + '"}', False),  # nor after an escaped quote
        ("[]" * 10_000, False),  # many, side by side
        ('{"a": 1}\n' + _nested(MAX_JSON_DEPTH + 1) + "\n", True),  # JSON Lines
        ("[" * 1000, True),  # never closed, yet a parser would recurse 1,000 deep before saying so
        ('{"a": [1}' + "[]" * 40, False),  # malformed but shallow: the parser says where
    ],
)
def test_json_depth_is_measured_without_parsing(text, deeper):
    assert json_deeper_than(text.encode(), MAX_JSON_DEPTH) is deeper


DEEP = '{"email": ' + _nested(1000) + "}"


@pytest.mark.parametrize(
    ("path", "role", "content_type"),
    [
        ("/api/v1/session", None, "application/json"),
        ("/api/v1/reports", None, "application/json"),
        ("/api/v1/manufacturers", None, "application/json"),
        ("/api/v1/products", "manufacturer", "application/json"),
        ("/api/v1/labels", "manufacturer", "application/json"),
        ("/api/v1/products/import", "manufacturer", "application/x-ndjson"),
        ("/api/v1/units/recall", "reviewer", "application/json"),
    ],
)
def test_json_nested_1000_levels_is_a_problem_naming_the_body(client, session, path, role, content_type):
    headers = make_party(session, role).headers if role else {}
    body = _problem(client.post(path, data=DEEP, content_type=content_type, headers=headers), 422)
    assert body["errors"] == [
        {"field": "body", "reason": f"nested more than {MAX_JSON_DEPTH} levels", "code": "body.too_deep"}
    ]


def test_json_at_the_depth_limit_reaches_validation(client):
    body = _problem(
        client.post("/api/v1/session", data=_nested(MAX_JSON_DEPTH), content_type="application/json"), 422
    )
    assert {e["field"] for e in body["errors"]} == {"body"}
    assert "nested" not in body["errors"][0]["reason"]


def test_json_body_larger_than_the_limit_is_413(client):
    big = json.dumps({"email": "a@b.example.com", "password": "x" * MAX_JSON_BYTES})
    body = _problem(client.post("/api/v1/session", data=big, content_type="application/json"), 413)
    assert body["errors"] == [
        {"field": "body", "reason": f"larger than {MAX_JSON_BYTES} bytes", "code": "body.too_large"}
    ]


@pytest.mark.parametrize("value", [str(MAX_DB_INT + 1), str(2**63), str(2**64), "1" + "0" * 30, "9" * 5000])
@pytest.mark.parametrize(
    "template",
    [
        "/api/v1/products/{}",
        "/api/v1/manufacturers/{}",
        "/api/v1/certificates/{}",
        "/api/v1/products/{}/units",
        "/api/v1/products/{}/batches",
        "/api/v1/batches/{}",
        "/api/v1/records/{}",
        "/api/v1/manufacturers/{}/staff",
        "/products/{}",
        "/manufacturers/{}",
    ],
)
def test_ids_beyond_the_database_columns_are_404(client, session, template, value):
    headers = make_party(session, "reviewer").headers
    resp = client.get(template.format(value), headers=headers | {"Accept": "application/json"})
    assert resp.status_code == 404, resp.get_data(as_text=True)[:300]


def test_largest_id_the_database_holds_is_looked_up(client, session):
    headers = make_party(session, "reviewer").headers
    body = _problem(client.get(f"/api/v1/products/{MAX_DB_INT}", headers=headers), 404)
    assert str(MAX_DB_INT) in body["detail"]  # the view looked for it (not a route that did not match)


@pytest.mark.parametrize("value", [MAX_DB_INT + 1, 2**63, 0])
def test_ids_in_bodies_and_queries_beyond_the_columns_are_422(client, session, value):
    maker = make_party(session)
    body = _problem(client.get(f"/api/v1/products?manufacturer_id={value}"), 422)
    assert [e["field"] for e in body["errors"]] == ["query.manufacturer_id"]
    payload = PRODUCT | {"certificate_ids": [value]}
    body = _problem(client.post("/api/v1/products", json=payload, headers=maker.headers), 422)
    assert [e["field"] for e in body["errors"]] == ["certificate_ids.0"]


def test_label_range_of_infinity_is_422(client, session):
    maker = make_party(session)
    resp = client.post(
        "/api/v1/batches/1/labels",
        data='{"start": 1e999}',
        content_type="application/json",
        headers=maker.headers,
    )
    # no such batch for this maker; and never an OverflowError from int(inf)
    assert resp.status_code in (404, 422), resp.get_data(as_text=True)[:300]


@pytest.mark.parametrize("limit", [0, 7, 10, 99, 100, 1000, 2024])
def test_id_pattern_matches_exactly_the_numbers_up_to_the_limit(limit):
    pattern = re.compile(digits_at_most(limit))
    assert [n for n in range(limit * 2 + 20) if pattern.fullmatch(str(n))] == list(range(limit + 1))
    assert pattern.fullmatch("007") if limit >= 7 else not pattern.fullmatch("007")


def test_null_for_a_field_a_record_requires_is_422_in_a_change(client, session):
    # found by the API fuzzing: null factory_locations was iterated (500), null names hit NOT NULL (409)
    maker = make_party(session)
    company = f"/api/v1/manufacturers/{maker.manufacturer.id}"
    for field in ("factory_locations", "address", "contact_name"):
        body = _problem(client.patch(company, json={field: None}, headers=maker.headers), 422)
        assert [e["field"] for e in body["errors"]] == [field]
    resp = client.patch(company, json={"website": None}, headers=maker.headers)
    assert resp.status_code == 200 and resp.get_json()["website"] is None  # the website may be cleared


def test_json_never_closed_is_refused_before_the_parser_recurses(client):
    resp = client.post("/api/v1/reports", data="[" * 5000, content_type="application/json")
    assert _problem(resp, 422)["errors"][0]["field"] == "body"
