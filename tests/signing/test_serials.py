"""Serial batches: derived from one row, unique, unguessable without the batch secret, reversible."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signing import SerialPermutation, derive_serial, encode_batch_prefix, locate_serial
from signing.serials import SerialError, decode_base32

SECRET = bytes(range(32))


def test_serials_have_the_documented_shape() -> None:
    serial = derive_serial(SECRET, "001", 0)
    assert len(serial) == 13
    assert serial.startswith("001")
    assert re.fullmatch(r"[0-9A-Z-]{1,20}", serial)
    assert not set(serial) & set("ILOU")  # Crockford base32


def test_serials_are_pinned_for_a_fixed_secret() -> None:
    # a regression pin: changing the derivation would orphan every printed label
    assert SerialPermutation(SECRET, "001").serials(0, 3) == [
        derive_serial(SECRET, "001", i) for i in range(3)
    ]
    assert derive_serial(SECRET, "001", 0) == "00149AEWP4P7J"
    assert derive_serial(SECRET, "001", 999_999) == "00143SQ7ZEPXM"


def test_a_range_of_serials_is_unique_and_maps_back() -> None:
    permutation = SerialPermutation(SECRET, "7ZZ")
    serials = permutation.serials(0, 50_000)
    assert len(set(serials)) == 50_000
    for index in (0, 1, 12_345, 49_999):
        assert permutation.index(serials[index]) == index
        assert locate_serial(SECRET, "7ZZ", serials[index], count=50_000) == index


def test_neighbouring_indexes_give_unrelated_serials() -> None:
    serials = SerialPermutation(SECRET, "001").serials(0, 1000)
    bodies = sorted(decode_base32(serial[3:]) for serial in serials)
    # sorted bodies spread over the whole 50-bit space, not in a run
    assert bodies[-1] - bodies[0] > 32**10 // 2
    shared_prefix = sum(a[3:6] == b[3:6] for a, b in zip(serials, serials[1:], strict=False))
    assert shared_prefix < 10


def test_another_secret_or_prefix_gives_other_serials() -> None:
    first = SerialPermutation(SECRET, "001").serials(0, 100)
    assert not set(first) & set(SerialPermutation(bytes(32), "001").serials(0, 100))
    assert [serial[3:] for serial in first] != [
        serial[3:] for serial in SerialPermutation(SECRET, "002").serials(0, 100)
    ]


def test_locate_refuses_serials_the_batch_never_issued() -> None:
    permutation = SerialPermutation(SECRET, "001")
    beyond = permutation.serial(1000)
    with pytest.raises(SerialError, match="never issued"):
        locate_serial(SECRET, "001", beyond, count=1000)
    with pytest.raises(SerialError, match="not of batch"):
        locate_serial(SECRET, "002", beyond)
    with pytest.raises(SerialError, match="not a serial character"):
        locate_serial(SECRET, "001", "001IIIIIIIIII")


def test_lower_case_serials_are_located() -> None:
    serial = derive_serial(SECRET, "001", 42)
    assert locate_serial(SECRET, "001", serial.lower()) == 42


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"batch_secret": b"short", "prefix": "001"}, "16 bytes"),
        ({"batch_secret": SECRET, "prefix": "0O1"}, "Crockford"),
        ({"batch_secret": SECRET, "prefix": "001", "length": 8}, "body"),
        ({"batch_secret": SECRET, "prefix": "001", "length": 21}, "at most 20"),
    ],
)
def test_bad_parameters_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(SerialError, match=message):
        SerialPermutation(**kwargs)  # type: ignore[arg-type]


def test_batch_prefixes_count_up_in_crockford_base32() -> None:
    assert [encode_batch_prefix(n) for n in (0, 1, 31, 32, 32**3 - 1)] == ["000", "001", "00Z", "010", "ZZZ"]
    with pytest.raises(SerialError):
        encode_batch_prefix(32**3)


@settings(max_examples=100, deadline=None)
@given(
    secret=st.binary(min_size=16, max_size=64),
    prefix=st.text(alphabet="0123456789ABCDEFGHJKMNPQRSTVWXYZ", min_size=0, max_size=6),
    length=st.integers(12, 20),
    index=st.integers(min_value=0),
)
def test_derive_then_locate_is_the_identity(secret: bytes, prefix: str, length: int, index: int) -> None:
    permutation = SerialPermutation(secret, prefix, length)
    index %= permutation.size
    serial = permutation.serial(index)
    assert len(serial) == length
    assert permutation.index(serial) == index
