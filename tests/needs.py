"""Tests that need a program or package which `.ci/run` installs: skipped on a developer's machine that lacks
it (with how to get it), failed under ``CI=true``, where a missing install step must not pass as a skip."""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def need(present: object, what: str) -> None:
    """Go on when ``present`` is true; otherwise skip, or fail in CI, saying ``what`` is missing and how."""
    if present:
        return
    if IN_CI:
        pytest.fail(f"{what} (CI=true: .ci/run installs it, so its absence is a failure, not a skip)")
    pytest.skip(what)
