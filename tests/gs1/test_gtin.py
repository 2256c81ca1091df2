from __future__ import annotations

import pytest

from gs1.errors import InvalidGTIN
from gs1.gtin import compute_check_digit, normalize_gtin


@pytest.mark.parametrize(
    ("given", "gtin14"),
    [
        ("4006381333931", "04006381333931"),  # GTIN-13 (EAN-13)
        ("036000291452", "00036000291452"),  # GTIN-12 (UPC-A)
        ("96385074", "00000096385074"),  # GTIN-8 (EAN-8)
        ("04006381333931", "04006381333931"),  # already GTIN-14
        (" 4006381333931\n", "04006381333931"),  # surrounding whitespace is forgiven
    ],
)
def test_normalize_gtin_pads_valid_gtins_to_14_digits(given: str, gtin14: str) -> None:
    assert normalize_gtin(given) == gtin14


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("4006381333932", "check digit 2, expected 1"),
        ("400638133393", "check digit"),  # 12 digits that are not a UPC-A
        ("400638133", "9 digits"),
        ("", "8, 12, 13 or 14 digits"),
        ("40063813339３1", "8, 12, 13 or 14 digits"),  # a full-width digit
        ("4006-381333931", "8, 12, 13 or 14 digits"),
        ("123456789012345", "15 digits"),
    ],
)
def test_normalize_gtin_rejects_with_a_clear_message(given: str, message: str) -> None:
    with pytest.raises(InvalidGTIN, match=message) as caught:
        normalize_gtin(given)
    assert isinstance(caught.value, ValueError)
    assert caught.value.status_code == 422
    assert caught.value.errors[0]["field"] == "gtin"


def test_check_digit_of_the_gs1_worked_example() -> None:
    # GS1 General Specifications 7.9.1: 629104150021 -> check digit 3
    assert compute_check_digit("629104150021") == "3"
