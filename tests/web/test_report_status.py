"""A consumer report of a suspected fake moves open → investigating → closed, with a note each time, by the
product's manufacturer in the portal or a reviewer in the console; every move is audited and shown."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.models import AuditEvent
from signing.models import ConsumerReport
from tests.factories import ProductFactory, make_party
from tests.web.pages import post_form, sign_in


def _report(session: Any, product: Any) -> ConsumerReport:
    r = ConsumerReport(
        gtin=product.gtin, product_id=product.id, text="The hologram is missing", district="khulna"
    )
    session.add(r)
    session.flush()
    return r


def test_maker_and_reviewer_move_a_report_with_notes(
    app: Any, client: Any, session: Any, maker: Any, reviewer: Any, licensed_product: Any
) -> None:
    r = _report(session, licensed_product)
    sign_in(client, maker.user)
    resp = post_form(
        client,
        f"/portal/reports/{r.id}/status",
        {"status": "investigating", "note": "Asked the Khulna dealer for the box"},
        form_page="/portal/reports",
    )
    assert resp.status_code == 303
    session.refresh(r)
    assert r.status == "investigating"
    console = app.test_client()
    sign_in(console, reviewer.user)
    assert (
        post_form(
            console,
            f"/console/reports/{r.id}/status",
            {"status": "closed", "note": "A genuine unit"},
            form_page="/console/reports",
        ).status_code
        == 303
    )
    session.refresh(r)
    assert r.status == "closed"
    html = client.get("/portal/reports?lang=en").get_data(as_text=True)
    assert "Asked the Khulna dealer for the box" in html and "A genuine unit" in html and "closed" in html
    events = list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.target_type == "report", AuditEvent.target_id == str(r.id))
            .order_by(AuditEvent.id)
        )
    )
    assert [(e.actor, e.before["status"], e.after["status"]) for e in events] == [
        (maker.user.email, "open", "investigating"),
        (reviewer.user.email, "investigating", "closed"),
    ]


def test_a_move_without_a_note_or_out_of_order_changes_nothing(
    client: Any, session: Any, maker: Any, licensed_product: Any
) -> None:
    r = _report(session, licensed_product)
    sign_in(client, maker.user)
    post_form(
        client,
        f"/portal/reports/{r.id}/status",
        {"status": "closed", "note": " "},
        form_page="/portal/reports",
    )
    post_form(
        client, f"/portal/reports/{r.id}/status", {"status": "open", "note": "x"}, form_page="/portal/reports"
    )
    session.refresh(r)
    assert r.status == "open"
    assert (
        session.scalar(
            select(AuditEvent.id).where(AuditEvent.target_type == "report", AuditEvent.target_id == str(r.id))
        )
        is None
    )


def test_another_companys_report_cannot_be_moved(client: Any, session: Any, maker: Any) -> None:
    stranger = make_party(session)
    r = _report(session, ProductFactory(manufacturer=stranger.manufacturer))
    sign_in(client, maker.user)
    resp = post_form(
        client,
        f"/portal/reports/{r.id}/status",
        {"status": "closed", "note": "mine now"},
        form_page="/portal/reports",
    )
    assert resp.status_code == 404
    session.refresh(r)
    assert r.status == "open"
