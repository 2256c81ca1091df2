"""Charts drawn on the server as inline SVG: no JavaScript, no CDN. Each chart is an image with a title; the
page shows the same numbers in a table beside it (the table is what assistive technology reads)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from markupsafe import Markup

ROW = 22  # px per bar
LABEL_W = 120
LABEL_W_MAX = 180
BAR_W = 200
VALUE_W = 60
# series n is drawn in class "s<n>" (static/css/site.css: colour-blind-safe Okabe-Ito colours, the first the
# site's green); text takes its size and colour from ".chart text", so each element carries only positions
SERIES = 9


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
    # room for the longest label (about 6.5 px a character at 12 px), within limits a phone can show
    label_w = min(
        LABEL_W_MAX, max(LABEL_W, round(6.5 * max((len(label) for label, _ in rows), default=0)) + 8)
    )
    legend = len(series) > 1
    legend_h = ((len(series) + 2) // 3) * 18 + 4 if legend else 0
    height = max(1, len(rows)) * ROW + 4 + legend_h
    width = label_w + BAR_W + VALUE_W
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="{chart_id}-t" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
    ]
    for n, name in enumerate(series if legend else ()):
        x, y = (n % 3) * (width // 3), (n // 3) * 18 + 2
        parts.append(f'<rect class="s{n % SERIES}" x="{x}" y="{y + 3}" width="10" height="10"/>')
        parts.append(f'<text x="{x + 14}" y="{y + 12}">{escape(name)}</text>')
    for i, (label, values) in enumerate(rows):
        y = legend_h + i * ROW + 2
        parts.append(f'<text class="l" x="{label_w - 6}" y="{y + 15}">{escape(label)}</text>')
        x = float(label_w)
        for n, value in enumerate(values):
            w = round(BAR_W * value / top, 1)
            if w:
                parts.append(
                    f'<rect class="s{n % SERIES}" x="{round(x, 1):g}" y="{y + 3}" width="{w:g}" '
                    f'height="{ROW - 6}"/>'
                )
            x += w
        parts.append(f'<text x="{round(x + 4, 1):g}" y="{y + 15}">{escape(number(sum(values)))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every label and value above is escaped
