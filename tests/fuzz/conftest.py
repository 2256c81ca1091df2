"""The fuzzing run's figures, printed at the end of the run: requests, server errors and schema violations
per role."""

from __future__ import annotations

import os
from typing import Any

from tests.fuzz.figures import FIGURES


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    if not FIGURES:
        return
    terminalreporter.section("API fuzzing (schemathesis)")
    seed = os.environ.get("REGISTRY_FUZZ_SEED")
    terminalreporter.write_line(f"seed: {seed}" if seed else "seed: fixed (derandomized)")
    for role, counts in FIGURES.items():
        terminalreporter.write_line(f"{role}: " + ", ".join(f"{n:,} {what}" for what, n in counts.items()))
