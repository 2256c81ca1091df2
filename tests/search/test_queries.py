"""Query building, step by step, against golden values: arguments → CatalogueQuery → terms → engine query."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from search.backends.embedded import build_filter_sql, build_match_expression
from search.errors import InvalidQuery
from search.queries import (
    MAX_QUERY_LENGTH,
    CatalogueQuery,
    QueryTerm,
    analyse_query_text,
    parse_catalogue_query,
    parse_compare_ids,
    parse_suggest_prefix,
)

TODAY = date(2026, 6, 1)
COLS = "{text_w6 text_w5 text_w3 text_w1_5 text_w1 text_w0_7}"


def parse(**args: Any) -> CatalogueQuery:
    return parse_catalogue_query({k: v if isinstance(v, list) else [v] for k, v in args.items()}, TODAY)


def errors_of(**args: Any) -> list[dict[str, str]]:
    with pytest.raises(InvalidQuery) as info:
        parse(**args)
    assert info.value.status_code == 422
    assert {e["code"] for e in info.value.errors} == {"search.query"}
    return [{"field": e["field"], "reason": e["reason"]} for e in info.value.errors]


def test_defaults() -> None:
    assert parse().to_dict() == {
        "licence_valid_on": "2026-06-01",
        "certificate_valid_on": "2026-06-01",
        "q": "",
        "certificates": [],
        "lva_min": None,
        "districts": [],
        "manufacturers": [],
        "categories": [],
        "sort": "newest",
        "page": 1,
        "per_page": 20,
        "facets": ["category", "manufacturer", "district", "certificate", "lva"],
    }


def test_every_parameter() -> None:
    query = parse(
        q="  Walton   ৫জি ",
        licence_valid_on="2027-01-31",
        certificate=["bsti", "BTRC,BSTI"],
        certificate_valid_on="2026-12-31",
        lva_min="40",
        district="Dhaka,gazipur",
        manufacturer=["3", "7"],
        category="phones",
        sort="lva",
        page="2",
        per_page="50",
        facets="category,lva",
    )
    assert query.to_dict() == {
        "licence_valid_on": "2027-01-31",
        "certificate_valid_on": "2026-12-31",
        "q": "Walton 5জি",
        "certificates": ["BSTI", "BTRC"],
        "lva_min": 40.0,
        "districts": ["dhaka", "gazipur"],
        "manufacturers": [3, 7],
        "categories": ["phones"],
        "sort": "lva",
        "page": 2,
        "per_page": 50,
        "facets": ["category", "lva"],
    }
    assert query.offset == 50


def test_empty_facets_parameter_asks_for_none() -> None:
    assert parse(facets="").facets == ()


def test_text_sorts_by_relevance_by_default() -> None:
    assert parse(q="router").sort == "relevance"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"facets": "colour"}, [{"field": "facets", "reason": "unknown value(s): colour"}]),
        (
            {"licence_valid_on": "31/01/2027"},
            [{"field": "licence_valid_on", "reason": "must be a date as YYYY-MM-DD"}],
        ),
        (
            {"certificate_valid_on": "2026-02-30"},
            [{"field": "certificate_valid_on", "reason": "is not a real calendar date"}],
        ),
        (
            {"q": "x" * (MAX_QUERY_LENGTH + 1)},
            [{"field": "q", "reason": f"at most {MAX_QUERY_LENGTH} characters"}],
        ),
        ({"lva_min": "120"}, [{"field": "lva_min", "reason": "must be a percentage from 0 to 100"}]),
        ({"lva_min": "nan"}, [{"field": "lva_min", "reason": "must be a percentage from 0 to 100"}]),
        ({"district": "atlantis"}, [{"field": "district", "reason": "unknown value(s): atlantis"}]),
        ({"category": "toasters"}, [{"field": "category", "reason": "unknown value(s): toasters"}]),
        ({"certificate": "MADE_UP"}, [{"field": "certificate", "reason": "unknown value(s): MADE_UP"}]),
        (
            {"manufacturer": "-1"},
            [{"field": "manufacturer", "reason": "must be manufacturer ids (positive whole numbers)"}],
        ),
        ({"sort": "price"}, [{"field": "sort", "reason": "must be one of relevance, newest, name, lva"}]),
        ({"page": "0"}, [{"field": "page", "reason": "must be from 1 to 10000"}]),
        ({"per_page": "1000"}, [{"field": "per_page", "reason": "must be from 1 to 100"}]),
        ({"page": "1e3"}, [{"field": "page", "reason": "must be a whole number from 1 to 10000"}]),
        (
            {"page": "600", "per_page": "20"},
            [{"field": "page", "reason": "results beyond the first 10000 are not paged; use /export"}],
        ),
        ({"q": ["a", "b"]}, [{"field": "q", "reason": "give this parameter once"}]),
    ],
)
def test_bad_parameters_are_named(args: dict[str, Any], expected: list[dict[str, str]]) -> None:
    assert errors_of(**args) == expected


def test_every_bad_parameter_is_reported_at_once() -> None:
    fields = [e["field"] for e in errors_of(facets="x", page="zero", sort="up")]
    assert fields == ["sort", "page", "facets"]


def test_query_text_terms() -> None:
    assert analyse_query_text("Walton মোবাইল ফোন") == [
        QueryTerm(token="walton", skeleton="ltn", parts=("walton",)),
        QueryTerm(token="মোবাইল", skeleton="mbl", parts=("মোবাইল",)),
        QueryTerm(token="ফোন", skeleton="", prefix=True, parts=("ফোন",)),  # fn: too short for a Bangla word
    ]


def test_codes_keep_their_parts_and_lose_separators() -> None:
    assert analyse_query_text("BN-N5-128 ") == [
        QueryTerm(token="bnn5128", code="bnn5128", parts=("bn", "n5", "128")),
    ]


def test_query_syntax_characters_never_reach_the_engine() -> None:
    assert analyse_query_text('"*():^-') == []
    assert [t.token for t in analyse_query_text('wi-fi "router"*')] == ["wi", "fi", "router"]


def test_stop_words_are_dropped_and_a_text_of_only_stop_words_asks_for_nothing() -> None:
    assert [t.token for t in analyse_query_text("ups and the charger")] == ["ups", "charger"]
    assert analyse_query_text("AND") == []
    assert parse_catalogue_query({"q": ["and OR the"]}, TODAY).stop_words_only
    assert parse_catalogue_query({"q": ["এবং"]}, TODAY).stop_words_only
    assert not parse_catalogue_query({"q": ["ups and"]}, TODAY).stop_words_only
    assert not parse_catalogue_query({"q": ['"*():^-']}, TODAY).stop_words_only  # no words at all
    assert not parse_catalogue_query({}, TODAY).stop_words_only


def test_match_expression_golden() -> None:
    terms = analyse_query_text("waltn 8801")
    expression = build_match_expression(terms, {"waltn": ["walton"]})
    cols = COLS
    assert expression == (
        f'({cols} : "waltn" OR {cols} : "walton" OR {{translit_name translit}} : "ltn") AND '
        f'({cols} : "8801"* OR codes : "8801"*)'
    )


def test_match_expression_any_term() -> None:
    terms = [QueryTerm(token="nova"), QueryTerm(token="5")]
    assert build_match_expression(terms, {}, any_term=True) == f'({COLS} : "nova") OR ({COLS} : "5")'


def test_text_fields_of_equal_boost_share_a_column() -> None:
    from search.backends.embedded import TEXT_GROUPS, _bm25_config

    assert {column: [f.name for f in fields] for column, fields in TEXT_GROUPS.items()} == {
        "text_w6": ["name_en", "name_bn"],
        "text_w5": ["brand"],
        "text_w3": ["manufacturer_name_en", "manufacturer_name_bn", "category_name_en", "category_name_bn"],
        "text_w1_5": ["district_name_en", "district_name_bn"],
        "text_w1": ["description_en", "description_bn"],
        "text_w0_7": ["specifications_text"],
    }
    assert _bm25_config() == "bm25(6, 5, 3, 1.5, 1, 0.7, 8, 2, 0.5)"


def test_filter_sql_golden() -> None:
    sql, params = build_filter_sql(
        parse(
            certificate="BSTI",
            certificate_valid_on="2026-07-01",
            lva_min="40",
            district="dhaka",
            manufacturer="4",
        )
    )
    assert sql == (
        "(d.licence_valid_from IS NULL OR d.licence_valid_from <= ?) AND "
        "(d.licence_valid_until IS NULL OR d.licence_valid_until >= ?) AND "
        "EXISTS (SELECT 1 FROM doc_certs c WHERE c.doc_id = d.id AND c.scheme = ? "
        "AND c.valid_from <= ? AND c.valid_until >= ?) AND d.lva >= ? AND d.district IN (?) AND d.manufacturer_id IN (?)"
    )
    assert params == ["2026-06-01", "2026-06-01", "BSTI", "2026-07-01", "2026-07-01", 40.0, "dhaka", 4]


def test_suggest_and_compare_arguments() -> None:
    assert parse_suggest_prefix({"q": ["মোবা"], "limit": ["5"]}) == ("মোবা", 5)
    assert parse_compare_ids({"ids": ["3,1", "3"]}) == [3, 1]
    with pytest.raises(InvalidQuery):
        parse_compare_ids({"ids": ["1,2,3,4,5,6"]})
    with pytest.raises(InvalidQuery):
        parse_compare_ids({"ids": ["1,x"]})
    with pytest.raises(InvalidQuery):
        parse_compare_ids({})
