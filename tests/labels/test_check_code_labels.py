"""The check code for a check by SMS on every kind of label: under the QR as "SMS MIB <code>" on each PDF layout
(the 25 x 25 mm label too, where it takes the GTIN's line), in the SVG, and as a column of the printer CSV and
the ZIP manifest.  Labels without a code look as before."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from labels import LabelText, get_layout, write_pdf_sheet
from labels.render import render_label_svg
from labels.services import items_from_batch, iter_csv, write_labels
from tests.labels.label_helpers import GTIN

pdfium = pytest.importorskip("pypdfium2")

CODES = ["7K3Q-9F2M-ABC5", "Z1VG-K6WM-D4CX", "BE41-5HTF-V9CQ"]


def items(with_codes: bool = True) -> list:
    urls = [(f"https://VERIFY.MIB.GOV.BD/01/{GTIN}/21/S{i:012d}", f"S{i:012d}") for i in range(3)]
    return list(items_from_batch(urls, GTIN, "Router", "রাউটার", "001", CODES if with_codes else None))


@pytest.mark.parametrize("layout_name", ["a4", "roll-40x30", "roll-25x25"])
def test_each_pdf_label_carries_its_own_code(layout_name: str) -> None:
    out = io.BytesIO()
    write_pdf_sheet(iter(items()), out, get_layout(layout_name))
    doc = pdfium.PdfDocument(out.getvalue())
    text = "".join(page.get_textpage().get_text_range() for page in doc)
    for index, code in enumerate(CODES):
        assert f"SMS MIB {code}" in text
        assert f"SN S{index:012d}" in text


def test_a_label_without_a_code_has_no_sms_line() -> None:
    out = io.BytesIO()
    write_pdf_sheet(iter(items(with_codes=False)), out, get_layout("roll-25x25"))
    text = pdfium.PdfDocument(out.getvalue())[0].get_textpage().get_text_range()
    assert "SMS" not in text and f"GTIN {GTIN}" in text


def test_svg_csv_and_zip_manifest_carry_the_code() -> None:
    url, text = items()[0]
    assert isinstance(text, LabelText) and text.check_code == CODES[0]
    assert f"SMS MIB {CODES[0]}" in render_label_svg(url, text)
    rows = list(csv.DictReader(io.StringIO("".join(iter_csv(iter(items()))))))
    assert [row["check_code"] for row in rows] == CODES
    assert list(rows[0]) == ["url", "gtin", "serial", "batch", "name_en", "name_bn", "check_code"]
    out = io.BytesIO()
    write_labels(iter(items()), out, "zip-svg", "a4")
    with zipfile.ZipFile(out) as archive:
        manifest = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8"))))
    assert [row["check_code"] for row in manifest] == CODES
