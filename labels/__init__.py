"""QR labels: print-ready, scannable, bilingual labels for products and whole serial batches.

Public API: render_svg / render_png (one QR code), write_pdf_sheet (A4 grids and label rolls),
write_zip / iter_csv (bulk), write_labels (any format), and init_app(app) which registers
`flask labels ...`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from labels.errors import LabelDataError, LabelError, UnknownLayoutError
from labels.pdf import iter_pdf_parts, write_pdf_sheet
from labels.qr import QRMatrix, encode_matrix
from labels.render import render_label_svg, render_mark_svg, render_png, render_svg
from labels.schemas import LAYOUTS, LabelText, Layout, get_layout, make_a4_layout
from labels.services import FORMATS, items_from_batch, items_from_urls, iter_csv, write_labels, write_zip

if TYPE_CHECKING:
    from flask import Flask

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
    "init_app",
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


def init_app(app: Flask) -> None:
    """Register the `flask labels` CLI group, the label API blueprint and its in-process job queue.

    Settings (all optional): LABELS_DIRECT_LIMIT (labels answered in the request, default 1000),
    LABELS_JOB_WORKERS (default 1), LABELS_JOB_TTL_SECONDS (default 86400), LABELS_JOB_DIR
    (default <instance>/label-jobs).
    """
    from labels.cli import labels_cli
    from labels.views import init_views

    app.cli.add_command(labels_cli)
    init_views(app)
