"""The OpenAPI document, health, reference data and production settings."""

from __future__ import annotations

import re

import pytest

from config import ConfigError, load_settings


def test_openapi_is_generated_from_the_validating_schemas(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0"
    op = doc["paths"]["/api/v1/products"]["post"]
    assert op["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ProductCreate"
    }
    schema = doc["components"]["schemas"]["ProductCreate"]
    assert schema["additionalProperties"] is False
    assert {"gtin", "category", "local_value_addition"} <= set(schema["required"])
    lva = schema["properties"]["local_value_addition"]["anyOf"][0]
    assert (lva["minimum"], lva["maximum"], lva["type"]) == (0, 100, "number")
    assert "/api/v1/products/{product_id}/approve" in doc["paths"]
    params = {p["name"] for p in doc["paths"]["/api/v1/products"]["get"]["parameters"]}
    assert {"page", "per_page", "status"} <= params


def test_healthz_reports_schema_and_backends(client):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["schema_version"] and body["database"] in ("sqlite", "postgresql")
    assert "search" in body and "signing" in body


def test_reference_data_is_bilingual(client):
    districts = client.get("/api/v1/districts").get_json()["items"]
    assert (
        len(districts) == 64
        and {"code": "dhaka", "name_en": "Dhaka", "name_bn": "ঢাকা", "division": "Dhaka"} in districts
    )
    cats = {c["code"]: c for c in client.get("/api/v1/categories").get_json()["items"]}
    assert cats["phones"]["name_bn"] == "মোবাইল ফোন" and "software-services" in cats


def test_security_headers_and_request_id(client):
    resp = client.get("/healthz", headers={"X-Request-ID": "abcdef123456"})
    assert resp.headers["X-Request-ID"] == "abcdef123456"
    assert "unsafe-inline" not in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_production_refuses_default_secrets():
    with pytest.raises(ConfigError) as exc:
        load_settings({"ENV": "production"}, environ={})
    message = str(exc.value)
    assert "SECRET_KEY" in message and "DATABASE_URL" in message and "SIGNING_KEY_PATH" in message
    ok = load_settings(
        {
            "ENV": "production",
            "SECRET_KEY": "pZ3u8-Qm0sVt_Lr7eK1yWc9Hb4NdJf2GxTa6Ro5Mi8Uq",  # random; "x" * 40 is refused
            "DATABASE_URL": "postgresql://db/registry",
            "SIGNING_KEY_PATH": "/etc/registry/key.pem",
            "PUBLIC_BASE_URL": "https://verify.mib.gov.bd",
        },
        environ={},
    )
    assert ok.is_production


def test_settings_come_from_prefixed_environment():
    s = load_settings(environ={"REGISTRY_LICENCE_YEARS": "5", "REGISTRY_SEARCH_SYNC_THREAD": "off"})
    assert s.registry.licence_years == 5 and s.search.sync_thread is False
    with pytest.raises(ConfigError, match="REGISTRY_LICENCE_YEARS"):
        load_settings(environ={"REGISTRY_LICENCE_YEARS": "three"})


def test_every_api_route_is_in_the_openapi_document(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    documented = {(path, method) for path, item in doc["paths"].items() for method in item}
    missing = []
    for rule in app.url_map.iter_rules():
        if not (rule.rule.startswith("/api/v1/") or rule.rule.startswith("/.well-known/")):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if (path, method.lower()) not in documented:
                missing.append(f"{method} {path}")
    assert not missing, "routes missing from /api/v1/openapi.json: " + ", ".join(missing)
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_the_openapi_document_is_valid_openapi_3_1(client):
    from openapi_spec_validator import validate

    doc = client.get("/api/v1/openapi.json").get_json()
    try:
        validate(doc)
    except Exception as exc:  # noqa: BLE001 - any finding, reported briefly (the document is long)
        pytest.fail(f"invalid OpenAPI 3.1: {type(exc).__name__}: {str(exc)[:800]}")
