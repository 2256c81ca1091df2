"""Entries are RFC 8785 JSON: the fast path gives the same bytes as the rfc8785 library on every kind of
value an entry can hold, Bangla and control characters included."""

from __future__ import annotations

import random

import pytest
import rfc8785

from tlog.entries import canonical_entry

ALPHABET = [
    "a",
    "Z",
    "0",
    " ",
    '"',
    "\\",
    "/",
    "\n",
    "\t",
    "\x00",
    "\x1f",
    "\x7f",
    "\u0085",
    "\u2028",
    "ক",
    "্",
    "\u200d",
    "é",
    "😀",
    "\ufeff",
    "<",
    "&",
]


def random_text(rng: random.Random) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(0, 12)))


def test_the_fast_path_is_rfc8785() -> None:
    rng = random.Random(8785)
    for _ in range(3000):
        entry = {
            "v": 1,
            "kind": "recall.unit",
            "reason_bn": random_text(rng),
            "reason_en": random_text(rng),
            "serial": None,
            "count": rng.choice([0, -1, 7, 2**53 - 1, -(2**53) + 1, 10**15]),
            "flag": rng.choice([True, False]),
            random_text(rng).encode("ascii", "ignore").decode() or "k": random_text(rng),
        }
        assert canonical_entry(entry) == rfc8785.dumps(entry), entry


@pytest.mark.parametrize("value", [2**53, 1.5, "\ud800", {"nested": 1}])
def test_other_values_take_the_library_path(value: object) -> None:
    entry = {"v": 1, "x": value}
    try:
        want = rfc8785.dumps(entry)
    except rfc8785.CanonicalizationError:
        with pytest.raises(Exception):  # noqa: B017 - whatever the library raises, nothing is written
            canonical_entry(entry)
        return
    assert canonical_entry(entry) == want
