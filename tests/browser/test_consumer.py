"""A consumer opens label URLs on a phone: Genuine, a tampered label Not genuine, a revoked product Revoked."""

from __future__ import annotations

from typing import Any

from tests.browser.browsing import screenshot


def _tamper(url: str) -> str:
    head, _, signature = url.rpartition("s=")
    last = signature[-1]
    return f"{head}s={signature[:-1]}{'1' if last != '1' else '2'}"


def test_genuine_tampered_and_revoked_labels(site: Any, page_factory: Any) -> None:
    page = page_factory(lang="bn-BD", width="phone")
    page.goto(site.local(site.labels["laptop-a"]))
    assert page.locator("h1#verdict-word").inner_text() == "আসল"
    assert page.locator(".verdict-other").inner_text() == "Genuine"
    assert "verdict-genuine" in page.locator("section.verdict").get_attribute("class")
    assert "একতা ল্যাপটপ এল১৪" in page.content()
    assert "প্রথম যাচাই" in page.locator(".first-seen").inner_text()
    screenshot(page, "verify-genuine-bn-360")

    page.goto(site.local(_tamper(site.labels["laptop-a"])))
    assert page.locator("h1#verdict-word").inner_text() == "আসল নয়"
    screenshot(page, "verify-not-genuine-bn-360")

    english = page_factory(lang="en-GB", width="phone")
    english.goto(site.local(site.labels["revoked-phone"]))
    assert english.locator("h1#verdict-word").inner_text() == "Revoked"
    assert english.locator(".verdict-other").inner_text() == "বাতিল"
    screenshot(english, "verify-revoked-en-360")


def test_the_verification_page_fits_a_phone_and_stays_light(site: Any, page_factory: Any) -> None:
    page = page_factory(lang="bn-BD", width="phone")
    sizes: list[int] = []
    page.on("response", lambda r: sizes.append(len(r.body())) if r.ok else None)
    page.goto(site.local(site.labels["laptop-a"]))
    page.wait_for_load_state("networkidle")
    assert sum(sizes) <= 100 * 1024
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    box = page.locator("h1#verdict-word").bounding_box()
    assert box is not None and box["y"] < 300  # the verdict is the first thing on the screen
