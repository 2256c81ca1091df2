"""Fixtures for label tests (helpers live in label_helpers.py)."""

from __future__ import annotations

import random

import pytest

from labels import LabelText
from tests.labels.label_helpers import SERIAL_ALPHABET, make_text, make_url


@pytest.fixture()
def rng() -> random.Random:
    return random.Random(20260401)


@pytest.fixture()
def unit_items(rng: random.Random):
    """A function giving n (url, LabelText) items for distinct serials."""

    def make(n: int) -> list[tuple[str, LabelText]]:
        items = []
        for _ in range(n):
            serial = "".join(rng.choice(SERIAL_ALPHABET) for _ in range(13))
            url = make_url(rng, serial=serial)
            items.append((url, make_text(url, serial)))
        return items

    return make
