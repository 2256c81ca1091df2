"""Hot paths beside their bare references (issue 21): each path of the registry and the barest service that
does the same job (../shared/reference, see its README), measured in one run, alternating, on one machine.

    .venv/bin/python bench/bench_hot_paths.py [--rounds 3] [--duration 8] [--connections 16]
        [--only verify,create,reindex] [--reindex-products 100000] [--reference DIR]

The production configuration: gunicorn with 2 sync workers and its access log (to a file), the application
preloaded in the master (--preload, as docs/operations.md runs it), rate limits on and keyed per client, the
clients many: every request carries a random X-Forwarded-For as the reverse proxy forwards it, and the app
trusts one proxy hop (REGISTRY_TRUSTED_PROXY_HOPS=1).  Ratios are registry / reference for requests per second
and reference / registry for server CPU per request (master + workers, /proc), per round; the median round
is the figure.  Memory is each worker's RSS and PSS (shared preloaded pages counted once per sharer) after the
load.  Writes bench/results/hot_paths.json with the load average of every run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._load import CpuMeter, Server, free_port, gunicorn, memory_mb, worker_pids, wrk  # noqa: E402
from bench._machine import write_result  # noqa: E402


def find_reference(given: str | None) -> Path:
    candidates = [Path(given)] if given else []
    env = os.environ.get("REGISTRY_BENCH_REFERENCE_DIR")
    candidates += [Path(env)] if env else []
    candidates += [parent / "shared/reference" for parent in (ROOT.parent, ROOT.parent.parent)]
    for candidate in candidates:
        if (candidate / "ref_verify_app.py").is_file():
            return candidate.resolve()
    sys.exit("the bare references are not found: give --reference DIR (the folder with ref_verify_app.py)")


def production_env(tmp: str, port: int) -> dict[str, str]:
    env = {
        **os.environ,
        "REGISTRY_INSTANCE_PATH": tmp,
        "REGISTRY_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "REGISTRY_SEARCH_SYNC_THREAD": "false",  # one drain process beside the web workers (operations.md)
        "REGISTRY_TRUSTED_PROXY_HOPS": "1",
    }
    env.pop("REGISTRY_DATABASE_URL", None)
    return env


def one_run(
    server: Server, script: Path, env: dict[str, str], duration: int, connections: int
) -> dict[str, Any]:
    with CpuMeter(server.process.pid) as cpu:
        run = wrk(server.url, duration=duration, connections=connections, script=script, env=env)
    return {
        "requests_per_s": round(run.per_second, 1),
        "requests": run.requests,
        "non_2xx": run.non_2xx,
        "p50_ms": run.p50_ms,
        "p99_ms": run.p99_ms,
        **cpu.figures(run.requests),
    }


def ratios(project: list[dict[str, Any]], reference: list[dict[str, Any]]) -> dict[str, Any]:
    """Per round: registry/reference requests per second, reference/registry CPU per request."""
    rps = [p["requests_per_s"] / r["requests_per_s"] for p, r in zip(project, reference, strict=True)]
    cpu = [
        r["server_cpu_ms_per_request"] / p["server_cpu_ms_per_request"]
        for p, r in zip(project, reference, strict=True)
        if p["server_cpu_ms_per_request"]
    ]
    return {
        "ratio_requests_per_s": round(statistics.median(rps), 3),
        "ratio_requests_per_s_rounds": [round(x, 3) for x in rps],
        "ratio_cpu_per_request": round(statistics.median(cpu), 3) if cpu else None,
        "ratio_cpu_per_request_rounds": [round(x, 3) for x in cpu],
        "registry_requests_per_s_median": statistics.median(p["requests_per_s"] for p in project),
        "reference_requests_per_s_median": statistics.median(r["requests_per_s"] for r in reference),
        "registry_cpu_ms_median": statistics.median(p["server_cpu_ms_per_request"] for p in project),
        "reference_cpu_ms_median": statistics.median(r["server_cpu_ms_per_request"] for r in reference),
    }


def workers_memory(server: Server) -> dict[str, Any]:
    workers = [memory_mb(pid) for pid in worker_pids(server.process.pid)]
    return {
        "master": memory_mb(server.process.pid),
        "workers": workers,
        "worker_rss_mb_mean": round(statistics.mean(w["rss_mb"] for w in workers), 1) if workers else None,
        "worker_pss_mb_mean": round(statistics.mean(w["pss_mb"] for w in workers), 1) if workers else None,
    }


# ------------------------------------------------------------------------------------------------ verify


def bench_verify(ref_dir: Path, rounds: int, duration: int, connections: int) -> dict[str, Any]:
    from bench.bench_signing import PREPARE, count_scans

    script = ref_dir / "rand_lines.lua"
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        ref_data = Path(tmp) / "ref"
        subprocess.run(
            [sys.executable, str(ref_dir / "seed_ref_units.py"), str(ref_data)],
            check=True,
            capture_output=True,
        )
        (ref_data / "ref_verify_app.py").write_text((ref_dir / "ref_verify_app.py").read_text())
        port = free_port()
        env = production_env(str(Path(tmp) / "instance"), port)
        paths = Path(tmp) / "paths.txt"
        subprocess.run(
            [sys.executable, "-c", PREPARE, str(paths), "20000"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        answered = 0
        runs: dict[str, list[dict[str, Any]]] = {k: [] for k in ("html", "html_ref", "json", "json_ref")}
        with (
            gunicorn(
                "app:create_app()",
                env,
                port=port,
                ready_path="/.well-known/jwks.json",
                preload=True,
                access_log=Path(tmp) / "access.log",
            ) as registry,
            gunicorn(
                "ref_verify_app:app",
                env,
                chdir=ref_data,
                ready_path="/ping",
                preload=False,
                access_log=Path(tmp) / "ref-access.log",
            ) as reference,
        ):
            cases = {
                "html": (registry, paths, "text/html"),
                "html_ref": (reference, ref_data / "paths_vh.txt", "text/html"),
                "json": (registry, paths, "application/json"),
                "json_ref": (reference, ref_data / "paths_vs.txt", "application/json"),
            }
            for server, lines, accept in cases.values():  # warm-up: caches, pages compiled
                warm = wrk(
                    server.url,
                    duration=2,
                    connections=connections,
                    script=script,
                    env={**env, "PATHS": str(lines), "ACCEPT": accept, "XFF": "1"},
                )
                answered += warm.requests if server is registry else 0
            for n in range(rounds):
                for name, (server, lines, accept) in cases.items():
                    run = one_run(
                        server,
                        script,
                        {**env, "PATHS": str(lines), "ACCEPT": accept, "XFF": "1"},
                        duration,
                        connections,
                    )
                    runs[name].append(run)
                    answered += run["requests"] if server is registry else 0
                    print(
                        f"round {n + 1} {name:9} {run['requests_per_s']:8.1f} req/s "
                        f"{run['server_cpu_ms_per_request']:.3f} ms CPU  load {run['load_average_1min_before']}",
                        flush=True,
                    )
            out["memory_after_load"] = {
                "registry": workers_memory(registry),
                "reference": workers_memory(reference),
            }
        scans = count_scans(env)
    out["html"] = {
        **ratios(runs["html"], runs["html_ref"]),
        "registry": runs["html"],
        "reference": runs["html_ref"],
    }
    out["json"] = {
        **ratios(runs["json"], runs["json_ref"]),
        "registry": runs["json"],
        "reference": runs["json_ref"],
    }
    # every verification wrk saw answered is a scan in the database after the orderly stop (a few more is
    # expected: wrk does not count the requests in flight when it stops)
    out["scans"] = {"answered": answered, "in_database_after_stop": scans, "lost": max(answered - scans, 0)}
    memory = out["memory_after_load"]
    if memory["reference"]["worker_rss_mb_mean"]:
        memory["ratio_rss"] = round(
            memory["registry"]["worker_rss_mb_mean"] / memory["reference"]["worker_rss_mb_mean"], 2
        )
        memory["ratio_pss"] = round(
            memory["registry"]["worker_pss_mb_mean"] / memory["reference"]["worker_pss_mb_mean"], 2
        )
    return out


# ------------------------------------------------------------------------------------------------ create


def bench_create(ref_dir: Path, rounds: int, duration: int, connections: int) -> dict[str, Any]:
    from bench.bench_registry import prepare

    script = ROOT / "bench/create_product.lua"
    runs: dict[str, list[dict[str, Any]]] = {"registry": [], "reference": []}
    with tempfile.TemporaryDirectory() as tmp:
        env = production_env(str(Path(tmp) / "instance"), free_port())
        token = prepare(env)
        ref_data = Path(tmp) / "ref"
        ref_data.mkdir()
        (ref_data / "ref_create_app.py").write_text((ref_dir / "ref_create_app.py").read_text())
        ref_env = {**env, "REF_DB": str(ref_data / "ref.sqlite3"), "REF_AUDIT": "1"}
        ref_token = subprocess.run(
            [sys.executable, "ref_create_app.py", "seed"],
            env=ref_env,
            cwd=ref_data,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()[-1]
        with (
            gunicorn("app:create_app()", env, preload=True, access_log=Path(tmp) / "access.log") as registry,
            gunicorn(
                "ref_create_app:app",
                ref_env,
                chdir=ref_data,
                ready_path="/healthz",
                preload=False,
                access_log=Path(tmp) / "ref-access.log",
            ) as reference,
        ):
            sides = {"registry": (registry, token), "reference": (reference, ref_token)}
            run_id = 1
            for server, key in sides.values():
                wrk(
                    server.url,
                    duration=2,
                    connections=connections,
                    script=script,
                    env={**env, "BENCH_TOKEN": key, "BENCH_RUN": str(run_id)},
                )
            for n in range(rounds):
                run_id += 1  # distinct GTINs in every run
                for name, (server, key) in sides.items():
                    run = one_run(
                        server,
                        script,
                        {**env, "BENCH_TOKEN": key, "BENCH_RUN": str(run_id)},
                        duration,
                        connections,
                    )
                    runs[name].append(run)
                    print(
                        f"round {n + 1} create {name:9} {run['requests_per_s']:8.1f} req/s "
                        f"{run['server_cpu_ms_per_request']:.3f} ms CPU non-2xx {run['non_2xx']}",
                        flush=True,
                    )
    return {
        **ratios(runs["registry"], runs["reference"]),
        **runs,
        "reference_writes_audit_row": True,
        "backend": "sqlite",
    }


# ------------------------------------------------------------------------------------------------ reindex


def bench_reindex(ref_dir: Path, products: int) -> dict[str, Any]:
    code = r"""
import json, sys, time
sys.path.insert(0, sys.argv[2])
from app import create_app
from core.migrate import upgrade_database
from bench.bench_search import load_database, TODAY
from search.indexing import reindex_catalogue
app = create_app()
db = app.extensions["core.db"]
upgrade_database(db.engine)
load_database(db, int(sys.argv[1]))
started = time.perf_counter(); cpu = time.process_time()
info = reindex_catalogue(db, app.extensions["search"], today=TODAY)
print("JSON", json.dumps({"seconds": round(time.perf_counter() - started, 2),
      "cpu_seconds": round(time.process_time() - cpu, 2), "documents": info.documents}))
"""
    ref = subprocess.run(
        [sys.executable, str(ref_dir / "ref_fts5.py")],
        capture_output=True,
        text=True,
        check=True,
        cwd=tempfile.gettempdir(),
    ).stdout
    with tempfile.TemporaryDirectory() as tmp:
        env = production_env(tmp, free_port())
        done = subprocess.run(
            [sys.executable, "-c", code, str(products), str(ROOT)],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    import json
    import re

    registry = json.loads(done.split("JSON", 1)[1])
    found = re.search(r"index \d+ docs: ([\d.]+)s", ref)
    ref_seconds = float(found.group(1)) if found else None
    return {
        "products": products,
        "registry": registry,
        "reference_output": ref.strip()[-600:],
        "reference_fts5_build_s": ref_seconds,
        "times_slower": round(registry["seconds"] / ref_seconds, 1) if ref_seconds else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--only", default="verify,create,reindex")
    parser.add_argument("--reindex-products", type=int, default=100_000)
    parser.add_argument("--reference", default=None)
    parser.add_argument(
        "--ratelimit-storage",
        default="",
        help="REGISTRY_RATELIMIT_STORAGE_URL for the registry, e.g. redis://127.0.0.1:6379/0 "
        "(tools/services.py start redis); the result file then ends in _redis",
    )
    args = parser.parse_args()
    if args.ratelimit_storage:
        os.environ["REGISTRY_RATELIMIT_STORAGE_URL"] = args.ratelimit_storage
    ref_dir = find_reference(args.reference)
    chosen = set(args.only.split(","))
    data: dict[str, Any] = {
        "configuration": "gunicorn --preload, 2 sync workers, access log to a file; rate limits on, keyed per "
        "client; a random X-Forwarded-For per request, REGISTRY_TRUSTED_PROXY_HOPS=1; SQLite"
        + ("; rate limits counted in Redis (core.ratelimit)" if args.ratelimit_storage else ""),
        "reference_dir": os.path.relpath(ref_dir, ROOT),  # relative to the repo: ../shared/reference
        "load_average_at_start": list(os.getloadavg()),
        "rounds": args.rounds,
        "duration_s": args.duration,
        "connections": args.connections,
    }
    started = time.perf_counter()
    if "verify" in chosen:
        data["verify"] = bench_verify(ref_dir, args.rounds, args.duration, args.connections)
    if "create" in chosen:
        data["create_product"] = bench_create(ref_dir, args.rounds, args.duration, args.connections)
    if "reindex" in chosen:
        data["reindex"] = bench_reindex(ref_dir, args.reindex_products)
    data["load_average_at_end"] = list(os.getloadavg())
    data["seconds"] = round(time.perf_counter() - started)
    summary = {
        "verify_html_ratio": data.get("verify", {}).get("html", {}).get("ratio_requests_per_s"),
        "verify_json_ratio": data.get("verify", {}).get("json", {}).get("ratio_requests_per_s"),
        "create_product_ratio": data.get("create_product", {}).get("ratio_requests_per_s"),
        "memory_worker_pss_ratio": data.get("verify", {}).get("memory_after_load", {}).get("ratio_pss"),
        "reindex_times_slower": data.get("reindex", {}).get("times_slower"),
    }
    data = {"summary": summary, **data}
    name = (
        "hot_paths" if chosen == {"verify", "create", "reindex"} else "hot_paths_" + "_".join(sorted(chosen))
    )
    path = write_result(name + ("_redis" if args.ratelimit_storage else ""), data)
    print(summary)
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
