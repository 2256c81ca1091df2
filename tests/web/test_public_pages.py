"""Public pages: every page in Bangla and English, the language remembered, Bangla digits, catalogue
search with facets, filters, pagination and export links, and nothing that is not public."""

from __future__ import annotations

import re
from typing import Any

import pytest

from config import settings_of
from tests.factories import ManufacturerFactory, ProductFactory, licensed

PUBLIC_PATHS = [
    "/",
    "/search",
    "/search?q=phone",
    "/scan",
    "/report",
    "/login",
    "/password/forgot",
    "/portal/register",
]


@pytest.mark.parametrize("path", PUBLIC_PATHS)
@pytest.mark.parametrize(("lang", "word"), [("bn", "মেড ইন বাংলাদেশ"), ("en", "Made in Bangladesh")])
def test_every_public_page_renders_in_both_languages(
    client: Any, catalogue: Any, path: str, lang: str, word: str
) -> None:
    sep = "&" if "?" in path else "?"
    resp = client.get(f"{path}{sep}lang={lang}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert f'<html lang="{lang}">' in html
    assert word in html


@pytest.mark.parametrize(
    ("lang", "heading", "scheme"),
    [("bn", "বৈশিষ্ট্য", "বিটিআরসি টাইপ অনুমোদন"), ("en", "Specifications", "BTRC type approval")],
)
def test_product_and_manufacturer_pages_render_in_both_languages(
    client: Any, licensed_product: Any, lang: str, heading: str, scheme: str
) -> None:
    p = licensed_product
    product_html = client.get(f"/products/{p.id}?lang={lang}").get_data(as_text=True)
    assert heading in product_html
    assert (p.name_bn if lang == "bn" else p.name_en) in product_html
    assert scheme in product_html  # the scheme's name in the page's language, not its code
    maker_html = client.get(f"/manufacturers/{p.manufacturer_id}?lang={lang}").get_data(as_text=True)
    assert (p.manufacturer.legal_name_bn if lang == "bn" else p.manufacturer.legal_name_en) in maker_html
    assert f"/products/{p.id}" in maker_html


def test_the_chosen_language_is_remembered_in_a_cookie(client: Any) -> None:
    first = client.get("/?lang=en")
    assert "lang=en" in first.headers["Set-Cookie"]
    assert "HttpOnly" in first.headers["Set-Cookie"]
    again = client.get("/")
    assert '<html lang="en">' in again.get_data(as_text=True)
    client.get("/?lang=bn")
    assert '<html lang="bn">' in client.get("/").get_data(as_text=True)


def test_without_a_choice_the_browser_language_decides(client: Any) -> None:
    html = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in html
    html = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="bn">' in html


def test_bangla_pages_use_bangla_digits(client: Any, licensed_product: Any) -> None:
    p = licensed_product
    lva = int(p.local_value_addition)
    bn = client.get(f"/products/{p.id}?lang=bn").get_data(as_text=True)
    en = client.get(f"/products/{p.id}?lang=en").get_data(as_text=True)
    bangla = str(lva).translate(str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯"))
    assert f"{bangla}" in bn and f"{lva}.0%" in en
    year = str(p.licence_valid_until.year)
    assert year.translate(str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")) in bn
    assert year in en


def test_drafts_and_pending_companies_never_appear_publicly(
    client: Any, session: Any, catalogue: Any, maker: Any, licensed_product: Any
) -> None:
    draft = ProductFactory(manufacturer=maker.manufacturer, name_en="Secret Draft Phone")
    submitted = ProductFactory(
        manufacturer=maker.manufacturer, status="submitted", name_en="Secret Submitted"
    )
    pending = ManufacturerFactory(status="pending")
    catalogue.add(licensed_product, draft, submitted)
    for p in (draft, submitted):
        assert client.get(f"/products/{p.id}").status_code == 404
    assert client.get(f"/manufacturers/{pending.id}").status_code == 404
    results = client.get("/search?q=secret&lang=en").get_data(as_text=True)
    assert "Secret" not in results
    maker_page = client.get(f"/manufacturers/{maker.manufacturer.id}?lang=en").get_data(as_text=True)
    assert "Secret" not in maker_page
    compare = client.get(f"/compare?ids={licensed_product.id},{draft.id}&lang=en").get_data(as_text=True)
    assert "Secret" not in compare and "no longer in the public catalogue" in compare


def test_a_signed_in_manufacturer_does_not_see_its_draft_on_public_pages(client: Any, maker: Any) -> None:
    from tests.web.pages import sign_in

    draft = ProductFactory(manufacturer=maker.manufacturer)
    sign_in(client, maker.user)
    assert client.get(f"/products/{draft.id}").status_code == 404
    assert client.get(f"/portal/products/{draft.id}").status_code == 200


def _hits(html: str) -> list[str]:
    return re.findall(r'<h3><a href="/products/(\d+)">', html)


def test_search_results_with_facets_filters_sorting_pagination_and_export(
    client: Any, session: Any, catalogue: Any, maker: Any
) -> None:
    from tests.factories import CertificateFactory

    bsti = CertificateFactory(manufacturer_id=maker.manufacturer.id, scheme="BSTI")
    products = []
    for i in range(25):
        p = ProductFactory(
            manufacturer=maker.manufacturer, category="ups", local_value_addition=30 + i, **licensed()
        )
        if i % 2 == 0:
            p.certificates = [bsti]
        products.append(p)
    catalogue.add(*products)
    page1 = client.get("/search?category=ups&lang=en").get_data(as_text=True)
    assert "25 products" in page1
    assert len(_hits(page1)) == 20
    assert 'rel="next"' in page1 and "Page 1 of 2" in page1
    assert "Valid certificate" in page1 and "BSTI" in page1  # facet
    page2 = client.get("/search?category=ups&page=2&lang=en").get_data(as_text=True)
    assert len(_hits(page2)) == 5
    filtered = client.get("/search?category=ups&certificate=BSTI&lva_min=50&sort=lva&lang=en").get_data(
        as_text=True
    )
    expected = [p for i, p in enumerate(products) if i % 2 == 0 and 30 + i >= 50]
    shown = _hits(filtered)
    assert sorted(map(int, shown)) == sorted(p.id for p in expected)
    assert [int(i) for i in shown] == [p.id for p in sorted(expected, key=lambda p: -p.local_value_addition)]
    export = re.search(r'href="(/api/v1/catalogue/export\?[^"]+format=csv[^"]*)"', filtered)
    assert export is not None
    link = export.group(1).replace("&amp;", "&")
    for part in ("category=ups", "certificate=BSTI", "lva_min=50"):
        assert part in link


def test_search_in_bangla_finds_bangla_names(client: Any, catalogue: Any, licensed_product: Any) -> None:
    catalogue.add(licensed_product)
    html = client.get("/search?q=স্মার্টফোন&lang=bn").get_data(as_text=True) + client.get(
        "/search?q=ফিচার ফোন&lang=bn"
    ).get_data(as_text=True)
    assert f"/products/{licensed_product.id}" in html
    assert licensed_product.name_bn in html


def test_bad_filters_answer_a_readable_page_not_an_error(client: Any, catalogue: Any) -> None:
    resp = client.get("/search?lva_min=500&lang=en")
    assert resp.status_code == 422
    assert "lva_min" in resp.get_data(as_text=True)
    assert resp.mimetype == "text/html"


def test_compare_shows_products_side_by_side(client: Any, session: Any, maker: Any) -> None:
    a = ProductFactory(manufacturer=maker.manufacturer, category="laptops", **licensed())
    b = ProductFactory(manufacturer=maker.manufacturer, category="laptops", **licensed())
    html = client.get(f"/compare?ids={a.id},{b.id}&lang=en").get_data(as_text=True)
    assert a.name_en in html and b.name_en in html
    assert "RAM" in html  # specifications rows
    assert client.get("/compare?ids=x").status_code == 422


def test_a_sixth_product_keeps_the_first_five_chosen(client: Any, session: Any, maker: Any) -> None:
    chosen = [
        ProductFactory(manufacturer=maker.manufacturer, category="laptops", **licensed()) for _ in range(6)
    ]
    resp = client.get("/compare?lang=en&" + "&".join(f"ids={p.id}" for p in chosen))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert all(p.name_en in html for p in chosen[:5]) and chosen[5].name_en not in html
    assert "the first 5 you chose are shown" in html


def test_unknown_pages_answer_a_bilingual_html_404(client: Any) -> None:
    resp = client.get("/products/999999?lang=bn", headers={"Accept": "text/html"})
    assert resp.status_code == 404
    assert "পাওয়া যায়নি" in resp.get_data(as_text=True)


def test_a_typed_label_address_opens_only_registry_labels(client: Any, app: Any) -> None:
    gtin = "02100000000012"
    ours = f"{settings_of(app).core.public_base_url}/01/{gtin}/21/ABC123"
    resp = client.get("/scan/open", query_string={"url": ours})
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/01/{gtin}/21/ABC123")
    foreign = client.get("/scan/open", query_string={"url": f"https://evil.example/01/{gtin}"})
    assert foreign.status_code == 400
    assert client.get("/scan/open", query_string={"url": "javascript:alert(1)"}).status_code == 400
