"""The peak resident set size of this process while a block runs (sampled every 5 ms), for benchmarks and for
the tests that hold memory flat (tests/core/test_blobs.py). Linux only (/proc/self/status)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any


def rss() -> int:
    """This process's resident set size in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


class PeakRSS:
    """``with PeakRSS() as m: ...`` then ``m.growth`` (bytes above the start) and ``m.seconds``."""

    def __enter__(self) -> PeakRSS:
        self.start = self.peak = rss()
        self.t0 = time.perf_counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss())

    def __exit__(self, *_: Any) -> None:
        self.seconds = time.perf_counter() - self.t0
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss())

    @property
    def growth(self) -> int:
        return self.peak - self.start
