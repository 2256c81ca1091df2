"""Whole batches of labels: ZIP of SVG/PNG, CSV for label printers, and one entry point for all formats.

Every function takes an iterator of (url, LabelText) and consumes it once, writing as it goes, so
a batch of any size never sits in memory (the PDF is the exception fpdf2 imposes; see labels.pdf).
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from gs1.digital_link import parse_digital_link
from gs1.errors import GS1Error
from labels.errors import LabelDataError, UnknownLayoutError
from labels.schemas import LabelItem, LabelText, Layout, Progress, get_layout

FORMATS = ("pdf", "zip-svg", "zip-png", "csv", "svg", "png")
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "zip-svg": "application/zip",
    "zip-png": "application/zip",
    "csv": "text/csv; charset=utf-8",
    "svg": "image/svg+xml",
    "png": "image/png",
}
EXTENSIONS = {"pdf": "pdf", "zip-svg": "zip", "zip-png": "zip", "csv": "csv", "svg": "svg", "png": "png"}
CSV_COLUMNS = ("url", "gtin", "serial", "batch", "name_en", "name_bn", "check_code")


def download_name(stem: str, fmt: str, layout: str) -> str:
    """The file name a download gets: a PDF names its layout, so the A4 sheet and the roll of one
    batch do not overwrite each other in a downloads folder (labels-…-a4.pdf, labels-…-roll-40x30.pdf)."""
    if fmt == "pdf":
        return f"{stem}-{layout}.pdf"
    return f"{stem}.{EXTENSIONS[fmt]}"


def _tick(progress: Progress | None) -> None:
    if progress is not None:
        progress(1)


def _file_stem(index: int, text: LabelText) -> str:
    name = text.serial or text.gtin
    return f"{index:06d}-{re.sub(r'[^A-Za-z0-9_-]', '_', name)}"


def write_zip(
    labels_iter: Iterable[LabelItem], out: BinaryIO, fmt: str = "svg", progress: Progress | None = None
) -> int:
    """Write a ZIP with one QR file per label (`fmt` "svg" or "png") and a manifest.csv; return the count.

    `out` may be unseekable (an HTTP response, a pipe): zipfile then writes data descriptors.
    The manifest is spooled to a temporary file once it outgrows 4 MB.
    """
    if fmt not in ("svg", "png"):
        raise UnknownLayoutError(
            f"ZIP entries are svg or png, not {fmt!r}", [{"field": "format", "reason": fmt}]
        )
    # lazy: the renderers (Pillow, qrcode, fpdf) load on first use
    from labels.qr import encode_matrix
    from labels.render import render_png, render_svg

    count = 0
    with (
        tempfile.SpooledTemporaryFile(max_size=4 << 20, mode="w+", newline="", encoding="utf-8") as manifest,
        zipfile.ZipFile(out, "w") as archive,
    ):
        writer = csv.writer(manifest)
        writer.writerow(("file",) + CSV_COLUMNS)
        for url, text in labels_iter:
            name = f"{_file_stem(count, text)}.{fmt}"
            matrix = encode_matrix(url)
            if fmt == "svg":
                archive.writestr(name, render_svg(url, matrix=matrix), compress_type=zipfile.ZIP_DEFLATED)
            else:  # PNG is compressed already
                archive.writestr(name, render_png(url, matrix=matrix), compress_type=zipfile.ZIP_STORED)
            writer.writerow((name,) + _csv_row(url, text))
            count += 1
            _tick(progress)
        manifest.seek(0)
        with archive.open("manifest.csv", "w") as entry:
            for line in manifest:
                entry.write(line.encode("utf-8"))
    return count


# A spreadsheet treats a cell that starts with one of these as a formula (=HYPERLINK(...), +cmd|...);
# such a cell is written with a leading apostrophe, which spreadsheets show as text (OWASP "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    """``value`` as a CSV cell no spreadsheet evaluates: a leading formula character is escaped with '."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _csv_row(url: str, text: LabelText) -> tuple[str, ...]:
    cells = (
        url,
        text.gtin,
        text.serial or "",
        text.batch or "",
        text.name_en,
        text.name_bn,
        text.check_code or "",
    )
    return tuple(csv_cell(cell) for cell in cells)


def iter_csv(labels_iter: Iterable[LabelItem], progress: Progress | None = None) -> Iterator[str]:
    """Yield a UTF-8 CSV (header first, then one row per label) for industrial label printers.

    Printers render the QR themselves from the `url` column; they must use error correction M.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for url, text in labels_iter:
        writer.writerow(_csv_row(url, text))
        if buffer.tell() > 64 << 10:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        _tick(progress)
    yield buffer.getvalue()


def write_labels(
    labels_iter: Iterable[LabelItem],
    out: BinaryIO,
    fmt: str,
    layout: Layout | str = "a4",
    progress: Progress | None = None,
    workers: int = 1,
) -> int:
    """Write labels in any of FORMATS to the binary file `out`; return the number of labels.

    "svg" and "png" are one QR code, so they take exactly one label. `workers` > 1 (PDF only)
    computes QR codes in that many forked processes; see labels.pdf.render_pdf.
    """
    if fmt not in FORMATS:
        raise UnknownLayoutError(
            f"unknown format {fmt!r}", [{"field": "format", "reason": f"one of {FORMATS}"}]
        )
    if fmt == "pdf":
        # the renderers load on first use: a web worker rarely needs them
        from labels.pdf import write_pdf_sheet

        chosen = get_layout(layout) if isinstance(layout, str) else layout
        return write_pdf_sheet(labels_iter, out, chosen, progress, workers)
    if fmt in ("zip-svg", "zip-png"):
        return write_zip(labels_iter, out, fmt.removeprefix("zip-"), progress)
    if fmt == "csv":
        count = 0

        def counting() -> Iterator[LabelItem]:
            nonlocal count
            for item in labels_iter:
                count += 1
                yield item

        for chunk in iter_csv(counting(), progress):
            out.write(chunk.encode("utf-8"))
        return count
    items = list(_take_at_most(labels_iter, 2))
    if len(items) != 1:
        raise LabelDataError(
            f"format {fmt} holds exactly one label, got {'more' if items else 'none'}; "
            f"use zip-{fmt} for batches",
            [{"field": "format", "reason": f"{fmt} is a single QR code"}],
        )
    url, _ = items[0]
    # lazy: the renderers (Pillow, qrcode, fpdf) load on first use
    from labels.render import render_png, render_svg

    out.write(render_svg(url).encode("utf-8") if fmt == "svg" else render_png(url))
    _tick(progress)
    return 1


def _take_at_most(items: Iterable[LabelItem], n: int) -> Iterator[LabelItem]:
    for i, item in enumerate(items):
        if i == n:
            return
        yield item


def parse_label_url(url: str) -> tuple[str, str | None]:
    """Return (GTIN-14, serial or None) read from a GS1 Digital Link label URL (no signature check)."""
    try:
        parsed = parse_digital_link(url)
    except GS1Error as exc:
        raise LabelDataError(
            f"not a label URL: {exc}",
            [{"field": "url", "reason": "expected https://<host>/01/<GTIN-14>[/21/<serial>]"}],
        ) from exc
    return parsed.gtin, parsed.serial


def items_from_urls(
    urls: Iterable[str], name_en: str, name_bn: str, batch: str | None = None
) -> Iterator[LabelItem]:
    """Label items for URLs (GTIN and serial read from each URL, names and batch the same for all).

    Blank lines and lines starting with '#' are skipped, so a file of URLs can be passed directly.
    """
    for line in urls:
        url = line.strip()
        if not url or url.startswith("#"):
            continue
        gtin, serial = parse_label_url(url)
        yield url, LabelText(name_en=name_en, name_bn=name_bn, gtin=gtin, serial=serial, batch=batch)


def items_from_batch(
    urls_with_serials: Iterable[tuple[str, str | None]],
    gtin: str,
    name_en: str,
    name_bn: str,
    batch: str | None,
    check_codes: Iterable[str] | None = None,
) -> Iterator[LabelItem]:
    """Label items for a serial batch: the signing side's iterator of (signed URL, serial) goes in here, and
    with ``check_codes`` each unit's check code, in the same order."""
    codes = iter(check_codes) if check_codes is not None else None
    for url, serial in urls_with_serials:
        code = next(codes) if codes is not None else None
        yield (
            url,
            LabelText(
                name_en=name_en, name_bn=name_bn, gtin=gtin, serial=serial, batch=batch, check_code=code
            ),
        )
