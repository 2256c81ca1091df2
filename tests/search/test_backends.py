"""The backend contract, written once and run against every backend (embedded; OpenSearch when configured)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from search.errors import ReindexFailed
from search.interfaces import SearchBackend
from search.queries import parse_catalogue_query
from tests.search.conftest import make_doc

TODAY = date(2026, 6, 1)


def find(backend: SearchBackend, **args: Any) -> Any:
    query = parse_catalogue_query({k: v if isinstance(v, list) else [str(v)] for k, v in args.items()}, TODAY)
    return backend.search(query)


def ids(result: Any) -> list[int]:
    return [h.document["id"] for h in result.hits]


@pytest.fixture()
def catalogue(backend: SearchBackend) -> SearchBackend:
    backend.index_documents(
        [
            make_doc(
                1,
                name_en="Boishakhi Nova 5 Smartphone",
                name_bn="বৈশাখী নোভা ৫ স্মার্টফোন",
                brand="Boishakhi",
                model_number="BN-N5-128",
                gtin="02812345678905",
                manufacturer_id=1,
                district="gazipur",
                district_name_en="Gazipur",
                district_name_bn="গাজীপুর",
                description_en="Dual SIM 4G smartphone",
                certificates=[{"scheme": "BTRC", "valid_from": "2025-01-01", "valid_until": "2027-01-01"}],
                certificate_schemes=["BTRC"],
                local_value_addition=45.0,
                launch_date="2025-03-01",
            ),
            make_doc(
                2,
                name_en="Nodi Shikkha 14 Laptop",
                name_bn="নদী শিক্ষা ১৪ ল্যাপটপ",
                brand="Nodi",
                model_number="ND-S14-I5",
                gtin="02899990000017",
                manufacturer_id=2,
                manufacturer_name_en="Nodi Digital Ltd.",
                manufacturer_name_bn="নদী ডিজিটাল লিমিটেড",
                district="chattogram",
                district_name_en="Chattogram",
                district_name_bn="চট্টগ্রাম",
                category="laptops",
                category_name_en="Laptops",
                category_name_bn="ল্যাপটপ",
                certificates=[
                    {"scheme": "BSTI", "valid_from": "2025-01-01", "valid_until": "2026-03-01"},
                    {"scheme": "ISO_9001", "valid_from": "2025-01-01", "valid_until": "2028-01-01"},
                ],
                certificate_schemes=["BSTI", "ISO_9001"],
                local_value_addition=72.5,
                launch_date="2026-01-10",
            ),
            make_doc(
                3,
                name_en="Meghdut AX3000 Wi-Fi 6 Router",
                name_bn="মেঘদূত এএক্স৩০০০ ওয়াই-ফাই ৬ রাউটার",
                brand="Meghdut",
                model_number="MD-AX3",
                manufacturer_id=3,
                manufacturer_name_en="Meghdut Networks Ltd.",
                manufacturer_name_bn="মেঘদূত নেটওয়ার্কস লিমিটেড",
                category="network-equipment",
                category_name_en="Network equipment",
                category_name_bn="নেটওয়ার্ক সরঞ্জাম",
                local_value_addition=15.0,
                launch_date="2024-05-05",
                licence_valid_from="2026-07-01",  # not valid yet on TODAY
            ),
            make_doc(
                4,
                name_en="Boishakhi Chitra Feature Phone",
                name_bn="বৈশাখী চিত্রা ফিচার ফোন",
                brand="Boishakhi",
                manufacturer_id=1,
                district="gazipur",
                local_value_addition=88.0,
                launch_date="2023-01-01",
                licence_valid_until="2026-05-31",  # expired the day before TODAY
            ),
            make_doc(
                5,
                name_en="Boishakhi Nova 7 Pro 5G Smartphone",
                name_bn="বৈশাখী নোভা ৭ প্রো ৫জি স্মার্টফোন",
                brand="Boishakhi",
                manufacturer_id=1,
                local_value_addition=61.0,
                launch_date="2026-02-02",
            ),
        ]
    )
    return backend


def test_a_new_index_is_empty(backend: SearchBackend) -> None:
    assert backend.count() == 0
    assert find(backend, q="anything").total == 0
    assert backend.ping()


def test_indexing_twice_does_not_duplicate(catalogue: SearchBackend) -> None:
    before = catalogue.count()
    catalogue.index_documents([make_doc(1, name_en="Boishakhi Nova 5 Smartphone v2")])
    assert catalogue.count() == before
    assert ids(find(catalogue, q="v2")) == [1]


def test_deleted_documents_leave_the_results(catalogue: SearchBackend) -> None:
    catalogue.delete_documents([1, 999])  # an unknown id is fine
    assert 1 not in ids(find(catalogue, q="boishakhi"))
    catalogue.delete_documents([1])  # deleting twice is fine
    assert catalogue.count() == 4


def test_english_words_find_products(catalogue: SearchBackend) -> None:
    assert ids(find(catalogue, q="laptop")) == [2]
    assert set(ids(find(catalogue, q="nova smartphone"))) == {1, 5}


def test_licence_validity_is_filtered_on_the_day(catalogue: SearchBackend) -> None:
    assert 3 not in ids(find(catalogue))  # licence starts next month
    assert 4 not in ids(find(catalogue))  # licence ran out yesterday
    assert 3 in ids(find(catalogue, licence_valid_on="2026-07-15"))
    assert 4 in ids(find(catalogue, licence_valid_on="2026-05-01"))


def test_bangla_query_with_variant_spelling(catalogue: SearchBackend) -> None:
    assert ids(find(catalogue, q="গাজিপুর")) == [1]  # গাজীপুর, spelt with a short i
    assert 1 in ids(find(catalogue, q="বৈশাখি নোভা ৫"))
    assert 1 in ids(find(catalogue, q="নোভা 5"))


def test_bangla_words_are_whole_tokens(catalogue: SearchBackend) -> None:
    # a piece from inside a word (শাখী of বৈশাখী) is not a word of its own
    assert ids(find(catalogue, q="বৈশাখী")) != []
    assert ids(find(catalogue, q="শাখী")) == []


def test_banglish_finds_bangla_names(catalogue: SearchBackend) -> None:
    assert ids(find(catalogue, q="lyaptop")) == [2]
    assert 1 in ids(find(catalogue, q="mobail fon"))
    assert 2 in ids(find(catalogue, q="chattogram"))


def test_typos_are_forgiven_and_reported(catalogue: SearchBackend) -> None:
    result = find(catalogue, q="lapptop")
    assert ids(result) == [2]
    assert result.corrected_q == "laptop"
    assert 1 in ids(find(catalogue, q="smarphone"))


@pytest.mark.parametrize("q", ["AND", "and or", "the", "a AND OR NOT", "এবং", "ও বা"])
def test_a_query_of_only_stop_words_finds_nothing_and_says_why(catalogue: SearchBackend, q: str) -> None:
    result = find(catalogue, q=q)
    assert (result.total, result.hits, result.hint) == (0, [], "stop_words_only")
    assert list(catalogue.scan(parse_catalogue_query({"q": [q]}, TODAY))) == []


def test_stop_words_beside_other_words_change_nothing(catalogue: SearchBackend) -> None:
    assert ids(find(catalogue, q="the laptop and")) == ids(find(catalogue, q="laptop")) == [2]
    assert find(catalogue, q="laptop").hint is None


@pytest.mark.parametrize(
    "q", ["02812345678905", "2812345678905", "1234567", "02812", "BN-N5-128", "n5-128", "N5128"]
)
def test_full_and_partial_codes(catalogue: SearchBackend, q: str) -> None:
    assert ids(find(catalogue, q=q))[:1] == [1]


@pytest.mark.parametrize("q", ["MIB-000001", "mib000001", "mib-000001"])
def test_a_licence_number_finds_its_product(catalogue: SearchBackend, q: str) -> None:
    assert ids(find(catalogue, q=q))[:1] == [1]


def test_a_manufacturer_bin_finds_its_products(catalogue: SearchBackend) -> None:
    found = ids(find(catalogue, q="0000000000002"))
    assert found[:1] == [2] and 1 not in found


@pytest.mark.parametrize(
    "q", ['"', "*", "()", "^", '"*():^-', "a OR b", "NEAR(x y)", "-x", "name_en:x", "\\"]
)
def test_query_syntax_characters_are_harmless(catalogue: SearchBackend, q: str) -> None:
    find(catalogue, q=q)  # answers, whatever it finds


def test_filters(catalogue: SearchBackend) -> None:
    assert set(ids(find(catalogue, district="gazipur"))) == {1}
    assert set(ids(find(catalogue, manufacturer="1"))) == {1, 5}
    assert set(ids(find(catalogue, category="laptops"))) == {2}
    assert set(ids(find(catalogue, lva_min="60"))) == {2, 5}
    assert set(ids(find(catalogue, district="gazipur,chattogram"))) == {1, 2}


def test_certificate_must_be_valid_on_the_day(catalogue: SearchBackend) -> None:
    assert ids(find(catalogue, certificate="BTRC")) == [1]
    assert ids(find(catalogue, certificate="BSTI")) == []  # ran out in March
    assert ids(find(catalogue, certificate="BSTI", certificate_valid_on="2026-01-15")) == [2]
    assert ids(find(catalogue, certificate="BSTI,ISO_9001", certificate_valid_on="2026-01-15")) == [2]
    assert ids(find(catalogue, certificate="BTRC,ISO_9001")) == []  # all named schemes must hold


def test_facet_counts(catalogue: SearchBackend) -> None:
    facets = find(catalogue).facets
    as_dict = {name: {c.value: c.count for c in counts} for name, counts in facets.items()}
    assert as_dict["category"] == {"phones": 2, "laptops": 1}
    assert as_dict["manufacturer"] == {"1": 2, "2": 1}
    assert as_dict["district"] == {"gazipur": 1, "dhaka": 1, "chattogram": 1}
    assert as_dict["certificate"] == {"BTRC": 1, "ISO_9001": 1}
    assert as_dict["lva"] == {"0-20": 0, "20-40": 0, "40-60": 1, "60-80": 2, "80-100": 0}


def test_facets_follow_the_query_and_can_be_chosen(catalogue: SearchBackend) -> None:
    result = find(catalogue, q="boishakhi", facets="category")
    assert list(result.facets) == ["category"]
    assert {c.value: c.count for c in result.facets["category"]} == {"phones": 2}
    assert find(catalogue, facets="").facets == {}


@pytest.mark.parametrize(
    ("sort", "expected"),
    [("newest", [5, 2, 1]), ("name", [1, 5, 2]), ("lva", [2, 5, 1])],
)
def test_sorting(catalogue: SearchBackend, sort: str, expected: list[int]) -> None:
    assert ids(find(catalogue, sort=sort)) == expected


def test_pagination(catalogue: SearchBackend) -> None:
    first = find(catalogue, sort="name", per_page="2")
    second = find(catalogue, sort="name", per_page="2", page="2")
    assert first.total == second.total == 3
    assert ids(first) + ids(second) == [1, 5, 2]
    past_the_end = find(catalogue, sort="name", per_page="2", page="9")
    assert ids(past_the_end) == [] and past_the_end.total == 3


def test_highlights_mark_the_original_spelling(catalogue: SearchBackend) -> None:
    hit = find(catalogue, q="গাজিপুর নোভা").hits[0]
    assert hit.highlights["name_bn"] == "বৈশাখী <mark>নোভা</mark> ৫ স্মার্টফোন"
    hit = find(catalogue, q="lyaptop").hits[0]
    assert hit.highlights["name_en"] == "Nodi Shikkha 14 <mark>Laptop</mark>"
    assert hit.highlights["name_bn"] == "নদী শিক্ষা ১৪ <mark>ল্যাপটপ</mark>"


def test_highlights_escape_html(backend: SearchBackend) -> None:
    backend.index_documents([make_doc(9, name_en="<b>Router</b> & switch")])
    hit = find(backend, q="router").hits[0]
    assert hit.highlights["name_en"] == "&lt;b&gt;<mark>Router</mark>&lt;/b&gt; &amp; switch"


def test_suggestions(catalogue: SearchBackend) -> None:
    brand = catalogue.suggest("boi")
    assert ("Boishakhi", "brand") in [(s.text, s.kind) for s in brand]
    assert any(s.kind == "product" and "Nova" in s.text for s in brand)
    bangla = catalogue.suggest("ল্যাপ")
    assert ("ল্যাপটপ", "category") in [(s.text, s.kind) for s in bangla]
    assert [s for s in catalogue.suggest("lyap") if s.kind == "category"][0].value == "laptops"
    assert catalogue.suggest("zzzz") == []
    assert len(catalogue.suggest("b", limit=2)) <= 2


def test_scan_returns_every_match_in_order(catalogue: SearchBackend) -> None:
    query = parse_catalogue_query({"sort": ["name"], "per_page": ["1"]}, TODAY)
    assert [d["id"] for d in catalogue.scan(query, batch=1)] == [1, 5, 2]


def test_reindex_swaps_in_a_complete_index(catalogue: SearchBackend) -> None:
    docs = [make_doc(i, name_en=f"Fresh {i}") for i in range(100, 110)]
    info = catalogue.reindex(lambda: iter([docs[:5], docs[5:]]), lambda: 10)
    assert info.documents == 10
    assert catalogue.count() == 10
    assert find(catalogue, q="nova").total == 0
    assert find(catalogue, q="fresh").total == 10


def test_reindex_with_a_wrong_count_keeps_the_live_index(catalogue: SearchBackend) -> None:
    before = catalogue.count()
    with pytest.raises(ReindexFailed):
        catalogue.reindex(lambda: iter([[make_doc(100)]]), lambda: 2)
    assert catalogue.count() == before
    assert not catalogue.is_reindexing()


def test_info(catalogue: SearchBackend) -> None:
    info = catalogue.info()
    assert info.documents == 5
    assert info.created_at is not None
