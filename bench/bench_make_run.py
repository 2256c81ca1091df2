"""``make run`` when already set up: seconds from the command to the first 200 from /healthz (issue 21: ≤ 3 s).

    .venv/bin/python bench/bench_make_run.py [--rounds 5]

Runs ``make run`` (installed and prepared already: the first round prepares if needed and is not counted)
on a free port, polls http://127.0.0.1:PORT/healthz every 20 ms, then stops the process group it started.
Reports wall seconds and the CPU seconds of the started processes (from /proc, children included), which move
less with other load on the machine; the load average is written beside them. Writes bench/results/make_run.json.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._load import free_port  # noqa: E402
from bench._machine import write_result  # noqa: E402


def group_cpu_seconds(group: int) -> float:
    """User + system CPU of the live processes of ``group`` (their reaped children included)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:  # pgrp
            total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
    return total / tick


def one_start(port: int, timeout: float = 120.0) -> dict[str, Any]:
    started = time.perf_counter()
    load = os.getloadavg()[0]
    process = subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - started < timeout:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.02)
        else:
            raise SystemExit(f"/healthz did not answer within {timeout} s")
        seconds = time.perf_counter() - started
        cpu = group_cpu_seconds(process.pid)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
    return {"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "load_average_1min_before": load}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    port = free_port()
    one_start(port, timeout=900)  # sets up what is missing; not counted
    runs = [one_start(free_port()) for _ in range(args.rounds)]
    data = {
        "what": "make run when already set up, to the first 200 from /healthz",
        "runs": runs,
        "median_seconds": statistics.median(r["seconds"] for r in runs),
        "median_cpu_seconds": statistics.median(r["cpu_seconds"] for r in runs),
        "goal_seconds": 3,
    }
    path = write_result("make_run", data)
    print({k: v for k, v in data.items() if k != "runs"})
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
