"""Pure format checks of the registry's identifiers (GTIN, BIN, TIN, HS code); text in ``core.validators``."""

from __future__ import annotations

import re

from core.error_codes import coded
from gs1.gtin import InvalidGTIN, normalize_gtin

BIN_RE = re.compile(r"^\d{13}$")
TIN_RE = re.compile(r"^\d{12}$")
HS_RE = re.compile(r"^\d{4}(\.?\d{2}){0,3}$")


def check_bin(value: str) -> str:
    """Business Identification Number (NBR VAT registration): 13 digits."""
    value = value.strip().replace(" ", "").replace("-", "")
    if not BIN_RE.fullmatch(value):
        raise coded("bin.format", "a BIN has exactly 13 digits")
    return value


def check_tin(value: str) -> str:
    """e-TIN (NBR taxpayer identification number): 12 digits."""
    value = value.strip().replace(" ", "").replace("-", "")
    if not TIN_RE.fullmatch(value):
        raise coded("tin.format", "a TIN has exactly 12 digits")
    return value


def check_gtin(value: str) -> str:
    """GTIN-8/12/13/14 with a valid check digit, returned as GTIN-14."""
    try:
        return normalize_gtin(value)
    except InvalidGTIN as exc:
        raise coded(exc.code, str(exc), **exc.params) from exc


def check_hs_code(value: str) -> str:
    value = value.strip()
    if not HS_RE.fullmatch(value):
        raise coded("hs_code.format", "an HS code is 4 to 10 digits, e.g. 8517.13")
    return value
