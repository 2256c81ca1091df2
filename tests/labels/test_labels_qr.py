"""The fast encoder produces exactly the symbol qrcode 8.2 produces, at error correction M."""

from __future__ import annotations

import random

import pytest
import qrcode
from hypothesis import given, settings
from hypothesis import strategies as st
from qrcode import constants, util

from labels import LabelDataError, encode_matrix, render_svg
from labels.qr import QUIET_ZONE, encode_codewords
from tests.labels.label_helpers import GTIN, make_url, svg_dark_modules

URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/:.?=-_abcxyz"


def reference(data: str, mask: int | None = None) -> qrcode.QRCode:
    q = qrcode.QRCode(error_correction=constants.ERROR_CORRECT_M, mask_pattern=mask)
    q.add_data(data)
    q.make()
    return q


def rows_of(q: qrcode.QRCode) -> list[bytes]:
    return [b"".join(b"1" if cell else b"0" for cell in row) for row in q.modules]


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=URL_ALPHABET, min_size=1, max_size=200))
def test_matrix_equals_qrcode_for_url_like_text(data: str) -> None:
    q = reference(data)
    m = encode_matrix(data)
    assert m.version == q.version
    assert m.rows() == rows_of(q)


@settings(max_examples=40, deadline=None)
@given(st.text(min_size=1, max_size=120))
def test_matrix_equals_qrcode_for_any_unicode_text(data: str) -> None:
    assert encode_matrix(data).rows() == rows_of(reference(data))


def test_codewords_equal_qrcode_create_data() -> None:
    url = make_url(random.Random(1))
    q = reference(url)
    version, codewords = encode_codewords(url)
    assert version == q.version
    assert list(codewords) == util.create_data(q.version, q.error_correction, q.data_list)


@pytest.mark.parametrize("mask", range(8))
def test_every_fixed_mask_equals_qrcode(mask: int) -> None:
    url = make_url(random.Random(mask))
    m = encode_matrix(url, mask=mask)
    assert m.mask == mask
    assert m.rows() == rows_of(reference(url, mask))


@pytest.mark.parametrize("serial", ["K7Q2M9X4PLA3B", None])
def test_signed_label_urls_fit_version_8_at_level_m(serial: str | None) -> None:
    url = make_url(random.Random(7), gtin=GTIN, serial=serial)
    assert encode_matrix(url).version <= 8


def test_data_beyond_version_40_is_refused() -> None:
    with pytest.raises(LabelDataError):
        encode_matrix("x" * 3000)


def test_bad_mask_is_refused() -> None:
    with pytest.raises(LabelDataError):
        encode_matrix("https://X", mask=8)


def test_svg_draws_exactly_the_dark_modules_inside_a_four_module_quiet_zone() -> None:
    url = make_url(random.Random(5))
    m = encode_matrix(url)
    svg = render_svg(url, module_size=0.5)
    side, dark = svg_dark_modules(svg)
    assert side == m.size + 2 * QUIET_ZONE
    assert f'width="{side * 0.5:g}mm"' in svg
    expected = {
        (c + QUIET_ZONE, r + QUIET_ZONE) for r in range(m.size) for c in range(m.size) if m.is_dark(r, c)
    }
    assert dark == expected
