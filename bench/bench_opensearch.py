"""OpenSearch at catalogue scale: one node, up to 1,000,000 products.

Measures, on one OpenSearch 2.19 node started by ``tools/services.py`` (or the node at
``--url``/``REGISTRY_BENCH_OPENSEARCH_URL``):

* full reindex of N products. With ``--database PATH`` (the real path): ``reindex_catalogue`` reads
  every public product from an SQLite registry database of N products (97 % public), builds the
  documents, bulk-loads a new index, checks its count against the database and swaps the alias.
  Without it, N synthetic documents go straight to ``OpenSearchBackend.reindex`` (no database);
* bulk indexing rate of upserts through the live alias (``index_documents`` with 5,000 documents
  a call, ``refresh=false``): the median of three runs on other products each, once the merges the
  reindex left running have ended (their time and CPU are recorded with the reindex) and after an
  untimed warm-up run of as many upserts (recorded as ``warm_up``);
* search with every facet: p50/p95 over a mix of judged queries (English, Bangla, Banglish, typos,
  partial codes) and filtered browsing, after a warm-up, once the merges the upserts set off have
  ended (their time and CPU are recorded with the bulk figures);
* suggestions while typing: p50/p95 over prefixes in both scripts;
* relevance over the fixed judged set (``bench/relevance``) on OpenSearch and on the embedded backend.

Products are the judged dataset's documents stretched to N (each copy renamed "… Mk<n>", its own
id, GTIN, model number, local value addition and date), so the vocabulary is realistic and the
judged queries hit many documents. Writes bench/results/opensearch.json (``--output``): figures,
load average before and after each part, the node's heap, document count, index size and segments.
Not a test: the numbers depend on the machine and its load (recorded with them).

Preparing the database and starting the node are separate steps, so that only the measuring holds
the machine's shared benchmark lock::

    .venv/bin/python bench/bench_opensearch.py --prepare-only --products 1000000 --database /tmp/mib-1m.sqlite3
    .venv/bin/python tools/services.py start opensearch --heap 6g        # prints the URL
    flock /tmp/mib-bench.lock .venv/bin/python bench/bench_opensearch.py --products 1000000 \
        --database /tmp/mib-1m.sqlite3 --url http://127.0.0.1:PORT
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.relevance.dataset import TODAY, catalogue_documents, gtin_for  # noqa: E402
from bench.relevance.evaluate import evaluate_backend  # noqa: E402
from bench.relevance.judgements import QUERIES  # noqa: E402
from search.backends.cluster import BULK_SENDERS  # noqa: E402
from search.backends.opensearch import OpenSearchBackend  # noqa: E402
from search.queries import parse_catalogue_query  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "opensearch.json"
TARGETS = {
    "search_p95_ms": 30.0,
    "suggest_p95_ms": 15.0,
    "bulk_products_per_second": 5000.0,
    "reindex_1m_seconds": 300.0,
}
BN_DIGITS = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")
BULK_CALL_DOCUMENTS = 5000
BULK_SEEDS = (12, 13, 14)  # three timed runs of upserts; the median is the figure
BULK_WARM_UP_SEED = 11
SUGGEST_PREFIXES = (
    "bo",
    "boi",
    "nov",
    "nova 5",
    "sm",
    "smart",
    "lap",
    "shik",
    "rout",
    "megh",
    "dha",
    "gaz",
    "pos",
    "ups",
    "ssd",
    "bn-n",
    "md-ax",
    "ল্যা",
    "নো",
    "স্মা",
    "রাউ",
    "ঢা",
    "মোবা",
    "ক্যা",
    "mobail",
    "laptp",
)


def machine_info() -> dict[str, object]:
    try:
        from bench._machine import machine_info as shared  # type: ignore[import-not-found]

        return dict(shared())
    except ImportError:
        pass
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "cpu": model or platform.processor(),
        "cpu_count": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": sys.version.split()[0],
        "load_average_at_start": os.getloadavg(),
    }


def synthetic_documents(
    n: int, batch: int = 2000, seed: int = 11, first: int = 0
) -> Iterator[list[dict[str, Any]]]:
    """N catalogue documents stretched from the judged dataset, in batches (ids first+1..first+N)."""
    base, _ids = catalogue_documents()
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    out: list[dict[str, Any]] = []
    for i in range(first, first + n):
        src = base[i % len(base)]
        generation = i // len(base)
        doc = dict(src)
        doc["id"] = i + 1
        if generation:
            doc["name_en"] = f"{src['name_en']} Mk{generation}"
            doc["name_bn"] = f"{src['name_bn']} মার্ক{str(generation).translate(BN_DIGITS)}"
            doc["model_number"] = f"{src['model_number']}-{generation}"
            doc["suggest"] = [doc["name_en"], doc["name_bn"], doc["brand"]]
        doc["gtin"] = gtin_for(100000 + i)
        doc["licence_number"] = f"MIB-{i + 1:07d}"
        doc["local_value_addition"] = float(rng.randint(5, 95))
        doc["created_at"] = (start + timedelta(minutes=i)).isoformat(timespec="seconds")
        out.append(doc)
        if len(out) >= batch:
            yield out
            out = []
    if out:
        yield out


def prepare_database(path: Path, n: int) -> dict[str, Any]:
    """An SQLite registry database of ``n`` products at ``path`` (bulk Core inserts), unless one is there."""
    from sqlalchemy import func, select

    from bench.bench_search import load_database
    from core.db import Base, Database, import_all_models
    from registry.models import Product

    import_all_models()
    db = Database(f"sqlite:///{path}")
    try:
        if path.exists():
            with db.engine.connect() as conn:
                have = int(conn.scalar(select(func.count(Product.id))) or 0)
            if have == n:
                return {"products": n, "reused": True}
            raise SystemExit(f"{path} holds {have:,} products, not {n:,}: remove it or name another file")
        Base.metadata.create_all(db.engine)
        return load_database(db, n)
    finally:
        db.dispose()


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "count": len(ordered),
        "p50_ms": round(q[49] * 1000, 2),
        "p95_ms": round(q[94] * 1000, 2),
        "p99_ms": round(q[98] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def search_workload() -> list[dict[str, list[str]]]:
    """Catalogue requests as users send them: judged texts, and browsing with filters; all facets on."""
    requests: list[dict[str, list[str]]] = [{"q": [j.q]} for j in QUERIES]
    requests += [
        {},
        {"category": ["phones"]},
        {"district": ["dhaka"], "sort": ["lva"]},
        {"certificate": ["BTRC"], "lva_min": ["40"]},
        {"q": ["smartphone"], "district": ["gazipur"]},
        {"q": ["ল্যাপটপ"], "lva_min": ["50"]},
        {"q": ["router"], "sort": ["newest"], "page": ["3"]},
        {"manufacturer": ["3", "5"], "sort": ["name"]},
    ]
    return requests


def _cpu_per_call(backend: OpenSearchBackend, calls: int, began: tuple[float, float]) -> dict[str, Any]:
    python_cpu = time.process_time() - began[0]
    engine_cpu = engine_cpu_seconds(backend) - began[1]
    return {
        "engine_cpu_ms_per_call": round(engine_cpu / calls * 1000, 2),
        "python_cpu_ms_per_call": round(python_cpu / calls * 1000, 2),
        "load_average_after": os.getloadavg(),
    }


def time_searches(backend: OpenSearchBackend, rounds: int) -> tuple[dict[str, float], dict[str, Any]]:
    workload = [parse_catalogue_query(args, TODAY) for args in search_workload()]
    for query in workload:  # warm-up: caches, JIT
        backend.search(query)
    samples = []
    totals: dict[str, int] = {}
    began = (time.process_time(), engine_cpu_seconds(backend))
    for _ in range(rounds):
        for query in workload:
            start = time.perf_counter()
            result = backend.search(query)
            samples.append(time.perf_counter() - start)
            totals[query.q or "(browse)"] = result.total
    detail = {
        "distinct_requests": len(workload),
        "example_totals": dict(list(totals.items())[:8]),
        **_cpu_per_call(backend, len(samples), began),
    }
    return percentiles(samples), detail


def time_suggestions(backend: OpenSearchBackend, rounds: int) -> dict[str, Any]:
    for prefix in SUGGEST_PREFIXES:
        backend.suggest(prefix)
    samples = []
    began = (time.process_time(), engine_cpu_seconds(backend))
    for _ in range(rounds):
        for prefix in SUGGEST_PREFIXES:
            start = time.perf_counter()
            backend.suggest(prefix, 10)
            samples.append(time.perf_counter() - start)
    return {**percentiles(samples), **_cpu_per_call(backend, len(samples), began)}


def measure_relevance(url: str) -> dict[str, Any]:
    """success@3 / nDCG@10 of the judged set on OpenSearch and on the embedded backend."""
    from search.backends.embedded import EmbeddedSearchBackend

    docs, ids = catalogue_documents()
    report: dict[str, Any] = {}
    backend = OpenSearchBackend.from_url(url.rstrip("/") + "/bench-relevance")
    try:
        backend.reindex(lambda: iter([docs]), lambda: len(docs))
        report["opensearch"] = evaluate_backend(backend, ids)
        backend.drop_all()
    finally:
        backend.close()
    with tempfile.TemporaryDirectory() as tmp:
        embedded = EmbeddedSearchBackend(tmp)
        embedded.reindex(lambda: iter([docs]), lambda: len(docs))
        report["embedded"] = evaluate_backend(embedded, ids)
        embedded.close()
    os_bn = report["opensearch"]["by_kind"].get("bn", {})
    em_bn = report["embedded"]["by_kind"].get("bn", {})
    report["bangla_at_least_as_good"] = bool(
        os_bn
        and em_bn
        and os_bn["success_at_3"] >= em_bn["success_at_3"]
        and os_bn["ndcg_at_10"] >= em_bn["ndcg_at_10"]
    )
    return report


def start_node(heap: str) -> tuple[str, Any]:
    sys.path.insert(0, str(ROOT / "tools"))
    import services  # type: ignore[import-not-found]

    service = services.start_opensearch(name="opensearch-bench", heap=heap)
    return service.url, service


def engine_facts(backend: OpenSearchBackend) -> dict[str, Any]:
    """The node and the live index as measured: version, heap, documents, size on disk, segments."""
    client = backend.client
    nodes = client.nodes.stats(metric="jvm")["nodes"]
    info = backend.info()
    segments = client.indices.segments(index=info.name)["indices"][info.name]["shards"]
    return {
        "version": client.info()["version"]["number"],
        "nodes": len(nodes),
        "heap_max_bytes": sum(n["jvm"]["mem"]["heap_max_in_bytes"] for n in nodes.values()),
        "heap_used_bytes": sum(n["jvm"]["mem"]["heap_used_in_bytes"] for n in nodes.values()),
        "index": info.name,
        "documents": info.documents,
        "index_bytes": info.extra.get("bytes"),
        "segments": sum(len(copy["segments"]) for copies in segments.values() for copy in copies),
    }


def engine_cpu_seconds(backend: OpenSearchBackend) -> float:
    """CPU seconds the engine's JVMs have used so far (node stats)."""
    stats = backend.client.nodes.stats(metric="process")["nodes"]
    return sum(n["process"]["cpu"]["total_in_millis"] for n in stats.values()) / 1000.0


def merge_totals(backend: OpenSearchBackend) -> tuple[int, float]:
    """Documents merged and merge seconds (summed over merge threads) on the live index so far."""
    merges = backend.client.indices.stats(index=backend.alias, metric="merge")["_all"]["primaries"]["merges"]
    return int(merges["total_docs"]), merges["total_time_in_millis"] / 1000.0


def wait_for_merges(backend: OpenSearchBackend, note: str, timeout: float = 900.0) -> dict[str, Any]:
    """Wait until no merge runs on the live index; how long that took and the engine CPU it cost."""
    began, engine0 = time.perf_counter(), engine_cpu_seconds(backend)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stats = backend.client.indices.stats(index=backend.alias, metric="merge")
        if not stats["_all"]["primaries"]["merges"]["current"]:
            return {
                "seconds": round(time.perf_counter() - began, 1),
                "engine_cpu_seconds": round(engine_cpu_seconds(backend) - engine0, 1),
                "note": note,
            }
        time.sleep(1)
    raise SystemExit(f"merges still running after {timeout:.0f} s")


def cpu_figures(n: int, wall: float, python_cpu: float, engine_cpu: float) -> dict[str, Any]:
    """Wall time on a shared machine says little; CPU seconds per product say what 2 idle cores would do."""
    cores = os.cpu_count() or 1
    per_product_ms = (python_cpu + engine_cpu) / n * 1000
    return {
        "python_cpu_seconds": round(python_cpu, 1),
        "engine_cpu_seconds": round(engine_cpu, 1),
        "cpu_ms_per_product": round(per_product_ms, 3),
        "cpu_bound_products_per_second_on_idle_cores": round(cores * 1000 / per_product_ms),
        "load_average_after": os.getloadavg(),
        "note": f"{cores} cores shared with other jobs; the CPU-bound rate assumes they were idle",
    }


def upsert_run(backend: OpenSearchBackend, n: int, *, seed: int, first: int) -> dict[str, Any]:
    """``n`` upserts of existing products (ids from ``first`` + 1) through the live alias, timed."""
    batches = list(synthetic_documents(n, batch=BULK_CALL_DOCUMENTS, seed=seed, first=first))
    load_before = os.getloadavg()
    merged0, merging0 = merge_totals(backend)
    began, cpu0, engine0 = time.perf_counter(), time.process_time(), engine_cpu_seconds(backend)
    for batch in batches:
        backend.index_documents(batch)
    seconds = time.perf_counter() - began
    merged, merging = merge_totals(backend)
    return {
        "seconds": round(seconds, 1),
        "products_per_second": round(n / seconds),
        "load_average_before": load_before,
        "merges_ended": {"documents": merged - merged0, "seconds": round(merging - merging0, 1)},
        **cpu_figures(n, seconds, time.process_time() - cpu0, engine_cpu_seconds(backend) - engine0),
    }


def load(backend: OpenSearchBackend, args: argparse.Namespace, results: dict[str, Any]) -> None:
    """Full reindex of the synthetic catalogue, then timed upserts through the live alias."""
    backend.drop_all()
    print(f"reindexing {args.products:,} products ...", file=sys.stderr, flush=True)
    load_before = os.getloadavg()
    began, cpu0, engine0 = time.perf_counter(), time.process_time(), engine_cpu_seconds(backend)
    if args.database:
        from core.db import Database
        from search.indexing import reindex_catalogue

        db = Database(f"sqlite:///{args.database}")
        try:
            info = reindex_catalogue(db, backend, today=TODAY)
        finally:
            db.dispose()
        how = "reindex_catalogue: every public product read from an SQLite registry database"
    else:
        info = backend.reindex(lambda: synthetic_documents(args.products), lambda: args.products)
        how = "OpenSearchBackend.reindex of synthetic documents (no database)"
    seconds = time.perf_counter() - began
    results["reindex"] = {
        "how": how,
        "database_products": args.products,
        "documents": info.documents,
        "seconds": round(seconds, 1),
        "products_per_second": round(info.documents / seconds),
        "index": info.name,
        "bytes": backend.info().extra.get("bytes"),
        "load_average_before": load_before,
        **cpu_figures(
            info.documents, seconds, time.process_time() - cpu0, engine_cpu_seconds(backend) - engine0
        ),
    }
    if args.products < 1_000_000:
        results["reindex"]["extrapolated_1m_seconds"] = round(seconds * 1_000_000 / args.products, 1)
    results["reindex"]["merges_after_live"] = wait_for_merges(
        backend,
        "the index is live and answers meanwhile; Lucene merges the loaded segments in the background",
    )
    print(json.dumps(results["reindex"]), file=sys.stderr, flush=True)
    n = min(args.update_batch, args.products)
    # Untimed: a node's first upserts pay the JIT compiling its update path (C2 compiler threads took
    # about 14 s of CPU in them on a fresh node), which a node that has been up a while has behind it.
    warm_first = 3 * n if 4 * n <= args.products else 0
    warm_up = upsert_run(backend, n, seed=BULK_WARM_UP_SEED, first=warm_first)
    warm_up["merges_after"] = wait_for_merges(backend, "merges the warm-up set off, before the timed runs")
    print(json.dumps(warm_up), file=sys.stderr, flush=True)
    runs = []
    for run, seed in enumerate(BULK_SEEDS):  # each run rewrites n other products, as updates come
        first = run * n if (run + 1) * n <= args.products else 0  # a small catalogue: the same ones again
        runs.append(upsert_run(backend, n, seed=seed, first=first))
        print(json.dumps(runs[-1]), file=sys.stderr, flush=True)
    median = sorted(runs, key=lambda r: r["products_per_second"])[len(runs) // 2]
    results["bulk_index"] = {
        "documents": n,
        "products_per_second": median["products_per_second"],
        "seconds": median["seconds"],
        "how": f"index_documents through the live alias, {BULK_CALL_DOCUMENTS:,} documents a call: "
        f"bulk requests of 1,000, {BULK_SENDERS} in flight, refresh=false; upserts of existing products, "
        f"after the reindex's background merges ended and an untimed warm-up run of as many upserts "
        f"(ids {warm_first + 1:,}-{warm_first + n:,}); the median of {len(runs)} runs, each on "
        "other products (ids 1-100,000, then 100,001-200,000, …)",
        "runs": runs,
        "warm_up": warm_up,
    }
    results["bulk_index"]["merges_after"] = wait_for_merges(
        backend, "merges the upserts set off, awaited before searches are timed (else both share the cores)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument(
        "--update-batch", type=int, default=100_000, help="upserts timed through the live alias"
    )
    parser.add_argument("--rounds", type=int, default=8, help="passes over the search workload")
    parser.add_argument(
        "--url",
        default=os.environ.get("REGISTRY_BENCH_OPENSEARCH_URL", ""),
        help="an OpenSearch node (http://host:port); default: start one with tools/services.py",
    )
    parser.add_argument("--heap", default="4g")
    parser.add_argument("--alias", default="bench-catalogue", help="the benchmark's index alias")
    parser.add_argument("--skip-relevance", action="store_true")
    parser.add_argument(
        "--queries-only",
        action="store_true",
        help="keep the loaded index and the reindex/bulk figures of --output; measure searches again",
    )
    parser.add_argument("--output", default=str(RESULTS))
    parser.add_argument(
        "--database",
        type=Path,
        help="an SQLite registry database of --products products to reindex from (made if missing)",
    )
    parser.add_argument(
        "--prepare-only", action="store_true", help="make the --database file and stop (nothing timed)"
    )
    args = parser.parse_args(argv)
    if args.database and not args.queries_only:
        prepared = prepare_database(args.database.resolve(), args.products)
        print(f"database {args.database}: {prepared}", file=sys.stderr, flush=True)
        if args.prepare_only:
            return 0

    service = None
    url = args.url
    if not url:
        url, service = start_node(args.heap)
    url = url.replace("http://", "opensearch://").replace("https://", "opensearchs://")
    results: dict[str, Any] = {
        "benchmark": "opensearch",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_at_start": os.getloadavg(),
        "engine": {"url": url, "heap": args.heap if service else "(external node)"},
        "products": args.products,
        "targets": TARGETS,
        "command": "python "
        + " ".join(["bench/bench_opensearch.py", *(argv if argv is not None else sys.argv[1:])]),
    }
    backend = OpenSearchBackend.from_url(url.rstrip("/") + f"/{args.alias}?refresh=false&timeout=120")
    try:
        if args.queries_only:
            previous = json.loads(Path(args.output).read_text(encoding="utf-8"))
            for key in ("reindex", "bulk_index", "products", "command"):
                results[key] = previous[key]
            results["queries_command"] = "python bench/bench_opensearch.py " + " ".join(argv or sys.argv[1:])
            results["products"] = backend.count()
        else:
            load(backend, args, results)
        backend.client.indices.refresh(index=backend.alias)
        backend.client.indices.forcemerge(index=backend.alias, max_num_segments=5, request_timeout=900)

        search, detail = time_searches(backend, args.rounds)
        results["search_with_facets"] = {**search, **detail}
        print(json.dumps(results["search_with_facets"]), file=sys.stderr, flush=True)
        results["suggest"] = time_suggestions(backend, args.rounds * 2)
        print(json.dumps(results["suggest"]), file=sys.stderr, flush=True)
        results["engine"].update(engine_facts(backend))
        if not args.skip_relevance:
            results["relevance"] = measure_relevance(url)
        results["load_average_at_end"] = os.getloadavg()
        reindex_1m = results["reindex"].get("extrapolated_1m_seconds", results["reindex"]["seconds"])
        results["verdict"] = {
            "search_p95_ms": results["search_with_facets"]["p95_ms"] <= TARGETS["search_p95_ms"],
            "suggest_p95_ms": results["suggest"]["p95_ms"] <= TARGETS["suggest_p95_ms"],
            "bulk_products_per_second": results["bulk_index"]["products_per_second"]
            >= TARGETS["bulk_products_per_second"],
            "reindex_1m_seconds": reindex_1m <= TARGETS["reindex_1m_seconds"],
        }
    finally:
        backend.close()
        if service is not None:
            import services  # type: ignore[import-not-found]

            services.stop_service(service)
    output = Path(args.output).resolve()
    try:
        from bench._machine import RESULTS_DIR, write_result  # type: ignore[import-not-found]
    except ImportError:
        RESULTS_DIR, write_result = None, None
    if write_result is not None and output.parent == RESULTS_DIR:
        write_result(output.stem, results)
    else:
        results["machine"] = machine_info()
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(results.get("verdict"), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
