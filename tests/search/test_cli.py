"""``flask search sync|reindex|status`` as an operator runs them."""

from __future__ import annotations

import json
from typing import Any

from bench.relevance.dataset import PRODUCTS, seed_database
from core.models import OutboxEntry


def test_sync_status_and_reindex(search_app: Any) -> None:
    db = search_app.extensions["core.db"]
    with db.session() as session:
        ids = seed_database(session)
        session.add_all(OutboxEntry(entity_type="product", entity_id=i) for i in ids.values())
        session.commit()
    runner = search_app.test_cli_runner()

    status = json.loads(runner.invoke(args=["search", "status", "--json"]).output)
    assert status["pending"] == len(PRODUCTS) and status["in_sync"] is False

    result = runner.invoke(args=["search", "sync"])
    assert result.exit_code == 0, result.output
    assert f"{len(PRODUCTS)} outbox rows" in result.output

    status = json.loads(runner.invoke(args=["search", "status", "--json"]).output)
    assert status["pending"] == 0 and status["in_sync"] is True
    assert status["documents"] == status["public_products"] > 0

    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert f"with {status['public_products']} documents" in result.output
    assert runner.invoke(args=["search", "status"]).exit_code == 0
