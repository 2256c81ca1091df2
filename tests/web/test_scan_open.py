"""/scan/open opens a typed-in label address only when it is a label path on this registry's own host; it is
never a way to send a consumer somewhere else (an open redirect to a fake "genuine" page)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from signing.labels import KEY_TAG_BYTES, encode_signature_parameter

GTIN = "02100000000012"
SIGNATURE = encode_signature_parameter(b"\x01" * KEY_TAG_BYTES, date(2026, 11, 28), b"\x02" * 64)
HTML = {"Accept": "text/html"}
JSON = {"Accept": "application/json"}

FOREIGN = [
    f"https://verify.example.gov.bd//evil.example/01/{GTIN}",
    f"https://verify.example.gov.bd//evil.example/01/{GTIN}/21/ABC123?s={SIGNATURE}",
    f"https://verify.example.gov.bd/\\evil.example/01/{GTIN}",
    f"https://verify.example.gov.bd/%2F%2Fevil.example/01/{GTIN}",
    f"https://verify.example.gov.bd/%2fevil.example/01/{GTIN}",
    f"https://verify.example.gov.bd/%5Cevil.example/01/{GTIN}",
    "https://verify.example.gov.bd/01/%30%32100000000012",
    f"https://verify.example.gov.bd/anything/01/{GTIN}",
    f"https://evil.example/01/{GTIN}",
    f"https://evil.example/01/{GTIN}/21/ABC123?s={SIGNATURE}",
    f"https://verify.example.gov.bd.evil.example/01/{GTIN}",
    f"https://verify.example.gov.bd@evil.example/01/{GTIN}",
    f"https://verify.example.gov.bd:8443/01/{GTIN}",
    f"//evil.example/01/{GTIN}",
    f"/01/{GTIN}",
    f"javascript:alert(1)//verify.example.gov.bd/01/{GTIN}",
    "javascript:alert(1)",
    f"https://verify.example.gov.bd/01/{GTIN}?next=//evil.example",
    f"https://verify.example.gov.bd/01/{GTIN}/21/ABC123?s={SIGNATURE}&s={SIGNATURE}",
    f"https://verify.example.gov.bd/01/{GTIN}/10/LOT1",
    "",
]


@pytest.mark.parametrize(
    ("url", "location"),
    [
        (f"https://verify.example.gov.bd/01/{GTIN}/21/ABC123", f"/01/{GTIN}/21/ABC123"),
        (
            f"https://VERIFY.example.gov.bd/01/{GTIN}/21/abc123?s={SIGNATURE}",
            f"/01/{GTIN}/21/ABC123?s={SIGNATURE}",
        ),
        (f"http://verify.example.gov.bd/01/{GTIN}/", f"/01/{GTIN}"),
        (f"  https://verify.example.gov.bd/01/{GTIN[1:]}  ", f"/01/{GTIN}"),
    ],
)
def test_a_label_of_this_registry_opens_on_its_canonical_path(client: Any, url: str, location: str) -> None:
    resp = client.get("/scan/open", query_string={"url": url}, headers=HTML)
    assert resp.status_code == 303
    assert resp.headers["Location"] == location


@pytest.mark.parametrize("url", FOREIGN)
def test_anything_else_is_refused_with_a_bilingual_page(client: Any, url: str) -> None:
    resp = client.get("/scan/open", query_string={"url": url, "lang": "en"}, headers=HTML)
    assert resp.status_code == 400 and "Location" not in resp.headers
    assert resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    assert "This is not a registry label" in html and "//evil.example" not in html  # no link out


@pytest.mark.parametrize("url", FOREIGN)
def test_json_clients_get_a_problem_naming_the_url(client: Any, url: str) -> None:
    resp = client.get("/scan/open", query_string={"url": url}, headers=JSON)
    assert resp.status_code == 400 and "Location" not in resp.headers
    assert resp.mimetype == "application/problem+json"
    problem = resp.get_json()
    assert problem["status"] == 400 and [e["field"] for e in problem["errors"]] == ["url"]


def test_the_refusal_reads_in_bangla(client: Any) -> None:
    resp = client.get(
        "/scan/open", query_string={"url": f"https://evil.example/01/{GTIN}", "lang": "bn"}, headers=HTML
    )
    assert resp.status_code == 400
    assert "এটি রেজিস্ট্রির লেবেল নয়" in resp.get_data(as_text=True)
