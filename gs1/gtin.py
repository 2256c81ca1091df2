"""GTIN check digits and normalisation to GTIN-14 (pure)."""

from __future__ import annotations

from gs1.errors import InvalidGTIN

_LENGTHS = (8, 12, 13, 14)


def compute_check_digit(body: str) -> str:
    """Return the GS1 mod-10 check digit for ``body`` (all the digits before the check digit)."""
    digits = [int(char) for char in reversed(body)]
    total = 3 * sum(digits[0::2]) + sum(digits[1::2])
    return str(-total % 10)


def normalize_gtin(value: str) -> str:
    """Return ``value`` (a GTIN-8, -12, -13 or -14) as a GTIN-14, or raise :class:`InvalidGTIN`.

    Surrounding whitespace is ignored; nothing else is forgiven.
    """
    text = value.strip() if isinstance(value, str) else value
    if not isinstance(text, str) or not text.isascii() or not text.isdigit():
        raise InvalidGTIN(f"GTIN must be 8, 12, 13 or 14 digits, got {value!r}")
    if len(text) not in _LENGTHS:
        raise InvalidGTIN(f"GTIN must be 8, 12, 13 or 14 digits, got {len(text)} digits")
    expected = compute_check_digit(text[:-1])
    if text[-1] != expected:
        raise InvalidGTIN(
            f"GTIN {text} has check digit {text[-1]}, expected {expected}",
            code="gtin.check_digit",
            params={"gtin": text, "got": text[-1], "expected": expected},
        )
    return text.zfill(14)
