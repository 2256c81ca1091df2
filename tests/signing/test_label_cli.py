"""`flask labels print`: one URL or a file of URLs into any format, with a progress bar (a serial batch:
test_label_cli_batch.py, against a committed database)."""

from __future__ import annotations

import csv
import io
import random
import zipfile
from pathlib import Path

import pytest
from flask import Flask
from PIL import Image

from signing.label_cli import labels_cli
from tests.labels.label_helpers import decode_all, make_url

# pypdfium2 (PyPI, pinned in the dev extras) renders PDF pages for zxing-cpp and reads their text.
pdfium = pytest.importorskip("pypdfium2")

NAMES = ["--name-en", "Secure Wi-Fi Router", "--name-bn", "সুরক্ষিত ওয়াই-ফাই রাউটার"]


@pytest.fixture()
def runner():
    """A bare Flask app with the `flask labels` group (signing.init_app adds it to the real app); printing
    URLs needs no database."""
    app = Flask(__name__)
    app.cli.add_command(labels_cli)
    return app.test_cli_runner()


def test_print_one_url_as_png(runner, tmp_path: Path) -> None:
    url = make_url(random.Random(1))
    out = tmp_path / "label.png"
    result = runner.invoke(
        args=["labels", "print", "--url", url, "--format", "png", "--out", str(out), *NAMES]
    )
    assert result.exit_code == 0, result.output
    assert decode_all(Image.open(out)) == [url]


def test_print_file_of_urls_as_roll_pdf(runner, tmp_path: Path) -> None:
    rng = random.Random(2)
    urls = [make_url(rng) for _ in range(5)]
    source = tmp_path / "urls.txt"
    source.write_text("\n".join(urls) + "\n", encoding="utf-8")
    out = tmp_path / "labels.pdf"
    result = runner.invoke(
        args=[
            "labels",
            "print",
            "--from-file",
            str(source),
            "--layout",
            "roll-40x30",
            "--out",
            str(out),
            "--lot",
            "LOT-9",
            *NAMES,
        ]
    )
    assert result.exit_code == 0, result.output
    assert "5 label(s) written" in result.output
    doc = pdfium.PdfDocument(out.read_bytes())
    assert len(doc) == 5
    assert "Batch LOT-9" in doc[0].get_textpage().get_text_range()


@pytest.mark.parametrize("fmt", ["zip-svg", "zip-png", "csv"])
def test_print_file_of_urls_as_bulk_formats(runner, tmp_path: Path, fmt: str) -> None:
    rng = random.Random(3)
    urls = [make_url(rng) for _ in range(3)]
    source = tmp_path / "urls.txt"
    source.write_text("\n".join(urls), encoding="utf-8")
    out = tmp_path / f"out.{fmt}"
    result = runner.invoke(
        args=["labels", "print", "--from-file", str(source), "--format", fmt, "--out", str(out), *NAMES]
    )
    assert result.exit_code == 0, result.output
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
        assert [r["url"] for r in rows] == urls
    else:
        with zipfile.ZipFile(out) as archive:
            assert len(archive.namelist()) == 4


def test_bad_url_fails_cleanly_and_leaves_no_file(runner, tmp_path: Path) -> None:
    out = tmp_path / "labels.pdf"
    result = runner.invoke(
        args=["labels", "print", "--url", "https://x.example/nothing", "--out", str(out), *NAMES]
    )
    assert result.exit_code != 0
    assert "not a label URL" in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [
        [],  # no source
        ["--url", "https://X/01/1", "--batch", "7"],  # two sources
        ["--url", "https://VERIFY.MIB.GOV.BD/01/08901234567890"],  # names missing
    ],
)
def test_usage_errors(runner, args: list[str]) -> None:
    result = runner.invoke(args=["labels", "print", *args])
    assert result.exit_code == 2


def test_unknown_layout_is_reported(runner, tmp_path: Path) -> None:
    url = make_url(random.Random(4))
    result = runner.invoke(
        args=["labels", "print", "--url", url, "--layout", "a9", "--out", str(tmp_path / "x.pdf"), *NAMES]
    )
    assert result.exit_code == 1
    assert "unknown layout" in result.output
