"""Measure what the throwaway servers cost: start-up time, stop time and resident memory.

    .venv/bin/python tools/measure_services.py [--repeat 3] [--skip-cluster]

Writes bench/results/services.json (with machine info and the load average before each start, since the
numbers mean little on a busy machine). Not a test: nothing here passes or fails on a number.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import services  # noqa: E402 - tools/ is a folder of scripts

from bench._machine import write_result  # noqa: E402


def read_rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def read_tree_rss_bytes(pid: int) -> int:
    """RSS of a process and its children (PostgreSQL forks a process per role)."""
    total = read_rss_bytes(pid)
    for child in Path("/proc").iterdir():
        if child.name.isdigit():
            try:
                stat = (child / "stat").read_text()
                if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                    total += read_rss_bytes(int(child.name))
            except (OSError, ValueError):
                continue
    return total


def measure(label: str, start, repeat: int) -> dict:
    runs = []
    for _ in range(repeat):
        load = os.getloadavg()[0]
        service = start()
        try:
            time.sleep(2)  # let the JVMs settle before reading memory
            rss = sum(read_tree_rss_bytes(pid) for pid in service.pids)
        finally:
            began = time.monotonic()
            services.stop_service(service)
        runs.append(
            {
                "start_seconds": service.startup_seconds,
                "stop_seconds": round(time.monotonic() - began, 2),
                "rss_mib": round(rss / 2**20),
                "load_average_1m_before": round(load, 2),
                "processes": len(service.pids),
            }
        )
        print(label, runs[-1], flush=True)
    return {
        "runs": runs,
        "start_seconds_median": statistics.median(run["start_seconds"] for run in runs),
        "rss_mib_median": statistics.median(run["rss_mib"] for run in runs),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-cluster", action="store_true")
    args = parser.parse_args()
    pid = os.getpid()
    results = {
        "postgres": measure(
            "postgres", lambda: services.start_postgres(name=f"measure-pg-{pid}"), args.repeat
        ),
        "opensearch_1_node_512m": measure(
            "opensearch 1 node", lambda: services.start_opensearch(name=f"measure-os-{pid}"), args.repeat
        ),
    }
    if not args.skip_cluster:
        results["opensearch_3_jvms_512m_each"] = measure(
            "opensearch 3 JVMs",
            lambda: services.start_opensearch(nodes=3, name=f"measure-os3-{pid}"),
            max(1, args.repeat - 1),
        )
        results["opensearch_3_nodes_one_jvm_1g"] = measure(
            "opensearch 3 nodes, 1 JVM",
            lambda: services.start_opensearch(nodes=3, single_jvm=True, name=f"measure-os3j-{pid}"),
            max(1, args.repeat - 1),
        )
    path = write_result("services", {"benchmark": "throwaway test servers (tools/services.py)", **results})
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
