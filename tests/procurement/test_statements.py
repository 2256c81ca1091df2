"""Signed compliance statements: who may issue one, its signature and QR link verified offline by
``python -m signing verify``, and its page after a listed product's licence changes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.auth import actor_from_user
from core.models import Role
from registry.products import decide_product
from registry.schemas import Decision
from signing.offline import main as verify_main
from signing.statements import SignedStatement
from tests.factories import make_party
from tests.procurement.conftest import TODAY
from tests.web.pages import post_form, sign_in

STATEMENTS = "/api/v1/compliance-statements"


@pytest.fixture()
def issued(check: Any, shop: Any, officer: Any) -> dict[str, Any]:
    rows = [[shop["good"].gtin, 10], [shop["twin_a"].gtin, 4], ["4006381333931", 1]]
    resp = check(rows, path=STATEMENTS, headers=officer.headers, reference="LGED/ICT/2026/17", min_lva="50")
    assert resp.status_code == 201, resp.get_data(as_text=True)
    return resp.get_json()


def jwks_file(client: Any, tmp_path: Path) -> str:
    path = tmp_path / "jwks.json"
    path.write_bytes(client.get("/.well-known/jwks.json").get_data())
    return str(path)


def test_an_officer_issues_a_statement_of_the_check(issued: dict[str, Any], shop: Any) -> None:
    statement = issued["signed"]["statement"]
    assert statement["type"] == "mib.compliance-statement"
    assert statement["bid_date"] == TODAY.isoformat() and statement["reference"] == "LGED/ICT/2026/17"
    assert statement["url"] == f"https://verify.example.gov.bd/statements/{issued['id']}"
    assert [line["verdict"] for line in statement["lines"]] == ["compliant", "not_compliant", "no_match"]
    assert statement["lines"][1]["reasons"][0]["code"] == "lva_below_minimum"
    assert statement["summary"]["compliant"] == 1
    assert issued["link"].startswith(statement["url"] + "?t=")
    assert issued["later_changes"] == []


def test_only_officers_reviewers_and_admins_with_the_procure_scope_issue(
    check: Any, shop: Any, session: Any
) -> None:
    rows = [[shop["good"].gtin, 1]]
    assert check(rows, path=STATEMENTS).status_code == 401
    for role in (Role.MANUFACTURER, Role.REVIEWER):
        party = make_party(session, role)
        session.commit()
        resp = check(rows, path=STATEMENTS, headers=party.headers)
        assert resp.status_code == 403 and "procure" in resp.get_json()["detail"]
    admin = make_party(session, Role.ADMIN)
    session.commit()
    assert check(rows, path=STATEMENTS, headers=admin.headers).status_code == 201


def test_the_signed_file_and_the_pdf_qr_verify_offline(
    client: Any, issued: dict[str, Any], tmp_path: Path, capsys: Any
) -> None:
    jwks = jwks_file(client, tmp_path)
    statement_id = issued["id"]
    signed_bytes = client.get(f"/statements/{statement_id}.json").get_data()
    assert json.loads(signed_bytes) == issued["signed"]
    document = tmp_path / "statement.json"
    document.write_bytes(signed_bytes)
    assert verify_main(["verify", str(document), "--jwks", jwks, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (
        report["kind"] == "compliance-statement" and report["lines"] == 3 and report["verdict"] == "genuine"
    )
    pdf = client.get(f"/statements/{statement_id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    pdf_path = tmp_path / "statement.pdf"
    pdf_path.write_bytes(pdf.get_data())
    assert verify_main(["verify", str(pdf_path), "--jwks", jwks, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["kind"] == "compliance-statement-link"
    assert report["sha256"] == SignedStatement.from_json(signed_bytes).digest
    assert report["live_status"].endswith(f"/statements/{statement_id}")
    assert verify_main(["verify", issued["link"], "--jwks", jwks]) == 0


def test_a_changed_statement_or_link_is_not_genuine(
    client: Any, issued: dict[str, Any], tmp_path: Path
) -> None:
    jwks = jwks_file(client, tmp_path)
    tampered = json.loads(json.dumps(issued["signed"]))
    tampered["statement"]["lines"][1]["verdict"] = "compliant"
    document = tmp_path / "tampered.json"
    document.write_text(json.dumps(tampered))
    assert verify_main(["verify", str(document), "--jwks", jwks]) == 10
    other_digest = issued["link"].replace("&d=", "&d=A").replace("&s=", "X&s=", 1)
    assert verify_main(["verify", other_digest, "--jwks", jwks]) == 10


def test_the_pdf_is_bilingual_and_says_as_of_the_bid_date(client: Any, issued: dict[str, Any]) -> None:
    import pypdfium2

    document = pypdfium2.PdfDocument(client.get(f"/statements/{issued['id']}.pdf").get_data())
    text = document[0].get_textpage().get_text_range()
    assert "Compliance statement" in text and "As of " + TODAY.isoformat() in text
    assert "LGED/ICT/2026/17" in text
    assert any("\u0980" <= ch <= "\u09ff" for ch in text)  # Bangla words


def test_a_later_suspension_shows_on_the_page_and_leaves_the_statement_true(
    client: Any, issued: dict[str, Any], shop: Any, session: Any, tmp_path: Path
) -> None:
    reviewer = make_party(session, Role.REVIEWER)
    decide_product(
        session, actor_from_user(reviewer.user), shop["good"], "suspend", Decision(reason="fraud"), None
    )
    session.commit()
    data = client.get(f"{STATEMENTS}/{issued['id']}").get_json()
    assert data["later_changes"] == [
        {"product_id": shop["good"].id, "status_now": "suspended", "since": data["later_changes"][0]["since"]}
    ]
    assert data["signed"] == issued["signed"]  # what was true on the bid date stands, as signed
    page = client.get(f"/statements/{issued['id']}?lang=en").get_data(as_text=True)
    assert 'id="later-2"' in page and "the licence is suspended" in page  # line 1 is the header
    assert 'id="later-3"' not in page
    assert "Compliant" in page
    document = tmp_path / "statement.json"
    document.write_bytes(client.get(f"/statements/{issued['id']}.json").get_data())
    assert verify_main(["verify", str(document), "--jwks", jwks_file(client, tmp_path)]) == 0


def test_an_unknown_statement_is_404(client: Any) -> None:
    assert client.get(f"{STATEMENTS}/cs-nothing").status_code == 404
    assert client.get("/statements/cs-nothing").status_code == 404
    assert client.get("/statements/" + "x" * 300).status_code == 404


def test_the_page_checks_for_anyone_and_issues_for_a_signed_in_officer(
    client: Any, shop: Any, officer: Any
) -> None:
    from tests.procurement.conftest import csv_file

    page = client.get("/tender-check?lang=en").get_data(as_text=True)
    assert "Tender compliance check" in page and 'value="issue"' not in page
    form = {"file": csv_file([[shop["good"].gtin, 2]]), "bid_date": TODAY.isoformat()}
    resp = post_form(
        client,
        "/tender-check?lang=en",
        dict(form),
        form_page="/tender-check",
        content_type="multipart/form-data",
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Compliant" in html and shop["good"].gtin in html
    sign_in(client, officer.user)
    assert 'value="issue"' in client.get("/tender-check").get_data(as_text=True)
    form = {"file": csv_file([[shop["good"].gtin, 2]]), "bid_date": TODAY.isoformat(), "action": "issue"}
    resp = post_form(
        client, "/tender-check", form, form_page="/tender-check", content_type="multipart/form-data"
    )
    assert resp.status_code == 303 and "/statements/cs-" in resp.headers["Location"]
    assert client.get(resp.headers["Location"]).status_code == 200


def test_a_bad_file_on_the_page_names_the_line(client: Any) -> None:
    from tests.procurement.conftest import csv_file

    form = {"file": csv_file([["4006381333931", "many"]]), "bid_date": TODAY.isoformat()}
    resp = post_form(
        client, "/tender-check?lang=en", form, form_page="/tender-check", content_type="multipart/form-data"
    )
    assert resp.status_code == 422 and "lines[2].quantity" in resp.get_data(as_text=True)
