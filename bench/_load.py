"""Load tests on loopback, shared by the benchmarks: gunicorn started as the README's production command
starts it (sync workers, access log; here 2 workers and the log to a file), wrk against it, and the CPU
both used, which a busy shared machine distorts less than requests per second."""

from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its children (gunicorn's master and workers), from /proc."""
    total = 0.0
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for one in pids:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextlib.contextmanager
def gunicorn(
    app: str,
    env: dict[str, str],
    *,
    port: int | None = None,
    ready_path: str = "/healthz",
    workers: int = 2,
    worker_class: str = "sync",
    threads: int = 1,
    access_log: Path | None = None,
    chdir: Path = ROOT,
    preload: bool = False,
) -> Iterator[Server]:
    """This interpreter's gunicorn serving ``app`` from ``chdir`` (this checkout) on 127.0.0.1; stopped with
    SIGTERM (an orderly stop). ``preload`` loads the application once in the master before forking."""
    port = port or free_port()
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),  # a worktree has no .venv of its own
            "--chdir",
            str(chdir),
            *(["--preload"] if preload else []),
            "-w",
            str(workers),
            "-k",
            worker_class,
            "--threads",
            str(threads),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            *(["--access-logfile", str(access_log)] if access_log else []),
            app,
        ],
        env=env,
        cwd=chdir,
    )
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{ready_path}", timeout=1).read()  # noqa: S310 - loopback
                break
            except OSError:
                time.sleep(0.2)
        yield Server(port, process)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def worker_pids(master: int) -> list[int]:
    with contextlib.suppress(OSError):
        return [int(c) for c in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    return []


def memory_mb(pid: int) -> dict[str, float]:
    """Resident (RSS), proportional (PSS: pages shared with the master or the other workers count a share
    each) and private (USS) memory of one process, in MB, from /proc/<pid>/smaps_rollup."""
    values: dict[str, float] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            name, _, rest = line.partition(":")
            if rest.strip().endswith("kB"):
                values[name] = int(rest.split()[0]) / 1024
    private = values.get("Private_Clean", 0.0) + values.get("Private_Dirty", 0.0)
    return {
        "rss_mb": round(values.get("Rss", 0.0), 1),
        "pss_mb": round(values.get("Pss", 0.0), 1),
        "uss_mb": round(private, 1),
    }


@dataclass
class WrkRun:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    output: str

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def wrk(
    url: str,
    *,
    duration: int,
    connections: int,
    script: Path | None = None,
    env: dict[str, str] | None = None,
) -> WrkRun:
    """One wrk run (2 threads). A script must print ``JSON {requests, duration_us, p50_ms, p99_ms}`` in done()."""
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            *(["-s", str(script)] if script else []),
            url,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    non_2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    if found := re.search(r"JSON (\{.*\})", out):
        stats = json.loads(found.group(1))
        return WrkRun(
            stats["requests"], stats["duration_us"] / 1e6, stats["p50_ms"], stats["p99_ms"], non_2xx, out
        )
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return WrkRun(requests, requests / rate, _latency(out, "50%"), _latency(out, "99%"), non_2xx, out)


def _latency(out: str, which: str) -> float:
    m = re.search(rf"{re.escape(which)}\s+([\d.]+)(us|ms|s)", out)
    if not m:
        return float("nan")
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]


@dataclass
class CpuMeter:
    """CPU used by the server (master and workers) and by this process's children (wrk) while measuring."""

    server_pid: int
    _server: float = 0.0
    _children: float = 0.0
    load_before: float = field(default_factory=lambda: os.getloadavg()[0])

    def __enter__(self) -> CpuMeter:
        self.load_before = os.getloadavg()[0]
        self._server = process_cpu_seconds(self.server_pid)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        self._children = usage.ru_utime + usage.ru_stime
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.server_s = process_cpu_seconds(self.server_pid) - self._server
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.wrk_s = usage.ru_utime + usage.ru_stime - self._children

    def figures(self, requests: int) -> dict[str, float]:
        return {
            "load_average_1min_before": round(self.load_before, 2),
            "server_cpu_ms_per_request": round(self.server_s * 1000 / max(requests, 1), 3),
            "wrk_cpu_s": round(self.wrk_s, 2),
        }
