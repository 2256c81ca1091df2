"""Every figure of the statistics API against counts made here by another route (Python over the ORM rows and
plain SQL over the audit trail), on the demo data; the page shows the same numbers in both languages, and
each figure's CSV says what its table says."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select, text

from registry.data.districts import DISTRICTS
from registry.models import Certificate, Product
from tests.stats.conftest import Demo, figure

HIDDEN_MAKERS = {"suspended", "rejected"}


def _public_products(session: Any, today: date) -> list[Product]:
    return [
        p
        for p in session.scalars(select(Product))
        if p.status == "licensed"
        and (p.licence_valid_until is None or p.licence_valid_until >= today)
        and p.manufacturer.status not in HIDDEN_MAKERS
    ]


def _months(today: date) -> list[str]:
    """YYYY-MM of the last twelve months, oldest first."""
    out, year, month = [], today.year, today.month
    for _ in range(12):
        out.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return out[::-1]


def _month_end(key: str, today: date) -> date:
    year, month = int(key[:4]), int(key[5:])
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    return min(first_of_next - timedelta(days=1), today)


def _as_utc(moment: Any) -> datetime:
    if isinstance(moment, str):  # SQLite hands plain SQL the stored text
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def test_every_figure_matches_counts_made_independently(client: Any, session: Any, demo: Demo) -> None:
    today = demo.today
    resp = client.get("/api/v1/statistics")
    assert resp.status_code == 200 and resp.headers["Cache-Control"].startswith("public, max-age=")
    body = resp.get_json()
    assert body["as_of"] == today.isoformat()
    public = _public_products(session, today)
    assert len(public) > 100  # the demo licenses most of its products

    by_category = figure(body, "products_by_category")
    assert {k: v["products"] for k, v in by_category.items() if v["products"]} == Counter(
        p.category for p in public
    )
    by_district = figure(body, "products_by_district")
    assert {k: v["products"] for k, v in by_district.items()} == Counter(
        p.manufacturer.district for p in public
    )
    by_division = figure(body, "products_by_division")
    expected_divisions = Counter(DISTRICTS[p.manufacturer.district].division.lower() for p in public)
    assert {k: v["products"] for k, v in by_division.items() if v["products"]} == expected_divisions
    assert len(by_division) == 8

    lva = figure(body, "lva_by_category")
    for category, bands in lva.items():
        values = [float(p.local_value_addition) for p in public if p.category == category]
        assert bands == {
            "0-20": sum(v < 20 for v in values),
            "20-30": sum(20 <= v < 30 for v in values),
            "30-40": sum(30 <= v < 40 for v in values),
            "40-50": sum(40 <= v < 50 for v in values),
            "50-100": sum(v >= 50 for v in values),
        }

    # licence actions: plain SQL over the audit trail, grouped here by month
    months = _months(today)
    rows = session.execute(
        text(
            "SELECT action, occurred_at FROM audit_events WHERE action IN "
            "('product.approve', 'product.suspend', 'product.revoke')"
        )
    ).all()
    expected_actions = {m: {"approve": 0, "suspend": 0, "revoke": 0} for m in months}
    for action, occurred_at in rows:
        key = _as_utc(occurred_at).strftime("%Y-%m")
        if key in expected_actions:
            expected_actions[key][action.split(".")[1]] += 1
    assert figure(body, "licence_actions") == expected_actions
    assert sum(v["approve"] for v in expected_actions.values()) > 0
    assert sum(v["suspend"] + v["revoke"] for v in expected_actions.values()) > 0

    # licences in force at each month's end, less those suspended or revoked by then
    stops: dict[str, datetime] = {}
    for target, occurred_at in session.execute(
        text(
            "SELECT target_id, occurred_at FROM audit_events WHERE action IN ('product.suspend', 'product.revoke')"
        )
    ):
        stops[target] = max(stops.get(target, _as_utc(occurred_at)), _as_utc(occurred_at))
    over_time = figure(body, "products_over_time")
    assert list(over_time) == months
    for key in months:
        end = _month_end(key, today)
        expected = 0
        for p in session.scalars(select(Product).where(Product.licence_valid_from.is_not(None))):
            if not p.licence_valid_from <= end <= (p.licence_valid_until or end):
                continue
            stopped = stops.get(str(p.id))
            if p.status in ("suspended", "revoked") and (stopped is None or stopped.date() <= end):
                continue
            expected += 1
        assert over_time[key] == {"products": expected}, key
    assert over_time[months[-1]]["products"] >= len(public)  # expired-by-date aside, today's catalogue

    expiring = figure(body, "certificates_expiring")
    soon = Counter(
        c.scheme
        for c in session.scalars(select(Certificate))
        if today <= c.valid_until <= today + timedelta(days=90)
    )
    assert {k: v["certificates"] for k, v in expiring.items() if v["certificates"]} == soon

    # scans: the ones the fixture made, counted by hand
    scans = figure(body, "scans_by_division")
    this_monday = today - timedelta(days=today.weekday())
    assert list(scans)[-1] == this_monday.isoformat() and len(scans) == 8
    expected_scans: Counter[tuple[str, str]] = Counter()
    for when, district, verdict in demo.scans:
        monday = (when.date() - timedelta(days=when.weekday())).isoformat()
        if verdict == "genuine" and monday in scans:
            expected_scans[(monday, DISTRICTS[district].division.lower() if district else "unknown")] += 1
    found = Counter(
        {(week, division): n for week, counts in scans.items() for division, n in counts.items() if n}
    )
    assert found == expected_scans
    assert scans[this_monday.isoformat()]["sylhet"] >= 1 and scans[this_monday.isoformat()]["dhaka"] >= 2

    reports = figure(body, "fake_reports")
    expected_reports = Counter(
        when.strftime("%Y-%m") for when in demo.reports if when.strftime("%Y-%m") in months
    )
    assert {k: v["reports"] for k, v in reports.items() if v["reports"]} == expected_reports


def _page_tables(html: str) -> dict[str, dict[str, list[str]]]:
    """figure id -> row key -> the cells of its table on the page."""
    out: dict[str, dict[str, list[str]]] = {}
    for table_id, body in re.findall(r'<table class="list" id="table-([a-z_]+)">(.*?)</table>', html, re.S):
        rows = re.findall(r'<tr data-key="([^"]+)"><th scope="row">[^<]*</th>(.*?)</tr>', body, re.S)
        out[table_id] = {key: re.findall(r"<td>([^<]*)</td>", cells) for key, cells in rows}
    return out


def test_the_page_shows_the_api_figures_in_both_languages(client: Any, demo: Demo) -> None:
    body = client.get("/api/v1/statistics").get_json()
    english = client.get("/statistics?lang=en")
    bangla = client.get("/statistics?lang=bn")
    assert english.status_code == bangla.status_code == 200
    en_html, bn_html = english.get_data(as_text=True), bangla.get_data(as_text=True)
    assert "<script" not in en_html and "<script" not in bn_html
    assert en_html.count("<svg") == len(body["figures"]) == 9
    assert "Licensed products by category" in en_html and "ক্যাটাগরি অনুযায়ী লাইসেন্সপ্রাপ্ত পণ্য" in bn_html
    assert 'lang="bn"' in bn_html and "Made in Bangladesh in figures" not in bn_html
    en_tables, bn_tables = _page_tables(en_html), _page_tables(bn_html)
    to_bn = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")
    for fig in body["figures"]:
        expected = {row["key"]: [str(v) for v in row["values"]] for row in fig["rows"]}
        assert en_tables[fig["id"]] == expected, fig["id"]
        assert bn_tables[fig["id"]] == {k: [v.translate(to_bn) for v in vs] for k, vs in expected.items()}
        assert f'href="/statistics/{fig["id"]}.csv"' in en_html
    # the chart writes each row's total in the page's digits
    total = sum(row["values"][0] for row in body["figures"][0]["rows"])
    assert total > 0
    assert "ঢাকা" in bn_html and re.search("[০-৯]", bn_html)
    assert english.headers["Vary"] == "Cookie, Accept-Language"


def test_each_figure_csv_is_its_table(client: Any, demo: Demo) -> None:
    body = client.get("/api/v1/statistics").get_json()
    for fig in body["figures"]:
        resp = client.get(f"/statistics/{fig['id']}.csv")
        assert resp.status_code == 200 and resp.mimetype == "text/csv"
        rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True))))
        assert rows[0] == ["key", "label_en", "label_bn", *(c["key"] for c in fig["columns"])]
        assert rows[1:] == [
            [r["key"], r["label_en"], r["label_bn"], *map(str, r["values"])] for r in fig["rows"]
        ]


def test_an_unknown_figure_is_a_404_problem(client: Any) -> None:
    resp = client.get("/statistics/nothing.csv")
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"


def test_the_statistics_are_in_the_openapi_document_as_public(client: Any) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    operation = doc["paths"]["/api/v1/statistics"]["get"]
    assert "security" not in operation
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/StatisticsResponse"}
    assert "/open-data/{day}/{name}" in doc["paths"] and "/api/v1/open-data" in doc["paths"]


def test_an_empty_registry_still_answers(client: Any) -> None:
    body = client.get("/api/v1/statistics").get_json()
    assert all(all(isinstance(v, int) for row in f["rows"] for v in row["values"]) for f in body["figures"])
    assert client.get("/statistics?lang=en").status_code == 200


def test_a_bad_token_on_the_page_is_an_anonymous_visitor(client: Any) -> None:
    resp = client.get("/statistics?lang=en", headers={"Authorization": "Bearer nonsense"})
    assert resp.status_code == 200 and resp.headers["Cache-Control"].startswith("public")
