"""Officers' shortlists as an officer sees them: the pages, the Atom feed of licence and certificate changes,
and e-mail through the mail outbox when a shortlisted product's licence changes or a certificate ends."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from xml.etree import ElementTree

import pytest

from config import settings_of
from core.auth import actor_from_user
from core.models import Role
from registry.products import decide_product
from registry.schemas import Decision
from tests.factories import make_party
from tests.procurement.conftest import TODAY
from tests.web.pages import post_form, sign_in
from web.accounts import read_outbox

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture()
def watched(client: Any, officer: Any, shop: Any) -> str:
    """An officer's shortlist holding the good product; returns the shortlist page's path."""
    sign_in(client, officer.user)
    resp = post_form(client, "/shortlists", {"name": "LGED laptops 2026"}, form_page="/shortlists")
    assert resp.status_code == 303
    path = resp.headers["Location"]
    resp = post_form(client, path, {"action": "add", "product": shop["good"].gtin}, form_page=path)
    assert resp.status_code == 303
    return path


def feed_of(client: Any, path: str) -> Any:
    page = client.get(path).get_data(as_text=True)
    href = re.search(r'href="([^"]+\.atom)" id="feed"', page).group(1)
    resp = client.get(href.replace("https://verify.example.gov.bd", ""))
    assert resp.status_code == 200 and resp.mimetype == "application/atom+xml"
    return ElementTree.fromstring(resp.get_data())  # noqa: S314 - our own feed, in a test


def test_an_officer_keeps_products_on_a_shortlist(client: Any, watched: str, shop: Any) -> None:
    page = client.get(watched + "?lang=en").get_data(as_text=True)
    assert "LGED laptops 2026" in page and shop["good"].gtin in page
    resp = post_form(client, watched, {"action": "add", "product": "4006381333931"}, form_page=watched)
    assert resp.status_code == 422 and "no registered product" in resp.get_data(as_text=True)
    resp = post_form(
        client, watched, {"action": "remove", "product_id": str(shop["good"].id)}, form_page=watched
    )
    assert resp.status_code == 303
    assert shop["good"].gtin not in client.get(watched).get_data(as_text=True)


def test_shortlists_are_for_signed_in_officers_only(client: Any, session: Any, watched: str) -> None:
    client.post("/logout", data={})
    anonymous = client.__class__(client.application)
    assert anonymous.get("/shortlists").status_code == 303  # to the sign-in page
    other = make_party(session, Role.OFFICER)
    manufacturer = make_party(session, Role.MANUFACTURER)
    session.commit()
    for user, status in ((other.user, 404), (manufacturer.user, 403)):
        visitor = client.__class__(client.application)
        sign_in(visitor, user)
        assert visitor.get(watched).status_code == status


def test_the_feed_and_the_mail_tell_of_a_suspension(
    client: Any, watched: str, shop: Any, session: Any, app: Any, officer: Any
) -> None:
    before = len(read_outbox(settings_of(app).core.instance_path))
    reviewer = make_party(session, Role.REVIEWER)
    decide_product(
        session,
        actor_from_user(reviewer.user),
        shop["good"],
        "suspend",
        Decision(reason="tests failed"),
        None,
    )
    session.commit()
    mails = read_outbox(settings_of(app).core.instance_path)[before:]
    officer_mails = [m for m in mails if m["To"] == officer.user.email]
    assert len(officer_mails) == 1
    body = officer_mails[0].get_content()
    assert "LGED laptops 2026" in body and "tests failed" in body and "স্থগিত" in officer_mails[0]["Subject"]
    feed = feed_of(client, watched)
    titles = [e.findtext(f"{ATOM}title") for e in feed.iter(f"{ATOM}entry")]
    assert titles[0].startswith("Licence suspended: ")
    assert feed.findtext(f"{ATOM}title") == "LGED laptops 2026"


def test_an_ended_certificate_is_in_the_feed_and_mailed_once(
    client: Any, watched: str, shop: Any, session: Any, app: Any, runner: Any
) -> None:
    bsti = next(c for c in shop["good"].certificates if c.scheme == "BSTI")
    day = TODAY + timedelta(days=301)  # the day after the BSTI certificate ends
    before = len(read_outbox(settings_of(app).core.instance_path))
    for _ in range(2):
        result = runner.invoke(args=["procurement", "notify-certificates", "--on", day.isoformat()])
        assert result.exit_code == 0, result.output
    mails = read_outbox(settings_of(app).core.instance_path)[before:]
    assert [m["Subject"].split(" / ")[0].strip() for m in mails] == [f"Certificate ended: BSTI {bsti.number}"]
    # the BTRC certificate ended before the product was shortlisted: no mail, but the feed shows it
    titles = [e.findtext(f"{ATOM}title") for e in feed_of(client, watched).iter(f"{ATOM}entry")]
    assert any(t.startswith("Certificate ended: BTRC") for t in titles)


def test_no_mail_when_the_officer_turned_it_off(
    client: Any, watched: str, shop: Any, session: Any, app: Any, officer: Any
) -> None:
    assert post_form(client, watched, {"action": "email"}, form_page=watched).status_code == 303
    before = len(read_outbox(settings_of(app).core.instance_path))
    reviewer = make_party(session, Role.REVIEWER)
    decide_product(
        session, actor_from_user(reviewer.user), shop["good"], "revoke", Decision(reason="fraud"), None
    )
    session.commit()
    mails = read_outbox(settings_of(app).core.instance_path)[before:]
    assert mails  # the company hears of it
    assert not [m for m in mails if m["To"] == officer.user.email]


def test_an_unknown_feed_is_404(client: Any) -> None:
    assert client.get("/shortlists/feed/nothing.atom").status_code == 404
