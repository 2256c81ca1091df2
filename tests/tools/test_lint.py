"""The tree stays as `make lint` wants it: ruff's lint rules and ruff format (issue 16), checked in CI too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUFF = Path(sys.executable).with_name("ruff")


def run_ruff(*args: str) -> subprocess.CompletedProcess[str]:
    if not RUFF.exists():
        pytest.skip("ruff is a dev dependency: install with make install")
    return subprocess.run([str(RUFF), *args], cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603


def test_ruff_finds_nothing() -> None:
    result = run_ruff("check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout[-4000:]


def test_every_file_is_ruff_formatted() -> None:
    result = run_ruff("format", "--check", "--no-cache", ".")
    assert result.returncode == 0, "run `make format`:\n" + result.stdout[-4000:]
