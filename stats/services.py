"""The statistics package's settings and its per-worker cache of the figures."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from config import Settings
from stats.figures import Statistics


@dataclass(frozen=True)
class StatsSettings:
    cache_seconds: float
    open_data_dir: Path

    @classmethod
    def from_settings(cls, settings: Settings) -> StatsSettings:
        group = settings.stats
        folder = group.open_data_dir or settings.instance_file("open-data")
        # tests roll every transaction back: nothing may outlive one
        cache = 0.0 if settings.core.testing else float(group.cache_seconds)
        return cls(cache_seconds=cache, open_data_dir=Path(folder))


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
