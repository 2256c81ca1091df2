"""The manufacturer portal and the registry console: roles, the whole review workflow through the forms,
serial batches and label downloads, consumer reports."""

from __future__ import annotations

import re
from typing import Any

from config import settings_of
from core.models import User
from registry.models import Manufacturer, Product
from tests.factories import ProductFactory, licensed, make_party
from tests.web.pages import PASSWORD, post_form, sign_in


def test_anonymous_visitors_are_sent_to_sign_in(client: Any) -> None:
    for path in ("/portal/", "/portal/products/new", "/console/", "/console/audit"):
        resp = client.get(path)
        assert resp.status_code == 303
        assert resp.headers["Location"].startswith("/login?next=")


def test_roles_are_enforced(app: Any, client: Any, session: Any, maker: Any, reviewer: Any) -> None:
    sign_in(client, maker.user)
    assert client.get("/console/").status_code == 403
    post = post_form(client, "/console/products/1/approve", {"reason": "x"}, form_page="/portal/")
    assert post.status_code == 403
    other = app.test_client()
    sign_in(other, reviewer.user)
    assert other.get("/portal/").status_code == 403
    assert other.get("/console/").status_code == 200


def test_another_manufacturers_product_is_not_found(client: Any, session: Any, maker: Any) -> None:
    stranger = make_party(session)
    theirs = ProductFactory(manufacturer=stranger.manufacturer)
    sign_in(client, maker.user)
    assert client.get(f"/portal/products/{theirs.id}").status_code == 404
    assert client.get(f"/portal/products/{theirs.id}/edit").status_code == 404
    resp = post_form(client, f"/portal/products/{theirs.id}/submit", form_page="/portal/")
    assert resp.status_code == 404
    session.refresh(theirs)
    assert theirs.status == "draft"


REGISTRATION = {
    "legal_name_en": "Shapla Devices Ltd.",
    "legal_name_bn": "শাপলা ডিভাইসেস লিমিটেড",
    "trade_licence_no": "TRAD/1234",
    "bin": "0012345678901",
    "tin": "123456789012",
    "address": "House 1, Road 2, Gazipur",
    "district": "gazipur",
    "contact_name": "Rahim",
    "contact_email": "contact@shapla.example.com",
    "contact_phone": "+8801700000000",
    "owner_name": "Rahim Uddin",
    "owner_email": "owner@shapla.example.com",
    "owner_password": "a long password 1",
}


def test_registration_form_reports_each_bad_field(client: Any) -> None:
    resp = post_form(
        client,
        "/portal/register?lang=en",
        {**REGISTRATION, "bin": "12", "district": "atlantis"},
        form_page="/portal/register",
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert 'id="e-bin"' in html and 'id="f-bin"' in html and "aria-invalid" in html
    assert "district" in html


def test_the_whole_workflow_through_the_pages(app: Any, client: Any, session: Any, reviewer: Any) -> None:
    # a manufacturer registers ...
    resp = post_form(client, "/portal/register", REGISTRATION, form_page="/portal/register")
    assert resp.status_code == 303, resp.get_data(as_text=True)[:2000]
    maker = session.query(Manufacturer).filter_by(bin=REGISTRATION["bin"]).one()
    assert maker.status == "pending"
    # ... a reviewer verifies the company from the queue ...
    console = app.test_client()
    sign_in(console, reviewer.user)
    queue = console.get("/console/?lang=en").get_data(as_text=True)
    assert f"/console/manufacturers/{maker.id}" in queue
    assert (
        post_form(
            console,
            f"/console/manufacturers/{maker.id}/verify",
            {"version": maker.version},
            form_page="/console/",
        ).status_code
        == 303
    )
    session.refresh(maker)
    assert maker.status == "verified"
    # ... the manufacturer adds a certificate and a product and submits it ...
    cert = post_form(
        client,
        "/portal/certificates",
        {
            "scheme": "BTRC",
            "number": "BTRC-TA-1",
            "issuer": "BTRC",
            "valid_from": "2025-01-01",
            "valid_until": "2030-01-01",
        },
        form_page="/portal/certificates",
    )
    assert cert.status_code == 303
    brand = post_form(
        client, "/portal/brands", {"name_en": "Shapla", "name_bn": "শাপলা"}, form_page="/portal/brands"
    )
    assert brand.status_code == 303
    cert_id = re.search(
        r'name="certificate_ids" value="(\d+)"', client.get("/portal/products/new").get_data(as_text=True)
    ).group(1)
    product_form = {
        "name_en": "Shapla Phone S1",
        "name_bn": "শাপলা ফোন এস১",
        "brand": "Shapla",
        "model_number": "S1",
        "category": "phones",
        "gtin": "8901234567890"[:-1] + "8",
        "local_value_addition": "42.5",
        "lva_basis": "ex-factory price less imports",
        "specifications": "RAM: 4 GB\nStorage: 64 GB",
        "certificate_ids": cert_id,
        "and_submit": "1",
    }
    from gs1.gtin import compute_check_digit, normalize_gtin

    product_form["gtin"] = "200000000001" + compute_check_digit("200000000001")
    resp = post_form(client, "/portal/products/new", product_form, form_page="/portal/products/new")
    assert resp.status_code == 303, resp.get_data(as_text=True)[:3000]
    product = session.query(Product).filter_by(gtin=normalize_gtin(product_form["gtin"])).one()
    assert product.status == "submitted"
    assert product.specifications == {"RAM": "4 GB", "Storage": "64 GB"}
    # ... a reviewer rejects without a reason: refused; with a reason: the manufacturer sees it ...
    bad = post_form(console, f"/console/products/{product.id}/reject", {"reason": ""}, form_page="/console/")
    assert bad.status_code == 303
    session.refresh(product)
    assert product.status == "submitted"
    post_form(
        console,
        f"/console/products/{product.id}/reject",
        {"reason": "Upload the BTRC approval letter"},
        form_page="/console/",
    )
    page = client.get(f"/portal/products/{product.id}?lang=en").get_data(as_text=True)
    assert "Upload the BTRC approval letter" in page
    # ... the manufacturer edits and submits again; the reviewer approves ...
    edit = post_form(
        client,
        f"/portal/products/{product.id}/edit",
        {**product_form, "and_submit": "", "version": _version(session, product)},
        form_page=f"/portal/products/{product.id}/edit",
    )
    assert edit.status_code == 303
    post_form(client, f"/portal/products/{product.id}/submit", form_page="/portal/")
    post_form(console, f"/console/products/{product.id}/approve", {"valid_years": "3"}, form_page="/console/")
    session.refresh(product)
    assert product.status == "licensed" and product.licence_number
    assert "Shapla Phone S1" in client.get(f"/products/{product.id}?lang=en").get_data(as_text=True)
    # ... and every decision is in the audit log.
    audit = console.get(f"/console/audit?target_type=product&target_id={product.id}&lang=en").get_data(
        as_text=True
    )
    for action in ("product.created", "product.submitted", "product.reject", "product.approve"):
        assert action in audit


def _version(session: Any, product: Product) -> int:
    session.refresh(product)
    return product.version


def test_batches_and_label_downloads(client: Any, session: Any, maker: Any) -> None:
    product = ProductFactory(manufacturer=maker.manufacturer, category="laptops", **licensed())
    session.flush()
    sign_in(client, maker.user)
    resp = post_form(
        client,
        f"/portal/products/{product.id}/batches",
        {"count": "12"},
        form_page=f"/portal/products/{product.id}",
    )
    assert resp.status_code == 303
    page = client.get(f"/portal/products/{product.id}?lang=en").get_data(as_text=True)
    csv_link = re.search(r'href="(/portal/batches/\d+/labels\.csv)"', page).group(1)
    csv_text = client.get(csv_link).get_data(as_text=True)
    urls = [line.split(",")[0] for line in csv_text.splitlines()[1:] if line]
    assert len(urls) == 12 and all(f"/01/{product.gtin}/21/" in u for u in urls)
    pdf = client.get(csv_link.replace(".csv", ".pdf"))
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    roll = client.get(csv_link.replace(".csv", ".pdf") + "?layout=roll-40x30")
    assert roll.status_code == 200 and roll.data.startswith(b"%PDF")
    a4_name, roll_name = (
        r.headers["Content-Disposition"].split("filename=")[1].strip('"') for r in (pdf, roll)
    )
    assert re.fullmatch(rf"labels-{product.gtin}-\w+-a4\.pdf", a4_name)  # the two no longer overwrite
    assert roll_name == a4_name.replace("-a4.pdf", "-roll-40x30.pdf")  # each other in a downloads folder
    zipped = client.get(csv_link.replace(".csv", ".zip-svg"))
    assert zipped.data.startswith(b"PK")


def test_batches_are_refused_for_unlicensed_products(client: Any, session: Any, maker: Any) -> None:
    draft = ProductFactory(manufacturer=maker.manufacturer)
    sign_in(client, maker.user)
    resp = post_form(client, f"/portal/products/{draft.id}/batches", {"count": "5"}, form_page="/portal/")
    assert resp.status_code == 303
    assert "licensed" in client.get(resp.headers["Location"] + "?lang=en").get_data(as_text=True)


def test_a_consumer_report_reaches_the_manufacturer(
    app: Any, client: Any, session: Any, maker: Any, licensed_product: Any
) -> None:
    resp = post_form(
        client,
        "/report",
        {
            "gtin": licensed_product.gtin,
            "district": "khulna",
            "where": "Shop 12, New Market",
            "details": "The label is printed crookedly",
        },
        form_page="/report",
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)[:2000]
    portal = app.test_client()
    sign_in(portal, maker.user)
    html = portal.get("/portal/reports?lang=en").get_data(as_text=True)
    assert "The label is printed crookedly" in html and "Shop 12, New Market" in html
    console = app.test_client()
    sign_in(console, make_party(session, "reviewer").user)
    assert "The label is printed crookedly" in console.get("/console/reports?lang=en").get_data(as_text=True)


def test_an_incomplete_report_is_shown_again_with_its_errors(client: Any) -> None:
    resp = post_form(client, "/report?lang=en", {"details": "short"}, form_page="/report")
    assert resp.status_code == 422
    assert 'id="e-details"' in resp.get_data(as_text=True)


def test_console_audit_filters(
    app: Any, client: Any, session: Any, reviewer: Any, licensed_product: Any
) -> None:
    sign_in(client, reviewer.user)
    post_form(
        client,
        f"/console/products/{licensed_product.id}/suspend",
        {"reason": "Fake certificate reported"},
        form_page="/console/",
    )
    html = client.get(f"/console/audit?action=product.suspend&actor={reviewer.user.email}&lang=en").get_data(
        as_text=True
    )
    assert "Fake certificate reported" in html
    none = client.get("/console/audit?action=product.suspend&actor=someone@else.example&lang=en").get_data(
        as_text=True
    )
    assert "Fake certificate reported" not in none
    assert client.get("/console/audit?since=yesterday&lang=en").status_code == 200
    assert client.get("/console/keys?lang=en").status_code == 200


def test_staff_of_the_company_sign_in_to_the_portal(client: Any, session: Any, maker: Any) -> None:
    user = session.get(User, maker.user.id)
    resp = post_form(
        client, "/login", {"email": user.email, "password": PASSWORD, "next": "/portal/certificates"}
    )
    assert resp.headers["Location"] == "/portal/certificates"


def test_big_label_runs_become_a_job_with_a_progress_page(
    app: Any, client: Any, session: Any, maker: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(settings_of(app).labels, "direct_limit", 4)  # the test app runs jobs inline
    product = ProductFactory(manufacturer=maker.manufacturer, category="cables", **licensed())
    session.flush()
    sign_in(client, maker.user)
    post_form(client, f"/portal/products/{product.id}/batches", {"count": "9"}, form_page="/portal/")
    page = client.get(f"/portal/products/{product.id}").get_data(as_text=True)
    pdf_link = re.search(r'href="(/portal/batches/\d+/labels\.pdf)"', page).group(1)
    resp = client.get(pdf_link)
    assert resp.status_code == 303 and "/portal/label-jobs/" in resp.headers["Location"]
    progress = client.get(resp.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert '<progress id="progress" max="9" value="9">' in progress
    download = re.search(r'href="(/api/v1/label-jobs/[^"]+/download)"', progress).group(1)
    with client.get(download) as pdf:
        assert pdf.data.startswith(b"%PDF")
    stranger = make_party(session)
    other = app.test_client()
    sign_in(other, stranger.user)
    assert other.get(resp.headers["Location"]).status_code == 404
    assert other.get(pdf_link).status_code == 404


def test_form_errors_are_shown_in_the_pages_language(client: Any) -> None:
    bad = {**REGISTRATION, "bin": "12", "tin": "", "contact_email": "not an e-mail"}
    bangla = post_form(client, "/portal/register?lang=bn", bad, form_page="/portal/register").get_data(
        as_text=True
    )
    assert "BIN-এ ঠিক ১৩টি অঙ্ক থাকে।" in bangla
    assert "একটি সঠিক ই-মেইল ঠিকানা লিখুন।" in bangla
    assert "a BIN has exactly 13 digits" not in bangla
    english = post_form(client, "/portal/register?lang=en", bad, form_page="/portal/register").get_data(
        as_text=True
    )
    assert "A BIN has exactly 13 digits." in english and "BIN-এ" not in english


def test_product_form_errors_in_bangla_name_the_check_digit(client: Any, maker: Any) -> None:
    sign_in(client, maker.user)
    form = {
        "name_en": "Phone",
        "name_bn": "ফোন",
        "brand": "Shapla",
        "model_number": "S1",
        "category": "mobile-phones",
        "gtin": "4006381333932",
        "local_value_addition": "140",
        "lva_basis": "assembly",
    }
    resp = post_form(client, "/portal/products/new?lang=bn", form, form_page="/portal/products/new")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "GTIN 4006381333932-এর চেক ডিজিট 2, কিন্তু হওয়া উচিত 1।" in html
    assert "100 বা তার কম হতে হবে।" in html


def test_the_owner_adds_a_colleague_who_chooses_a_password_and_can_be_turned_off(
    app: Any, client: Any, session: Any, maker: Any
) -> None:
    from web.accounts import read_outbox

    sign_in(client, maker.user)
    page = client.get("/portal/staff?lang=en").get_data(as_text=True)
    assert maker.user.email in page and "Add a colleague" in page
    resp = post_form(
        client, "/portal/staff", {"name": "Nasrin", "email": "nasrin@example.com"}, form_page="/portal/staff"
    )
    assert resp.status_code == 303
    mail = [m for m in read_outbox(settings_of(app).core.instance_path) if m["To"] == "nasrin@example.com"][
        -1
    ]
    body = mail.get_body().get_content()
    link = re.search(re.escape(settings_of(app).core.public_base_url) + r"(/password/reset/\S+)", body).group(
        1
    )
    assert "Nasrin" in body and "সদস্য" in body
    colleague = app.test_client()
    colleague.get(link)  # keeps the invitation in the session, then /password/reset shows the form
    chosen = post_form(
        colleague,
        "/password/reset",
        {"password": "nasrin's own password", "password2": "nasrin's own password"},
        form_page="/password/reset",
    )
    assert chosen.status_code == 303
    assert (
        post_form(
            colleague, "/login", {"email": "nasrin@example.com", "password": "nasrin's own password"}
        ).status_code
        == 303
    )
    assert colleague.get("/portal/").status_code == 200
    assert colleague.get(link).status_code == 400  # the invitation works once
    # a colleague sees the people but cannot add or turn off anyone
    assert "Add a colleague" not in colleague.get("/portal/staff?lang=en").get_data(as_text=True)
    staff = session.query(User).filter_by(email="nasrin@example.com").one()
    refused = post_form(colleague, f"/portal/staff/{maker.user.id}/deactivate", form_page="/portal/staff")
    assert refused.status_code == 303
    session.refresh(maker.user)
    assert maker.user.is_active
    # the owner turns the colleague off: the colleague's session ends at once
    assert (
        post_form(client, f"/portal/staff/{staff.id}/deactivate", form_page="/portal/staff").status_code
        == 303
    )
    assert colleague.get("/portal/").status_code == 303
    assert "nasrin@example.com can no longer sign in." in client.get("/portal/staff?lang=en").get_data(
        as_text=True
    )


def test_adding_a_colleague_with_a_taken_address_says_so_in_bangla(client: Any, maker: Any) -> None:
    sign_in(client, maker.user)
    resp = post_form(
        client, "/portal/staff?lang=bn", {"name": "X", "email": maker.user.email}, form_page="/portal/staff"
    )
    assert resp.status_code == 422
    assert "এটি আগেই নিবন্ধিত।" in resp.get_data(as_text=True)


def test_labels_are_checked_by_reading_them_back_before_download(
    client: Any, session: Any, maker: Any
) -> None:
    product = ProductFactory(manufacturer=maker.manufacturer, category="laptops", **licensed())
    session.flush()
    sign_in(client, maker.user)
    post_form(client, f"/portal/products/{product.id}/batches", {"count": "40"}, form_page="/portal/")
    page = client.get(f"/portal/products/{product.id}?lang=en").get_data(as_text=True)
    assert "40 × 30 mm are recommended" in page
    check = re.search(r'href="(/portal/batches/\d+/labels-check)"', page).group(1)
    html = client.get(check + "?lang=en&pages=all").get_data(as_text=True)
    assert "All 40 labels read correctly on 2 of 2 pages." in html  # 36 A4 labels a page
    roll = client.get(check + "?lang=en&layout=roll-40x30").get_data(as_text=True)
    assert "All 8 labels read correctly on 8 of 40 pages." in roll  # a sample of the roll
    download = re.search(r'href="(/portal/batches/\d+/labels\.pdf\?[^"]+)"', roll).group(1)
    assert "layout=roll-40x30" in download
    assert client.get(download.replace("&amp;", "&")).data.startswith(b"%PDF")
    bangla = client.get(check + "?lang=bn").get_data(as_text=True)
    assert "২টি পাতার ২টিতে সব ৪০টি লেবেল ঠিকভাবে পড়া গেছে।" in bangla


def test_a_label_check_that_misreads_says_not_to_print(
    client: Any, session: Any, maker: Any, monkeypatch: Any
) -> None:
    import labels.pdf

    real = labels.pdf._LabelPainter.draw_qr
    drawn: list[int] = []

    def smudge_the_third(self: Any, symbol: Any, x: float, y: float, side: float) -> None:
        drawn.append(1)
        if len(drawn) != 3:  # the third code is not printed at all
            real(self, symbol, x, y, side)

    monkeypatch.setattr(labels.pdf._LabelPainter, "draw_qr", smudge_the_third)
    product = ProductFactory(manufacturer=maker.manufacturer, category="laptops", **licensed())
    session.flush()
    sign_in(client, maker.user)
    post_form(client, f"/portal/products/{product.id}/batches", {"count": "5"}, form_page="/portal/")
    batch_id = re.search(
        r"/portal/batches/(\d+)/labels-check",
        client.get(f"/portal/products/{product.id}").get_data(as_text=True),
    ).group(1)
    html = client.get(f"/portal/batches/{batch_id}/labels-check?lang=en&layout=roll-40x30").get_data(
        as_text=True
    )
    assert "4 of 5 labels read correctly. Do not print this file" in html
    assert "Page 3: labels that did not read: 1; codes of other labels: 0." in html
