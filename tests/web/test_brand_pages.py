"""Brand pages: the public brand page, the portal's brand register and the console's brand queue."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from core.models import AuditEvent
from registry.models import Brand, BrandLicence
from tests.factories import ProductFactory, licensed, make_party, own_brand
from tests.web.pages import post_form, sign_in


def test_the_brand_page_shows_both_spellings_owner_licensees_and_licensed_products(
    client: Any, session: Any, maker: Any
) -> None:
    brand = own_brand(session, maker.manufacturer, "Padma", "পদ্মা")
    partner = make_party(session)
    session.add(BrandLicence(brand_id=brand.id, licensee_id=partner.manufacturer.id, kind="granted"))
    sold = ProductFactory(manufacturer=partner.manufacturer, brand="Padma", brand_id=brand.id, **licensed())
    draft = ProductFactory(
        manufacturer=maker.manufacturer, brand="Padma", brand_id=brand.id, name_en="Padma Secret"
    )
    session.commit()
    for lang, words in (("en", "Made under licence by"), ("bn", "লাইসেন্সে তৈরি করে")):
        html = client.get(f"/brands/{brand.id}?lang={lang}").get_data(as_text=True)
        assert "Padma" in html and "পদ্মা" in html and words in html
        assert maker.manufacturer.legal_name_en in html or maker.manufacturer.legal_name_bn in html
        assert partner.manufacturer.legal_name_en in html or partner.manufacturer.legal_name_bn in html
        assert f"/products/{sold.id}" in html and f"/products/{draft.id}" not in html
    product_page = client.get(f"/products/{sold.id}?lang=en").get_data(as_text=True)
    assert f'href="/brands/{brand.id}"' in product_page


def test_a_pending_brand_has_no_public_page(client: Any, session: Any, maker: Any) -> None:
    brand = own_brand(session, maker.manufacturer, "Nodi", "নদী")
    brand.status = "pending"
    session.commit()
    assert client.get(f"/brands/{brand.id}").status_code == 404


def test_the_portal_registers_a_brand_and_says_in_bangla_why_a_product_may_not_carry_anothers(
    client: Any, session: Any, maker: Any
) -> None:
    owner = make_party(session)
    own_brand(session, owner.manufacturer, "Walton", "ওয়ালটন")
    session.commit()
    sign_in(client, maker.user)
    resp = post_form(
        client, "/portal/brands?lang=en", {"name_en": "Nodi", "name_bn": "নদী"}, form_page="/portal/brands"
    )
    assert resp.status_code == 303
    page = client.get("/portal/brands?lang=en").get_data(as_text=True)
    assert "The brand Nodi is registered to your company." in page
    # a look-alike of another company's brand waits, and the page says why
    post_form(
        client,
        "/portal/brands?lang=en",
        {"name_en": "Wa1ton", "name_bn": "ওয়াল্টন"},
        form_page="/portal/brands",
    )
    page = client.get("/portal/brands?lang=bn").get_data(as_text=True)
    assert "Wa1ton" in page and "Walton" in page and "পর্যালোচনার অপেক্ষায়" in page
    # an English spelling in Bangla letters is refused on its field, in Bangla
    bad = post_form(
        client, "/portal/brands?lang=bn", {"name_en": "নদী", "name_bn": "নদী"}, form_page="/portal/brands"
    )
    assert bad.status_code == 422
    assert "ইংরেজি বানান লাতিন অক্ষরে লিখুন।" in bad.get_data(as_text=True)
    # a product under the other company's brand: the reason in Bangla
    form = {
        "name_en": "Phone",
        "name_bn": "ফোন",
        "brand": "Walton",
        "model_number": "S1",
        "category": "phones",
        "gtin": "4006381333931",
        "local_value_addition": "40",
        "lva_basis": "assembly",
    }
    resp = post_form(client, "/portal/products/new?lang=bn", form, form_page="/portal/products/new")
    assert resp.status_code == 422
    assert "Walton ব্র্যান্ডটি অন্য প্রস্তুতকারকের" in resp.get_data(as_text=True)


def test_the_owner_licenses_a_brand_from_the_portal(client: Any, session: Any, maker: Any) -> None:
    brand = own_brand(session, maker.manufacturer, "Padma", "পদ্মা")
    partner = make_party(session)
    session.commit()
    sign_in(client, maker.user)
    resp = post_form(
        client,
        f"/portal/brands/{brand.id}/licences",
        {"licensee_id": str(partner.manufacturer.id)},
        form_page="/portal/brands",
    )
    assert resp.status_code == 303
    session.expire_all()
    assert [
        lic.licensee_id
        for lic in session.scalars(select(BrandLicence).where(BrandLicence.brand_id == brand.id))
    ] == [partner.manufacturer.id]


def test_the_console_shows_the_conflicts_and_the_reviewers_decision_is_audited(
    client: Any, session: Any, maker: Any, reviewer: Any
) -> None:
    owner = make_party(session)
    own_brand(session, owner.manufacturer, "Padma", "পদ্মা")
    session.commit()
    sign_in(client, maker.user)
    post_form(client, "/portal/brands", {"name_en": "Padrna", "name_bn": "প্যাডরনা"}, form_page="/portal/brands")
    client.post("/logout", data={})
    client.delete_cookie("session")
    pending = session.scalar(select(Brand).where(Brand.name_en == "Padrna"))
    assert pending is not None and pending.status == "pending"
    console = make_party(session, "reviewer")
    session.commit()
    reviewer_client = client.application.test_client()
    sign_in(reviewer_client, console.user)
    html = reviewer_client.get("/console/brands?lang=en").get_data(as_text=True)
    assert "Padrna" in html and "Padma" in html and "the same letters" in html
    refused = post_form(
        reviewer_client, f"/console/brands/{pending.id}/reject", {"reason": ""}, form_page="/console/brands"
    )
    assert refused.status_code == 303
    session.expire_all()
    assert session.get(Brand, pending.id).status == "pending"
    done = post_form(
        reviewer_client,
        f"/console/brands/{pending.id}/reject",
        {"reason": "reads as Padma", "version": str(pending.version)},
        form_page="/console/brands",
    )
    assert done.status_code == 303
    session.expire_all()
    assert session.get(Brand, pending.id).status == "rejected"
    actions = session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.target_type == "brand", AuditEvent.target_id == str(pending.id)
        )
    ).all()
    assert list(actions) == ["brand.submitted", "brand.rejected"]
    assert re.search(
        r"reads as Padma", reviewer_client.get("/console/brands?status=rejected").get_data(as_text=True)
    )
