"""A company uploads its own papers (trade licence, BIN and TIN certificates) in the portal; they are typed by
content like certificate evidence, audited, and the reviewer opens them from the company's console page."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import select

from core.models import AuditEvent
from registry.models import CompanyDocument
from tests.factories import make_party
from tests.web.pages import csrf_token, sign_in

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _upload(client: Any, kind: str, data: bytes, name: str) -> Any:
    return client.post(
        "/portal/documents",
        data={
            "csrf_token": csrf_token(client, "/portal/profile"),
            "kind": kind,
            "file": (io.BytesIO(data), name),
        },
        content_type="multipart/form-data",
    )


def test_a_trade_licence_reaches_the_reviewer(
    app: Any, client: Any, session: Any, maker: Any, reviewer: Any
) -> None:
    sign_in(client, maker.user)
    assert _upload(client, "trade_licence", PDF, "trade-licence.pdf").status_code == 303
    doc = session.scalar(
        select(CompanyDocument).where(CompanyDocument.manufacturer_id == maker.manufacturer.id)
    )
    assert doc.kind == "trade_licence" and doc.media_type == "application/pdf"
    assert "trade-licence.pdf" in client.get("/portal/profile?lang=en").get_data(as_text=True)
    console = app.test_client()
    sign_in(console, reviewer.user)
    page = console.get(f"/console/manufacturers/{maker.manufacturer.id}?lang=en").get_data(as_text=True)
    assert f"/console/documents/{doc.id}" in page and "Trade licence" in page
    with console.get(f"/console/documents/{doc.id}") as got:
        assert got.status_code == 200 and got.data == PDF
    assert session.scalar(
        select(AuditEvent.action).where(
            AuditEvent.action == "manufacturer.document", AuditEvent.target_id == str(maker.manufacturer.id)
        )
    )


def test_a_document_that_is_not_a_pdf_or_image_is_refused(client: Any, session: Any, maker: Any) -> None:
    sign_in(client, maker.user)
    resp = _upload(client, "bin_certificate", b"MZ\x90\x00 not a document", "bin.pdf")
    assert resp.status_code == 303
    assert "PDF, JPEG or PNG" in client.get("/portal/profile?lang=en").get_data(as_text=True)
    assert (
        session.scalar(
            select(CompanyDocument.id).where(CompanyDocument.manufacturer_id == maker.manufacturer.id)
        )
        is None
    )


def test_another_company_cannot_open_the_document(app: Any, client: Any, session: Any, maker: Any) -> None:
    sign_in(client, maker.user)
    _upload(client, "tin_certificate", PDF, "tin.pdf")
    doc = session.scalar(
        select(CompanyDocument).where(CompanyDocument.manufacturer_id == maker.manufacturer.id)
    )
    other = app.test_client()
    sign_in(other, make_party(session).user)
    assert other.get(f"/portal/documents/{doc.id}").status_code == 404
    with client.get(f"/portal/documents/{doc.id}") as own:
        assert own.data == PDF
