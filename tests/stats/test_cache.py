"""A worker computes the figures at most once per STATS_CACHE_SECONDS and day; 0 computes them every time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from config import load_settings
from stats.figures import Statistics
from stats.services import StatsExtension, StatsSettings


def _computer(calls: list[int]):  # type: ignore[no-untyped-def]
    def compute() -> Statistics:
        calls.append(1)
        return Statistics(as_of=date(2026, 12, 6), generated_at=datetime.now(UTC), tables=[])

    return compute


def test_figures_are_kept_for_the_configured_time_and_day() -> None:
    ext = StatsExtension(StatsSettings(cache_seconds=600, open_data_dir=Path("unused")))
    calls: list[int] = []
    first = ext.statistics(date(2026, 12, 6), _computer(calls))
    assert ext.statistics(date(2026, 12, 6), _computer(calls)) is first and len(calls) == 1
    ext.statistics(date(2026, 12, 7), _computer(calls))  # a new day: new figures
    assert len(calls) == 2


def test_zero_computes_every_time() -> None:
    ext = StatsExtension(StatsSettings(cache_seconds=0, open_data_dir=Path("unused")))
    calls: list[int] = []
    ext.statistics(date(2026, 12, 6), _computer(calls))
    ext.statistics(date(2026, 12, 6), _computer(calls))
    assert len(calls) == 2


def test_settings_come_from_the_settings_tree(tmp_path: Path) -> None:
    config = {
        "ENV": "development",
        "OPEN_DATA_DIR": "",
        "INSTANCE_PATH": str(tmp_path),
        "STATS_CACHE_SECONDS": 90,
    }
    settings = load_settings(config, environ={})
    assert StatsSettings.from_settings(settings) == StatsSettings(90.0, tmp_path / "open-data")
    assert (
        StatsSettings.from_settings(load_settings(config | {"ENV": "testing"}, environ={})).cache_seconds == 0
    )
