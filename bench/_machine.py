"""What every benchmark result file records about the machine it ran on, and where result files go.

    from bench._machine import write_result
    write_result("search", {"p95_ms": 12.3, ...})   # -> bench/results/search.json, machine info merged in

Stdlib only. Nothing here is timed; numbers are only comparable between runs on the same kind of machine.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
REPO_ROOT = BENCH_DIR.parent


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_bytes() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def _git(*args: str) -> str | None:
    try:
        result = subprocess.run(  # noqa: S603 - fixed git arguments
            ["git", "-C", str(REPO_ROOT), *args],  # noqa: S607 - git from PATH
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def machine_info() -> dict[str, Any]:
    """Hostname, platform, CPU model and count, memory, Python, UTC date and the git commit."""
    memory = _memory_bytes()
    status = _git("status", "--porcelain", "--untracked-files=no")
    usable_cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_usable": usable_cpus,
        "memory_bytes": memory,
        "memory_gib": round(memory / 2**30, 1) if memory else None,
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "date_utc": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(status) if status is not None else None,
        "argv": sys.argv,
    }


def write_result(name: str, data: dict[str, Any]) -> Path:
    """Write bench/results/<name>.json: `data` plus a "machine" entry; returns the path."""
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"a result name is a plain file stem, not {name!r}")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    payload = {**data, "machine": {**machine_info(), **data.get("machine", {})}}
    path.write_text(
        json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8"
    )
    return path
