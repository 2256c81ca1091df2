"""axe-core finds no serious or critical violations on any public page, in both languages at phone width and
in Bangla at desktop width; every page fits a 360 px screen; screenshots of each go to tests/artifacts/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.browsing import AXE, describe, run_axe, screenshot
from tests.needs import need

PUBLIC_PAGES = {
    "home": "/",
    "results": "/search?q=laptop",
    "results-empty": "/search?q=zzzzqqq",
    "product": "/products/{laptop-a}",
    "manufacturer": "/manufacturers/1",
    "compare": "/compare?ids={laptop-a},{laptop-c}",
    "scan": "/scan",
    "report": "/report",
    "login": "/login",
    "forgot": "/password/forgot",
    "register": "/portal/register",
    "verify-genuine": "@laptop-a",
    "verify-copied": "@laptop-b",
    "verify-recalled": "@phone-a",
    "verify-suspended": "@suspended-ups",
    "verify-expired": "@expired-ups",
    "verify-revoked": "@revoked-phone",
    "verify-not-genuine": "@not-genuine",
    "verify-untrusted": "@untrusted",
    "verify-unknown": "@product-address",
    "statistics": "/statistics",
    "sms": "/sms",
    "sms-simulator": "/sms/simulate",
    "not-found": "/products/999999",
}


# the card each verification page must show (templates/verify.html: one card, one message)
VERDICT_CARDS = {
    "verify-genuine": "genuine",
    "verify-copied": "copied",
    "verify-recalled": "recalled",
    "verify-suspended": "suspended",
    "verify-expired": "expired",
    "verify-revoked": "revoked",
    "verify-not-genuine": "not_genuine",
    "verify-untrusted": "untrusted_key",
    "verify-unknown": "unknown",
}


def _url(site: Any, template: str) -> str:
    if template.startswith("@"):
        return site.local(site.labels[template[1:]])
    return template.format(**{k: v[0] for k, v in site.products.items()})


# Both languages on a phone, where reflow problems show; the desktop layout once (Bangla, the longer text).
@pytest.mark.parametrize(("lang", "width"), [("bn-BD", "phone"), ("en-GB", "phone"), ("bn-BD", "desktop")])
def test_public_pages_have_no_serious_accessibility_violations(
    site: Any, page_factory: Any, lang: str, width: str
) -> None:
    need(AXE.exists(), "axe-core is missing: run npm ci (package.json pins it)")
    # axe is injected as a script: this context ignores the page's CSP, which the other tests keep.
    page = page_factory(lang=lang, width=width, bypass_csp=True)
    failures = {}
    for name, template in PUBLIC_PAGES.items():
        page.goto(_url(site, template))
        page.wait_for_load_state()
        screenshot(page, f"{name}-{lang[:2]}-{360 if width == 'phone' else 1280}")
        if name in VERDICT_CARDS:
            assert page.locator(f"section.verdict-{VERDICT_CARDS[name]}").count() == 1, name
        if width == "phone":
            assert page.evaluate("document.documentElement.scrollWidth") <= 360, f"{name} scrolls sideways"
        violations = run_axe(page)
        if violations:
            failures[name] = violations
    assert not failures, describe(failures)  # type: ignore[arg-type]


def test_pages_load_nothing_from_other_hosts(site: Any, page_factory: Any) -> None:
    page = page_factory(lang="bn-BD", width="phone")
    hosts: set[str] = set()
    page.on("request", lambda r: hosts.add(r.url.split("/")[2]))
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    for template in PUBLIC_PAGES.values():
        page.goto(_url(site, template))
        page.wait_for_load_state("networkidle")
    assert hosts == {site.base_url.split("/")[2]}
    assert blocked == []  # nothing on the pages breaks the CSP
