"""The judged query set must stay above the relevance floor on every backend (see docs/search.md)."""

from __future__ import annotations

from bench.relevance.dataset import NOT_PUBLIC, PRODUCTS, catalogue_documents
from bench.relevance.evaluate import evaluate_backend
from bench.relevance.judgements import QUERIES, relevant_keys
from search.interfaces import SearchBackend

# The floor (justified in docs/search.md): a regression that breaks one kind of query outright
# (Banglish, typos, codes: 6-17 queries each) takes the overall numbers below it.
FLOOR_SUCCESS_AT_3 = 0.90
FLOOR_NDCG_AT_10 = 0.85
FLOOR_PER_KIND_SUCCESS_AT_3 = 0.75


def test_the_judged_set_is_big_and_varied_enough() -> None:
    assert len(QUERIES) >= 40
    assert {q.kind for q in QUERIES} == {"en", "bn", "banglish", "typo", "code"}
    assert all(relevant_keys(q) for q in QUERIES), "every query has at least one public right answer"
    assert len(PRODUCTS) >= 300
    assert not any(relevant_keys(q) & set(NOT_PUBLIC) for q in QUERIES)


def test_relevance_floor(backend: SearchBackend) -> None:
    docs, ids = catalogue_documents()
    backend.index_documents(docs)
    report = evaluate_backend(backend, ids)
    assert report["success_at_3"] >= FLOOR_SUCCESS_AT_3, report["failures"]
    assert report["ndcg_at_10"] >= FLOOR_NDCG_AT_10, report["failures"]
    for kind, scores in report["by_kind"].items():
        assert scores["success_at_3"] >= FLOOR_PER_KIND_SUCCESS_AT_3, (kind, report["failures"])


def test_products_that_are_not_public_are_never_documents() -> None:
    docs, ids = catalogue_documents()
    indexed = {d["id"] for d in docs}
    assert all(ids[key] not in indexed for key in NOT_PUBLIC)
