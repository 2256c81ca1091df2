"""Tests that need a program or package which `.ci/run` installs: skipped on a developer's machine that lacks
it (with how to get it), failed under ``CI=true``, where a missing install step must not pass as a skip."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def need(present: object, what: str) -> None:
    """Go on when ``present`` is true; otherwise :func:`missing` (``what`` says what is missing and how)."""
    if not present:
        missing(what)


def missing(what: str) -> NoReturn:
    """Skip the test, or under CI fail it: CI installs and starts everything, so nothing may be missing."""
    if IN_CI:
        pytest.fail(f"{what} (CI=true: .ci/run installs it, so its absence is a failure, not a skip)")
    pytest.skip(what)
