"""Signing benchmarks (issue 3): offline verification and issuance of label URLs.

    .venv/bin/python bench/bench_signing.py [--quick]

Measures, with a fixed test key:
* offline verification of distinct unit label URLs on one core (target >= 10,000/s);
* signing unit label URLs on one core, serials given (target >= 20,000/s), and with serial derivation;
* a 1,000,000-serial batch (derive serials, sign, write URLs to a file) on 2 worker processes (target < 60 s);
* the raw Ed25519 sign/verify rate of `cryptography` on this machine, the ceiling for the numbers above.

Writes bench/results/signing.json.  Not a test: numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from signing import KeyRing, PublishedKey, Signer, issue_label_urls, verify_label_url  # noqa: E402
from signing.serials import SerialPermutation  # noqa: E402

SECRET_KEY = bytes.fromhex(
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
)  # RFC 8032 TEST 1
HOST = "verify.mib.gov.bd"
GTIN = "04006381333931"
ISSUED_ON = date(2026, 11, 28)
BATCH_SECRET = bytes(range(32))


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
        "python": sys.version.split()[0],
        "load_average_at_start": os.getloadavg(),
    }


def pin_to_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def best_rate(count: int, work: object, repeats: int = 3) -> float:
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()  # type: ignore[operator]
        rates.append(count / (time.perf_counter() - start))
    return max(rates)


def sign_chunk(arguments: tuple[int, int, str]) -> int:
    start, stop, directory = arguments
    signer = Signer.from_private_key(Ed25519PrivateKey.from_private_bytes(SECRET_KEY))
    serials = SerialPermutation(BATCH_SECRET, "001").serials(start, stop)
    urls = issue_label_urls(HOST, GTIN, serials, ISSUED_ON, signer)
    with open(Path(directory) / f"{start:08d}.txt", "w", encoding="ascii") as handle:
        handle.write("\n".join(urls))
        handle.write("\n")
    return len(urls)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller counts (a smoke run)")
    args = parser.parse_args()
    verify_count = 5_000 if args.quick else 20_000
    sign_count = 10_000 if args.quick else 50_000
    batch_size = 100_000 if args.quick else 1_000_000

    results: dict[str, object] = {
        "machine": machine_info(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    private = Ed25519PrivateKey.from_private_bytes(SECRET_KEY)
    signer = Signer.from_private_key(private)
    ring = KeyRing((PublishedKey.from_public_key(private.public_key()),))
    serials = SerialPermutation(BATCH_SECRET, "001").serials(0, max(verify_count, sign_count))

    # 1-core measurements run in a child pinned to one CPU, so the batch's 2 workers do not share it
    pin_to_one_core()
    message = b"x" * 100
    signature = private.sign(message)
    public = private.public_key()
    raw_sign = best_rate(20_000, lambda: [private.sign(message) for _ in range(20_000)])
    raw_verify = best_rate(10_000, lambda: [public.verify(signature, message) for _ in range(10_000)])
    urls = issue_label_urls(HOST, GTIN, serials[:verify_count], ISSUED_ON, signer)
    verify_rate = best_rate(verify_count, lambda: [verify_label_url(url, ring) for url in urls])
    sign_rate = best_rate(
        sign_count, lambda: issue_label_urls(HOST, GTIN, serials[:sign_count], ISSUED_ON, signer)
    )
    derive_and_sign_rate = best_rate(
        sign_count,
        lambda: issue_label_urls(
            HOST, GTIN, SerialPermutation(BATCH_SECRET, "001").serials(0, sign_count), ISSUED_ON, signer
        ),
    )
    results["one_core"] = {
        "raw_ed25519_sign_per_s": round(raw_sign),
        "raw_ed25519_verify_per_s": round(raw_verify),
        "offline_verify_label_urls_per_s": round(verify_rate),
        "offline_verify_target_per_s": 10_000,
        "sign_label_urls_per_s": round(sign_rate),
        "derive_serial_and_sign_label_urls_per_s": round(derive_and_sign_rate),
        "sign_target_per_s": 20_000,
    }

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    chunk = 50_000
    with tempfile.TemporaryDirectory(prefix="bench-signing-") as directory:
        jobs = [(start, min(start + chunk, batch_size), directory) for start in range(0, batch_size, chunk)]
        start_time = time.perf_counter()
        with multiprocessing.get_context("fork").Pool(2) as pool:
            total = sum(pool.imap_unordered(sign_chunk, jobs))
        elapsed = time.perf_counter() - start_time
        written = sum(1 for path in Path(directory).iterdir() for _ in path.open())
    results["batch_two_workers"] = {
        "serials": total,
        "lines_written": written,
        "seconds": round(elapsed, 2),
        "label_urls_per_s": round(total / elapsed),
        "target_seconds_for_1_000_000": 60,
    }
    results["sample_url"] = urls[0]
    out = Path(__file__).parent / "results" / "signing.json"
    out.parent.mkdir(exist_ok=True)
    if not args.quick:
        out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
