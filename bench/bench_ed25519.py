"""Ed25519 implementations side by side (issue 16): which one signs and verifies label URLs.

    .venv/bin/python bench/bench_ed25519.py [--rounds 5] [--urls 20000] [--quick]

Three implementations, each through the registry's own code (``signing.keys`` picks its keys' implementation
from ``signing.ed25519``, as in production):
* ``mib_ed25519`` — the native module (ed25519-dalek, native/ed25519), batch verification;
* ``pynacl`` — libsodium through PyNaCl (wheels, no compiler): what runs when the native module is absent;
* ``cryptography`` — OpenSSL, the path keys.py still takes for a key the fast path refuses.

Figures, all on one core (the process is pinned to one CPU):
* offline: ``python -m signing verify --each-line FILE --jwks FILE`` run in-process over N distinct unit label
  URLs (output to /dev/null; what an auditor runs), and ``verify_label_urls`` alone (batch verification);
* online: signing a batch of N unit label URLs (``issue_label_urls``: what a label job does) and verifying one
  label URL per call (``verify_label_url``: what each scan does), as calls per second;
* raw Ed25519 sign and verify of a 60-byte message (the ceiling of the above).

Rounds alternate: every round runs every implementation once, in a rotated order, so drifting load on the
shared machine hits each alike.  Rates come from process CPU time (what a busy 2-core machine distorts least)
and wall time; the result keeps each round's figure, the median and the best, and ratios against
``mib_ed25519``.  The offline target of issue 3 (>= 10,000 label URLs/s on one core) and the signing target
(>= 20,000/s) are written beside them.  Writes bench/results/ed25519.json (not with --quick).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

import signing.ed25519  # noqa: E402
from bench._machine import write_result  # noqa: E402
from signing import KeyRing, PublishedKey, Signer, issue_label_urls, verify_label_url  # noqa: E402
from signing.labels import verify_label_urls  # noqa: E402
from signing.offline import main as offline_main  # noqa: E402
from signing.serials import SerialPermutation  # noqa: E402

# RFC 8032 TEST 1
SECRET_KEY = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
HOST = "verify.mib.gov.bd"
GTIN = "04006381333931"
ISSUED_ON = date(2026, 11, 28)
IMPLEMENTATIONS = ("mib_ed25519", "pynacl", "cryptography")
OFFLINE_TARGET_PER_S = 10_000
SIGN_TARGET_PER_S = 20_000


@contextlib.contextmanager
def use_ed25519(name: str) -> Iterator[None]:
    """Make ``signing`` use implementation ``name`` for keys built inside the block."""
    native = signing.ed25519.load_native()
    if name == "mib_ed25519" and native is None:
        raise SystemExit("the native module mib_ed25519 is not installed: `make install` (needs cargo)")
    with contextlib.ExitStack() as stack:
        if name != "mib_ed25519":
            stack.enter_context(mock.patch.object(signing.ed25519, "load_native", lambda: None))
        if name == "cryptography":  # the path keys.py takes when the fast path returns no key
            stack.enter_context(mock.patch.object(signing.ed25519, "native_signing_key", lambda key: None))
            stack.enter_context(mock.patch.object(signing.ed25519, "native_verifying_key", lambda key: None))
        yield


def timed(count: int, work: Callable[[], object]) -> dict[str, float]:
    """One run of ``work`` over ``count`` items: rates from CPU time and from wall time."""
    cpu, wall = time.process_time(), time.perf_counter()
    work()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {"cpu": count / cpu if cpu > 0 else float("inf"), "wall": count / wall}


def measure(name: str, serials: list[str], directory: Path) -> dict[str, dict[str, float]]:
    """Every figure of one implementation, once."""
    with use_ed25519(name):
        private = Ed25519PrivateKey.from_private_bytes(SECRET_KEY)
        signer = Signer.from_private_key(private)
        keyring = KeyRing((PublishedKey.from_public_key(private.public_key()),))
        key = keyring.keys[0]
        urls = issue_label_urls(HOST, GTIN, serials, ISSUED_ON, signer)
        url_file, jwks_file = directory / f"urls-{name}.txt", directory / "jwks.json"
        url_file.write_text("\n".join(urls) + "\n", encoding="ascii")
        jwks_file.write_text(json.dumps(keyring.to_jwks()), encoding="ascii")
        message = b"x" * 60
        signature = signer.sign(message)
        raw_count = min(len(serials), 10_000)

        def each_line() -> None:
            with contextlib.redirect_stdout(io.StringIO()):
                code = offline_main(["verify", "--each-line", str(url_file), "--jwks", str(jwks_file)])
            if code != 17:  # every URL genuine, status not checked: anything else is a wrong answer
                raise AssertionError(f"python -m signing verify --each-line exited {code}")

        def verify_all() -> None:
            if any(error is not None for error in verify_label_urls(urls, keyring)):
                raise AssertionError("a good label URL failed")

        def verify_one_by_one() -> None:
            for url in urls:
                verify_label_url(url, keyring)

        return {
            "offline_verify_each_line_cli_per_s": timed(len(urls), each_line),
            "offline_verify_label_urls_batch_per_s": timed(len(urls), verify_all),
            "online_verify_one_label_url_per_s": timed(len(urls), verify_one_by_one),
            "online_sign_label_url_batch_per_s": timed(
                len(serials), lambda: issue_label_urls(HOST, GTIN, serials, ISSUED_ON, signer)
            ),
            "raw_sign_per_s": timed(raw_count, lambda: [signer.sign(message) for _ in range(raw_count)]),
            "raw_verify_per_s": timed(
                raw_count, lambda: [key.check_signature(signature, message) for _ in range(raw_count)]
            ),
        }


def summarise(rounds: list[dict[str, dict[str, dict[str, float]]]], names: list[str]) -> dict[str, Any]:
    figures = list(rounds[0][names[0]])
    summary: dict[str, Any] = {}
    for name in names:
        summary[name] = {}
        for figure in figures:
            cpu = [round(one[name][figure]["cpu"]) for one in rounds]
            wall = [round(one[name][figure]["wall"]) for one in rounds]
            summary[name][figure] = {
                "median_cpu": round(statistics.median(cpu)),
                "best_cpu": max(cpu),
                "median_wall": round(statistics.median(wall)),
                "rounds_cpu": cpu,
                "rounds_wall": wall,
            }
    if "mib_ed25519" in names:
        summary["ratio_to_mib_ed25519_median_cpu"] = {
            name: {
                figure: round(
                    summary[name][figure]["median_cpu"] / summary["mib_ed25519"][figure]["median_cpu"], 2
                )
                for figure in figures
            }
            for name in names
            if name != "mib_ed25519"
        }
    summary["targets"] = {
        "offline_verify_per_s_one_core": OFFLINE_TARGET_PER_S,
        "sign_label_urls_per_s_one_core": SIGN_TARGET_PER_S,
        "met_by_median_cpu": {
            name: {
                "offline_each_line": summary[name]["offline_verify_each_line_cli_per_s"]["median_cpu"]
                >= OFFLINE_TARGET_PER_S,
                "offline_batch": summary[name]["offline_verify_label_urls_batch_per_s"]["median_cpu"]
                >= OFFLINE_TARGET_PER_S,
                "sign": summary[name]["online_sign_label_url_batch_per_s"]["median_cpu"] >= SIGN_TARGET_PER_S,
            }
            for name in names
        },
    }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--urls", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true", help="2 rounds of 2,000 URLs; no result file")
    args = parser.parse_args()
    rounds_wanted, count = (2, 2_000) if args.quick else (args.rounds, args.urls)
    names = [name for name in IMPLEMENTATIONS if name != "mib_ed25519" or signing.ed25519.load_native()]
    everything = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
    if everything:
        os.sched_setaffinity(0, {min(everything)})
    load_at_start = os.getloadavg()
    serials = SerialPermutation(bytes(range(32)), "001").serials(0, count)
    rounds: list[dict[str, dict[str, dict[str, float]]]] = []
    with tempfile.TemporaryDirectory(prefix="bench-ed25519-") as directory:
        measure(names[0], serials[:500], Path(directory))  # warm imports and caches outside the rounds
        for number in range(rounds_wanted):
            order = names[number % len(names) :] + names[: number % len(names)]
            results = {name: measure(name, serials, Path(directory)) for name in order}
            rounds.append(results)
            line = "  ".join(
                f"{name}: each-line {results[name]['offline_verify_each_line_cli_per_s']['cpu']:,.0f}/s"
                f" sign {results[name]['online_sign_label_url_batch_per_s']['cpu']:,.0f}/s"
                for name in names
            )
            print(f"round {number + 1}/{rounds_wanted} (load {os.getloadavg()[0]:.1f}): {line}", flush=True)
    summary = summarise(rounds, names)
    report = {
        "label_urls": count,
        "rounds": rounds_wanted,
        "one_core": True,
        "load_average_at_start": load_at_start,
        "load_average_at_end": os.getloadavg(),
        "implementations": summary,
    }
    print(json.dumps(summary, indent=2))
    if not args.quick:
        print(f"written: {write_result('ed25519', report)}")


if __name__ == "__main__":
    main()
