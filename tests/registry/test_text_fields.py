"""Text fields refuse control characters (NUL among them: PostgreSQL cannot store it) and names refuse
invisible formatting characters (right-to-left overrides, zero-width spaces) that make one name look like
another; each refusal is a 422 naming the field, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re

import pytest

from core.validators import check_line, check_text
from tests.factories import make_party
from tests.registry.test_workflow import PRODUCT, REGISTRATION


def _fields(resp, status=422):
    assert resp.status_code == status, resp.get_data(as_text=True)[:500]
    return {e["field"]: e["reason"] for e in resp.get_json()["errors"]}


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("Padma\x00", "control character U+0000"),
        ("Padma\u202eP10", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("Pad\u200bma", "U+200B ZERO WIDTH SPACE"),
        ("Pad\u200dma", "U+200D ZERO WIDTH JOINER"),  # outside Bangla a joiner only hides
        ("Padma\nP10", "control character U+000A"),
        ("Padma\u2028P10", "U+2028 LINE SEPARATOR"),
        ("\ufeffPadma", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
    ],
)
def test_single_line_names_refuse_control_and_invisible_characters(value, reason):
    with pytest.raises(ValueError, match=re.escape(reason)):
        check_line(value)


@pytest.mark.parametrize("value", ["র\u200d্যাব", "ক্\u200cষ", "Padma Digital Ltd.", "পদ্মা ডিজিটাল"])
def test_names_keep_the_joiners_bangla_needs(value):
    assert check_line(value) == value


def test_multi_line_text_keeps_line_breaks_and_tabs_but_not_nul():
    assert check_text("Plot 12\r\nHi-Tech Park\tKaliakair") == "Plot 12\r\nHi-Tech Park\tKaliakair"
    with pytest.raises(ValueError, match=re.escape("U+0000")):
        check_text("Plot 12\x00")
    with pytest.raises(ValueError, match=re.escape("U+D800")):
        check_text("Plot \ud800 12")


def test_registration_names_the_field_with_the_control_character(client):
    fields = _fields(
        client.post("/api/v1/manufacturers", json=REGISTRATION | {"legal_name_en": "Padma\u202eLtd"})
    )
    assert "RIGHT-TO-LEFT OVERRIDE" in fields["legal_name_en"]
    owner = REGISTRATION["owner"] | {"name": "Rahima\x00"}
    fields = _fields(client.post("/api/v1/manufacturers", json=REGISTRATION | {"owner": owner}))
    assert "U+0000" in fields["owner.name"]
    fields = _fields(client.post("/api/v1/manufacturers", json=REGISTRATION | {"address": "Plot 12\x00"}))
    assert "U+0000" in fields["address"]


def test_registration_accepts_multi_line_address_and_bangla_joiner(client):
    resp = client.post(
        "/api/v1/manufacturers",
        json=REGISTRATION | {"address": "Plot 12\nHi-Tech Park", "legal_name_bn": "র\u200d্যাব ডিজিটাল"},
    )
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["legal_name_bn"] == "র\u200d্যাব ডিজিটাল"


def test_product_fields_and_specifications_refuse_nul(client, session):
    maker = make_party(session)
    for change, field in [
        ({"brand": "Pad\x00ma"}, "brand"),
        ({"description_en": "a phone\x00"}, "description_en"),
        ({"specifications": {"RAM\x00": "6 GB"}}, "specifications"),
        ({"specifications": {"RAM": "6\x00GB"}}, "specifications"),
    ]:
        fields = _fields(client.post("/api/v1/products", json=PRODUCT | change, headers=maker.headers))
        assert any(f.startswith(field) for f in fields), fields


def test_lone_surrogate_in_json_is_refused(client, session):
    maker = make_party(session)
    raw = json.dumps(PRODUCT | {"description_en": "PLACEHOLDER"}).replace("PLACEHOLDER", "\\ud800")
    fields = _fields(
        client.post("/api/v1/products", data=raw, content_type="application/json", headers=maker.headers)
    )
    assert set(fields) == {"description_en"}  # pydantic refuses it before our check does


def test_query_strings_refuse_nul(client, session):
    reviewer = make_party(session, "reviewer")
    fields = _fields(client.get("/api/v1/audit?actor=a%00b", headers=reviewer.headers))
    assert "U+0000" in fields["query.actor"]


@pytest.mark.parametrize(
    ("path", "body", "field", "role"),
    [
        ("/api/v1/reports", {"text": "fake\x00phone"}, "text", None),
        ("/api/v1/reports", {"text": "fake phone", "district": "dhaka\x00"}, "district", None),
        (
            "/api/v1/units/recall",
            {"url": "https://x.example/01/1\x00", "reason": "stolen"},
            "url",
            "reviewer",
        ),
        (
            "/api/v1/labels",
            {
                "urls": ["https://verify.example.gov.bd/01/05901234123457"],
                "name_en": "P\u202e10",
                "name_bn": "পি",
            },
            "name_en",
            "manufacturer",
        ),
    ],
)
def test_hand_parsed_bodies_refuse_control_characters(client, session, path, body, field, role):
    headers = make_party(session, role).headers if role else {}
    fields = _fields(client.post(path, json=body, headers=headers))
    assert set(fields) == {field}
    assert "U+" in fields[field]


def test_report_form_refuses_nul(client):
    fields = _fields(client.post("/api/v1/reports", data={"text": "fake\x00phone"}))
    assert "U+0000" in fields["text"]


def test_verify_refuses_nul_in_the_url_and_ignores_a_district(client):
    fields = _fields(client.get("/api/v1/verify?url=https://verify.example.gov.bd/01/1%00"))
    assert "U+0000" in fields["url"]
    # no parameter places a scan (docs/formats.md): whatever a client puts in ?district= is not read
    ignored = client.get("/api/v1/verify?url=https://verify.example.gov.bd/01/1&district=dh%00aka")
    assert ignored.status_code == 200
