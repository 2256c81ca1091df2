"""What goes on a label besides the QR code, and the page layouts labels are printed on."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from labels.errors import LabelDataError, UnknownLayoutError

_GTIN = re.compile(r"\d{14}")


@dataclass(frozen=True, slots=True)
class LabelText:
    """Human-readable content of one label.

    `serial` is None for a product-level label (URL `/01/<GTIN>` only); `batch` may be None too.
    `check_code` is the unit's code for a check by SMS (``XXXX-XXXX-XXXX``, made by the caller), printed
    under the QR as ``SMS MIB <code>``; None on labels without one.
    """

    name_en: str
    name_bn: str
    gtin: str
    serial: str | None = None
    batch: str | None = None
    check_code: str | None = None

    def __post_init__(self) -> None:
        errors = []
        if not _GTIN.fullmatch(self.gtin):
            errors.append({"field": "gtin", "reason": "must be 14 digits (GTIN-14)"})
        if not self.name_en.strip():
            errors.append({"field": "name_en", "reason": "must not be empty"})
        if not self.name_bn.strip():
            errors.append({"field": "name_bn", "reason": "must not be empty"})
        if errors:
            raise LabelDataError("invalid label text", errors)


@dataclass(frozen=True, slots=True)
class Layout:
    """A page and the grid of labels on it (all lengths in millimetres).

    Roll layouts are one label per page (page size = label size), which is what label-printer
    drivers expect. `monochrome` draws the mark in black only, for thermal printers. `safe_margin`
    keeps text, mark and code modules that far from the trim edge (roll cutters wander by ~1 mm).
    """

    name: str
    page_width: float
    page_height: float
    label_width: float
    label_height: float
    columns: int = 1
    rows: int = 1
    margin_x: float = 0.0
    margin_y: float = 0.0
    gap_x: float = 0.0
    gap_y: float = 0.0
    monochrome: bool = False
    cut_marks: bool = False
    safe_margin: float = 0.0  # nothing is printed closer than this to a label's trim edge

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def label_origin(self, index: int) -> tuple[float, float]:
        """Top-left corner (mm) of the `index`-th label on a page, row by row."""
        row, col = divmod(index, self.columns)
        return (
            self.margin_x + col * (self.label_width + self.gap_x),
            self.margin_y + row * (self.label_height + self.gap_y),
        )


A4_WIDTH, A4_HEIGHT = 210.0, 297.0
ROLL_SAFE_MARGIN = 1.5  # mm; roll printers want 1-1.5 mm between print and the cut


def make_a4_layout(columns: int = 4, rows: int = 9, margin: float = 6.0, gap: float = 2.0) -> Layout:
    """An A4 sheet cut into `columns` x `rows` labels of equal size."""
    if not (1 <= columns <= 10 and 1 <= rows <= 20):
        raise UnknownLayoutError(f"an A4 grid must have 1-10 columns and 1-20 rows, not {columns}x{rows}")
    width = (A4_WIDTH - 2 * margin - (columns - 1) * gap) / columns
    height = (A4_HEIGHT - 2 * margin - (rows - 1) * gap) / rows
    if width < 20 or height < 20:
        raise UnknownLayoutError(f"an A4 grid of {columns}x{rows} gives labels under 20 mm")
    return Layout(
        name=f"a4-{columns}x{rows}",
        page_width=A4_WIDTH,
        page_height=A4_HEIGHT,
        label_width=width,
        label_height=height,
        columns=columns,
        rows=rows,
        margin_x=margin,
        margin_y=margin,
        gap_x=gap,
        gap_y=gap,
        cut_marks=True,
    )


def make_roll_layout(width: float, height: float) -> Layout:
    return Layout(
        name=f"roll-{width:g}x{height:g}",
        page_width=width,
        page_height=height,
        label_width=width,
        label_height=height,
        monochrome=True,
        safe_margin=ROLL_SAFE_MARGIN,
    )


LAYOUTS: dict[str, Layout] = {
    "a4": make_a4_layout(),
    "roll-40x30": make_roll_layout(40, 30),
    "roll-25x25": make_roll_layout(25, 25),
}


def get_layout(name: str) -> Layout:
    """Return a named layout; `a4-CxR` (e.g. a4-3x8) gives an A4 grid of C columns and R rows."""
    if name in LAYOUTS:
        return LAYOUTS[name]
    match = re.fullmatch(r"a4-(\d{1,2})x(\d{1,2})", name)
    if match:
        return make_a4_layout(int(match[1]), int(match[2]))
    raise UnknownLayoutError(
        f"unknown layout {name!r}", [{"field": "layout", "reason": f"one of {', '.join(LAYOUTS)} or a4-CxR"}]
    )


# What the label writers take, here (not in labels.pdf) so that naming them imports no renderer.
Progress = Callable[[int], None]
LabelItem = tuple[str, LabelText]
