"""QR labels: print-ready, scannable, bilingual labels for products and whole serial batches.

Public API: render_svg / render_png (one QR code), write_pdf_sheet (A4 grids and label rolls),
write_zip / iter_csv (bulk), write_labels (any format), and the in-process job queue (labels.jobs).
A leaf: it imports neither registry nor signing. The label API and `flask labels print` that read serial
batches are the signing package's (signing.label_views, signing.label_cli).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from labels.errors import LabelDataError, LabelError, UnknownLayoutError
from labels.schemas import LAYOUTS, LabelText, Layout, get_layout, make_a4_layout
from labels.services import FORMATS, items_from_batch, items_from_urls, iter_csv, write_labels, write_zip

# The renderers (fpdf with fontTools and HarfBuzz, Pillow, qrcode) load on first use: importing them cost
# every web worker and every `flask` command about 0.4 s and tens of MB that a request almost never needs.
_LAZY = {
    "iter_pdf_parts": "labels.pdf",
    "write_pdf_sheet": "labels.pdf",
    "QRMatrix": "labels.qr",
    "encode_matrix": "labels.qr",
    "render_label_svg": "labels.render",
    "render_mark_svg": "labels.render",
    "render_png": "labels.render",
    "render_svg": "labels.render",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'labels' has no attribute {name!r}")

    return getattr(importlib.import_module(module), name)


if TYPE_CHECKING:
    from labels.pdf import iter_pdf_parts, write_pdf_sheet
    from labels.qr import QRMatrix, encode_matrix
    from labels.render import render_label_svg, render_mark_svg, render_png, render_svg

__all__ = [
    "FORMATS",
    "LAYOUTS",
    "LabelDataError",
    "LabelError",
    "LabelText",
    "Layout",
    "QRMatrix",
    "UnknownLayoutError",
    "encode_matrix",
    "get_layout",
    "items_from_batch",
    "items_from_urls",
    "iter_csv",
    "iter_pdf_parts",
    "make_a4_layout",
    "render_label_svg",
    "render_mark_svg",
    "render_png",
    "render_svg",
    "write_labels",
    "write_pdf_sheet",
    "write_zip",
]
