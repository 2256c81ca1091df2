"""Printing QA: read a label PDF back the way a scanner would and check every code on it is the one meant.

Each checked page is rendered by pdfium at 300 dpi without anti-aliasing (module edges snap to whole printer
dots, as a 300 dpi label printer prints them) and decoded with zxing-cpp; the codes found must be exactly the
label URLs drawn on that page. ``pages="sample"`` checks the first and last page and a spread between them
(at most SAMPLE_PAGES in all); ``pages="all"`` checks every page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from labels.schemas import Layout

QA_DPI = 300
SAMPLE_PAGES = 8


@dataclass(frozen=True)
class PageProblem:
    page: int  # from 1
    missing: tuple[str, ...]  # label URLs drawn on the page that did not decode
    unexpected: tuple[str, ...]  # codes that decoded but are not the page's labels


@dataclass(frozen=True)
class QAReport:
    pages: int  # in the PDF
    pages_checked: tuple[int, ...]
    labels_checked: int
    labels_read: int
    problems: tuple[PageProblem, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems and self.labels_read == self.labels_checked > 0

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "pages": self.pages,
            "pages_checked": list(self.pages_checked),
            "labels_checked": self.labels_checked,
            "labels_read": self.labels_read,
            "problems": [
                {"page": p.page, "missing": list(p.missing), "unexpected": list(p.unexpected)}
                for p in self.problems
            ],
        }


def pages_to_check(pages: int, which: str) -> list[int]:
    """0-based page indexes: every page for "all", else the first, the last and an even spread."""
    if which == "all" or pages <= SAMPLE_PAGES:
        return list(range(pages))
    step = (pages - 1) / (SAMPLE_PAGES - 1)
    return sorted({round(i * step) for i in range(SAMPLE_PAGES)})


def check_pdf(data: bytes, urls: Sequence[str], layout: Layout, pages: str = "sample") -> QAReport:
    """Decode the PDF `data` (labels drawn for `urls`, in order, on `layout`) and compare, page by page."""
    # lazy: the PDF reader and QR decoder load only for a print check
    import pypdfium2
    import zxingcpp

    if pages not in ("sample", "all"):
        raise ValueError(f"pages is 'sample' or 'all', not {pages!r}")
    per_page = layout.per_page
    document = pypdfium2.PdfDocument(data)
    try:
        count = len(document)
        checked: list[int] = []
        problems: list[PageProblem] = []
        expected_total = read_total = 0
        for index in pages_to_check(count, pages):
            expected = list(urls[index * per_page : (index + 1) * per_page])
            page = document[index]
            bitmap = page.render(scale=QA_DPI / 72, grayscale=True, no_smoothpath=True, no_smoothtext=True)
            image = bitmap.to_pil()
            found = [
                str(b.text)
                for b in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
                if b.valid
            ]
            bitmap.close()
            page.close()
            checked.append(index + 1)
            expected_total += len(expected)
            read = [url for url in expected if url in found]
            read_total += len(read)
            missing = tuple(url for url in expected if url not in found)
            unexpected = tuple(text for text in found if text not in expected)
            if missing or unexpected:
                problems.append(PageProblem(index + 1, missing, unexpected))
    finally:
        document.close()
    return QAReport(count, tuple(checked), expected_total, read_total, tuple(problems))
