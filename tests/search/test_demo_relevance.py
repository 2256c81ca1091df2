"""The harder judged set on the demo data (bench/relevance/demo_set.py) stays above the floor on every backend,
and the fuzzy-matching oddities people met on it stay fixed."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bench.relevance.demo_set import build_queries, demo_documents, evaluate, script
from search.interfaces import SearchBackend
from search.queries import parse_catalogue_query

TODAY = date(2026, 6, 1)


@pytest.fixture(scope="module")
def demo_docs(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return demo_documents(Path(tmp_path_factory.mktemp("demo")), products=900, manufacturers=40, today=TODAY)


def test_the_demo_set_is_big_and_mixed_as_asked(demo_docs: list[dict[str, Any]]) -> None:
    queries = build_queries(demo_docs)
    scripts = [script(q) for q in queries]
    assert len(queries) >= 80 and sum(q.hard for q in queries) >= 80
    assert scripts.count("bn") * 3 >= len(queries) and scripts.count("banglish") * 6 >= len(queries)
    assert {"typo", "code", "filter", "en", "ambiguous", "mixed"} <= {q.group for q in queries}
    assert all(any(q.relevant(d) for d in demo_docs) for q in queries), "every query has a right answer"


def test_demo_relevance_floor(backend: SearchBackend, demo_docs: list[dict[str, Any]]) -> None:
    backend.index_documents(demo_docs)
    report = evaluate(backend, demo_docs, TODAY)
    # floors just under what both backends score today (python -m bench.relevance.demo_set prints it all):
    # the hard part still misses some (spaced model numbers, run-together words, a brand word beside a kind)
    assert report["success_at_3"] >= 0.93 and report["ndcg_at_10"] >= 0.93, report["failures"]
    for group, scores in report["by_group"].items():
        assert scores["success_at_3"] >= 0.8, (group, report["failures"])


def _top(backend: SearchBackend, q: str) -> Any:
    return backend.search(parse_catalogue_query({"q": [q], "per_page": ["5"]}, TODAY))


def test_the_oddities_stay_fixed(backend: SearchBackend, demo_docs: list[dict[str, Any]]) -> None:
    backend.index_documents(demo_docs)
    ups = _top(backend, "ইউ পি এস")  # letters spelled one by one are the word ইউপিএস
    assert ups.hits and all(h.document["category"] == "ups" for h in ups.hits)
    assert _top(backend, "qwerty").total == 0
    phone = _top(backend, "featur fone")  # the correction sounds like what was typed: not "feature one"
    assert phone.hits[0].document["category"] == "phones"
    assert phone.corrected_q == "feature phone"
    assert _top(backend, "fone").corrected_q == "phone"
    tv = _top(backend, "smrt tv")
    assert all(h.document["category"] == "tvs" for h in tv.hits[:3])
    both = _top(backend, "ups and charger")  # "and" says nothing: it must not widen or narrow the match
    assert both.total == _top(backend, "ups charger").total


def test_a_model_number_prefix_does_not_beat_the_words(backend: SearchBackend) -> None:
    from tests.search.conftest import make_doc

    backend.index_documents(
        [
            make_doc(1, name_en="Prohori IP Camera", category="cctv", model_number="TV-2017"),
            make_doc(2, name_en="Dorpon Smart TV 43", category="tvs", model_number="DP-43"),
        ]
    )
    assert _top(backend, "smrt tv").hits[0].document["id"] == 2
