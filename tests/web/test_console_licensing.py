"""The console explains a missing required certificate in words (Bangla and English), refuses to approve
without it, and lets a reviewer override it with a reason that the product's pages then show."""

from __future__ import annotations

import html
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from core.models import AuditEvent
from registry.models import Product
from tests.factories import CertificateFactory, ProductFactory
from tests.web.pages import post_form, sign_in

MISSING_EN = "Required certificate missing: BTRC (BTRC type approval)."
MISSING_BN = "প্রয়োজনীয় সনদ নেই: BTRC (বিটিআরসি টাইপ অনুমোদন)।"


@pytest.fixture()
def phone(session: Any, maker: Any) -> Product:
    p = ProductFactory(
        manufacturer=maker.manufacturer, category="phones", status="submitted", submitted_at=datetime.now(UTC)
    )
    session.flush()
    return p


@pytest.fixture()
def console(app: Any, reviewer: Any) -> Any:
    c = app.test_client()
    sign_in(c, reviewer.user)
    return c


def _text(resp: Any) -> str:
    assert resp.status_code == 200
    return html.unescape(resp.get_data(as_text=True))


def _approve(console: Any, product: Product, **form: str) -> str:
    """Post the approve form as an English reader does and read the page it leads to."""
    resp = post_form(
        console,
        f"/console/products/{product.id}/approve?lang=en",
        {"version": str(product.version), **form},
        form_page="/console/",
    )
    assert resp.status_code == 303
    return _text(console.get(resp.headers["Location"] + "?lang=en"))


def test_the_queue_and_the_product_page_explain_a_missing_certificate_in_both_languages(
    console: Any, phone: Product
) -> None:
    for path in ("/console/", f"/console/products/{phone.id}"):
        english, bangla = _text(console.get(f"{path}?lang=en")), _text(console.get(f"{path}?lang=bn"))
        assert MISSING_EN in english and MISSING_BN in bangla
        assert "missing_required_certificate" not in english + bangla


def test_an_expired_certificate_is_explained_with_the_day(session: Any, console: Any, phone: Product) -> None:
    phone.certificates = [
        CertificateFactory(
            manufacturer_id=phone.manufacturer_id,
            scheme="BTRC",
            valid_from=date(2020, 1, 1),
            valid_until=date(2021, 1, 1),
        )
    ]
    session.flush()
    page = _text(console.get(f"/console/products/{phone.id}?lang=en"))
    assert (
        "Required certificate not valid: BTRC (BTRC type approval). No linked certificate of this scheme is "
        "valid on" in page
    )
    bangla = _text(console.get(f"/console/products/{phone.id}?lang=bn"))
    assert "প্রয়োজনীয় সনদ বৈধ নয়: BTRC (বিটিআরসি টাইপ অনুমোদন)।" in bangla


def test_approving_without_the_certificate_is_refused_with_a_form_error(
    session: Any, console: Any, phone: Product
) -> None:
    page = _approve(console, phone, valid_years="3")
    assert "Not approved: every certificate the category requires must be valid on the approval day." in page
    assert 'class="flash error"' in page and MISSING_EN in page
    session.refresh(phone)
    assert phone.status == "submitted" and phone.licence_number is None


def test_an_override_without_a_reason_is_refused(session: Any, console: Any, phone: Product) -> None:
    page = _approve(console, phone, valid_years="3", override="1", override_reason="  ")
    assert "Not approved: write why the licence may be granted without the required certificate." in page
    session.refresh(phone)
    assert phone.status == "submitted"


def test_an_override_with_a_reason_approves_and_every_page_says_so(
    app: Any, session: Any, console: Any, phone: Product
) -> None:
    form = _text(console.get(f"/console/products/{phone.id}?lang=en"))
    assert 'name="override"' in form and 'name="override_reason"' in form
    reason = "Type approval letter checked on paper"
    page = _approve(console, phone, valid_years="3", override="1", override_reason=reason)
    session.refresh(phone)
    assert phone.status == "licensed"
    assert "without a valid required certificate: BTRC, by a reviewer's override." in page
    assert f"Reason for the override: {reason}" in page
    assert (
        session.query(AuditEvent)
        .filter_by(action="product.certificate_override", target_id=str(phone.id))
        .one()
        .reason
        == reason
    )
    public = app.test_client()
    english = _text(public.get(f"/products/{phone.id}?lang=en"))
    assert "without a valid BTRC type approval certificate. The reviewer's reason: " + reason in english
    bangla = _text(public.get(f"/products/{phone.id}?lang=bn"))
    # the reason was written in English: the Bangla page shows it as written, marked as English
    assert (
        'বৈধ বিটিআরসি টাইপ অনুমোদন সনদ ছাড়াই এই লাইসেন্স দিয়েছে। পর্যালোচকের দেওয়া কারণ: <span lang="en">'
        + reason
        + "</span>"
    ) in bangla


def test_a_valid_certificate_shows_no_warning_and_no_override(
    session: Any, console: Any, phone: Product
) -> None:
    phone.certificates = [
        CertificateFactory(
            manufacturer_id=phone.manufacturer_id, scheme="BTRC", valid_from=date.today() - timedelta(days=10)
        )
    ]
    session.flush()
    queue = _text(console.get("/console/?lang=en"))
    assert "In order" in queue and "Required certificate missing" not in queue
    form = _text(console.get(f"/console/products/{phone.id}?lang=en"))
    assert 'name="override"' not in form and "Required certificate" not in form
    page = _approve(console, phone, valid_years="3")
    session.refresh(phone)
    assert phone.status == "licensed" and "Decision recorded." in page and "reviewer's override" not in page
