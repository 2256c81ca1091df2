"""Transparency-log benchmarks (issue 18).

    .venv/bin/python bench/bench_tlog.py [--postgres URL] [--simulated-size 10000000] [--quick]

Measures, on the embedded SQLite database and (with --postgres, or REGISTRY_TEST_DATABASE_URL) PostgreSQL:
* append: entries built (RFC 8785 JSON, leaf hash) and inserted the way the session hook does, sustained over
  50,000 entries: in transactions of 1 entry (each change commits on its own; target >= 5,000/s) and of 100;
* integrate: 10,000 new entries sequenced, tiles extended and a checkpoint signed, in one transaction
  (target <= 1 s), three times in a row;
* proofs from the database: inclusion and consistency p50/p99 at the size reached;
* storage per entry: bytes the log's tables take per entry (entries, tiles, checkpoints);
and, without a database, inclusion and consistency proofs p50/p99 at 10,000,000 entries (target p99 <= 5 ms)
over a simulated tile store: leaf i's hash is SHA-256 of i, level-0 tiles are hashed on demand, the higher
tiles are computed once up front (what the database would hold).

Writes bench/results/tlog.json (not with --quick); with --only, the parts not run keep their previous figures.  Not a test: figures depend on the machine and its load
(recorded).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench._machine import write_result  # noqa: E402
from core.db import Database  # noqa: E402
from core.migrate import upgrade_database  # noqa: E402
from tlog import merkle, services, tiles  # noqa: E402
from tlog.entries import append_rows, entry_row  # noqa: E402
from tlog.models import TlogEntry  # noqa: E402
from tlog.note import NoteSigner  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "tlog.json"
SIGNER = NoteSigner("bench.example/log", Ed25519PrivateKey.from_private_bytes(bytes(range(32))))


def sample_entry(i: int) -> dict[str, Any]:
    """A ``record.signed`` entry of the usual size."""
    return entry_row(
        "record.signed",
        {
            "record_id": i,
            "product_id": 1000 + i % 5000,
            "gtin": f"{2600000000000 + i % 5000:014d}",
            "kid": "UGKqjioU14K0bVoDAUYkcnMT7MIzY__wxAALPO0qopA",
            "action": "approve",
            "record_sha256": hashlib.sha256(str(i).encode()).hexdigest(),
            "at": "2026-12-06T07:35:40Z",
        },
        f"record:{i}",
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


CPU: list[
    float
] = []  # thread CPU time of the last timed() calls (wall time on a loaded machine includes waits)


def timed(fn: Callable[[], Any]) -> float:
    cpu, start = time.thread_time(), time.perf_counter()
    fn()
    CPU.append(time.thread_time() - cpu)
    return time.perf_counter() - start


def summary(name: str, wall: list[float], cpu: list[float]) -> dict[str, float]:
    return {
        f"{name}_p50_ms": round(statistics.median(wall) * 1000, 3),
        f"{name}_p99_ms": round(percentile(wall, 0.99) * 1000, 3),
        f"{name}_cpu_p50_ms": round(statistics.median(cpu) * 1000, 3),
        f"{name}_cpu_p99_ms": round(percentile(cpu, 0.99) * 1000, 3),
    }


APPEND_CPU: dict[int, float] = {}  # entries per second of this process's CPU time, by entries per transaction
APPEND_ONLY: list[float] = []  # seconds spent building and inserting entries, without BEGIN and COMMIT


def bench_append(engine: Any, total: int, per_txn: int) -> float:
    done = 0
    APPEND_ONLY.clear()
    cpu = time.process_time()
    start = time.perf_counter()
    while done < total:
        with Session(engine) as session, session.begin():
            session.connection()  # BEGIN (IMMEDIATE on SQLite) before the clock: the change's transaction
            APPEND_ONLY.append(
                timed(lambda d=done, s=session: append_rows(s, [sample_entry(d + k) for k in range(per_txn)]))
            )
        done += per_txn
    APPEND_CPU[per_txn] = total / (time.process_time() - cpu)  # the client's CPU only (all of SQLite's work)
    return total / (time.perf_counter() - start)


def bench_integrate(engine: Any, rounds: int, batch: int) -> list[float]:
    out = []
    for r in range(rounds):
        with Session(engine) as session, session.begin():
            append_rows(session, [sample_entry(10_000_000 + r * batch + k) for k in range(batch)])

        def run() -> None:
            with Session(engine) as session, session.begin():
                services.integrate(session, SIGNER)

        out.append(timed(run))
    return out


def bench_db_proofs(engine: Any, count: int) -> dict[str, float]:
    with Session(engine) as session:
        cp = services.latest_checkpoint(session)
        assert cp is not None
        rng = random.Random(18)
        inc, con, inc_cpu, con_cpu = [], [], [], []
        shared = tiles.PyramidCache()
        for _ in range(count):
            i = rng.randrange(cp.size)
            # a fresh ProofCache per proof: nothing cached but the shared upper tiles, as for a new request
            cache = services.ProofCache()
            cache.pyramids = shared
            inc.append(timed(lambda i=i, c=cache: services.inclusion(session, i, cp, c)))
            inc_cpu.append(CPU[-1])
            m = rng.randrange(1, cp.size)
            con.append(timed(lambda m=m, c=cache: services.consistency(session, m, cp, c)))
            con_cpu.append(CPU[-1])
    return {
        "tree_size": cp.size,
        **summary("inclusion", inc, inc_cpu),
        **summary("consistency", con, con_cpu),
    }


def storage_per_entry(engine: Any) -> dict[str, Any]:
    with engine.connect() as conn:
        count = conn.scalar(select(func.count()).select_from(TlogEntry))
        if engine.dialect.name == "postgresql":
            total = sum(
                conn.scalar(text(f"SELECT pg_total_relation_size('{t}')"))
                for t in ("tlog_entries", "tlog_tiles", "tlog_checkpoints")
            )
            how = "pg_total_relation_size of tlog_entries, tlog_tiles, tlog_checkpoints (with indexes)"
        else:
            rows = conn.execute(
                text("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'tlog_%' OR name LIKE 'ix_tlog_%'")
            )
            total = rows.scalar()
            how = "SQLite dbstat: pages of the tlog_ tables and their indexes"
    return {"entries": count, "bytes_per_entry": round(total / count, 1), "how": how}


def run_database(url: str, quick: bool) -> dict[str, Any]:
    database = Database(url)  # the application's engine: WAL, synchronous=NORMAL, BEGIN IMMEDIATE on SQLite
    upgrade_database(database.engine)
    engine = database.engine
    total = 5_000 if quick else 50_000
    result: dict[str, Any] = {"append_per_s_1_per_txn": round(bench_append(engine, total // 5, 1))}
    # what logging adds to one change's transaction: building and inserting its entry
    result["append_only_us_per_entry_1_per_txn"] = round(statistics.median(APPEND_ONLY) * 1e6, 1)
    result["append_per_s_100_per_txn"] = round(bench_append(engine, total, 100))
    result["append_only_per_s_100_per_txn"] = round(100 / statistics.median(APPEND_ONLY))
    result["append_per_cpu_s"] = {f"{n}_per_txn": round(rate) for n, rate in APPEND_CPU.items()}
    with Session(engine) as session, session.begin():
        services.integrate(session, SIGNER)  # the backlog of the append runs
    batch = 2_000 if quick else 10_000
    times = bench_integrate(engine, 3, batch)
    result["integrate_entries"] = batch
    result["integrate_and_sign_s"] = [round(t, 3) for t in times]
    result["integrate_and_sign_cpu_s"] = [round(t, 3) for t in CPU[-3:]]  # this process; the database's apart
    result["proofs"] = bench_db_proofs(engine, 200 if quick else 2_000)
    result["storage"] = storage_per_entry(engine)
    engine.dispose()
    return result


def simulated_store(size: int) -> Callable[[int, int, int], bytes]:
    """Tiles of a log whose leaf i hashes to SHA-256(i): level 0 on demand, the rest precomputed."""

    def level0(n: int, width: int) -> bytes:
        first = n * tiles.WIDTH
        return b"".join(hashlib.sha256((first + k).to_bytes(8, "big")).digest() for k in range(width))

    upper: dict[int, bytes] = {}
    below = b"".join(
        merkle.root_of_leaves(tiles.split_hashes(level0(n, tiles.WIDTH))) for n in range(size // tiles.WIDTH)
    )
    level = 1
    while below:
        upper[level] = below
        below = b"".join(
            merkle.root_of_leaves(tiles.split_hashes(below[p : p + tiles.WIDTH * 32]))
            for p in range(0, len(below) - len(below) % (tiles.WIDTH * 32), tiles.WIDTH * 32)
        )
        level += 1

    def read(lv: int, n: int, width: int) -> bytes:
        if lv == 0:
            return level0(n, width)
        start = n * tiles.WIDTH * 32
        return upper[lv][start : start + width * 32]

    return read


def run_simulated(size: int, count: int) -> dict[str, Any]:
    started = time.perf_counter()
    read = simulated_store(size)
    built = time.perf_counter() - started
    root = merkle.tree_root(tiles.tile_nodes(read, size), size)
    rng = random.Random(18)
    inc, con = [], []
    shared = tiles.PyramidCache()  # as the service's ProofCache shares the upper tiles between requests
    for _ in range(count):
        i = rng.randrange(size)
        nodes = tiles.tile_nodes(read, size, shared)  # a fresh reader per proof, as each request has
        proof: list[bytes] = []
        inc.append(
            timed(lambda nodes=nodes, i=i, out=proof: out.extend(merkle.inclusion_proof(nodes, i, size)))
        )
        merkle.verify_inclusion(i, size, hashlib.sha256(i.to_bytes(8, "big")).digest(), proof, root)
        m = rng.randrange(1, size)
        nodes = tiles.tile_nodes(read, size, shared)
        cproof: list[bytes] = []
        con.append(
            timed(lambda nodes=nodes, m=m, out=cproof: out.extend(merkle.consistency_proof(nodes, m, size)))
        )
        if len(con) <= 20:  # checked on a few: the first root needs the whole tree hashed again
            merkle.verify_consistency(m, size, merkle.tree_root(tiles.tile_nodes(read, m), m), root, cproof)
    cpu = CPU[-2 * count :]
    return {
        "tree_size": size,
        "store_build_s": round(built, 1),
        "proofs": count,
        **summary("inclusion", inc, cpu[0::2]),
        **summary("consistency", con, cpu[1::2]),
        "note": "proofs built and verified against the root; level-0 tiles hashed on demand (256 SHA-256 each)",
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default=os.environ.get("REGISTRY_TEST_DATABASE_OWNER_URL", ""))
    parser.add_argument("--simulated-size", type=int, default=10_000_000)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="sqlite,postgresql,simulated", help="parts to run (others kept)")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    previous = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "{}"
    results: dict[str, Any] = {k: v for k, v in json.loads(previous).items() if k not in parts | {"machine"}}
    results[f"load_average_at_start_{'_'.join(sorted(parts))}"] = [round(x, 2) for x in os.getloadavg()]
    if "sqlite" in parts:
        with tempfile.TemporaryDirectory(prefix="bench-tlog-") as tmp:
            results["sqlite"] = run_database(f"sqlite:///{tmp}/tlog.sqlite3", args.quick)
            print("sqlite", results["sqlite"], flush=True)
    if args.postgres and "postgresql" in parts:
        engine = create_engine(args.postgres)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        results["postgresql"] = run_database(args.postgres, args.quick)
        print("postgresql", results["postgresql"], flush=True)
    if "simulated" in parts:
        size = 100_000 if args.quick else args.simulated_size
        results["simulated"] = run_simulated(size, 500 if args.quick else 5_000)
        print("simulated", results["simulated"], flush=True)
    results["targets"] = {
        "append_per_s": ">= 5000",
        "integrate_10000_and_sign_s": "<= 1",
        "proof_p99_ms_at_10M": "<= 5",
    }
    if not args.quick:
        sys.argv = [
            re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", a) for a in sys.argv
        ]  # no password in results
        print(write_result("tlog", results))


if __name__ == "__main__":
    main()
