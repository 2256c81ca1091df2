"""Charts drawn on the server as inline SVG: no JavaScript, no CDN. Each chart is an image with a title; the
page shows the same numbers in a table beside it (the table is what assistive technology reads)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from markupsafe import Markup

ROW = 22  # px per bar
LABEL_W = 120
BAR_W = 200
VALUE_W = 60
# colour-blind-safe series colours (Okabe-Ito), the first the site's green
SERIES_COLOURS = ("#006a4e", "#e69f00", "#56b4e9", "#cc79a7", "#0072b2", "#d55e00", "#f0e442", "#009e73", "#999999")


def bar_chart(
    rows: Sequence[tuple[str, int]], title: str, chart_id: str, number: Callable[[int], str] = str
) -> Markup:
    """A horizontal bar chart of (label, value) rows that scales to the width of a 360 px phone; ``number``
    writes a value (Bangla digits on a Bangla page)."""
    return stacked_bar_chart([(label, [value]) for label, value in rows], [], title, chart_id, number)


def stacked_bar_chart(
    rows: Sequence[tuple[str, Sequence[int]]],
    series: Sequence[str],
    title: str,
    chart_id: str,
    number: Callable[[int], str] = str,
) -> Markup:
    """Horizontal bars of (label, [value per series]) rows, each bar its series stacked in order, the total
    written after it; a legend names the series when there is more than one."""
    top = max((sum(v) for _, v in rows), default=0) or 1
    legend = len(series) > 1
    legend_h = ((len(series) + 2) // 3) * 18 + 4 if legend else 0
    height = max(1, len(rows)) * ROW + 4 + legend_h
    width = LABEL_W + BAR_W + VALUE_W
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
             f'width="100%" role="img" aria-labelledby="{chart_id}-t" preserveAspectRatio="xMinYMin meet">',
             f'<title id="{chart_id}-t">{escape(title)}</title>']
    for n, name in enumerate(series if legend else ()):
        x, y = (n % 3) * (width // 3), (n // 3) * 18 + 2
        parts.append(f'<rect x="{x}" y="{y + 3}" width="10" height="10" '
                     f'fill="{SERIES_COLOURS[n % len(SERIES_COLOURS)]}"></rect>')
        parts.append(f'<text x="{x + 14}" y="{y + 12}" font-size="11" fill="currentColor">{escape(name)}</text>')
    for i, (label, values) in enumerate(rows):
        y = legend_h + i * ROW + 2
        parts.append(f'<text x="{LABEL_W - 6}" y="{y + 15}" text-anchor="end" font-size="12" '
                     f'fill="currentColor">{escape(label)}</text>')
        x = float(LABEL_W)
        for n, value in enumerate(values):
            w = round(BAR_W * value / top, 1)
            if w:
                parts.append(f'<rect x="{round(x, 1)}" y="{y + 3}" width="{w}" height="{ROW - 6}" '
                             f'fill="{SERIES_COLOURS[n % len(SERIES_COLOURS)]}"></rect>')
            x += w
        parts.append(f'<text x="{round(x, 1) + 4}" y="{y + 15}" font-size="12" fill="currentColor">'
                     f'{escape(number(sum(values)))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every label and value above is escaped
