"""Printing QA: a label PDF is read back as a 300 dpi printer and a scanner would, page by page."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from flask import Flask

import labels
from labels import get_layout, write_pdf_sheet
from labels.qa import SAMPLE_PAGES, check_pdf, pages_to_check
from signing.label_cli import labels_cli
from tests.labels.label_helpers import make_text, make_url

pytest.importorskip("pypdfium2")


def items(n: int, seed: int = 1) -> list[tuple[str, labels.LabelText]]:
    rng = random.Random(seed)
    urls = [make_url(rng) for _ in range(n)]
    return [(url, make_text(url, url.split("/21/")[1][:13])) for url in urls]


def pdf_of(labels_: list, layout: str) -> bytes:
    out = io.BytesIO()
    write_pdf_sheet(iter(labels_), out, get_layout(layout))
    return out.getvalue()


@pytest.mark.parametrize(("layout", "pages"), [("a4", 2), ("roll-25x25", 40)])
def test_every_code_of_a_good_print_reads_back(layout: str, pages: int) -> None:
    sheet = items(40)
    report = check_pdf(pdf_of(sheet, layout), [url for url, _ in sheet], get_layout(layout), "all")
    assert report.ok and report.pages == pages and report.labels_read == report.labels_checked == 40


def test_a_sample_reads_the_first_and_last_pages_and_a_spread_between() -> None:
    assert pages_to_check(5, "sample") == [0, 1, 2, 3, 4]
    picked = pages_to_check(1000, "sample")
    assert len(picked) == SAMPLE_PAGES and picked[0] == 0 and picked[-1] == 999
    assert pages_to_check(1000, "all") == list(range(1000))


def test_a_code_that_is_not_its_labels_is_reported_with_its_page() -> None:
    sheet = items(3)
    expected = [url for url, _ in sheet]
    swapped = [expected[0], expected[2], expected[1]]  # what the file should hold vs what it holds
    report = check_pdf(pdf_of(sheet, "roll-40x30"), swapped, get_layout("roll-40x30"), "all")
    assert not report.ok
    assert [(p.page, p.missing, p.unexpected) for p in report.problems] == [
        (2, (expected[2],), (expected[1],)),
        (3, (expected[1],), (expected[2],)),
    ]
    assert report.to_dict()["labels_read"] == 1


def test_the_print_command_checks_its_own_output(tmp_path: Path) -> None:
    app = Flask(__name__)
    app.cli.add_command(labels_cli)
    source = tmp_path / "urls.txt"
    source.write_text("\n".join(url for url, _ in items(12)), encoding="utf-8")
    out = tmp_path / "labels.pdf"
    args = ["labels", "print", "--from-file", str(source), "--layout", "roll-40x30", "--out", str(out)]
    names = ["--name-en", "Router", "--name-bn", "রাউটার"]
    result = app.test_cli_runner().invoke(args=[*args, *names, "--check", "sample"])
    assert result.exit_code == 0, result.output
    assert (
        "check: 8 of 8 label(s) read back correctly on page(s) 1, 3, 4, 6, 7, 9, 10, 12 of 12"
        in result.output
    )
    refused = app.test_cli_runner().invoke(args=[*args, *names, "--check", "all", "--format", "csv"])
    assert refused.exit_code == 2 and "--check reads PDFs back" in refused.output
