"""A manufacturer registers and submits a product, a reviewer approves it, the manufacturer downloads a
label PDF, and the QR code decoded from that PDF opens a Genuine page."""

from __future__ import annotations

from typing import Any

from tests.browser.browsing import AXE, PASSWORD, describe, run_axe, screenshot, sign_in
from tests.needs import need


def _decode_pdf_qr_codes(data: bytes) -> list[str]:
    import pypdfium2 as pdfium
    import zxingcpp

    doc = pdfium.PdfDocument(data)
    found: list[str] = []
    for index in range(len(doc)):
        image = doc[index].render(scale=300 / 72).to_pil().convert("L")
        found += [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]
    return found


def test_register_submit_approve_print_and_verify(site: Any, page_factory: Any) -> None:
    from gs1.gtin import compute_check_digit

    maker = page_factory(lang="en-GB", width="phone")
    maker.goto("/portal/register")
    fields = {
        "#f-legal_name_en": "Teesta Systems Ltd.",
        "#f-legal_name_bn": "তিস্তা সিস্টেমস লিমিটেড",
        "#f-trade_licence_no": "TRAD/RANG/0042",
        "#f-bin": "0098765432101",
        "#f-tin": "987654321012",
        "#f-address": "Plot 9, BSCIC, Rangpur",
        "#f-contact_name": "Karim",
        "#f-contact_email": "karim@teesta.example.com",
        "#f-contact_phone": "+8801811111111",
        "#f-owner_name": "Karim Ahmed",
        "#f-owner_email": "owner@teesta.example.com",
        "#f-owner_password": "teesta long password",
    }
    for selector, value in fields.items():
        maker.fill(selector, value)
    maker.select_option("#f-district", "rangpur")
    screenshot(maker, "portal-register-en-360")
    maker.click("form.stack > button[type=submit]")
    maker.wait_for_url("**/portal/")
    assert "Pending review" in maker.content()

    reviewer = page_factory(lang="bn-BD", width="desktop")
    sign_in(reviewer, site.reviewer_email)
    reviewer.wait_for_url("**/console/")
    reviewer.click("text=Teesta Systems Ltd.") if reviewer.locator(
        "text=Teesta Systems Ltd."
    ).count() else reviewer.click("text=তিস্তা সিস্টেমস লিমিটেড")
    screenshot(reviewer, "console-manufacturer-bn-1280")
    reviewer.click("form[action$='/verify'] button")
    reviewer.wait_for_load_state()
    assert "যাচাইকৃত" in reviewer.content()

    maker.goto("/portal/certificates")
    maker.select_option("#f-scheme", "BSTI")
    maker.fill("#f-number", "BSTI-CM-777")
    maker.fill("#f-issuer", "BSTI")
    maker.fill("#f-valid_from", "2025-01-01")
    maker.fill("#f-valid_until", "2030-12-31")
    maker.click("form.stack > button[type=submit]")
    maker.wait_for_load_state()
    maker.goto("/portal/brands")
    maker.fill("#f-name_en", "Teesta")
    maker.fill("#f-name_bn", "তিস্তা")
    maker.click("form.stack > button[type=submit]")
    maker.wait_for_load_state()
    assert "is registered to your company" in maker.content()
    maker.goto("/portal/products/new")
    gtin = "200000777000"
    gtin += compute_check_digit(gtin)
    for selector, value in {
        "#f-name_en": "Teesta UPS 650VA",
        "#f-name_bn": "তিস্তা ইউপিএস ৬৫০ভিএ",
        "#f-brand": "Teesta",
        "#f-model_number": "T650",
        "#f-gtin": gtin,
        "#f-local_value_addition": "55",
        "#f-lva_basis": "ex-factory price less imported inputs",
        "#f-specifications": "Capacity: 650 VA\nBackup: 15 min",
    }.items():
        maker.fill(selector, value)
    maker.select_option("#f-category", "ups")
    maker.check("input[name=certificate_ids]")
    maker.click("button[name=and_submit]")
    maker.wait_for_url("**/portal/products/*")
    assert "Submitted for review" in maker.content()

    reviewer.goto("/console/")
    reviewer.click("text=তিস্তা ইউপিএস ৬৫০ভিএ")
    reviewer.click("form[action$='/approve'] button")
    reviewer.wait_for_load_state()
    assert "লাইসেন্সপ্রাপ্ত" in reviewer.content()

    maker.reload()
    assert "Licensed" in maker.content()
    maker.fill("#count", "3")
    maker.click("form[action$='/batches'] button")
    maker.wait_for_load_state()
    screenshot(maker, "portal-product-en-360")
    with maker.expect_download() as info:
        maker.click("text=PDF (A4)")
    pdf = info.value.path().read_bytes()
    assert pdf.startswith(b"%PDF")
    urls = _decode_pdf_qr_codes(pdf)
    assert len(urls) == 3 and all(f"/01/{gtin.zfill(14)}/21/" in u for u in urls)

    consumer = page_factory(lang="bn-BD", width="phone")
    consumer.goto(site.local(urls[0]))
    assert consumer.locator("h1#verdict-word").inner_text() == "আসল"
    assert "তিস্তা ইউপিএস ৬৫০ভিএ" in consumer.content()
    screenshot(consumer, "verify-from-pdf-bn-360")


def test_a_manufacturer_signs_in_and_sees_its_products(site: Any, page_factory: Any) -> None:
    page = page_factory(lang="bn-BD", width="phone")
    sign_in(page, site.maker_email, PASSWORD)
    page.wait_for_url("**/portal/")
    assert "একতা ল্যাপটপ এল১৪" in page.content()
    screenshot(page, "portal-dashboard-bn-360")


def test_the_people_page_fits_a_phone_and_passes_axe(site: Any, page_factory: Any) -> None:
    need(AXE.exists(), "axe-core is missing: run npm ci (package.json pins it)")
    page = page_factory(lang="bn-BD", width="phone", bypass_csp=True)
    sign_in(page, site.maker_email, PASSWORD)
    page.wait_for_url("**/portal/")
    page.goto("/portal/staff")
    assert page.locator("h1").inner_text().endswith("-এর সদস্যরা")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "the people page scrolls sideways"
    screenshot(page, "portal-people-bn-360")
    violations = run_axe(page)
    assert not violations, describe({"people": violations})  # type: ignore[dict-item]


def test_the_print_check_fits_a_phone_and_passes_axe(site: Any, page_factory: Any) -> None:
    need(AXE.exists(), "axe-core is missing: run npm ci (package.json pins it)")
    page = page_factory(lang="bn-BD", width="phone", bypass_csp=True)
    sign_in(page, site.maker_email, PASSWORD)
    page.wait_for_url("**/portal/")
    page.click("text=একতা ল্যাপটপ এল১৪")
    page.wait_for_url("**/portal/products/*")
    if page.locator("a[href*='/labels-check']").count() == 0:
        page.fill("#count", "3")
        page.click("form[action$='/batches'] button")
        page.wait_for_load_state()
    page.locator("a[href*='/labels-check']").first.click()
    page.wait_for_url("**/labels-check*")
    assert "সব" in page.locator("[role=status]").inner_text()  # "… সব ৩টি লেবেল ঠিকভাবে পড়া গেছে।"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "the print check scrolls sideways"
    screenshot(page, "portal-label-check-bn-360")
    violations = run_axe(page)
    assert not violations, describe({"label-check": violations})  # type: ignore[dict-item]


NEW_PORTAL_PAGES = {
    "notices": "/portal/notices",
    "tokens": "/portal/tokens",
    "import": "/portal/import",
    "analytics": "/portal/analytics",
    "reports": "/portal/reports",
    "profile": "/portal/profile",
}


def test_the_portal_tools_fit_a_phone_and_pass_axe(site: Any, page_factory: Any) -> None:
    """Notices, API tokens (with a new token's secret shown), import (with a per-row report), analytics charts,
    reports with their status forms and the company documents fit 360 px with no serious axe finding."""
    need(AXE.exists(), "axe-core is missing: run npm ci (package.json pins it)")
    page = page_factory(lang="bn-BD", width="phone", bypass_csp=True)
    sign_in(page, site.maker_email, PASSWORD)
    page.wait_for_url("**/portal/")
    found: dict[str, Any] = {}
    for name, path in NEW_PORTAL_PAGES.items():
        page.goto(path)
        if name == "tokens":
            page.fill("#f-name", "ERP")
            page.click("form[action$='/portal/tokens'] button[type=submit]")
            page.wait_for_selector("#new-token")
        elif name == "import":
            page.set_input_files(
                "#f-file",
                files=[{"name": "p.csv", "mimeType": "text/csv", "buffer": b"name_en,gtin\nX,123\n"}],
            )
            page.check("input[value=check]")
            page.click("form.stack button[type=submit]")
            page.wait_for_selector("#report")
        elif name == "analytics":
            assert page.locator("svg.chart").count() == 3
        wide = page.evaluate(
            """[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 361).map(e => e.tagName + '.' + e.className + '#' + e.id + ':' + Math.round(e.getBoundingClientRect().right)).slice(0, 15)"""
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, f"{name} scrolls sideways {wide}"
        screenshot(page, f"portal-{name}-bn-360")
        violations = run_axe(page)
        if violations:
            found[name] = violations
    reviewer = page_factory(lang="bn-BD", width="phone", bypass_csp=True)
    sign_in(reviewer, site.reviewer_email)
    reviewer.wait_for_url("**/console/")
    reviewer.goto("/console/reports")
    assert reviewer.evaluate("document.documentElement.scrollWidth") <= 360, "console reports scroll sideways"
    screenshot(reviewer, "console-reports-bn-360")
    if violations := run_axe(reviewer):
        found["console-reports"] = violations
    assert not found, describe(found)
