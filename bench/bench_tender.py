"""Tender compliance check: a 10,000-line bidder's list (CSV and XLSX) through ``POST /api/v1/tender-checks``
on the demo catalogue (SQLite, in process), against the issue's budget of 10 s. Writes bench/results/tender.json.

    .venv/bin/python bench/bench_tender.py [--lines 10000] [--products 2000] [--repeat 3]

The list mixes what bidders send: 50 % GTINs of listed products, 20 % licence numbers, 20 % brand + model,
10 % GTINs the registry does not know; rules: minimum LVA 40 %, BSTI required. No reference implementation
exists for this job, so the figure is absolute (seconds per list, lines per second) beside the budget.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._machine import write_result  # noqa: E402

BUDGET_SECONDS = 10.0


def bidder_rows(products: list[tuple[str, str | None, str, str]], lines: int) -> list[list[str]]:
    rng = random.Random(22)
    rows = []
    for n in range(lines):
        gtin, licence, brand, model = rng.choice(products)
        kind = n % 10
        if kind < 5:
            rows.append([gtin, "", "", "", str(rng.randint(1, 500))])
        elif kind < 7 and licence:
            rows.append(["", licence, "", "", str(rng.randint(1, 500))])
        elif kind < 9:
            rows.append(["", "", brand, model, str(rng.randint(1, 500))])
        else:
            unknown = f"{rng.randint(10**11, 10**12 - 1)}"
            rows.append([unknown + _check_digit(unknown), "", "", "", "1"])
    return rows


def _check_digit(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


HEADER = ["gtin", "licence_number", "brand", "model", "quantity"]


def as_csv(rows: list[list[str]]) -> bytes:
    return ("\n".join(",".join(row) for row in [HEADER, *rows]) + "\n").encode("utf-8")


def as_xlsx(rows: list[list[str]]) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "constant_memory": True})
    sheet = book.add_worksheet()
    for i, row in enumerate([HEADER, *rows]):
        sheet.write_row(i, 0, row)
    book.close()
    return buffer.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-tender-") as tmp:
        os.environ.update(
            {
                "REGISTRY_ENV": "testing",
                "REGISTRY_SECRET_KEY": "bench-secret-key-long-enough-for-the-checks",
                "REGISTRY_INSTANCE_PATH": tmp,
                "REGISTRY_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
                "REGISTRY_SEARCH_SYNC_THREAD": "0",
            }
        )
        from registry.migrate import upgrade_database
        from sqlalchemy import select

        from app import create_app
        from registry.demo import seed_demo
        from registry.models import Product, ProductStatus

        app = create_app()
        db = app.extensions["registry.db"]
        upgrade_database(db.engine)
        started = time.perf_counter()
        with app.app_context():
            session = db.session()
            seed_demo(session, products=args.products, manufacturers=max(10, args.products // 40))
            session.commit()
            products = [
                tuple(row)
                for row in session.execute(
                    select(Product.gtin, Product.licence_number, Product.brand, Product.model_number).where(
                        Product.status == ProductStatus.LICENSED
                    )
                )
            ]
            session.close()
        seeded = time.perf_counter() - started
        rows = bidder_rows(products, args.lines)  # type: ignore[arg-type]
        files = {"csv": as_csv(rows), "xlsx": as_xlsx(rows)}
        client = app.test_client()
        figures: dict[str, object] = {}
        for kind, data in files.items():
            timings = []
            summary = None
            for _ in range(args.repeat + 1):  # the first run warms caches and is not counted
                t0 = time.perf_counter()
                resp = client.post(
                    "/api/v1/tender-checks",
                    content_type="multipart/form-data",
                    data={
                        "file": (io.BytesIO(data), f"bidders.{kind}"),
                        "bid_date": "2026-11-01",
                        "min_lva": "40",
                        "schemes": "BSTI",
                    },
                )
                body = resp.get_json()
                timings.append(time.perf_counter() - t0)
                assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
                summary = body["summary"]
            measured = timings[1:]
            median = statistics.median(measured)
            figures[kind] = {
                "bytes": len(data),
                "seconds_median": round(median, 3),
                "seconds_runs": [round(t, 3) for t in measured],
                "lines_per_second": round(args.lines / median),
                "within_budget": median <= BUDGET_SECONDS,
                "summary": summary,
            }
            print(f"{kind}: {args.lines} lines in {median:.2f} s (median of {len(measured)}), {summary}")
    path = write_result(
        "tender",
        {
            "benchmark": "tender compliance check, POST /api/v1/tender-checks in process (Flask test client), SQLite",
            "lines": args.lines,
            "catalogue_products": args.products,
            "licensed_products": len(products),
            "seed_seconds": round(seeded, 1),
            "budget_seconds": BUDGET_SECONDS,
            "reference": None,
            **figures,
        },
    )
    print(f"written {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
