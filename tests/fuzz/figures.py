"""What the fuzzing run counted, per role: written by test_api_fuzz.py, printed by conftest.py."""

from __future__ import annotations

FIGURES: dict[str, dict[str, int]] = {}
