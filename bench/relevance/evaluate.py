"""success@3 and nDCG@10 of a backend over the judged query set (used by the bench and the tests)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from bench.relevance.dataset import TODAY
from bench.relevance.judgements import QUERIES, Judged, relevant_keys
from search.queries import parse_catalogue_query


@dataclass
class QueryScore:
    q: str
    kind: str
    success_at_3: float
    ndcg_at_10: float
    top: list[str]


def ndcg_at(ranked: list[str], relevant: set[str], k: int = 10) -> float:
    dcg = sum(1.0 / math.log2(i + 2) for i, key in enumerate(ranked[:k]) if key in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return dcg / ideal if ideal else 0.0


def evaluate_backend(backend: Any, ids: dict[str, int], today: date = TODAY) -> dict[str, Any]:
    """Score every judged query against ``backend`` (loaded with the dataset; ``ids`` key → id)."""
    key_of = {v: k for k, v in ids.items()}
    scores: list[QueryScore] = []
    for judged in QUERIES:
        scores.append(_score(backend, judged, key_of, today))
    by_kind: dict[str, dict[str, float]] = {}
    for kind in sorted({s.kind for s in scores}):
        subset = [s for s in scores if s.kind == kind]
        by_kind[kind] = {
            "queries": len(subset),
            "success_at_3": round(sum(s.success_at_3 for s in subset) / len(subset), 4),
            "ndcg_at_10": round(sum(s.ndcg_at_10 for s in subset) / len(subset), 4),
        }
    return {
        "queries": len(scores),
        "success_at_3": round(sum(s.success_at_3 for s in scores) / len(scores), 4),
        "ndcg_at_10": round(sum(s.ndcg_at_10 for s in scores) / len(scores), 4),
        "by_kind": by_kind,
        "failures": [{"q": s.q, "kind": s.kind, "top": s.top[:3]} for s in scores if not s.success_at_3],
    }


def _score(backend: Any, judged: Judged, key_of: dict[int, str], today: date) -> QueryScore:
    relevant = relevant_keys(judged)
    query = parse_catalogue_query({"q": [judged.q], "per_page": ["10"], "facets": []}, today)
    ranked = [key_of.get(h.document["id"], "?") for h in backend.search(query).hits]
    success = 1.0 if any(k in relevant for k in ranked[:3]) else 0.0
    return QueryScore(judged.q, judged.kind, success, ndcg_at(ranked, relevant), ranked)
