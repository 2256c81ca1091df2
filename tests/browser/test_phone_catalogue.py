"""The catalogue on a 360 px phone: the first result is on the first screen for a word and for a GTIN, the
filters wait behind one control, and comparing works without cutting the page or losing the choice."""

from __future__ import annotations

from typing import Any

from tests.browser.browsing import screenshot

SCREEN = 740  # the phone viewport's height (conftest.WIDTHS)


def _first_hit_on_screen(page: Any) -> None:
    box = page.locator(".hit h3").first.bounding_box()
    assert box is not None and box["y"] + box["height"] <= SCREEN, box
    count = page.locator("#count").bounding_box()
    assert count is not None and count["y"] < box["y"]  # the count sits above the results


def test_first_result_on_the_first_screen_for_a_word_and_a_gtin(site: Any, page_factory: Any) -> None:
    page = page_factory(lang="bn-BD", width="phone")
    page.goto("/search?q=labtop")  # a typo, as in the issue
    assert page.locator(".hit").count() >= 3
    _first_hit_on_screen(page)
    assert not page.locator("details.filters").evaluate("d => d.open")  # filters behind one control
    assert not page.locator("#lva_min").is_visible()
    screenshot(page, "results-typo-bn-360")
    gtin = site.products["laptop-c"][1]
    page.goto(f"/search?q={gtin}")
    assert page.locator(".hit h3").all_inner_texts() == ["পদ্মা নোটবুক পি৩"]
    _first_hit_on_screen(page)
    page.locator("details.filters summary").click()
    assert page.locator("#lva_min").is_visible()


def test_compare_on_a_phone_fits_and_a_sixth_tick_keeps_the_choice(site: Any, page_factory: Any) -> None:
    page = page_factory(lang="en-GB", width="phone")
    page.goto("/search?q=&sort=name")
    boxes = page.locator("input[name=ids]")
    assert boxes.count() >= 6
    for i in range(5):
        boxes.nth(i).check()
    assert boxes.nth(5).is_disabled()  # the sixth waits until one is unticked
    assert page.locator("#compare-limit").is_visible()
    boxes.nth(0).uncheck()
    assert not boxes.nth(5).is_disabled()
    boxes.nth(5).check()
    page.click(".compare-form button[type=submit]")
    page.wait_for_url("**/compare?**")
    assert page.locator(".compare-card").count() == 5
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    card = page.locator(".compare-card").first
    assert "Local value addition" in card.inner_text()
    screenshot(page, "compare-en-360")
