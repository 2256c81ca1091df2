"""The statistics package's settings and its per-worker cache of the figures."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from stats.figures import Statistics


@dataclass(frozen=True)
class StatsSettings:
    cache_seconds: float
    open_data_dir: Path

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> StatsSettings:
        testing = config["ENV"] == "testing"  # tests roll every transaction back: nothing may outlive one
        folder = config["OPEN_DATA_DIR"] or str(Path(config["INSTANCE_PATH"]) / "open-data")
        return cls(
            cache_seconds=0.0 if testing else float(config["STATS_CACHE_SECONDS"]), open_data_dir=Path(folder)
        )


class StatsExtension:
    """``app.extensions["stats"]``: settings, and the figures of the day computed at most once per
    ``cache_seconds`` in this worker (the figures change slowly; every answer says how old it is)."""

    def __init__(self, settings: StatsSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._cached: tuple[date, float, Statistics] | None = None

    def statistics(self, today: date, compute: Callable[[], Statistics]) -> Statistics:
        cached = self._cached
        if (
            cached is not None
            and cached[0] == today
            and time.monotonic() - cached[1] < self.settings.cache_seconds
        ):
            return cached[2]
        with self._lock:
            figures = compute()
            if self.settings.cache_seconds > 0:
                self._cached = (today, time.monotonic(), figures)
            return figures
