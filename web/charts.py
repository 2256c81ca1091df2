"""Charts drawn on the server as inline SVG: no JavaScript, no CDN. Each chart is an image with a title; the
page shows the same numbers in a table beside it (the table is what assistive technology reads)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

ROW = 22  # px per bar
LABEL_W = 120
BAR_W = 200
VALUE_W = 60


def bar_chart(rows: Sequence[tuple[str, int]], title: str, chart_id: str) -> Markup:
    """A horizontal bar chart of (label, value) rows that scales to the width of a 360 px phone."""
    top = max((v for _, v in rows), default=0) or 1
    height = max(1, len(rows)) * ROW + 4
    width = LABEL_W + BAR_W + VALUE_W
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
             f'width="100%" role="img" aria-labelledby="{chart_id}-t" preserveAspectRatio="xMinYMin meet">',
             f'<title id="{chart_id}-t">{escape(title)}</title>']
    for i, (label, value) in enumerate(rows):
        y = i * ROW + 2
        w = round(BAR_W * value / top, 1)
        parts.append(f'<text x="{LABEL_W - 6}" y="{y + 15}" text-anchor="end" font-size="12" '
                     f'fill="currentColor">{escape(label)}</text>')
        parts.append(f'<rect x="{LABEL_W}" y="{y + 3}" width="{w}" height="{ROW - 6}" fill="#006a4e"></rect>')
        parts.append(f'<text x="{LABEL_W + w + 4}" y="{y + 15}" font-size="12" fill="currentColor">'
                     f'{escape(str(value))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every label and value above is escaped
