"""A procurement officer searches in Bangla, filters by certificate and local value addition, and exports a
CSV that holds exactly what the page showed."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.browser.browsing import screenshot


def test_search_in_bangla_filter_and_export(site: Any, page_factory: Any) -> None:
    page = page_factory(lang="bn-BD", width="desktop")
    page.goto("/")
    page.fill("#q", "ল্যাপটপ")
    page.press("#q", "Enter")
    page.wait_for_url("**/search?**")
    shown = page.locator(".hit h3").all_inner_texts()
    assert "একতা ল্যাপটপ এল১৪" in shown and "পদ্মা ল্যাপটপ এয়ার" in shown
    screenshot(page, "results-bn-1280")

    page.check("input[name=certificate][value=BSTI]")
    page.fill("#lva_min", "50")
    page.click(".filter-form button[type=submit]")
    page.wait_for_load_state()
    shown = page.locator(".hit h3").all_inner_texts()
    # valid BSTI certificate and at least 50 % local value: L14 (62 %) and P3 (75 %); P5's BSTI has expired
    assert sorted(shown) == sorted(["একতা ল্যাপটপ এল১৪", "পদ্মা নোটবুক পি৩"])
    assert "২টি পণ্য" in page.locator("#count").inner_text()
    screenshot(page, "results-filtered-bn-1280")

    with page.expect_download() as info:
        page.click(".exports a:text('CSV')")
    data = info.value.path().read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(data)))
    assert sorted(r["নাম"] for r in rows) == sorted(shown)
    assert all(
        "BSTI" in r["Certificates (valid until)"] and float(r["Local value addition (%)"]) >= 50 for r in rows
    )


def test_suggestions_appear_as_you_type(site: Any, page_factory: Any) -> None:
    page = page_factory(lang="en-GB", width="phone")
    page.goto("/")
    page.type("#q", "Pad", delay=50)
    page.locator("#q-suggestions option").first.wait_for(state="attached")
    options = [o.get_attribute("value") or "" for o in page.locator("#q-suggestions option").all()]
    assert any("Padma" in o for o in options)


def test_search_works_without_javascript(site: Any, page_factory: Any) -> None:
    page = page_factory(lang="en-GB", width="phone", java_script_enabled=False)
    page.goto("/")
    page.fill("#q", "router")
    page.press("#q", "Enter")
    page.wait_for_load_state()
    assert "Padma Wi-Fi Router R1" in page.locator(".hit-list").inner_text()


def test_compare_two_products(site: Any, page_factory: Any) -> None:
    page = page_factory(lang="en-GB", width="desktop")
    page.goto("/search?category=laptops")
    page.locator(".hit").filter(has_text="Ekota Laptop L14").locator("input[name=ids]").check()
    page.locator(".hit").filter(has_text="Padma Notebook P3").locator("input[name=ids]").check()
    page.click(".compare-form button[type=submit]")
    page.wait_for_url("**/compare?**")
    header = page.locator("table.compare thead").inner_text()
    assert "Ekota Laptop L14" in header and "Padma Notebook P3" in header
    screenshot(page, "compare-en-1280")
