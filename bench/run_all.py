"""`make bench`: run every benchmark in turn; each writes bench/results/<name>.json with machine info.

    .venv/bin/python bench/run_all.py [--only registry,signing] [--with-opensearch]

The OpenSearch benchmark needs a running node (`python tools/services.py start opensearch`) and takes long
at its default size, so it runs only with --with-opensearch (its URL from REGISTRY_BENCH_OPENSEARCH_URL).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHES = {
    "registry": ["bench/bench_registry.py"],
    "signing": ["bench/bench_signing.py"],
    "labels": ["bench/bench_labels.py"],
    "search": ["bench/bench_search.py"],
    "pages": ["bench/bench_pages.py"],
    "clone-rules": ["bench/bench_clone_rules.py"],
    # issue 21: verification page and JSON, product creation, worker memory, reindex, beside ../shared/reference
    "hot-paths": ["bench/bench_hot_paths.py"],
    "make-run": ["bench/bench_make_run.py"],  # issue 21: make run when set up, to /healthz
    # issue 21: the reindex's document query on PostgreSQL before and after ANALYZE, 100,000 and 1,000,000
    # products (starts its own server; the 1,000,000 case takes most of its 10-25 minutes)
    "reindex-postgres": ["bench/bench_reindex_postgres.py"],
    # issue 22: a 10,000-line bidder's list through the tender compliance check (budget 10 s)
    "tender": ["bench/bench_tender.py"],
    # issue 23: what the GS1 resolver costs a plain scan, and its linksets, redirects and passports
    "resolver": ["bench/bench_resolver.py"],
}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default="", help="comma-separated subset of: " + ", ".join(BENCHES))
    parser.add_argument("--with-opensearch", action="store_true")
    args = parser.parse_args()
    chosen = [b for b in (args.only.split(",") if args.only else BENCHES) if b]
    unknown = [b for b in chosen if b not in BENCHES and b != "opensearch"]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    runs = [(name, BENCHES[name]) for name in chosen if name in BENCHES]
    if args.with_opensearch or "opensearch" in chosen:
        url = os.environ.get("REGISTRY_BENCH_OPENSEARCH_URL", "")
        if not url:
            parser.error("set REGISTRY_BENCH_OPENSEARCH_URL to a running node's http:// address")
        runs.append(("opensearch", ["bench/bench_opensearch.py", "--url", url]))
    failed = []
    for i, (name, command) in enumerate(runs, start=1):
        print(f"\n== [{i}/{len(runs)}] {name}: {' '.join(command)} ==", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, *command], cwd=ROOT)
        print(
            f"== {name}: {'ok' if code == 0 else f'FAILED (exit {code})'} in {time.perf_counter() - started:.0f}s =="
        )
        if code:
            failed.append(name)
    print(f"\nresults in {ROOT / 'bench/results'}; failed: {', '.join(failed) or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
