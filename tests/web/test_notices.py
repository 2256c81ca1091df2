"""One-stop notices: every decision on a company or its products, every recall and every licence or
certificate nearing its end reaches the company as a portal notice and an e-mail in its chosen language, once."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from config import settings_of
from registry.models import Notice
from tests.factories import RECALL_WORDS, CertificateFactory, ProductFactory, licensed
from tests.web.pages import post_form, sign_in
from web.accounts import read_outbox


def _mail_to(app: Any, address: str) -> list[Any]:
    return [m for m in read_outbox(settings_of(app).core.instance_path) if address in m["To"]]


def _notices(session: Any, maker: Any) -> list[Notice]:
    return list(
        session.scalars(
            select(Notice).where(Notice.manufacturer_id == maker.manufacturer.id).order_by(Notice.id)
        )
    )


def test_a_rejection_reaches_the_company_in_bangla_with_its_reason(
    app: Any, client: Any, session: Any, maker: Any, reviewer: Any
) -> None:
    p = ProductFactory(manufacturer=maker.manufacturer, status="submitted", name_bn="তিস্তা পাওয়ার ব্যাংক")
    session.flush()
    sign_in(client, reviewer.user)
    page = f"/console/products/{p.id}"
    resp = post_form(
        client,
        page + "/reject",
        {"reason": "ছবি অস্পষ্ট / photos unreadable", "version": p.version},
        form_page=page,
    )
    assert resp.status_code == 303
    [mail] = _mail_to(app, maker.manufacturer.contact_email)
    body = mail.get_body().get_content()
    assert mail["Subject"] == "লাইসেন্স দেওয়া হয়নি: তিস্তা পাওয়ার ব্যাংক"
    assert "ছবি অস্পষ্ট / photos unreadable" in body and "/portal/" in body
    assert maker.user.email in mail["To"]  # the owner hears of it too
    owner = app.test_client()
    sign_in(owner, maker.user)
    html = owner.get("/portal/notices?lang=en").get_data(as_text=True)
    assert "Licence refused" in html and "photos unreadable" in html and 'class="unread"' in html
    post_form(owner, "/portal/notices/read", form_page="/portal/notices")
    assert 'class="unread"' not in owner.get("/portal/notices?lang=en").get_data(as_text=True)


def test_the_company_language_chooses_the_mail_language(
    app: Any, client: Any, session: Any, maker: Any, reviewer: Any
) -> None:
    owner = app.test_client()
    sign_in(owner, maker.user)
    m = maker.manufacturer
    form = {
        "address": m.address,
        "contact_name": m.contact_name,
        "contact_email": m.contact_email,
        "contact_phone": m.contact_phone,
        "website": m.website or "",
        "language": "en",
        "version": m.version,
    }
    assert post_form(owner, "/portal/profile", form, form_page="/portal/profile").status_code == 303
    session.refresh(m)
    assert m.language == "en"
    sign_in(client, reviewer.user)
    page = f"/console/manufacturers/{m.id}"
    assert (
        post_form(
            client, page + "/suspend", {"reason": "BIN does not match", "version": m.version}, form_page=page
        ).status_code
        == 303
    )
    [mail] = _mail_to(app, m.contact_email)
    assert mail["Subject"] == "Your company is suspended"
    assert "BIN does not match" in mail.get_body().get_content()


def test_a_refused_decision_mails_nothing(
    app: Any, client: Any, session: Any, maker: Any, reviewer: Any
) -> None:
    p = ProductFactory(manufacturer=maker.manufacturer, status="submitted")
    session.flush()
    sign_in(client, reviewer.user)
    page = f"/console/products/{p.id}"
    post_form(
        client, page + "/reject", {"reason": "", "version": p.version}, form_page=page
    )  # a reason is required
    assert _mail_to(app, maker.manufacturer.contact_email) == []
    assert _notices(session, maker) == []


def test_a_recall_is_a_notice_too(app: Any, client: Any, session: Any, maker: Any) -> None:
    product = ProductFactory(manufacturer=maker.manufacturer, category="laptops", **licensed())
    session.flush()
    sign_in(client, maker.user)
    page = f"/portal/products/{product.id}"
    assert (
        post_form(client, page + "/recall", {"scope": "product", **RECALL_WORDS}, form_page=page).status_code
        == 303
    )
    [notice] = _notices(session, maker)
    assert notice.kind == "recall"
    [mail] = _mail_to(app, maker.manufacturer.contact_email)
    assert RECALL_WORDS["reason_bn"] in mail.get_body().get_content()


def test_expiry_reminders_go_once_per_threshold(app: Any, runner: Any, session: Any, maker: Any) -> None:
    on = date(2027, 3, 1)
    product = ProductFactory(manufacturer=maker.manufacturer, **licensed())
    product.licence_valid_until = on + timedelta(days=45)  # the 60-day reminder is due
    CertificateFactory(
        manufacturer_id=maker.manufacturer.id, valid_until=on + timedelta(days=5)
    )  # the 7-day one
    CertificateFactory(manufacturer_id=maker.manufacturer.id, valid_until=on + timedelta(days=100))  # not yet
    session.flush()
    first = runner.invoke(args=["registry", "notify-expiring", "--on", on.isoformat()])
    assert first.exit_code == 0, first.output
    assert "2 reminders sent" in first.output
    assert runner.invoke(args=["registry", "notify-expiring", "--on", on.isoformat()]).output.startswith("0 ")

    def run(days_on: int) -> str:
        return str(
            runner.invoke(
                args=["registry", "notify-expiring", "--on", str(on + timedelta(days=days_on))]
            ).output
        )

    assert run(1).startswith("0 ")  # still the same thresholds
    assert run(16).startswith("1 ")  # 29 days left: the licence's 30-day reminder
    assert run(40).startswith(
        "2 "
    )  # 5 days left: the licence's 7-day one; 60 days left of the third certificate
    kinds = [(n.kind, n.params["threshold"], n.params["days"]) for n in _notices(session, maker)]
    assert kinds == [
        ("expiring.licence", 60, 45),
        ("expiring.certificate", 7, 5),
        ("expiring.licence", 30, 29),
        ("expiring.licence", 7, 5),
        ("expiring.certificate", 60, 60),
    ]
    subjects = [m["Subject"] for m in _mail_to(app, maker.manufacturer.contact_email)]
    assert len(subjects) == 5 and subjects[0] == "লাইসেন্সের মেয়াদ শেষ হবে ৪৫ দিনে: " + product.name_bn
    assert session.scalar(select(func.count()).select_from(Notice).where(Notice.dedupe_key.is_not(None))) >= 3
