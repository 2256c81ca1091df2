"""What the GS1 resolver costs a phone's scan, and what its own answers cost (issue 23, part 1).

Run:  .venv/bin/python bench/bench_resolver.py        (writes bench/results/resolver.json)

In process (Flask's test client), on a temporary SQLite database with a small demo catalogue, CPU time per
request (``time.process_time``, which a busy shared machine distorts less than wall time): the verification
page of a product URL with the resolver in front of the verdict and without it (the hook removed), alternating,
three rounds; then a linkset, a ``linkType`` redirect, a passport and its signature. The load average before and
after is recorded with the figures. The reference for the first pair is the same request without the resolver:
the brief asks that a plain scan pay nothing measurable for it.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._machine import write_result  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_RESOLVER_REQUESTS", "400"))
ROUNDS = 3


def build_app(instance: Path) -> tuple[Any, str]:
    from sqlalchemy import select

    from app import create_app
    from core.migrate import upgrade_database
    from registry.demo import seed_demo
    from registry.models import Product

    app = create_app(
        {
            "ENV": "testing",
            "INSTANCE_PATH": str(instance),
            "SEARCH_SYNC_THREAD": False,
            "PUBLIC_BASE_URL": "https://verify.example.gov.bd",
            "SIGNING_RATELIMIT_VERIFY": "",
        }
    )
    database = app.extensions["core.db"]
    upgrade_database(database)
    session = database.session(write=True)
    seed_demo(session, products=200, manufacturers=20)
    session.commit()
    gtin = session.scalar(select(Product.gtin).where(Product.status == "licensed").order_by(Product.id))
    session.close()
    assert gtin is not None
    return app, gtin


def cpu_ms_per_request(client: Any, path: str, headers: dict[str, str], expect: int, n: int) -> float:
    start = time.process_time()
    for _ in range(n):
        resp = client.get(path, headers=headers)
        assert resp.status_code == expect, (path, resp.status_code)
        resp.close()
    return (time.process_time() - start) * 1000 / n


def main() -> None:
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        app, gtin = build_app(Path(tmp))
        client = app.test_client()
        page = {"Accept": "text/html", "Accept-Language": "bn"}
        path = f"/01/{gtin}"
        cpu_ms_per_request(client, path, page, 200, 50)  # warm the caches and templates
        resolver = app.extensions["signing.resolver"]
        rounds = []
        for _ in range(ROUNDS):
            with_resolver = cpu_ms_per_request(client, path, page, 200, REQUESTS)
            app.extensions.pop("signing.resolver")
            without = cpu_ms_per_request(client, path, page, 200, REQUESTS)
            app.extensions["signing.resolver"] = resolver
            rounds.append(
                {"with_resolver_ms": round(with_resolver, 3), "without_resolver_ms": round(without, 3)}
            )
        others = {
            "linkset_ms": cpu_ms_per_request(client, f"{path}?linkType=linkset", {}, 200, REQUESTS // 4),
            "linktype_redirect_ms": cpu_ms_per_request(
                client, f"{path}?linkType=gs1:pip", {}, 307, REQUESTS // 4
            ),
            "passport_ms": cpu_ms_per_request(client, f"/passports/{gtin}", {}, 200, REQUESTS // 4),
            "passport_signature_ms": cpu_ms_per_request(
                client, f"/passports/{gtin}/signature", {}, 200, REQUESTS // 4
            ),
        }
        app.extensions["core.db"].dispose()
    with_median = sorted(r["with_resolver_ms"] for r in rounds)[ROUNDS // 2]
    without_median = sorted(r["without_resolver_ms"] for r in rounds)[ROUNDS // 2]
    result = {
        "what": "CPU ms per request in process (Flask test client, SQLite, ENV=testing: each scan written)",
        "requests_per_round": REQUESTS,
        "verify_page_rounds": rounds,
        "verify_page_median_with_resolver_ms": with_median,
        "verify_page_median_without_resolver_ms": without_median,
        "verify_page_ratio": round(with_median / without_median, 3),
        **{key: round(value, 3) for key, value in others.items()},
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }
    print(write_result("resolver", result))
    for key, value in result.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
