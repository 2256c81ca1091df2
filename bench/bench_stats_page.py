"""Statistics page weight: what a phone downloads to show /statistics, in Bangla and in English.

Run:  .venv/bin/python bench/bench_stats_page.py        (writes bench/results/stats_page.json)

Target from issue 22: <= 150 KB with assets. The page is rendered by the application in-process (Flask's test
client) on a temporary database holding `make run`'s demo data (2,000 products, 60 manufacturers) plus the
worst case for the scan chart: verified scans in every division in each of the 8 weeks, so every chart has
all its rows and bars. The sum is the HTML and every stylesheet, script and image it links (the page has no
script; charts are inline SVG), bodies as sent (``identity``: the app sends no compression; the gzip size is
recorded too) plus response headers. There is no other reference for this figure than the issue's limit.
"""

from __future__ import annotations

import gzip
import re
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._machine import write_result  # noqa: E402

LIMIT_KB = 150
ASSET = re.compile(r'<(?:link[^>]*href|img[^>]*src|script[^>]*src)="(/[^"]+)"')


def _header_bytes(headers: Any) -> int:
    return sum(len(k) + len(v) + 4 for k, v in headers.items()) + 17


def build_app(instance: Path) -> Any:
    from app import create_app
    from core.migrate import upgrade_database
    from registry.data.districts import DISTRICTS
    from registry.demo import seed_demo
    from signing.models import ConsumerReport, Scan

    app = create_app({"ENV": "testing", "INSTANCE_PATH": str(instance), "SEARCH_SYNC_THREAD": False})
    database = app.extensions["core.db"]
    upgrade_database(database)
    session = database.session(write=True)
    seed_demo(session, products=2000, manufacturers=60)
    now = datetime.now(UTC)
    one_per_division = {d.division: code for code, d in DISTRICTS.items()}
    for week in range(8):
        for n, district in enumerate(one_per_division.values()):
            for k in range(3 + n):
                session.add(
                    Scan(
                        gtin="08901234567893",
                        serial=f"W{week}{n}{k}",
                        verdict="genuine",
                        scanned_at=now - timedelta(weeks=week, hours=k),
                        district=district,
                        device_class="phone",
                        device_hash=f"{week:04d}{n:04d}{k:08d}",
                    )
                )
    for month in range(12):
        session.add(
            ConsumerReport(text="fake?", created_at=now - timedelta(days=30 * month), district="dhaka")
        )
    session.commit()
    session.close()
    return app


def measure(app: Any) -> dict[str, Any]:
    client = app.test_client()
    pages: dict[str, Any] = {}
    for lang in ("bn", "en"):
        page = client.get(f"/statistics?lang={lang}")
        assert page.status_code == 200, page.status_code
        html = page.get_data(as_text=True)
        responses = [("/statistics", page)]
        for path in dict.fromkeys(ASSET.findall(html)):
            with client.get(path) as asset:
                asset.direct_passthrough = False
                responses.append((path, asset))
                asset.get_data()
        items = []
        for path, resp in responses:
            body = resp.get_data()
            items.append(
                {
                    "path": path,
                    "status": resp.status_code,
                    "body_bytes": len(body),
                    "header_bytes": _header_bytes(resp.headers),
                    "gzip_bytes": len(gzip.compress(body)),
                }
            )
        total = sum(i["body_bytes"] + i["header_bytes"] for i in items)
        pages[lang] = {
            "transferred_bytes": total,
            "transferred_kb": round(total / 1024, 1),
            "gzip_estimate_kb": round(sum(i["gzip_bytes"] + i["header_bytes"] for i in items) / 1024, 1),
            "svg_charts": html.count("<svg"),
            "scripts": html.count("<script"),
            "within_limit": total <= LIMIT_KB * 1024,
            "responses": items,
        }
    return pages


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-stats-") as folder:
        app = build_app(Path(folder))
        pages = measure(app)
        app.extensions["core.db"].dispose()
    result = {
        "method": "in-process (Flask test client): the page and every asset it links, headers included",
        "dataset": "make run's demo (2000 products, 60 manufacturers) + scans in all 8 divisions in each of 8 weeks "
        "+ a fake report in each of 12 months",
        "compression": "none (the app sends identity bodies; gzip_estimate_kb is what a compressing proxy would send)",
        "limit_kb": LIMIT_KB,
        "summary_kb": {lang: page["transferred_kb"] for lang, page in pages.items()},
        "all_within_limits": all(page["within_limit"] for page in pages.values()),
        "pages": pages,
    }
    path = write_result("stats_page", result)
    for lang, page in pages.items():
        print(
            f"/statistics ({lang}): {page['transferred_kb']} KB ({page['gzip_estimate_kb']} KB gzip), "
            f"{page['svg_charts']} charts, {page['scripts']} scripts, limit {LIMIT_KB} KB"
        )
    print(f"written to {path}")
    return 0 if result["all_within_limits"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
