"""The catalogue API as a client sees it: search, suggest, export, compare, and problem+json for bad queries."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import pytest

from bench.relevance.dataset import seed_database
from core.models import OutboxEntry
from search.indexing import SyncLock, drain_outbox

API = "/api/v1/catalogue"


@pytest.fixture()
def catalogue(search_app: Any, tmp_path: Any) -> dict[str, int]:
    """The judged dataset in the (rolled-back) database, drained into the app's fresh index."""
    db = search_app.extensions["core.db"]
    with db.session() as session:
        ids = seed_database(session)
        session.add_all(OutboxEntry(entity_type="product", entity_id=i) for i in ids.values())
        session.commit()
    drain_outbox(db, search_app.extensions["search"], SyncLock(tmp_path / "sync.lock"))
    return ids


@pytest.fixture()
def client(search_app: Any) -> Any:
    return search_app.test_client()


def assert_problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status
    if field is not None:
        assert field in [e["field"].removeprefix("query.") for e in body["errors"]], body
    return body


def test_search(client: Any, catalogue: dict[str, int]) -> None:
    response = client.get(f"{API}/search", query_string={"q": "মোবাইল ফোন", "per_page": 5})
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] > 5 and body["pages"] == -(-body["total"] // 5)
    assert len(body["hits"]) == 5
    hit = body["hits"][0]
    assert hit["product"]["category"] == "phones"
    assert "specifications_text" not in hit["product"]
    assert hit["highlights"]["category_name_bn"] == "<mark>মোবাইল</mark> <mark>ফোন</mark>"
    categories = {f["value"]: f for f in body["facets"]["category"]}
    assert categories["phones"]["label_bn"] == "মোবাইল ফোন"
    makers = body["facets"]["manufacturer"]
    assert makers and all("label_en" in m for m in makers)


def test_search_reports_a_typo_correction(client: Any, catalogue: dict[str, int]) -> None:
    body = client.get(f"{API}/search", query_string={"q": "motherbord"}).get_json()
    assert body["corrected_q"] == "motherboard"
    assert body["hits"][0]["product"]["category"] == "motherboards"


def test_suspended_products_are_never_found(client: Any, catalogue: dict[str, int]) -> None:
    body = client.get(f"{API}/search", query_string={"q": "BN-N5-256"}).get_json()
    assert catalogue["nova5-256"] not in [h["product"]["id"] for h in body["hits"]]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"facets": "colour"}, "facets"),
        ({"licence_valid_on": "yesterday"}, "licence_valid_on"),
        ({"certificate_valid_on": "2026-13-01"}, "certificate_valid_on"),
        ({"q": "ফোন " * 100}, "q"),
        ({"page": "-1"}, "page"),
        ({"page": "400", "per_page": "100"}, "page"),
        ({"district": "nowhere"}, "district"),
        ({"sort": "price"}, "sort"),
        ({"lva_min": "much"}, "lva_min"),
    ],
)
def test_bad_queries_get_problem_json(client: Any, args: dict[str, str], field: str) -> None:
    assert_problem(client.get(f"{API}/search", query_string=args), 422, field)


@pytest.mark.parametrize(
    "q", ['"*():^-', "NEAR(a b)", "a AND OR NOT", "}{", "\x00", "'; DROP TABLE docs; --"]
)
def test_query_syntax_is_never_a_server_error(client: Any, catalogue: dict[str, int], q: str) -> None:
    response = client.get(f"{API}/search", query_string={"q": q})
    assert response.status_code == 200


def test_a_query_of_only_stop_words_gets_a_hint_not_the_whole_catalogue(
    client: Any, catalogue: dict[str, int]
) -> None:
    body = client.get(f"{API}/search", query_string={"q": "AND"}).get_json()
    assert (body["total"], body["hits"], body["hint"]) == (0, [], "stop_words_only")
    assert client.get(f"{API}/search", query_string={"q": "router"}).get_json()["hint"] is None
    english = client.get("/search", query_string={"q": "and", "lang": "en"}).get_data(as_text=True)
    assert "say nothing about a product" in english
    bangla = client.get("/search", query_string={"q": "এবং", "lang": "bn"}).get_data(as_text=True)
    assert "কোনো পণ্যের কথা বলে না" in bangla
    assert "say nothing about a product" not in client.get(
        "/search", query_string={"q": "router", "lang": "en"}
    ).get_data(as_text=True)


def test_a_page_past_the_end_is_empty(client: Any, catalogue: dict[str, int]) -> None:
    body = client.get(f"{API}/search", query_string={"q": "router", "page": 50}).get_json()
    assert body["hits"] == [] and body["total"] > 0


def test_search_answers_503_while_the_index_is_unavailable(client: Any, search_app: Any) -> None:
    backend = search_app.extensions["search"]
    backend.count()  # the index exists
    backend.pointer_path.write_text("catalogue-missing.sqlite3\n")
    body = assert_problem(client.get(f"{API}/search", query_string={"q": "router"}), 503)
    assert body["title"] == "Catalogue search is unavailable"
    assert client.get(f"{API}/search").headers["Retry-After"] == "5"
    assert_problem(client.get(f"{API}/suggest", query_string={"q": "rou"}), 503)
    assert_problem(client.get(f"{API}/export"), 503)


def test_suggest(client: Any, catalogue: dict[str, int]) -> None:
    body = client.get(f"{API}/suggest", query_string={"q": "meghd"}).get_json()
    kinds = {(s["kind"], s["text"]) for s in body["suggestions"]}
    assert ("brand", "Meghdut") in kinds
    assert any(kind == "product" for kind, _ in kinds)
    assert client.get(f"{API}/suggest", query_string={"q": ""}).get_json()["suggestions"] == []
    assert_problem(client.get(f"{API}/suggest", query_string={"q": "x" * 101}), 422, "q")


def test_export_csv_has_every_match(client: Any, catalogue: dict[str, int]) -> None:
    response = client.get(f"{API}/export", query_string={"category": "phones", "sort": "name"})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="catalogue-')
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    total = client.get(f"{API}/search", query_string={"category": "phones"}).get_json()["total"]
    assert len(rows) == total + 1 > 21  # more than one page: no cap
    assert rows[0][:4] == ["ID", "GTIN", "Name", "নাম"]
    assert rows[1][-1].startswith("https://verify.example.gov.bd/01/")


def test_export_neutralises_spreadsheet_formulas() -> None:
    from search.views import _csv_safe

    assert _csv_safe('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert _csv_safe("Nova") == "Nova"


def test_export_xlsx(client: Any, catalogue: dict[str, int]) -> None:
    response = client.get(f"{API}/export", query_string={"format": "xlsx", "q": "router"})
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    total = client.get(f"{API}/search", query_string={"q": "router"}).get_json()["total"]
    assert sheet.count("<row ") == total + 1
    assert_problem(client.get(f"{API}/export", query_string={"format": "pdf"}), 422, "format")


def test_compare(client: Any, catalogue: dict[str, int]) -> None:
    ids = [catalogue["nova5-64"], catalogue["dhrubo-64"], catalogue["nova7-128"]]
    body = client.get(f"{API}/compare", query_string={"ids": ",".join(map(str, ids))}).get_json()
    assert [p["id"] for p in body["products"]] == ids
    rows = {r["key"]: r for r in body["rows"]}
    assert rows["brand"]["values"] == ["Boishakhi", "Shurjomukhi", "Boishakhi"]
    assert rows["specifications.Battery"]["values"] == ["5000 mAh", "4000 mAh", "5500 mAh"]


def test_compare_problems(client: Any, catalogue: dict[str, int]) -> None:
    assert_problem(client.get(f"{API}/compare", query_string={"ids": "1,2,3,4,5,6"}), 422, "ids")
    assert_problem(client.get(f"{API}/compare"), 422, "ids")
    hidden = catalogue["nova5-256"]
    body = assert_problem(
        client.get(f"{API}/compare", query_string={"ids": f"{catalogue['nova5-64']},{hidden}"}), 404
    )
    assert body["errors"] == [
        {
            "field": "ids",
            "reason": f"product {hidden} is not in the public catalogue",
            "code": "search.products_not_found",
        }
    ]


def test_the_openapi_document_describes_the_catalogue(client: Any) -> None:
    from core.api import api

    document = api.document()
    for path in ("search", "suggest", "export", "compare"):
        assert f"{API}/{path}" in document["paths"]
    params = {p["name"] for p in document["paths"][f"{API}/search"]["get"]["parameters"]}
    assert {"q", "licence_valid_on", "certificate", "lva_min", "facets", "page"} <= params
