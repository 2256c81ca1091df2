"""QR codes as SVG and PNG, and the "Made in Bangladesh" mark as SVG.

The QR is always black on white with the 4-module quiet zone; every dark run of a row is one
horizontal line of a single `<path>` stroked one module wide, in module units, so the file is small
and the edges are exact at any scale.
"""

from __future__ import annotations

import io
import re
from html import escape

from PIL import Image

from labels.qr import QUIET_ZONE, QRMatrix, encode_matrix
from labels.schemas import LabelText

# Flag colours of Bangladesh, used by our own mark (no third-party artwork).
MARK_GREEN = "#006a4e"
MARK_RED = "#f42a41"
SCAN_TO_VERIFY_BN = "যাচাই করতে স্ক্যান করুন"
SCAN_TO_VERIFY_EN = "Scan to verify"
MADE_IN_BN = "বাংলাদেশে তৈরি"
MADE_IN_EN = "Made in Bangladesh"

_PNG_LEVELS = bytes.maketrans(b"01", b"\xff\x00")


class _SegmentStrokes(dict):
    """b"0001111" -> "m3 0h4": a light gap then a dark run, as relative path commands (memoised)."""

    def __missing__(self, segment: bytes) -> str:
        gap = segment.index(b"1")
        value = self[segment] = f"m{gap} 0h{len(segment) - gap}"
        return value


_STROKES = _SegmentStrokes()
_SEGMENT = re.compile(rb"0*1+")


def qr_path_data(matrix: QRMatrix, offset: int = QUIET_ZONE) -> str:
    """SVG path data, in module units, to be stroked 1 module wide: one horizontal line per dark run.

    Each row starts with an absolute move to the middle of its first module; each dark run is then a
    relative move over the light gap and a horizontal line over the run. Identical gap+run pieces are
    formatted once and reused, which is what makes this fast.
    """
    stride, size, bits = matrix.stride, matrix.size, matrix.bits
    lookup = _STROKES.__getitem__
    parts = []
    for r in range(size):
        segments = _SEGMENT.findall(bits, r * stride, r * stride + size)
        if segments:
            parts.append(f"M{offset} {r + offset}.5")
            parts.extend(map(lookup, segments))
    return "".join(parts)


def render_svg(
    url: str, *, module_size: float = 1.0, unit: str = "mm", matrix: QRMatrix | None = None
) -> str:
    """Return a standalone SVG of the QR code for `url` (quiet zone included).

    `module_size` and `unit` set the printed size (default 1 mm per module); the drawing itself is
    in module units, so the file scales without loss.
    """
    m = matrix or encode_matrix(url)
    side = m.size + 2 * QUIET_ZONE
    printed = f"{side * module_size:g}{unit}"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{printed}" height="{printed}" '
        f'viewBox="0 0 {side} {side}" shape-rendering="crispEdges">'
        f'<rect width="{side}" height="{side}" fill="#fff"/>'
        f'<path fill="none" stroke="#000" d="{qr_path_data(m)}"/></svg>'
    )


def render_png(url: str, *, module_px: int = 10, matrix: QRMatrix | None = None) -> bytes:
    """Return a 1-bit PNG of the QR code for `url`, `module_px` pixels per module, quiet zone included."""
    m = matrix or encode_matrix(url)
    n, q = m.size, QUIET_ZONE
    side = n + 2 * q
    # One byte per module (the guard column included), then crop the guard column away.
    grid = Image.frombytes("L", (m.stride, n), m.bits.translate(_PNG_LEVELS))
    image = Image.new("L", (side, side), 255)
    image.paste(grid.crop((0, 0, n, n)), (q, q))
    # 1-bit at one pixel per module (no dithering: the levels are exactly 0 and 255), then scale up.
    image = image.convert("1", dither=Image.Dither.NONE)
    if module_px != 1:
        image = image.resize((side * module_px, side * module_px), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def render_mark_svg(monochrome: bool = False) -> str:
    """Our "Made in Bangladesh" mark: a flag-proportioned panel, the disc off-centre, and the words."""
    green, red = ("#000", "#fff") if monochrome else (MARK_GREEN, MARK_RED)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="40mm" height="12mm" viewBox="0 0 40 12">'
        f'<rect x="0.5" y="1.5" width="15" height="9" rx="1" fill="{green}"/>'
        f'<circle cx="7.25" cy="6" r="3" fill="{red}"/>'
        '<g font-family="Noto Sans Bengali, Noto Sans, sans-serif" fill="#000">'
        f'<text x="17.5" y="5.6" font-size="4.2" font-weight="bold">{MADE_IN_BN}</text>'
        f'<text x="17.5" y="10.2" font-size="3.4">{MADE_IN_EN}</text></g></svg>'
    )


def render_label_svg(url: str, text: LabelText, *, matrix: QRMatrix | None = None) -> str:
    """A 40 x 30 mm unit label as SVG: QR, mark, names in Bangla and English, codes, scan line.

    Text is left to the SVG viewer to shape (browsers and Inkscape shape Bangla with HarfBuzz);
    for print, use the PDF, which carries its own subset of Noto Sans Bengali.
    """
    m = matrix or encode_matrix(url)
    side = m.size + 2 * QUIET_ZONE
    qr_mm = 23.0
    lines = [
        (text.name_bn, 2.6, "bold"),
        (text.name_en, 2.2, "bold"),
        (f"GTIN {text.gtin}", 1.9, "normal"),
    ]
    if text.serial:
        lines.append((f"SN {text.serial}", 1.9, "normal"))
    if text.check_code:
        lines.append((f"SMS MIB {text.check_code}", 1.9, "bold"))
    if text.batch:
        lines.append((f"Batch {text.batch}", 1.9, "normal"))
    body = []
    y = 8.6
    for value, size, weight in lines:
        body.append(
            f'<text x="24" y="{y:.1f}" font-size="{size}" font-weight="{weight}">{escape(value)}</text>'
        )
        y += size * 1.35
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="40mm" height="30mm" viewBox="0 0 40 30">'
        '<rect width="40" height="30" fill="#fff"/>'
        f'<svg x="0.5" y="0.5" width="{qr_mm}" height="{qr_mm}" viewBox="0 0 {side} {side}" '
        f'shape-rendering="crispEdges"><path fill="none" stroke="#000" d="{qr_path_data(m)}"/></svg>'
        f'<rect x="24" y="1.2" width="5" height="3" rx="0.3" fill="{MARK_GREEN}"/>'
        f'<circle cx="26.25" cy="2.7" r="1" fill="{MARK_RED}"/>'
        '<g font-family="Noto Sans Bengali, Noto Sans, sans-serif" fill="#000">'
        f'<text x="29.6" y="2.6" font-size="1.4">{MADE_IN_BN}</text>'
        f'<text x="29.6" y="4.1" font-size="1.2">{MADE_IN_EN}</text>'
        + "".join(body)
        + f'<text x="1" y="28.4" font-size="2">{SCAN_TO_VERIFY_BN} / {SCAN_TO_VERIFY_EN}</text>'
        "</g></svg>"
    )
