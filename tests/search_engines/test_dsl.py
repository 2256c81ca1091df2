"""The engine request bodies are pure functions of the field declaration and the query (no engine needed)."""

from __future__ import annotations

from datetime import date

from search.backends import dsl
from search.fields import FIELDS, LVA_BANDS, Field
from search.queries import analyse_query_text, parse_catalogue_query

TODAY = date(2026, 6, 1)


def test_every_declared_field_is_mapped_by_its_kind() -> None:
    mapping = dsl.build_mappings()["properties"]
    assert set(mapping) == {f.name for f in FIELDS} | {"certificates", "x"}
    assert dsl.build_field_mapping(Field("a", "text_bn"))["analyzer"] == "bengali"
    assert dsl.build_field_mapping(Field("a", "text_en"))["analyzer"] == "english"
    assert dsl.build_field_mapping(Field("a", "facet")) == {"type": "keyword", "eager_global_ordinals": True}
    assert dsl.build_field_mapping(Field("a", "code")) == {"type": "keyword"}
    assert dsl.build_field_mapping(Field("a", "number")) == {"type": "float"}
    assert dsl.build_field_mapping(Field("a", "date"))["type"] == "date"
    fallback = {"text_en": "standard", "text_bn": "standard"}
    assert dsl.build_field_mapping(Field("a", "text_bn"), fallback)["analyzer"] == "standard"
    assert dsl.build_mappings(fallback)["_meta"] == {
        "analyzers": fallback,
        "mapping_version": dsl.MAPPING_VERSION,
    }


def test_derived_fields_stay_out_of_the_returned_document() -> None:
    query = parse_catalogue_query({"q": ["router"]}, TODAY)
    body = dsl.build_search_body(query, analyse_query_text(query.q))
    assert body["_source"] == {"excludes": ["x"]}


def test_text_fields_of_equal_boost_share_one_folded_field() -> None:
    derived = dsl.build_mappings()["properties"]["x"]["properties"]
    folded = sorted(name for name in derived if name.startswith("f_"))
    assert folded == ["f_w0_7", "f_w1", "f_w1_5", "f_w3", "f_w5", "f_w6"]
    assert dsl.folded_name("name_bn") == dsl.folded_name("name_en") == "x.f_w6"
    # only x.words is matched as a phrase; the other text fields need no positions
    assert derived["words"]["index_options"] == "positions"
    assert derived["f_w6"]["index_options"] == "freqs"


def test_replicas_auto_expand_or_fixed() -> None:
    assert dsl.build_index_body()["settings"]["index"]["auto_expand_replicas"] == "0-1"
    fixed = dsl.build_index_body(replicas=1, refresh_interval="-1")["settings"]["index"]
    assert fixed["number_of_replicas"] == 1 and fixed["refresh_interval"] == "-1"
    assert "auto_expand_replicas" not in fixed


def test_the_engine_document_folds_bangla_and_keeps_codes_as_substrings() -> None:
    doc = {
        "id": 7,
        "name_en": "Nodi Wi-Fi Router",
        "name_bn": "নদী রাউটার",
        "brand": "Nodi",
        "gtin": "02812345678905",
        "model_number": "ND-R1",
        "launch_date": "2025-03-01",
    }
    x = dsl.build_engine_document(doc)["x"]
    names = x["f_w6"].split()  # both names: name_en then name_bn
    assert "নদি" in names  # long ী folded to ি, as search/text.py folds queries
    assert "wifi" in names  # hyphenated words also indexed joined
    assert x["f_w5"] == "nodi"
    assert {"2812345678905", "345678905", "905", "ndr1", "r1"} - set(x["codes"].split()) == {"r1"}
    assert x["id"] == 7 and x["newest"] == "2025-03-01"
    # a licence without dates is open at both ends: plain range filters find it on any day
    assert (x["licence_from"], x["licence_until"]) == (dsl.OPEN_START, dsl.OPEN_END)
    assert "nd" in x["translit_name"].split()  # "নদী" and "Nodi" share the skeleton


def test_certificates_become_validity_ranges_per_scheme() -> None:
    doc = {
        "id": 1,
        "certificates": [
            {"scheme": "BTRC", "valid_from": "2024-01-01", "valid_until": "2025-01-01"},
            {"scheme": "BTRC", "valid_from": "2025-06-01", "valid_until": "2027-01-01"},
            {"scheme": "BSTI", "valid_from": None, "valid_until": "2026-12-31"},
            {"scheme": "CE", "valid_from": "2024-01-01", "valid_until": None},  # no end: never valid
        ],
    }
    assert dsl.build_engine_document(doc)["x"]["certs"] == {
        "BTRC": [{"gte": "2024-01-01", "lte": "2025-01-01"}, {"gte": "2025-06-01", "lte": "2027-01-01"}],
        "BSTI": [{"lte": "2026-12-31"}],
    }


def test_filters_of_a_query() -> None:
    query = parse_catalogue_query(
        {"certificate": ["BTRC"], "lva_min": ["40"], "district": ["dhaka"], "manufacturer": ["3"]}, TODAY
    )
    filters = dsl.build_filters(query)
    assert filters[0] == {"range": {"x.licence_from": {"lte": "2026-06-01"}}}
    assert filters[1] == {"range": {"x.licence_until": {"gte": "2026-06-01"}}}
    assert filters[2] == {
        "range": {"x.certs.BTRC": {"gte": "2026-06-01", "lte": "2026-06-01", "relation": "contains"}}
    }
    assert {"range": {"local_value_addition": {"gte": 40.0}}} in filters
    assert {"terms": {"district": ["dhaka"]}} in filters
    assert {"terms": {"manufacturer_id": ["3"]}} in filters


def test_lva_bands_are_a_range_aggregation_with_an_open_top() -> None:
    query = parse_catalogue_query({"facets": ["lva"]}, TODAY)
    ranges = dsl.build_aggregations(query)["lva"]["range"]["ranges"]
    assert [r["key"] for r in ranges] == [label for label, _lo, _hi in LVA_BANDS]
    assert ranges[0] == {"key": "0-20", "from": 0.0, "to": 20.0}
    assert ranges[-1] == {"key": "80-100", "from": 80.0}  # 100 % is in the last band


def test_facets_are_read_by_count_then_value_and_bands_keep_zeros() -> None:
    query = parse_catalogue_query({"facets": ["manufacturer", "lva", "certificate"]}, TODAY)
    response = {
        "manufacturer": {
            "buckets": [
                {"key": "10", "doc_count": 2},
                {"key": "9", "doc_count": 2},
                {"key": "1", "doc_count": 5},
            ]
        },
        "lva": {"buckets": [{"key": "20-40", "doc_count": 3}]},
        "certificate": {
            "buckets": {"BSTI": {"doc_count": 1}, "BTRC": {"doc_count": 2}, "CE": {"doc_count": 0}}
        },
    }
    facets = dsl.read_facets(query, response)
    assert [(f.value, f.count) for f in facets["manufacturer"]] == [("1", 5), ("9", 2), ("10", 2)]
    assert [(f.value, f.count) for f in facets["lva"]] == [
        ("0-20", 0),
        ("20-40", 3),
        ("40-60", 0),
        ("60-80", 0),
        ("80-100", 0),
    ]
    # products holding a valid certificate, not certificates
    assert [(f.value, f.count) for f in facets["certificate"]] == [("BTRC", 2), ("BSTI", 1)]


def test_language_analyzers_get_the_words_as_typed() -> None:
    q = "ল্যাপটপগুলো wi-fi BN-N5"
    terms = analyse_query_text(q)
    words = dsl.original_words(q)
    assert len(words) == len(terms)
    assert words[0] == "ল্যাপটপগুলো" and terms[0].token != words[0]  # the folded token lost its hasant
    assert words[1:3] == ["wi-fi", "wi-fi"] and words[3] == "BN-N5"


def test_a_word_matches_in_every_way_it_can() -> None:
    (term,) = analyse_query_text("mobail")
    kinds = [next(iter(c)) for c in dsl.build_term_clause(term, "mobail")["bool"]["should"]]
    assert kinds.count("multi_match") == 2 and "match" in kinds  # language, folded, fuzzy
    assert kinds.count("prefix") == 5  # names, brand, all words, two skeleton fields
    (code,) = analyse_query_text("8905 ")
    clauses = dsl.build_term_clause(code, "8905")["bool"]["should"]
    assert {"prefix": {"x.codes": {"value": "8905", "boost": 8.0}}} in clauses
    assert not any("match" in c and "fuzziness" in str(c) for c in clauses)  # no typos in codes


def test_typo_corrections_are_read_from_the_term_suggester() -> None:
    suggest = {
        "fix0": [
            {"text": "routr", "options": [{"text": "router", "score": 0.8}, {"text": "route", "score": 0.6}]}
        ],
        "fix1": [{"text": "nova", "options": []}],
    }
    terms = analyse_query_text("routr nova")
    assert dsl.read_corrections(suggest, terms) == {"routr": ["router"]}  # router sounds as routr does


def test_a_correction_that_sounds_the_same_beats_a_nearer_one() -> None:
    options = [
        {"text": "done", "score": 0.75},
        {"text": "one", "score": 0.75},
        {"text": "phone", "score": 0.5},
    ]
    suggest = {"fix0": [{"text": "fone", "options": options}]}
    assert dsl.read_corrections(suggest, analyse_query_text("fone ")) == {"fone": ["phone"]}
    # the suggester offers nothing two edits from four letters: the name words of the hits that sound alike
    near = {"fix0": [{"text": "fone", "options": options[:2]}]}
    hits = [{"name_en": "Padma Feature Phone F1", "brand": "Padma"}]
    assert dsl.read_corrections(near, analyse_query_text("fone "), hits) == {"fone": ["phone"]}
    assert dsl.read_corrections(near, analyse_query_text("fone ")) == {"fone": ["done", "one"]}
    (body,) = dsl.build_search_body(
        parse_catalogue_query({"q": ["fone"]}, TODAY), analyse_query_text("fone")
    )["suggest"].values()
    assert body["term"]["max_edits"] == 2  # phone is two edits from fone: the suggester must offer it
