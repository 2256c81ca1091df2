"""Signing benchmarks (issue 3): issuance and verification of label URLs, offline and online.

    .venv/bin/python bench/bench_signing.py [--quick] [--skip-offline] [--skip-online] [--skip-postgres]
        [--duration 10] [--connections 8]

Measures, with a fixed test key (RFC 8032 TEST 1):
* offline verification of distinct unit label URLs on one core (target >= 10,000/s);
* signing unit label URLs on one core, serials given (target >= 20,000/s), and with serial derivation;
* a 1,000,000-serial batch (derive serials, sign, write URLs to files) on 2 worker processes (target < 60 s);
* the raw Ed25519 sign/verify rate on this machine (the ceiling for the numbers above), and batch
  verification;
* all one-core figures twice: with the native module `mib_ed25519` (ed25519-dalek, what signing uses when it
  is installed) under "one_core", and with libsodium through PyNaCl (the path without a compiler) under
  "one_core_pynacl" (bench/bench_ed25519.py adds cryptography and alternates rounds);
* online JSON verification of label URLs with scans recorded: 2 gunicorn workers started as the README's
  production command starts them (sync workers, access log), wrk on loopback, on SQLite
  and PostgreSQL (target >= 1,500 requests/s, p99 <= 25 ms).

Writes bench/results/signing.json (not with --quick).  With --skip-online (or --skip-offline) the figures of
the part not run are kept from the previous file, with the time and load they were measured at.  Not a test:
the numbers depend on the machine and on what else runs on it (the load average at the start is recorded;
rates are wall-clock, the best of 3; "cpu_time_per_s" gives the same rates from process CPU time, which a
busy shared machine distorts less).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

import signing.ed25519  # noqa: E402
from bench._load import CpuMeter, free_port, gunicorn, wrk  # noqa: E402
from bench._machine import write_result  # noqa: E402
from bench.bench_ed25519 import GTIN, HOST, ISSUED_ON, SECRET_KEY, use_ed25519  # noqa: E402
from signing import KeyRing, PublishedKey, Signer, issue_label_urls, verify_label_url  # noqa: E402
from signing.labels import verify_label_urls  # noqa: E402
from signing.serials import SerialPermutation  # noqa: E402

BATCH_SECRET = bytes(range(32))
WRK_SCRIPT = """
local paths = {}
local n = 0
function init(args)
  for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
  n = math.random(#paths)
end
function request()
  n = n % #paths + 1
  return wrk.format("GET", paths[n], {["Accept"] = "application/json"})
end
done = function(summary, latency, requests)
  io.write(string.format("JSON {\\"requests\\": %d, \\"duration_us\\": %d, \\"p50_ms\\": %.2f, \\"p99_ms\\": %.2f}\\n",
    summary.requests, summary.duration, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


def best_rate(
    count: int, work: Callable[[], object], repeats: int = 3, cpu: list[float] | None = None
) -> float:
    """Best wall-clock rate of ``repeats`` runs; the best CPU-time rate is appended to ``cpu`` if given."""
    rates, cpu_rates = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        work()
        rates.append(count / (time.perf_counter() - start))
        cpu_rates.append(count / max(time.process_time() - start_cpu, 1e-9))
    if cpu is not None:
        cpu.append(max(cpu_rates))
    return max(rates)


def measure_one_core(
    backend: str, serials: list[str], verify_count: int, sign_count: int
) -> dict[str, object]:
    """The one-core rates of one Ed25519 backend (the caller pins the process to one core)."""
    with use_ed25519(backend):
        private = Ed25519PrivateKey.from_private_bytes(SECRET_KEY)
        signer = Signer.from_private_key(private)
        ring = KeyRing((PublishedKey.from_public_key(private.public_key()),))
        key = ring.keys[0]
        message = b"x" * 100
        signature = signer.sign(message)
        messages = [i.to_bytes(4, "big") + message for i in range(10_000)]
        signatures = signer.sign_many(messages)
        cpu: list[float] = []
        raw_sign = best_rate(20_000, lambda: [signer.sign(message) for _ in range(20_000)], cpu=cpu)
        raw_verify = best_rate(
            10_000, lambda: [key.check_signature(signature, message) for _ in range(10_000)], cpu=cpu
        )
        triples = [(key, s, m) for s, m in zip(signatures, messages, strict=True)]
        raw_batch = best_rate(10_000, lambda: verify_signatures_or_fail(triples), cpu=cpu)
        urls = issue_label_urls(HOST, GTIN, serials[:verify_count], ISSUED_ON, signer)
        verify_rate = best_rate(verify_count, lambda: [verify_label_url(url, ring) for url in urls], cpu=cpu)
        bulk_rate = best_rate(verify_count, lambda: verify_label_urls(urls, ring), cpu=cpu)
        sign_rate = best_rate(
            sign_count, lambda: issue_label_urls(HOST, GTIN, serials[:sign_count], ISSUED_ON, signer), cpu=cpu
        )
        derive_and_sign_rate = best_rate(
            sign_count,
            lambda: issue_label_urls(
                HOST, GTIN, SerialPermutation(BATCH_SECRET, "001").serials(0, sign_count), ISSUED_ON, signer
            ),
            cpu=cpu,
        )
    names = [
        "raw_ed25519_sign_per_s",
        "raw_ed25519_verify_per_s",
        "raw_ed25519_batch_verify_per_s",
        "offline_verify_label_urls_per_s",
        "offline_verify_label_urls_bulk_per_s",
        "sign_label_urls_per_s",
        "derive_serial_and_sign_label_urls_per_s",
    ]
    wall = [raw_sign, raw_verify, raw_batch, verify_rate, bulk_rate, sign_rate, derive_and_sign_rate]
    return {
        "ed25519_backend": backend,
        **{name: round(rate) for name, rate in zip(names, wall, strict=True)},
        "offline_verify_target_per_s": 10_000,
        "sign_target_per_s": 20_000,
        "cpu_time_per_s": {name: round(rate) for name, rate in zip(names, cpu, strict=True)},
        "sample_url": urls[0],
    }


def verify_signatures_or_fail(triples: list[tuple[PublishedKey, bytes, bytes]]) -> None:
    """Batch verification where the backend has it (PyNaCl: one by one), as verify_label_urls does."""
    from signing.keys import verify_signatures

    if not all(verify_signatures(triples)):
        raise AssertionError("a good signature failed")


def sign_chunk(arguments: tuple[int, int, str]) -> int:
    start, stop, directory = arguments
    signer = Signer.from_private_key(Ed25519PrivateKey.from_private_bytes(SECRET_KEY))
    serials = SerialPermutation(BATCH_SECRET, "001").serials(start, stop)
    urls = issue_label_urls(HOST, GTIN, serials, ISSUED_ON, signer)
    with open(Path(directory) / f"{start:08d}.txt", "w", encoding="ascii") as handle:
        handle.write("\n".join(urls))
        handle.write("\n")
    return len(urls)


def run_offline(quick: bool) -> dict[str, object]:
    verify_count = 5_000 if quick else 20_000
    sign_count = 10_000 if quick else 50_000
    batch_size = 100_000 if quick else 1_000_000
    serials = SerialPermutation(BATCH_SECRET, "001").serials(0, max(verify_count, sign_count))
    everything = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
    if everything:
        os.sched_setaffinity(0, {min(everything)})  # one core for the one-core numbers
    backends = ["mib_ed25519", "pynacl"] if signing.ed25519.load_native() is not None else ["pynacl"]
    one_core = {backend: measure_one_core(backend, serials, verify_count, sign_count) for backend in backends}
    if everything:
        os.sched_setaffinity(0, everything)
    chunk = 50_000
    with tempfile.TemporaryDirectory(prefix="bench-signing-") as directory:
        jobs = [(start, min(start + chunk, batch_size), directory) for start in range(0, batch_size, chunk)]
        start_time = time.perf_counter()
        with multiprocessing.get_context("fork").Pool(2) as pool:
            total = sum(pool.imap_unordered(sign_chunk, jobs))
        elapsed = time.perf_counter() - start_time
        written = sum(1 for path in Path(directory).iterdir() for _ in path.open())
    fastest = one_core[backends[0]]
    return {
        # what signing uses here (the native module when installed), then the PyNaCl path without it
        "one_core": {key: value for key, value in fastest.items() if key != "sample_url"},
        "one_core_pynacl": {key: value for key, value in one_core["pynacl"].items() if key != "sample_url"},
        "batch_two_workers": {
            "ed25519_backend": signing.ed25519.backend_name(),
            "serials": total,
            "lines_written": written,
            "seconds": round(elapsed, 2),
            "label_urls_per_s": round(total / elapsed),
            "target_seconds_for_1_000_000": 60,
        },
        "sample_url": fastest["sample_url"],
    }


# ---------------------------------------------------------------------------------------------- online


PREPARE = r"""
import sys
from datetime import UTC, datetime
from app import create_app
from core.migrate import upgrade_database
from registry.factories import bind_factories, ManufacturerFactory, ProductFactory, CertificateFactory, licensed
from signing import batches
app = create_app()
db = app.extensions["core.db"]
upgrade_database(db.engine)
ext = app.extensions["signing"]
ext.ready()  # before our own write transaction: SQLite has one writer
s = db.session()
bind_factories(s)
m = ManufacturerFactory(status="verified")
p = ProductFactory(manufacturer_id=m.id, **licensed())
p.certificates.append(CertificateFactory(manufacturer_id=m.id))
batch = batches.create_batch(s, p, 100000, user_id=None, now=datetime.now(UTC))
s.commit()
signer = ext.signer(s)
with open(sys.argv[1], "w") as out:
    for url, _ in batches.iter_batch_urls(batch, signer, ext.settings.public_host, stop=int(sys.argv[2])):
        out.write("/" + url.split("://", 1)[1].split("/", 1)[1] + "\n")
"""


COUNT_SCANS = r"""
from sqlalchemy import func, select
from app import create_app
from signing.models import Scan
app = create_app()
session = app.extensions["core.db"].session(write=False)
print(session.scalar(select(func.count()).select_from(Scan)))
"""


def count_scans(env: dict[str, str]) -> int:
    """Scans in the database (after the server has stopped: what its workers wrote on the way out)."""
    done = subprocess.run(
        [sys.executable, "-c", COUNT_SCANS], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    return int(done.stdout.split()[-1])


def run_online(
    label: str,
    env: dict[str, str],
    duration: int,
    connections: int,
    units: int,
    worker_class: str = "sync",
    threads: int = 1,
    access_log: bool = True,
) -> dict[str, object]:
    port = free_port()
    env = {
        **env,
        "REGISTRY_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "REGISTRY_SEARCH_SYNC_THREAD": "false",
    }
    with tempfile.TemporaryDirectory() as tmp:
        paths = Path(tmp) / "paths.txt"
        script = Path(tmp) / "verify.lua"
        script.write_text(WRK_SCRIPT)
        subprocess.run(
            [sys.executable, "-c", PREPARE, str(paths), str(units)],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        with gunicorn(
            # no per-client rate limit against our own load generator (everything comes from 127.0.0.1)
            "app:create_app({'SIGNING_RATELIMIT_VERIFY': ''})",
            env,
            port=port,
            ready_path="/.well-known/jwks.json",
            worker_class=worker_class,
            threads=threads,
            access_log=Path(tmp) / "access.log" if access_log else None,
        ) as server:
            wrk_env = {**env, "BENCH_PATHS": str(paths)}
            warm = wrk(server.url, duration=3, connections=connections, script=script, env=wrk_env)
            with CpuMeter(server.process.pid) as cpu:  # the warm-up run done, this one is measured
                run = wrk(server.url, duration=duration, connections=connections, script=script, env=wrk_env)
            answered = warm.requests + run.requests  # verifications wrk saw answered (each records a scan)
            # the same server answering its cached JWKS (no database, no signature): what Flask, gunicorn and
            # wrk alone reach on this machine, the ceiling for any endpoint of the app
            floor = wrk(
                f"{server.url}/.well-known/jwks.json", duration=max(duration // 2, 3), connections=connections
            )
            sample = urllib.request.Request(  # noqa: S310 - loopback
                server.url + paths.read_text().split()[0], headers={"Accept": "application/json"}
            )
            verdict = json.loads(urllib.request.urlopen(sample, timeout=5).read())["verdict"]  # noqa: S310
            answered += 1
        # gunicorn stopped with SIGTERM, an orderly stop: the workers wrote their buffered scans
        scans = count_scans(env)
    rps = run.per_second
    return {
        "backend": label,
        "requests_per_s": round(rps, 1),
        "requests": run.requests,
        "non_2xx": run.non_2xx,
        "p50_ms": run.p50_ms,
        "p99_ms": run.p99_ms,
        "connections": connections,
        "workers": 2,
        "worker_class": worker_class,  # sync closes every connection; gthread keeps wrk's connections alive
        "threads": threads,
        "access_log": access_log,  # the README's production command writes gunicorn's access log
        "duration_s": duration,
        "distinct_label_urls": units,
        "sample_verdict": verdict,
        # CPU seconds the 2 workers (and master) used during the measured run, per request: the figure that a
        # busy shared machine does not distort much
        **cpu.figures(run.requests),
        "jwks_requests_per_s_same_server": round(floor.per_second, 1),
        # after SIGTERM: every answered verification is in the database (wrk does not count the requests still
        # in flight when it stops, so a few more scans than answers is expected; fewer would be a loss)
        "verifications_answered": answered,
        "scans_in_database_after_stop": scans,
        "scans_lost": max(answered - scans, 0),
        "target_rps": 1500,
        "target_p99_ms": 25,
        "meets_target": rps >= 1500 and run.p99_ms <= 25 and run.non_2xx == 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller counts; writes no result file")
    parser.add_argument("--skip-online", action="store_true")
    parser.add_argument("--skip-offline", action="store_true", help="only the online (gunicorn + wrk) part")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--worker-class", default="sync", help="gunicorn worker class: sync (default) or gthread (keep-alive)"
    )
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (gthread)")
    parser.add_argument(
        "--no-access-log",
        dest="access_log",
        action="store_false",
        help="without gunicorn's access log (the README's production command writes one; here to a file)",
    )
    args = parser.parse_args()
    previous_file = ROOT / "bench/results/signing.json"
    previous: dict[str, Any] = json.loads(previous_file.read_text()) if previous_file.is_file() else {}
    previous_date = previous.get("machine", {}).get("date_utc")
    data: dict[str, Any] = {"load_average_at_start": list(os.getloadavg())}
    if args.skip_offline:  # keep the offline figures of the last full run beside the new online ones
        if previous:
            data = {key: value for key, value in previous.items() if key not in ("machine", "notes")}
            data["offline_measured_at"] = previous.get("offline_measured_at", previous_date)
            data["online_load_average_at_start"] = list(os.getloadavg())
    else:
        data.update(run_offline(args.quick))
    print(json.dumps(data, indent=2))
    if not args.skip_online and shutil.which("wrk"):
        runs = []
        units = 2_000 if args.quick else 20_000
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "REGISTRY_INSTANCE_PATH": tmp}
            env.pop("REGISTRY_DATABASE_URL", None)
            runs.append(
                run_online(
                    "sqlite",
                    env,
                    args.duration,
                    args.connections,
                    units,
                    args.worker_class,
                    args.threads,
                    args.access_log,
                )
            )
            print(runs[-1])
        if not args.skip_postgres:
            sys.path.insert(0, str(ROOT / "tools"))
            import services  # type: ignore[import-not-found]  # tools/services.py

            service = services.start_postgres(name="bench-signing-postgres")
            try:
                with tempfile.TemporaryDirectory() as tmp:
                    env = {**os.environ, "REGISTRY_INSTANCE_PATH": tmp, "REGISTRY_DATABASE_URL": service.url}
                    runs.append(
                        run_online(
                            "postgresql",
                            env,
                            args.duration,
                            args.connections,
                            units,
                            args.worker_class,
                            args.threads,
                            args.access_log,
                        )
                    )
                    print(runs[-1])
            finally:
                services.stop_service(service)
        data["online_verify_json"] = runs
        data.pop("online_measured_at", None)  # measured in this run (machine.date_utc)
    elif "online_verify_json" in previous:  # --skip-online keeps the last online figures, saying from when
        data["online_verify_json"] = previous["online_verify_json"]
        data["online_load_average_at_start"] = previous.get(
            "online_load_average_at_start", previous.get("load_average_at_start")
        )
        data["online_measured_at"] = previous.get("online_measured_at", previous_date)
    if not args.quick:
        print(f"wrote {write_result('signing', data)}")


if __name__ == "__main__":
    main()
