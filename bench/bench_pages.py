"""Page weights: what a phone downloads to show the home page, catalogue results, a product page and the
verification page (HTML + CSS + JS + images, every response the page loads, headers included).

Run:  .venv/bin/python bench/bench_pages.py        (writes bench/results/pages.json)

Targets from issue 7: public pages <= 150 KB and the verification page <= 100 KB transferred.
It starts the browser tests' server on a temporary database with their fixed dataset, loads each page in
Debian's Chromium (Playwright, 360 px wide, a cold cache) and sums the bytes of every response: body as
sent (``identity``: the app sends no compression; behind a compressing proxy it would be smaller, and the
gzip size of each body is recorded too) plus response headers. Without Chromium it falls back to fetching
the HTML and the stylesheets/scripts/images it links (same sums, minus anything JavaScript loads later).
"""

from __future__ import annotations

import gzip
import os
import re
import sys
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._machine import write_result  # noqa: E402

PAGES = {
    "home": ("/", 150),
    "results": ("/search?q=laptop", 150),
    "results_bangla": ("/search?q=ল্যাপটপ&category=laptops", 150),
    "results_full_page": ("/search?category=phones", 150),
    "product": ("/products/{laptop-a}", 150),
    "verification": ("@laptop-a", 100),
    "scan": ("/scan", 150),
}


def _url(site: Any, template: str) -> str:
    if template.startswith("@"):
        return site.local(site.labels[template[1:]])
    return site.base_url + template.format(**{k: v[0] for k, v in site.products.items()})


def _header_bytes(headers: dict[str, str]) -> int:
    return sum(len(k) + len(v) + 4 for k, v in headers.items()) + 17


def measure_with_chromium(site: Any) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from tests.browser.browsing import CHROMIUM, CHROMIUM_ARGS

    out: dict[str, Any] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for name, (template, limit_kb) in PAGES.items():
            for lang in ("bn-BD", "en-GB"):
                context = browser.new_context(locale=lang, viewport={"width": 360, "height": 740})
                page = context.new_page()
                responses: list[Any] = []
                page.on("response", lambda r, seen=responses: seen.append(r))
                page.goto(_url(site, template))
                page.wait_for_load_state("networkidle")
                items = []
                for r in responses:
                    body = r.body() if r.status < 300 else b""
                    items.append(
                        {
                            "url": r.url.split("/", 3)[-1][:80],
                            "type": r.request.resource_type,
                            "bytes": len(body) + _header_bytes(r.headers),
                            "gzip_bytes": len(gzip.compress(body, 6)) + _header_bytes(r.headers),
                        }
                    )
                context.close()
                total = sum(i["bytes"] for i in items)
                out[f"{name}.{lang[:2]}"] = {
                    "path": template,
                    "limit_kb": limit_kb,
                    "transferred_bytes": total,
                    "transferred_kb": round(total / 1024, 1),
                    "within_limit": total <= limit_kb * 1024,
                    "gzip_estimate_kb": round(sum(i["gzip_bytes"] for i in items) / 1024, 1),
                    "by_type": _by_type(items),
                    "responses": items,
                }
        browser.close()
    return out


def _by_type(items: list[dict[str, Any]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for i in items:
        totals[i["type"]] = totals.get(i["type"], 0) + i["bytes"]
    return totals


def measure_with_http(site: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, (template, limit_kb) in PAGES.items():
        for lang in ("bn", "en"):
            url = _url(site, template)
            url += ("&" if "?" in url else "?") + f"lang={lang}"
            seen: dict[str, int] = {}
            with urllib.request.urlopen(url) as resp:  # noqa: S310 - our own local server
                html = resp.read()
                seen[url] = len(html) + _header_bytes(dict(resp.headers))
            for ref in re.findall(rb'(?:href|src)="(/static/[^"]+)"', html):
                asset = site.base_url + ref.decode()
                if asset not in seen:
                    with urllib.request.urlopen(asset) as r:  # noqa: S310
                        seen[asset] = len(r.read()) + _header_bytes(dict(r.headers))
            total = sum(seen.values())
            out[f"{name}.{lang}"] = {
                "path": template,
                "limit_kb": limit_kb,
                "transferred_bytes": total,
                "transferred_kb": round(total / 1024, 1),
                "within_limit": total <= limit_kb * 1024,
            }
    return out


def add_filler_products(app: Any, count: int = 60) -> None:
    """Enough licensed phones for a full results page (20 hits, every facet filled)."""
    from registry.factories import ManufacturerFactory, ProductFactory, bind_factories, licensed
    from search.indexing import reindex_catalogue

    db = app.extensions["core.db"]
    session = db.session()
    bind_factories(session)
    makers = [
        ManufacturerFactory(district=d) for d in ("dhaka", "gazipur", "chattogram", "khulna", "rajshahi")
    ]
    for n in range(count):
        ProductFactory(
            manufacturer=makers[n % len(makers)], category="phones", gtin=_gtin(70_000 + n), **licensed()
        )
    session.commit()
    session.close()
    reindex_catalogue(db, app.extensions["search"])


def _gtin(n: int) -> str:
    from registry.factories import demo_gtin

    return demo_gtin(n)


def main() -> int:
    from tests.browser.browsing import CHROMIUM, start_site

    with start_site() as site:
        add_filler_products(site.app)
        if os.path.exists(CHROMIUM):
            method, pages = "chromium", measure_with_chromium(site)
        else:
            method, pages = "http (no chromium)", measure_with_http(site)
    summary = {k: v["transferred_kb"] for k, v in pages.items()}
    path = write_result(
        "pages",
        {
            "method": method,
            "viewport": "360x740",
            "dataset": "the browser tests' fixed catalogue plus 60 licensed phones from 5 districts (a full page of 20 hits)",
            "compression": "none (the app sends identity bodies; gzip_estimate_kb is what a compressing proxy would send)",
            "summary_kb": summary,
            "all_within_limits": all(v["within_limit"] for v in pages.values()),
            "pages": pages,
        },
    )
    for key, kb in summary.items():
        limit = pages[key]["limit_kb"]
        print(f"{key:24} {kb:7.1f} KB  (limit {limit} KB){'' if pages[key]['within_limit'] else '  OVER'}")
    print(f"written to {path}")
    return 0 if all(v["within_limit"] for v in pages.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
