"""The label host as a GS1-Conformant resolver (GS1-Conformant Resolver Standard 1.2): the description file,
linksets that validate against a schema written from RFC 9264 and GS1's requirements, linkType redirects in
the client's language, Link headers, 400 for malformed Digital Link URIs, and the consumer's verdict kept
as the default answer. The cases are data: tests/data/gs1/resolver_cases.json (PROVENANCE.md there)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from sqlalchemy import event

DATA = Path(__file__).resolve().parent.parent / "data" / "gs1"
CASES = json.loads((DATA / "resolver_cases.json").read_text(encoding="utf-8"))
LINKSET_SCHEMA = json.loads((DATA / "linkset.schema.json").read_text(encoding="utf-8"))
DESCRIPTION_SCHEMA = json.loads((DATA / "description.schema.json").read_text(encoding="utf-8"))
BASE = "https://verify.example.gov.bd"
GS1 = "https://gs1.org/voc/"


def fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def check_problem(resp: Any, status: int, field: str) -> None:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    problem = resp.get_json()
    assert problem["status"] == status
    assert field in [error["field"] for error in problem["errors"]], problem


def test_the_description_file_names_this_resolver_on_its_public_host(iclient: Any) -> None:
    resp = iclient.get("/.well-known/gs1resolver", headers={"Host": "attacker.example"})
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    body = resp.get_json()
    jsonschema.validate(body, DESCRIPTION_SCHEMA)
    assert body["resolverRoot"] == BASE  # PUBLIC_BASE_URL, never the Host header
    assert body["supportedPrimaryKeys"] == ["01"]
    assert {"namespace": GS1, "prefix": "gs1:", "profile": GS1 + "?show=linktypes"} in body[
        "supportedLinkType"
    ]
    assert resp.headers["Access-Control-Allow-Origin"] == "*"


def test_the_schemas_refuse_what_they_should() -> None:
    """The schemas the answers are checked against can fail: a linkset without a default link, a target
    without hreflang, primary keys named by name rather than AI."""
    good = {
        "linkset": [
            {
                "anchor": f"{BASE}/01/09506000134352",
                f"{GS1}defaultLink": [{"href": BASE, "title": "t", "type": "text/html", "hreflang": ["en"]}],
            }
        ]
    }
    jsonschema.validate(good, LINKSET_SCHEMA)
    no_default = {"linkset": [{"anchor": good["linkset"][0]["anchor"]}]}
    no_lang = json.loads(json.dumps(good))
    del no_lang["linkset"][0][f"{GS1}defaultLink"][0]["hreflang"]
    for bad in (no_default, no_lang):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, LINKSET_SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {
                "name": "x",
                "resolverRoot": BASE,
                "supportedPrimaryKeys": ["gtin"],
                "supportedLinkType": [{"namespace": GS1, "prefix": "gs1:"}],
                "linkTypeDefaultCanBeLinkset": False,
                "contact": {"email": "a@b"},
            },
            DESCRIPTION_SCHEMA,
        )


@pytest.mark.parametrize("case", CASES["syntax"], ids=[case["name"] for case in CASES["syntax"]])
def test_digital_link_syntax(iclient: Any, case: dict[str, Any]) -> None:
    resp = iclient.get(case["path"], headers={"Accept": "application/json"})
    if case["status"] == 400:
        check_problem(resp, 400, case["field"])
    else:
        assert resp.status_code == 200, resp.get_data(as_text=True)
        assert resp.get_json()["verdict"] == case["verdict"]


@pytest.mark.parametrize("case", CASES["links"], ids=[case["name"] for case in CASES["links"]])
def test_links(iclient: Any, product: Any, bare_product: Any, case: dict[str, Any]) -> None:
    values = {"gtin": product.gtin, "gtin_bare": bare_product.gtin, "product_id": str(product.id)}
    resp = iclient.get(
        fill(case["path"], values), query_string=case.get("query", {}), headers=case.get("headers", {})
    )
    if "field" in case:
        check_problem(resp, case["status"], case["field"])
        return
    assert resp.status_code == case["status"], resp.get_data(as_text=True)
    if "location" in case:
        assert resp.headers["Location"] == BASE + fill(case["location"], values)
    if "content_type" in case:
        assert resp.mimetype == case["content_type"]
    if resp.mimetype in ("application/linkset+json",) or case.get("query", {}).get("linkType") == "linkset":
        jsonschema.validate(json.loads(resp.get_data()), LINKSET_SCHEMA)
    link = resp.headers["Link"]
    assert 'rel="linkset"' in link and f'rel="{GS1}defaultLink"' in link
    assert resp.headers["Access-Control-Allow-Origin"] == "*"  # the resolver standard asks for CORS


def test_a_linkset_names_every_link_of_the_product(iclient: Any, product: Any) -> None:
    resp = iclient.get(f"/01/{product.gtin}?linkType=linkset", headers={"Host": "attacker.example"})
    body = json.loads(resp.get_data())
    jsonschema.validate(body, LINKSET_SCHEMA)
    [context] = body["linkset"]
    assert context["anchor"] == f"{BASE}/01/{product.gtin}"
    assert context["itemDescription"] == product.name_en
    rels = {key.removeprefix(GS1) for key in context if key not in ("anchor", "itemDescription")}
    assert rels == {
        "defaultLink",
        "verificationService",
        "pip",
        "certificationInfo",
        "masterData",
        f"{BASE}/voc/authenticityRecord",
    }
    assert context[f"{GS1}defaultLink"][0]["href"] == f"{BASE}/01/{product.gtin}"
    pages = context[f"{GS1}pip"]
    assert sorted(page["hreflang"][0] for page in pages) == ["bn", "en"]
    bangla = next(page for page in pages if page["hreflang"] == ["bn"])
    assert bangla["title"] == "মেড ইন বাংলাদেশ নিবন্ধনে পণ্যের পাতা"
    assert context[f"{GS1}masterData"][0]["type"] == "application/ld+json"
    # the linkset's own JSON-LD context, as the resolver standard's artefacts publish it
    assert "json-ld#context" in resp.headers["Link"]
    # every link it names answers (the record and passport exist for a licensed product)
    for key in (f"{GS1}masterData", f"{BASE}/voc/authenticityRecord"):
        target = context[key][0]["href"].removeprefix(BASE)
        assert iclient.get(target).status_code == 200, target


def test_a_unit_linkset_keeps_the_signature_on_the_links_that_verify(iclient: Any, product: Any) -> None:
    signature = "0" * 30
    resp = iclient.get(f"/01/{product.gtin}/21/abc123?s={signature}&linkType=linkset")
    [context] = json.loads(resp.get_data())["linkset"]
    assert context["anchor"] == f"{BASE}/01/{product.gtin}/21/ABC123"
    assert context[f"{GS1}defaultLink"][0]["href"] == f"{BASE}/01/{product.gtin}/21/ABC123?s={signature}"
    hrefs = [target["href"] for target in context[f"{GS1}verificationService"]]
    assert all(href.startswith(f"{BASE}/01/{product.gtin}/21/ABC123?s={signature}&lang=") for href in hrefs)


def test_the_verdict_page_carries_the_link_headers_and_its_language(iclient: Any, product: Any) -> None:
    english = iclient.get(f"/01/{product.gtin}", headers={"Accept": "text/html", "Accept-Language": "en"})
    bangla = iclient.get(f"/01/{product.gtin}", headers={"Accept": "text/html", "Accept-Language": "bn"})
    assert english.status_code == bangla.status_code == 200
    assert '<html lang="en"' in english.get_data(as_text=True)
    assert '<html lang="bn"' in bangla.get_data(as_text=True)
    assert english.headers["Link"] == (
        f'<{BASE}/01/{product.gtin}?linkType=linkset>; rel="linkset"; type="application/linkset+json", '
        f'<{BASE}/01/{product.gtin}>; rel="{GS1}defaultLink"; anchor="{BASE}/01/{product.gtin}"'
    )


def test_a_trailing_slash_answers_like_the_product_url(iclient: Any, product: Any) -> None:
    plain = iclient.get(f"/01/{product.gtin}", headers={"Accept": "application/json"}).get_json()
    slash = iclient.get(f"/01/{product.gtin}/", headers={"Accept": "application/json"})
    assert slash.status_code == 200
    assert slash.get_json()["verdict"] == plain["verdict"] == "unknown"  # a product URL: no unit authenticity
    assert slash.get_json()["product"]["gtin"] == product.gtin


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "This is not a valid product code"), ("bn", "এটি কোনো বৈধ পণ্য কোড নয়")],
)
def test_a_phone_that_opens_a_malformed_uri_gets_a_page_in_its_language(
    iclient: Any, language: str, words: str
) -> None:
    resp = iclient.get("/01/09506000134353", headers={"Accept": "text/html", "Accept-Language": language})
    assert resp.status_code == 400 and resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    assert f'<html lang="{language}"' in html and words in html
    assert "<script" not in html


def test_the_json_api_still_judges_a_malformed_url_as_not_genuine(iclient: Any) -> None:
    """Only the resolver answers 400: /api/v1/verify (apps, bulk checks) keeps its verdict."""
    resp = iclient.get("/api/v1/verify", query_string={"url": f"{BASE}/01/09506000134353"})
    assert resp.status_code == 200
    assert resp.get_json()["verdict"] == "not_genuine"


def test_the_openapi_document_describes_the_resolver_and_passports(iclient: Any) -> None:
    paths = iclient.get("/api/v1/openapi.json").get_json()["paths"]
    resolver = paths["/01/{gtin}"]["get"]
    assert "application/linkset+json" in resolver["responses"]["200"]["content"]
    assert "307" in resolver["responses"]
    assert "/.well-known/gs1resolver" in paths
    assert "/passports/{gtin}" in paths
    assert "/api/v1/manufacturers/{manufacturer_id}/passports" in paths


def test_a_plain_scan_costs_no_query_more_than_before(iapp: Any, iclient: Any, product: Any) -> None:
    """The resolver reads the catalogue only when links are asked for: a phone's scan sends the same SQL
    with the resolver in front of the verdict as without it."""
    engine = iapp.extensions["core.db"].engine
    url = f"/01/{product.gtin}"
    iclient.get(url, headers={"Accept": "text/html"})  # warm the caches both runs share

    def statements() -> list[str]:
        seen: list[str] = []

        def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert iclient.get(url, headers={"Accept": "text/html"}).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return seen

    with_resolver = statements()
    resolver = iapp.extensions.pop("signing.resolver")
    try:
        without = statements()
    finally:
        iapp.extensions["signing.resolver"] = resolver
    assert len(with_resolver) == len(without)
