"""The published transparency-log vectors, read where they are kept (never copied into the repository):
REGISTRY_TLOG_VECTORS, else ``<repo>/../shared/tlog-vectors``
(their provenance is in PROVENANCE.md there).  Tests that need them skip only when none is present."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


def vectors_dir() -> Path | None:
    candidates = [os.environ.get("REGISTRY_TLOG_VECTORS", ""), REPO.parent / "shared" / "tlog-vectors"]
    for candidate in candidates:
        if candidate and (Path(candidate) / "PROVENANCE.md").is_file():
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def vectors() -> Path:
    found = vectors_dir()
    if found is None:
        pytest.skip("the tlog vectors are not on this machine (set REGISTRY_TLOG_VECTORS)")
    return found


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
