"""Bulk import from CSV and JSON Lines with a per-row report; a file with errors imports nothing unless asked."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from registry.models import Product
from tests.factories import CertificateFactory, make_party

HEADER = "name_en,name_bn,brand,model_number,category,gtin,local_value_addition,lva_basis,specifications,certificate_ids\n"


def _csv(*rows):
    return (HEADER + "".join(r + "\n" for r in rows)).encode()


GOOD1 = 'Ekota Router R1,একতা রাউটার আর১,Ekota,R1,network-equipment,5901234123457,35,ex-factory audit,"Ports=4; Wi-Fi=6",'
GOOD2 = "Ekota Cable C2,একতা ক্যাবল সি২,Ekota,C2,cables,96385074,60,ex-factory audit,,"
BAD = "Ekota Thing,একতা,Ekota,T1,spaceships,1234,140,x,,"


def _count(session):
    return session.scalar(select(func.count()).select_from(Product))


def test_csv_all_valid_imports_every_row(client, session):
    maker = make_party(session, brand="Ekota")
    session.commit()
    resp = client.post(
        "/api/v1/products/import", data=_csv(GOOD1, GOOD2), content_type="text/csv", headers=maker.headers
    )
    report = resp.get_json()
    assert resp.status_code == 201, report
    assert report["created"] == 2 and [r["status"] for r in report["rows"]] == ["created", "created"]
    product = client.get(f"/api/v1/products/{report['rows'][0]['id']}", headers=maker.headers).get_json()
    assert product["specifications"] == {"Ports": "4", "Wi-Fi": "6"} and product["name_bn"] == "একতা রাউটার আর১"


def test_csv_with_errors_imports_nothing_and_reports_each_row(client, session):
    maker = make_party(session, brand="Ekota")
    session.commit()
    before = _count(session)
    resp = client.post(
        "/api/v1/products/import",
        data=_csv(GOOD1, BAD, GOOD1),
        content_type="text/csv",
        headers=maker.headers,
    )
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    report = resp.get_json()["report"]
    assert [r["status"] for r in report["rows"]] == ["skipped", "invalid", "invalid"]
    bad_fields = {e["field"] for e in report["rows"][1]["errors"]}
    assert {"category", "gtin", "local_value_addition", "lva_basis"} <= bad_fields
    assert report["rows"][2]["errors"] == [
        {"field": "gtin", "reason": "repeats row 2", "code": "gtin.repeated"}
    ]
    assert "rows[3].category" in {e["field"] for e in resp.get_json()["errors"]}
    assert _count(session) == before


def test_valid_only_imports_the_valid_rows(client, session):
    maker = make_party(session, brand="Ekota")
    session.commit()
    resp = client.post(
        "/api/v1/products/import?mode=valid-only",
        data=_csv(GOOD1, BAD, GOOD2),
        content_type="text/csv",
        headers=maker.headers,
    )
    report = resp.get_json()
    assert resp.status_code == 201 and report["created"] == 2 and report["invalid"] == 1
    assert [r["status"] for r in report["rows"]] == ["created", "invalid", "created"]


def test_jsonl_with_malformed_line_and_foreign_certificate(client, session):
    maker, other = make_party(session, brand="Ekota"), make_party(session)
    foreign = CertificateFactory(manufacturer_id=other.manufacturer.id)
    session.commit()
    row = {
        "name_en": "A",
        "name_bn": "আ",
        "brand": "Ekota",
        "model_number": "M",
        "category": "phones",
        "gtin": "96385074",
        "local_value_addition": 10,
        "lva_basis": "audit",
    }
    lines = [
        json.dumps(row),
        "{broken",
        json.dumps(row | {"gtin": "5901234123457", "certificate_ids": [foreign.id]}),
        "[1]",
    ]
    resp = client.post(
        "/api/v1/products/import",
        data="\n".join(lines),
        content_type="application/x-ndjson",
        headers=maker.headers,
    )
    report = resp.get_json()["report"]
    assert [r["status"] for r in report["rows"]] == ["skipped", "invalid", "invalid", "invalid"]
    assert (
        report["rows"][1]["errors"][0]["field"] == "row"
        and "malformed JSON" in report["rows"][1]["errors"][0]["reason"]
    )
    assert report["rows"][2]["errors"][0]["field"] == "certificate_ids"


def test_existing_gtin_and_unreadable_files(client, session):
    maker = make_party(session, brand="Ekota")
    session.commit()
    assert (
        client.post(
            "/api/v1/products/import", data=_csv(GOOD1), content_type="text/csv", headers=maker.headers
        ).status_code
        == 201
    )
    resp = client.post(
        "/api/v1/products/import", data=_csv(GOOD1), content_type="text/csv", headers=maker.headers
    )
    assert resp.get_json()["report"]["rows"][0]["errors"] == [
        {"field": "gtin", "reason": "already registered to another product", "code": "gtin.taken"}
    ]
    resp = client.post(
        "/api/v1/products/import", data=b"\xff\xfe\x00garbage", content_type="text/csv", headers=maker.headers
    )
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "file"
    resp = client.post(
        "/api/v1/products/import",
        data=b"colour,shape\nred,round\n",
        content_type="text/csv",
        headers=maker.headers,
    )
    assert resp.status_code == 422 and "unknown CSV columns" in resp.get_json()["errors"][0]["reason"]
    resp = client.post(
        "/api/v1/products/import", data=b"x", content_type="application/pdf", headers=maker.headers
    )
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "Content-Type"
    resp = client.post(
        "/api/v1/products/import?mode=some", data=_csv(GOOD1), content_type="text/csv", headers=maker.headers
    )
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "query.mode"


def test_the_readme_example_file_imports_as_it_is(client, session):
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "examples" / "products.csv"
    maker = make_party(session, brand="Padma")
    session.commit()
    resp = client.post(
        "/api/v1/products/import", data=example.read_bytes(), content_type="text/csv", headers=maker.headers
    )
    report = resp.get_json()
    assert resp.status_code == 201, report
    assert report["created"] == 3
    header = example.read_text(encoding="utf-8").splitlines()[0].split(",")
    readme = (example.parents[1] / "README.md").read_text(encoding="utf-8")
    assert all(f"`{column}`" in readme for column in header), "the README lists every column of the example"


def test_a_row_with_another_companys_brand_is_invalid_and_names_the_brand(client, session):
    maker = make_party(session, brand="Ekota")
    make_party(session, brand="Shapla")
    session.commit()
    resp = client.post(
        "/api/v1/products/import",
        data=_csv(
            GOOD1, GOOD2.replace("Ekota Cable C2,একতা ক্যাবল সি২,Ekota", "Shapla Cable C2,শাপলা ক্যাবল সি২,SHAPLA")
        ),
        content_type="text/csv",
        headers=maker.headers,
    )
    assert resp.status_code == 422
    rows = resp.get_json()["report"]["rows"]
    assert rows[0]["errors"] == []
    assert rows[1]["errors"] == [
        {
            "field": "brand",
            "reason": "brand Shapla is registered to another manufacturer; ask its owner for a licence to use it",
            "code": "brand.not_yours",
            "params": {"name": "Shapla"},
        }
    ]
