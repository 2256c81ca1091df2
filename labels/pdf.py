"""Printable PDF label sheets: A4 grids and label rolls, QR as vectors, Bangla shaped by HarfBuzz.

Fonts are the project's own copies of Noto Sans and Noto Sans Bengali (static/fonts/, OFL); fpdf2
embeds a subset and shapes Bangla with uharfbuzz, so conjuncts (ক্ষ, স্ক্যা) and pre-base vowel
signs (ি before its consonant) come out as a reader expects.

The QR code is written straight into the page content stream: one transformation to module units,
then one `re` per dark run and a single fill. That is what keeps 10,000 labels inside seconds.
"""

from __future__ import annotations

import multiprocessing
import re
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from fpdf import FPDF
from fpdf.enums import PDFResourceType

from labels.qr import QUIET_ZONE, QRMatrix, encode_matrix
from labels.render import MADE_IN_BN, MADE_IN_EN, SCAN_TO_VERIFY_BN, SCAN_TO_VERIFY_EN
from labels.schemas import LabelItem, LabelText, Layout, Progress

FONT_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"
FONTS = {
    ("bn", ""): "NotoSansBengali-Regular.ttf",
    ("bn", "B"): "NotoSansBengali-Bold.ttf",
    ("sans", ""): "NotoSans-Regular.ttf",
    ("sans", "B"): "NotoSans-Bold.ttf",
}
PT_PER_MM = 72 / 25.4
# Smallest type a label sets (docs/formats.md, "QR labels"): product names, other words, code lines.
MIN_NAME_PT = 6.0
MIN_TEXT_PT = 5.0
MIN_CODE_PT = 4.5
# Wrap shaped lines in /ActualText (their logical text). Off only where a test inspects the glyphs drawn.
ACTUAL_TEXT = True
_GREEN = "0 0.416 0.306 rg"  # #006a4e
_RED = "0.957 0.165 0.255 rg"  # #f42a41
_BEZIER = 0.5523  # circle from four cubic Bezier arcs


def _circle_ops(cx: float, cy: float, r: float) -> str:
    k = r * _BEZIER
    return (
        f"{cx + r:.3f} {cy:.3f} m "
        f"{cx + r:.3f} {cy + k:.3f} {cx + k:.3f} {cy + r:.3f} {cx:.3f} {cy + r:.3f} c "
        f"{cx - k:.3f} {cy + r:.3f} {cx - r:.3f} {cy + k:.3f} {cx - r:.3f} {cy:.3f} c "
        f"{cx - r:.3f} {cy - k:.3f} {cx - k:.3f} {cy - r:.3f} {cx:.3f} {cy - r:.3f} c "
        f"{cx + k:.3f} {cy - r:.3f} {cx + r:.3f} {cy - k:.3f} {cx + r:.3f} {cy:.3f} c f"
    )


@lru_cache(maxsize=4)
def _mark_ops(width: float, monochrome: bool) -> str:
    """The flag panel of our mark, `width` mm wide, in local mm coordinates (y down)."""
    height = width * 0.6
    green, red = ("0 g", "1 g") if monochrome else (_GREEN, _RED)
    return (
        f"{green} 0 0 {width:.3f} {height:.3f} re f "
        f"{red} {_circle_ops(width * 0.45, height / 2, width * 0.2)}"
    )


_DARK_RUN = re.compile(rb"1+")
_SPAN = re.Match.span


class _RectPieces(dict):
    """(start, end) of a dark run in the guarded bit string -> "x y n 1 re "."""

    def __init__(self, stride: int) -> None:
        super().__init__()
        self.stride = stride

    def __missing__(self, span: tuple[int, int]) -> str:
        start, end = span
        row, col = divmod(start, self.stride)
        value = self[span] = f"{col} {row} {end - start} 1 re "
        return value


QRSymbol = tuple[int, str]  # (modules per side with the quiet zone, PDF path operators in module units)
_PIECES: dict[int, _RectPieces] = {}


def qr_symbol_ops(url: str, matrix: QRMatrix | None = None) -> QRSymbol:
    """The QR for `url` as PDF path operators in module units (y down): `x y n 1 re` per dark run.

    The strings are memoised by the run's span in the guarded bit string (the same spans recur from
    code to code), so a symbol is one regex scan and one join, with no Python-level loop per run.
    Pure function of `url`: worker processes compute it for write_pdf_sheet(..., workers=2).
    """
    m = matrix or encode_matrix(url)
    pieces = _PIECES.get(m.stride)
    if pieces is None or len(pieces) > 250_000:  # bound the memo; it refills from common runs quickly
        pieces = _PIECES[m.stride] = _RectPieces(m.stride)
    body = "".join(map(pieces.__getitem__, map(_SPAN, _DARK_RUN.finditer(m.bits))))
    return m.size + 2 * QUIET_ZONE, body


def _symbols(urls: list[str]) -> list[QRSymbol]:
    return [qr_symbol_ops(url) for url in urls]


class _LabelPainter:
    """Draws labels onto an fpdf2 document; caches what is the same from label to label."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        pdf = FPDF(unit="mm", format=(layout.page_width, layout.page_height))
        pdf.set_auto_page_break(False)
        pdf.set_margin(0)
        pdf.set_creator("Made in Bangladesh ICT registry")
        pdf.set_compression(True)
        for (family, style), filename in FONTS.items():
            pdf.add_font(family, style, str(FONT_DIR / filename))
        pdf.set_text_shaping(True)
        pdf.set_fallback_fonts(["sans", "bn"])
        pdf.c_margin = 0
        self.pdf = pdf
        self._fits: dict[tuple[str, str, str, float, float, float], tuple[float, str]] = {}
        self._recorded: dict[tuple, tuple[bytes, float, float]] = {}
        self._latin_advances = pdf.fonts["sans"].cw  # advance widths, 1/1000 em, by code point

    # -- primitives -------------------------------------------------------------------------
    def _local(self, x: float, y: float) -> str:
        """`cm` operator mapping local mm (origin x, y at top-left, y down) to PDF points."""
        k = self.pdf.k
        return f"{k:.5f} 0 0 {-k:.5f} {x * k:.3f} {(self.pdf.h - y) * k:.3f} cm"

    def draw_qr(self, symbol: QRSymbol, x: float, y: float, side: float) -> None:
        """The symbol with its quiet zone fills the square (x, y, side)."""
        modules, body = symbol
        k = self.pdf.k
        module = side / modules
        unit = module * k
        ox = (x + module * QUIET_ZONE) * k
        oy = (self.pdf.h - y - module * QUIET_ZONE) * k
        self.pdf._out(f"q 0 g {unit:.5f} 0 0 {-unit:.5f} {ox:.3f} {oy:.3f} cm {body}f Q")

    def draw_mark(self, x: float, y: float, width: float) -> None:
        self.pdf._out(f"q {self._local(x, y)} {_mark_ops(width, self.layout.monochrome)} Q")

    def draw_outline(self, x: float, y: float, w: float, h: float) -> None:
        self.pdf._out(f"q {self._local(x, y)} 0.8 G 0.1 w 0 0 {w:.3f} {h:.3f} re S Q")

    def fit(
        self, text: str, family: str, style: str, size: float, width: float, least: float = MIN_TEXT_PT
    ) -> tuple[float, str]:
        """Largest size <= `size` (down to `least` pt) at which `text` fits `width`; else truncate with '…'."""
        key = (text, family, style, size, width, least)
        if key in self._fits:
            return self._fits[key]
        pdf = self.pdf
        current = max(size, least)
        pdf.set_font(family, style, current)
        while pdf.get_string_width(text) > width and current > least:
            current = max(least, round(current - 0.1, 2))
            pdf.set_font(family, style, current)
        fitted = text
        while pdf.get_string_width(fitted) > width and len(fitted) > 1:
            fitted = fitted[:-2].rstrip() + "…"
        self._fits[key] = (current, fitted)
        return current, fitted

    def shaped_line(
        self,
        text: str,
        family: str,
        style: str,
        size: float,
        x: float,
        top: float,
        width: float,
        least: float = MIN_TEXT_PT,
        leading: float = 1.2,
    ) -> float:
        """One line through fpdf2's cell(), which shapes with HarfBuzz; return the line height (mm).

        A run of another script takes the fallback font (Latin in a Bangla name: "… HX-৭০৫"), each run
        shaped on its own. The line is wrapped in /ActualText with its logical text, so copying it or
        running pdftotext gives the words as typed (not the visual order of pre-base vowel signs).
        """
        fitted_size, fitted = self.fit(text, family, style, size, width, least)
        height = fitted_size / PT_PER_MM * leading
        self.pdf.set_font(family, style, fitted_size)
        self.pdf.set_xy(x, top)
        if ACTUAL_TEXT:
            self.pdf._out(f"/Span <</ActualText <{_utf16_hex(fitted)}>>> BDC")
        self.pdf.cell(w=width, h=height, text=fitted)
        if ACTUAL_TEXT:
            self.pdf._out("EMC")
        return height

    def plain_line(self, text: str, size: float, x: float, top: float, width: float) -> float:
        """One line of Latin letters/digits (codes): no shaping needed, so the fast text() is used.

        The width comes straight from the font's advance widths (a serial differs on every label, so
        asking fpdf2, which runs its bidi pass each time, would cost ~2 ms a line); a line that does
        not fit is set smaller, down to MIN_CODE_PT, never truncated. A code with other letters (a
        lot typed in Bangla) goes through shaped_line, with its font fallback.
        """
        if not text.isascii():
            return self.shaped_line(text, "sans", "", size, x, top, width, MIN_CODE_PT)
        pdf = self.pdf
        advances = self._latin_advances
        natural = sum(advances[ord(c)] for c in text) * size * 0.001 / pdf.k
        fitted_size = size if natural <= width else max(MIN_CODE_PT, size * width / natural)
        height = fitted_size / PT_PER_MM * 1.2
        pdf.set_font("sans", "", fitted_size)
        pdf.text(x, top + 0.5 * height + 0.3 * fitted_size / PT_PER_MM, text)
        return height

    def replay(self, key: tuple, x: float, y: float, draw: Callable[[float, float], None]) -> None:
        """Draw what is the same on every label of a product once, then repeat its operators.

        Shaping Bangla through cell() costs ~0.8 ms a line; the first label of a product is drawn
        normally while its page-content bytes are recorded, later labels replay those bytes moved by
        a `cm` translation. Font subsets are shared by the document, and every page registers the
        fonts (see add_page), so the replayed text references stay valid.
        """
        pdf = self.pdf
        contents = pdf.pages[pdf.page].contents
        recorded = self._recorded.get(key)
        if recorded is None:
            pdf.current_font_is_set_on_page = False
            start = len(contents)
            draw(x, y)
            self._recorded[key] = (bytes(contents[start:]), x, y)
        else:
            ops, x0, y0 = recorded
            k = pdf.k
            pdf._out(b"q 1 0 0 1 %.3f %.3f cm\n%sQ" % ((x - x0) * k, (y0 - y) * k, ops))
        pdf.current_font_is_set_on_page = False

    # -- one label ----------------------------------------------------------------------------
    def draw_label(
        self, url: str, text: LabelText, x: float, y: float, symbol: QRSymbol | None = None
    ) -> None:
        layout = self.layout
        w, h = layout.label_width, layout.label_height
        m = symbol or qr_symbol_ops(url)
        if layout.cut_marks:
            self.draw_outline(x, y, w, h)
        if w >= 1.2 * h:
            self._draw_wide(m, text, x, y, w, h)
        else:
            self._draw_compact(m, text, x, y, w, h)

    def _qr_inset(self, m: QRSymbol, side: float, inset: float) -> float:
        """How far from the label's edge the QR square starts: `inset`, or further when its first dark
        module would otherwise fall inside the layout's safe zone (the quiet zone may lie in it)."""
        return max(inset, self.layout.safe_margin - QUIET_ZONE * side / m[0])

    def _draw_wide(self, m: QRSymbol, text: LabelText, x: float, y: float, w: float, h: float) -> None:
        """QR top-left, mark and codes on its right, names and scan line below (e.g. 40 x 30 mm)."""
        s = h / 30.0
        pad = max(0.8 * s, self.layout.safe_margin)
        side = min(21.0 * s, w * 0.55)
        inset = self._qr_inset(m, side, 0.3 * s)
        self.draw_qr(m, x + inset, y + inset, side)
        cx = x + inset + side + 0.2 * s
        cw = x + w - pad - cx
        made_in = (MADE_IN_EN,) if cw >= 17.5 else ("Made in", "Bangladesh")  # one line at 5 pt needs 17.1 mm

        def static(x: float, y: float) -> None:
            cx = x + inset + side + 0.2 * s
            flag = min(4.0 * s, cw * 0.3)
            self.draw_mark(cx, y + pad + 0.2 * s, flag)
            tx = cx + flag + 0.5 * s
            tw = x + w - pad - tx
            top = y + pad + 0.4 * s  # Bangla letters (the মাত্রা, ি, ৈ) rise above their line's box
            top += self.shaped_line(MADE_IN_BN, "bn", "B", 4.6 * s, tx, top, tw, leading=1.1)
            for words in made_in:
                top += self.shaped_line(words, "sans", "", 3.4 * s, tx, top - 0.2 * s, tw, leading=1.1)
            top = y + inset + side + 0.1 * s
            top += self.shaped_line(
                text.name_bn, "bn", "B", 6.2 * s, x + pad, top, w - 2 * pad, MIN_NAME_PT, 1.1
            )
            self.shaped_line(text.name_en, "sans", "B", 5.2 * s, x + pad, top, w - 2 * pad, MIN_NAME_PT, 1.1)
            self._scan_line(
                5.0 * s, x + pad, y + h - pad - max(5.0 * s, MIN_TEXT_PT) / PT_PER_MM * 1.2, w - 2 * pad
            )

        self.replay(("wide", text.name_bn, text.name_en), x, y, static)
        top = y + pad + (3.0 + 2.2 * len(made_in)) * s
        for line in _code_lines(text):
            top += self.plain_line(line, 4.8 * s, cx, top, cw) + 0.35 * s

    def _draw_compact(self, m: QRSymbol, text: LabelText, x: float, y: float, w: float, h: float) -> None:
        """QR top-left, mark and বাংলাদেশে তৈরি top-right, names and codes below (e.g. 25 x 25 mm).

        Nothing is set below the minimum sizes (names 6 pt, other words 5 pt, codes 4.5 pt), so the
        small label leaves out what does not fit at them: the English words beside the mark, the
        batch line when there is a serial, the GTIN line when there is a check code, and the scan line
        (docs/formats.md, "QR labels").
        """
        s = min(w, h) / 25.0
        pad = max(0.6 * s, self.layout.safe_margin)
        side = 14.6 * s
        inset = self._qr_inset(m, side, 0.3 * s)
        self.draw_qr(m, x + inset, y + inset, side)
        tw = w - 2 * pad

        def static(x: float, y: float) -> None:
            cx = x + inset + side + 0.3 * s
            cw = x + w - pad - cx
            flag = min(6.0 * s, cw)
            self.draw_mark(cx, y + pad + 0.2 * s, flag)
            top = y + pad + 0.2 * s + flag * 0.6 + 0.4 * s
            for words in MADE_IN_BN.split():
                top += self.shaped_line(words, "bn", "B", 5.0 * s, cx, top, cw, leading=1.1)
            top = y + inset + side
            top += self.shaped_line(text.name_bn, "bn", "B", 6.0 * s, x + pad, top, tw, MIN_NAME_PT, 1.1)
            self.shaped_line(text.name_en, "sans", "B", 6.0 * s, x + pad, top, tw, MIN_NAME_PT, 1.1)

        self.replay(("compact", text.name_bn, text.name_en), x, y, static)
        # two lines fit: GTIN and serial, or, on a label with a check code, serial and the code (a consumer
        # without a camera needs the code; the GTIN is in the QR and on the pack)
        codes = _code_lines(text)[1:3] if text.check_code else _code_lines(text)[:2]
        top = y + inset + side + 2 * 6.0 * s / PT_PER_MM * 1.1
        for line in codes:
            top += self.plain_line(line, 5.0 * s, x + pad, top, tw) - 0.25 * s

    def _scan_line(self, size: float, x: float, top: float, width: float) -> None:
        """ "যাচাই করতে স্ক্যান করুন / Scan to verify": a Bangla run and a Latin run on one line."""
        bn = SCAN_TO_VERIFY_BN
        en = f"  /  {SCAN_TO_VERIFY_EN}"
        pdf = self.pdf
        current = max(size, MIN_TEXT_PT)
        while True:
            pdf.set_font("bn", "", current)
            bn_width = pdf.get_string_width(bn)
            pdf.set_font("sans", "", current)
            if bn_width + pdf.get_string_width(en) <= width or current <= MIN_TEXT_PT:
                break
            current = max(MIN_TEXT_PT, round(current - 0.1, 2))
        self.shaped_line(bn, "bn", "", current, x, top, bn_width + 0.2)
        self.shaped_line(en, "sans", "", current, x + bn_width, top, width - bn_width)

    def output(self) -> bytes:
        return bytes(self.pdf.output())

    def close(self) -> None:
        """fpdf2 opens font files lazily and never closes them; close them once the PDF is written."""
        for font in self.pdf.fonts.values():
            ttfont = getattr(font, "ttfont", None)
            if ttfont is not None:
                ttfont.close()

    # -- pages ---------------------------------------------------------------------------------
    def add_page(self) -> None:
        self.pdf.add_page()
        # draw_qr/draw_mark write raw operators; fonts are registered on the page by fpdf2's text().
        for font in self.pdf.fonts.values():
            self.pdf._resource_catalog.add(PDFResourceType.FONT, font.i, self.pdf.page)


def _utf16_hex(text: str) -> str:
    """A PDF text string in UTF-16BE with its byte-order mark, as hex (for /ActualText)."""
    return "FEFF" + text.encode("utf-16-be").hex().upper()


def _code_lines(text: LabelText) -> list[str]:
    lines = [f"GTIN {text.gtin}"]
    if text.serial:
        lines.append(f"SN {text.serial}")
    if text.check_code:
        lines.append(f"SMS MIB {text.check_code}")
    if text.batch:
        lines.append(f"Batch {text.batch}")
    return lines


def render_pdf(
    labels: Iterable[LabelItem], layout: Layout, progress: Progress | None = None, workers: int = 1
) -> tuple[bytes, int]:
    """Draw every label into a new PDF; return its bytes and the number of labels.

    With `workers` > 1, QR symbols are computed by that many forked processes, a window of labels
    ahead of the drawing (the window bounds memory); fpdf2's page building stays in this process.
    Use it from the CLI or scripts, not inside a threaded web server.
    """
    painter = _LabelPainter(layout)
    try:
        count = 0
        slot = layout.per_page
        for url, text, symbol in _with_symbols(labels, workers):
            if slot == layout.per_page:
                painter.add_page()
                slot = 0
            x, y = layout.label_origin(slot)
            painter.draw_label(url, text, x, y, symbol)
            slot += 1
            count += 1
            if progress is not None:
                progress(1)
        if count == 0:
            painter.add_page()  # an empty batch still gives a valid (blank) PDF
        return painter.output(), count
    finally:
        painter.close()


def _with_symbols(
    labels: Iterable[LabelItem], workers: int, window: int = 1_000
) -> Iterator[tuple[str, LabelText, QRSymbol | None]]:
    """Yield (url, text, symbol or None); symbols come from a process pool when workers > 1."""
    if workers <= 1:
        for url, text in labels:
            yield url, text, None
        return

    iterator = iter(labels)
    chunk = max(50, window // (4 * workers))
    with multiprocessing.get_context("fork").Pool(workers) as pool:

        def submit(items: list[LabelItem]):
            urls = [url for url, _ in items]
            return pool.map_async(_symbols, [urls[i : i + chunk] for i in range(0, len(urls), chunk)])

        current = _take(iterator, window)
        pending = submit(current) if current else None
        while current:
            following = _take(iterator, window)  # computed while this window is drawn
            pending_next = submit(following) if following else None
            symbols = [s for part in pending.get() for s in part]
            for (url, text), symbol in zip(current, symbols, strict=True):
                yield url, text, symbol
            current, pending = following, pending_next


def write_pdf_sheet(
    labels_iter: Iterable[LabelItem],
    out: BinaryIO,
    layout: Layout,
    progress: Progress | None = None,
    workers: int = 1,
) -> int:
    """Write the labels as one PDF to the binary file `out`; return how many labels were drawn.

    `progress`, if given, is called with 1 after each label (a click progress bar's `update`).
    fpdf2 holds the document in memory until it is written (bench/results/labels.json has the
    measured peak for 10,000 labels); split bigger runs with `iter_pdf_parts`.
    """
    data, count = render_pdf(labels_iter, layout, progress, workers)
    out.write(data)
    return count


def iter_pdf_parts(
    labels_iter: Iterable[LabelItem],
    layout: Layout,
    labels_per_part: int = 10_000,
    progress: Progress | None = None,
) -> Iterator[bytes]:
    """Yield PDF documents (bytes) of at most `labels_per_part` labels each, consuming the iterator lazily."""
    iterator = iter(labels_iter)
    per_part = max(layout.per_page, labels_per_part - labels_per_part % layout.per_page)
    while True:
        chunk = _take(iterator, per_part)
        if not chunk:
            return
        data, _ = render_pdf(chunk, layout, progress)
        yield data
        if len(chunk) < per_part:
            return


def _take(iterator: Iterator[LabelItem], n: int) -> list[LabelItem]:
    out: list[LabelItem] = []
    for item in iterator:
        out.append(item)
        if len(out) == n:
            break
    return out
