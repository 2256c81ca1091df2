"""The reindex's document query on PostgreSQL, right after a bulk load (no table statistics) and after ANALYZE.

    .venv/bin/python bench/bench_reindex_postgres.py [--sizes 100000,1000000] [--old-seconds 60]

Issue 21: reading 96,970 products for a reindex took 84.9 s right after a bulk load or a restore and 6.8 s
once ANALYZE had run, because the plan re-read every licensed product per batch. The reader now walks
windows of the primary key (``search.documents.iter_product_id_windows``); this bench shows whether its
time still depends on statistics. For each size it:

1. creates the schema with the migrations on a fresh database, turns autovacuum off on the catalogue tables
   (so that no automatic ANALYZE can run during the measurement; ``reltuples`` is checked to be -1, "never
   analysed"), and bulk-loads the products with COPY (bench/bench_search.py's synthetic catalogue, 97 %
   public, with certificate links);
2. reads every public document as ``reindex_catalogue`` does (one REPEATABLE READ snapshot, the count check)
   — no statistics;
3. optionally the previous reader (pages of *public* ids with LIMIT, then the documents by id) for at most
   ``--old-seconds``, no statistics, to show what the change avoids (its rate, extrapolated when cut off);
4. ANALYZE, then step 2 again.

The server: ``REGISTRY_BENCH_POSTGRES_OWNER_URL`` (the owner role, which may create and drop the schema), or
one started here with tools/services.py and stopped at the end. The 1,000,000-product case takes about
6-10 minutes on 2 busy cores (mostly generating and loading the rows). Writes bench/results/reindex_postgres.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import and_, create_engine, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench._machine import write_result  # noqa: E402
from bench.bench_search import TODAY, insert_makers, product_rows  # noqa: E402
from core.migrate import upgrade_database  # noqa: E402
from registry.models import Manufacturer, Product  # noqa: E402
from search.documents import (  # noqa: E402
    build_product_documents,
    count_public_products,
    iter_public_documents,
    public_clause,
    public_documents_stmt,
)

CATALOGUE_TABLES = ("manufacturers", "certificates", "products", "product_certificates")
COPY_COLUMNS = (
    "id", "manufacturer_id", "name_en", "name_bn", "brand", "model_number", "category", "gtin", "hs_code",
    "description_en", "description_bn", "specifications", "local_value_addition", "lva_basis", "launch_date",
    "images", "status", "licence_number", "licence_valid_from", "licence_valid_until", "created_at",
    "updated_at", "version",
)  # fmt: skip


def fresh_schema(engine: Any) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade_database(engine)
    with engine.begin() as conn:
        for table in CATALOGUE_TABLES:
            conn.execute(text(f"ALTER TABLE {table} SET (autovacuum_enabled = false)"))


def bulk_load(engine: Any, n: int) -> dict[str, float]:
    """``n`` products with COPY (and their certificate links), in one transaction, no ANALYZE."""
    from psycopg.types.json import Json

    started = time.perf_counter()
    json_columns = {"specifications", "images"}
    with engine.begin() as conn:
        maker_ids, cert_ids = insert_makers(conn)
        cursor = conn.connection.driver_connection.cursor()
        links: list[tuple[int, int]] = []
        with cursor.copy(f"COPY products ({', '.join(COPY_COLUMNS)}) FROM STDIN") as copy:
            for row, certificates in product_rows(n, maker_ids, cert_ids):
                copy.write_row([Json(row[c]) if c in json_columns else row[c] for c in COPY_COLUMNS])
                links += [(row["id"], c) for c in certificates]
        with cursor.copy("COPY product_certificates (product_id, certificate_id) FROM STDIN") as copy:
            for link in links:
                copy.write_row(link)
    return {"seconds": round(time.perf_counter() - started, 1), "certificate_links": len(links)}


def statistics_state(engine: Any) -> dict[str, Any]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.relname, c.reltuples, s.last_analyze, s.last_autoanalyze FROM pg_class c "
                "JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.relname = ANY(:names)"
            ),
            {"names": list(CATALOGUE_TABLES)},
        ).all()
    return {
        r.relname: {"reltuples": r.reltuples, "analysed": bool(r.last_analyze or r.last_autoanalyze)}
        for r in rows
    }


def read_documents(engine: Any) -> dict[str, Any]:
    """What reindex_catalogue reads: every public document in one REPEATABLE READ snapshot, then the count."""
    started = time.perf_counter()
    with Session(engine) as session:
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        documents = batches = 0
        for docs in iter_public_documents(session, TODAY):
            documents += len(docs)
            batches += 1
        expected = count_public_products(session, TODAY)
        plan = (
            session.execute(
                text(
                    "EXPLAIN " + str(_window_query().compile(engine, compile_kwargs={"literal_binds": True}))
                )
            )
            .scalars()
            .all()
        )
    if documents != expected:
        raise SystemExit(f"read {documents} documents but {expected} products are public")
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "documents": documents,
        "batches": batches,
        "window_plan": plan,
    }


def _window_query() -> Any:
    """One window's document query as the reader sends it (for EXPLAIN)."""
    return public_documents_stmt(TODAY, lambda column: and_(column > 500_000, column <= 502_000))


def read_documents_old_way(engine: Any, limit_seconds: float) -> dict[str, Any]:
    """The reader before issue 21: pages of *public* ids (join, filter, ORDER BY id LIMIT), then documents by id.
    Stops after ``limit_seconds``; the rate is what it reached by then."""
    started = time.perf_counter()
    documents = 0
    with Session(engine) as session:
        last = 0
        while time.perf_counter() - started < limit_seconds:
            ids = list(
                session.scalars(
                    select(Product.id)
                    .join(Manufacturer, Manufacturer.id == Product.manufacturer_id)
                    .where(Product.id > last, public_clause(TODAY))
                    .order_by(Product.id)
                    .limit(2000)
                )
            )
            if not ids:
                break
            docs, _ = build_product_documents(session, ids, TODAY)
            documents += len(docs)
            last = ids[-1]
        total = count_public_products(session, TODAY)
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 2),
        "documents": documents,
        "finished": documents == total,
        "extrapolated_seconds_for_all": round(seconds * total / max(documents, 1), 1),
    }


def bench_size(engine: Any, n: int, old_seconds: float) -> dict[str, Any]:
    fresh_schema(engine)
    loaded = bulk_load(engine, n)
    print(f"{n}: loaded in {loaded['seconds']} s", flush=True)
    before = statistics_state(engine)
    if any(t["analysed"] or t["reltuples"] >= 0 for t in before.values()):
        raise SystemExit(f"the tables have statistics already: {before}")
    result: dict[str, Any] = {"products": n, "load": loaded, "statistics_before": before}
    result["no_analyze"] = read_documents(engine)
    print(f"{n}: read without statistics in {result['no_analyze']['seconds']} s", flush=True)
    if old_seconds > 0:
        result["old_reader_no_analyze"] = read_documents_old_way(engine, old_seconds)
        print(f"{n}: old reader {result['old_reader_no_analyze']}", flush=True)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE " + ", ".join(CATALOGUE_TABLES)))
    result["analyzed"] = read_documents(engine)
    print(f"{n}: read after ANALYZE in {result['analyzed']['seconds']} s", flush=True)
    result["ratio_no_analyze_to_analyzed"] = round(
        result["no_analyze"]["seconds"] / result["analyzed"]["seconds"], 2
    )
    return result


def start_server() -> tuple[str, Any]:
    sys.path.insert(0, str(ROOT / "tools"))
    import services

    os.environ.setdefault("REGISTRY_SERVICES_STATE_DIR", tempfile.mkdtemp(prefix="bench-pg-"))
    service = services.start_postgres(name=f"bench-reindex-{os.getpid()}")
    return service.owner_url, service


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--old-seconds", type=float, default=60.0, help="0: do not run the previous reader")
    args = parser.parse_args()
    url = os.environ.get("REGISTRY_BENCH_POSTGRES_OWNER_URL")
    service = None
    if not url:
        url, service = start_server()
    engine = create_engine(url)
    data: dict[str, Any] = {"load_average_at_start": list(os.getloadavg()), "sizes": {}}
    started = time.perf_counter()
    try:
        for size in (int(s) for s in args.sizes.split(",")):
            data["sizes"][str(size)] = bench_size(engine, size, args.old_seconds)
    finally:
        engine.dispose()
        if service is not None:
            import services

            services.stop_service(service)
    data["load_average_at_end"] = list(os.getloadavg())
    data["seconds"] = round(time.perf_counter() - started)
    path = write_result("reindex_postgres", data)
    print(json.dumps({k: v.get("ratio_no_analyze_to_analyzed") for k, v in data["sizes"].items()}))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
