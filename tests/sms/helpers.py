"""Making batches and reading their check codes as a manufacturer does (the CSV export of a batch's URLs)."""

from __future__ import annotations

import csv
import io
from typing import Any


def new_batch(client: Any, maker: Any, product: Any, count: int = 20) -> dict[str, Any]:
    resp = client.post(f"/api/v1/products/{product.id}/batches", json={"count": count}, headers=maker.headers)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def exported_units(client: Any, maker: Any, batch: dict[str, Any], stop: int = 5) -> list[dict[str, str]]:
    """Rows ``serial, url, check_code`` of the batch's CSV export."""
    resp = client.get(f"/api/v1/batches/{batch['id']}/urls?format=csv&stop={stop}", headers=maker.headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
