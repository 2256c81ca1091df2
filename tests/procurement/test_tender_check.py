"""The tender compliance check as a caller of the API sees it: matching, every reason, the bid-date logic,
and bad files refused as a whole with the line and column named."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import xlsxwriter

from config import settings_of
from core.models import AuditEvent, Role
from procurement.models import ComplianceStatement
from registry.products import decide_product
from registry.schemas import Decision
from tests.factories import make_party
from tests.procurement.conftest import TODAY, csv_file, record_history


def only_line(resp: Any) -> dict[str, Any]:
    assert resp.status_code == 200, resp.get_data(as_text=True)
    lines = resp.get_json()["lines"]
    assert len(lines) == 1
    return lines[0]


def codes(line: dict[str, Any]) -> list[str]:
    return [r["code"] for r in line["reasons"]]


# ------------------------------------------------------------------ matching


def test_an_exact_gtin_matches_and_is_compliant(check: Any, shop: Any) -> None:
    line = only_line(check([[shop["good"].gtin, 10]]))
    assert line["verdict"] == "compliant" and line["reasons"] == []
    assert line["match"]["method"] == "gtin" and line["match"]["product"]["id"] == shop["good"].id
    assert line["licence_on_bid_date"] == "valid"


def test_a_gtin_13_finds_its_gtin_14(check: Any, shop: Any) -> None:
    line = only_line(check([[shop["good"].gtin[1:], 1]]))
    assert line["match"]["product"]["gtin"] == shop["good"].gtin


def test_a_licence_number_matches_without_case(check: Any, shop: Any, session: Any) -> None:
    shop["good"].licence_number = "MIB-2025-0000042"
    session.flush()
    line = only_line(check([["mib-2025-0000042", 3]], ("licence_number", "quantity")))
    assert line["match"]["method"] == "licence_number" and line["verdict"] == "compliant"


def test_brand_and_model_match_when_one_product_has_them(check: Any, shop: Any) -> None:
    line = only_line(check([["walton", "wx 100", 2]], ("brand", "model", "quantity")))
    assert line["match"]["method"] == "brand_model" and line["match"]["product"]["id"] == shop["good"].id


def test_brand_and_model_of_two_products_are_ambiguous_with_both_candidates(check: Any, shop: Any) -> None:
    line = only_line(check([["Symphony", "Z9", 2]], ("brand", "model", "quantity")))
    assert line["verdict"] == "ambiguous" and codes(line) == ["ambiguous"]
    assert {c["id"] for c in line["match"]["candidates"]} == {shop["twin_a"].id, shop["twin_b"].id}
    assert line["match"]["product"] is None


def test_an_unknown_gtin_or_a_draft_product_matches_nothing(check: Any, shop: Any) -> None:
    resp = check([["4006381333931", 1], [shop["draft"].gtin, 1]])
    for line in resp.get_json()["lines"]:
        assert line["verdict"] == "no_match" and codes(line) == ["no_match"]
    assert resp.get_json()["summary"] == {
        "lines": 2,
        "compliant": 0,
        "not_compliant": 0,
        "ambiguous": 0,
        "no_match": 2,
    }


def test_identifiers_naming_different_products_are_not_compliant(check: Any, shop: Any, session: Any) -> None:
    shop["twin_a"].licence_number = "MIB-2025-0000099"
    session.flush()
    line = only_line(
        check([[shop["good"].gtin, "MIB-2025-0000099", 1]], ("gtin", "licence_number", "quantity"))
    )
    assert line["verdict"] == "not_compliant" and codes(line) == ["identifiers_disagree"]
    assert line["reasons"][0]["other_product_id"] == shop["twin_a"].id


# ------------------------------------------------------------------ reasons (the tender's rules)


def test_each_rule_gives_its_reason(check: Any, shop: Any) -> None:
    line = only_line(check([[shop["good"].gtin, 1]], min_lva="70", schemes="BSTI,BTRC", categories="laptops"))
    assert line["verdict"] == "not_compliant"
    assert codes(line) == ["certificate_not_valid", "lva_below_minimum", "category_not_allowed"]
    assert line["reasons"][0]["scheme"] == "BTRC"  # expired 100 days ago; BSTI is valid
    assert line["reasons"][1] == {"code": "lva_below_minimum", "lva": "60.00", "minimum": "70"}


def test_a_required_scheme_without_any_certificate_is_missing(check: Any, shop: Any) -> None:
    line = only_line(check([[shop["twin_a"].gtin, 1]], schemes="BTRC"))
    assert codes(line) == ["certificate_missing"]


def test_rules_met_exactly_are_compliant(check: Any, shop: Any) -> None:
    line = only_line(check([[shop["good"].gtin, 1]], min_lva="60", schemes="BSTI", categories="phones"))
    assert line["verdict"] == "compliant"


def test_a_certificate_counts_when_valid_on_the_bid_date(check: Any, shop: Any) -> None:
    line = only_line(check([[shop["good"].gtin, 1]], schemes="BTRC", bid_date=TODAY - timedelta(days=150)))
    assert line["verdict"] == "compliant"  # the BTRC certificate was valid then
    btrc = next(c for c in line["certificates"] if c["scheme"] == "BTRC")
    assert btrc["valid_on_bid_date"] is True


# ------------------------------------------------------------------ the bid date


def test_a_bid_date_before_the_licence_began_is_not_yet_valid(check: Any, shop: Any) -> None:
    line = only_line(check([[shop["good"].gtin, 1]], bid_date=shop["start"] - timedelta(days=1)))
    assert codes(line) == ["licence_not_yet_valid"]


def test_a_bid_date_after_the_licence_ended_is_expired(check: Any, shop: Any, session: Any) -> None:
    shop["good"].licence_valid_until = TODAY - timedelta(days=10)
    session.flush()
    assert codes(only_line(check([[shop["good"].gtin, 1]]))) == ["licence_expired"]
    earlier = only_line(check([[shop["good"].gtin, 1]], bid_date=TODAY - timedelta(days=20)))
    assert earlier["verdict"] == "compliant"  # valid then, expired now


def test_suspended_now_but_licensed_on_the_bid_date_is_compliant(check: Any, shop: Any, session: Any) -> None:
    reviewer = make_party(session, Role.REVIEWER)
    from core.auth import actor_from_user

    decide_product(
        session, actor_from_user(reviewer.user), shop["good"], "suspend", Decision(reason="test"), None
    )
    session.flush()
    before = only_line(check([[shop["good"].gtin, 1]], bid_date=TODAY - timedelta(days=30)))
    assert before["verdict"] == "compliant"
    assert before["match"]["product"]["licence_status_now"] == "suspended"
    today = only_line(check([[shop["good"].gtin, 1]]))
    assert codes(today) == ["licence_suspended"]


def test_suspended_on_the_bid_date_and_reinstated_since_is_not_compliant(
    check: Any, shop: Any, session: Any
) -> None:
    p = shop["good"]
    record_history(session, p, TODAY - timedelta(days=60), "licensed", "suspended")
    record_history(session, p, TODAY - timedelta(days=40), "suspended", "licensed")
    session.flush()
    during = only_line(check([[p.gtin, 1]], bid_date=TODAY - timedelta(days=50)))
    assert during["licence_on_bid_date"] == "suspended" and codes(during) == ["licence_suspended"]
    assert during["match"]["product"]["licence_status_now"] == "licensed"
    for day in (TODAY - timedelta(days=61), TODAY - timedelta(days=40)):  # before; the day it was reinstated
        assert only_line(check([[p.gtin, 1]], bid_date=day))["verdict"] == "compliant"


def test_revoked_after_the_bid_date_was_valid_then(check: Any, shop: Any, session: Any) -> None:
    p = shop["twin_a"]
    p.status = "revoked"
    record_history(session, p, TODAY - timedelta(days=5), "licensed", "revoked")
    session.flush()
    assert only_line(check([[p.gtin, 1]], bid_date=TODAY - timedelta(days=6)))["verdict"] == "compliant"
    assert codes(only_line(check([[p.gtin, 1]], bid_date=TODAY - timedelta(days=5)))) == ["licence_revoked"]


# ------------------------------------------------------------------ files


def test_an_xlsx_list_is_read_like_a_csv(client: Any, shop: Any) -> None:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["GTIN", "Qty", "Unit price"])
    sheet.write_row(1, 0, [shop["good"].gtin, 5, 1250.5])
    sheet.write_row(2, 0, [int(shop["twin_a"].gtin), 7])  # a GTIN typed as a number
    book.close()
    buffer.seek(0)
    resp = client.post(
        "/api/v1/tender-checks",
        data={"file": (buffer, "list.xlsx"), "bid_date": TODAY.isoformat()},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    lines = resp.get_json()["lines"]
    assert [line["verdict"] for line in lines] == ["compliant", "compliant"]
    assert lines[0]["input"]["unit_price"] == "1250.5" and lines[1]["input"]["quantity"] == 7


def problem_fields(resp: Any) -> list[str]:
    assert resp.headers["Content-Type"].startswith("application/problem+json"), resp.get_data(as_text=True)
    return [e["field"] for e in resp.get_json()["errors"]]


def test_bad_cells_are_named_by_line_and_column_and_nothing_is_checked(check: Any, shop: Any) -> None:
    resp = check([[shop["good"].gtin, 1], [shop["good"].gtin, "ten"], ["4006381333932", 2], ["", 3]])
    assert resp.status_code == 422
    assert problem_fields(resp) == ["lines[3].quantity", "lines[4].gtin", "lines[5].gtin"]
    assert "check digit" in resp.get_json()["errors"][1]["reason"]


def test_a_list_without_a_quantity_column_is_refused(check: Any, shop: Any) -> None:
    resp = check([[shop["good"].gtin]], ("gtin",))
    assert resp.status_code == 422 and problem_fields(resp) == ["lines[1].quantity"]


def test_files_that_are_not_lists_are_refused(client: Any) -> None:
    for content in (b"\xff\xfe\x00garbage\n", b"PK\x03\x04not really a zip", b"   \n"):
        resp = client.post(
            "/api/v1/tender-checks",
            data={"file": (io.BytesIO(content), "x.csv"), "bid_date": TODAY.isoformat()},
            content_type="multipart/form-data",
        )
        assert resp.status_code == 422, content
        assert problem_fields(resp)


def test_too_many_lines_are_refused(check: Any, monkeypatch: Any) -> None:
    import procurement.importing

    monkeypatch.setattr(procurement.importing, "MAX_LINES", 3)
    resp = check([["4006381333931", 1]] * 4)
    assert resp.status_code == 413 and problem_fields(resp) == ["lines[5]"]


def test_bad_form_fields_are_named(check: Any, shop: Any, client: Any) -> None:
    row = [[shop["good"].gtin, 1]]
    assert problem_fields(check(row, bid_date=TODAY, schemes="NOPE")) == ["schemes"]
    assert problem_fields(check(row, categories="toasters")) == ["categories"]
    assert problem_fields(check(row, min_lva="lots")) == ["min_lva"]
    assert problem_fields(check(row, min_lva="101")) == ["min_lva"]
    resp = client.post(
        "/api/v1/tender-checks",
        data={"file": csv_file(row), "bid_date": "06/12/2026"},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422 and problem_fields(resp) == ["bid_date"]
    resp = client.post("/api/v1/tender-checks", json={"bid_date": "2026-01-01"})
    assert resp.status_code == 422 and problem_fields(resp) == ["Content-Type"]


def test_a_check_writes_nothing(check: Any, shop: Any, session: Any) -> None:
    from sqlalchemy import func, select

    events = session.scalar(select(func.count()).select_from(AuditEvent))
    check([[shop["good"].gtin, 1]])
    check([[shop["good"].gtin, "x"]])
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == events
    assert session.scalar(select(func.count()).select_from(ComplianceStatement)) == 0


def test_anonymous_checks_are_rate_limited_per_address(
    check: Any, shop: Any, app: Any, officer: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(settings_of(app).ratelimit, "tender_check", "2/10 minutes")
    row = [[shop["good"].gtin, 1]]
    assert [check(row).status_code for _ in range(3)] == [200, 200, 429]
    refused = check(row)
    assert refused.headers["Retry-After"] and refused.mimetype == "application/problem+json"
    assert check(row, headers=officer.headers).status_code == 200  # a signed-in officer is not limited


def test_the_check_limit_counts_an_ipv6_64_as_one_client(
    client: Any, shop: Any, app: Any, monkeypatch: Any
) -> None:
    """A client that rotates through the addresses of its IPv6 /64 is still one client; the next /64 and an
    IPv4 client are others."""
    monkeypatch.setattr(settings_of(app).ratelimit, "tender_check", "2/10 minutes")

    def check_from(address: str) -> int:
        data = {
            "file": csv_file([[shop["good"].gtin, 1]], ("gtin", "quantity")),
            "bid_date": TODAY.isoformat(),
        }
        resp = client.post(
            "/api/v1/tender-checks",
            data=data,
            content_type="multipart/form-data",
            environ_base={"REMOTE_ADDR": address},
        )
        return resp.status_code

    one_network = ["2001:db8:5:7::1", "2001:db8:5:7:aaaa:bbbb:cccc:dddd", "2001:db8:5:7::2"]
    assert [check_from(address) for address in one_network] == [200, 200, 429]
    assert check_from("2001:db8:5:8::1") == 200  # the neighbouring /64
    assert check_from("192.0.2.7") == 200
