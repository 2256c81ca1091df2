"""Regenerate the rendered samples in docs/labels/ (run from the repository root).

.venv/bin/python docs/labels/make_samples.py
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pypdfium2 as pdfium

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from labels import LabelText, get_layout, render_mark_svg, write_pdf_sheet  # noqa: E402
from labels.render import render_svg  # noqa: E402

OUT = ROOT / "docs" / "labels"
GTIN = "08901234567890"
# Shaped like signing.labels.issue_label_url's output; the signature digits are not a real signature.
URL = f"https://VERIFY.MIB.GOV.BD/01/{GTIN}/21/K7Q2M9X4PLA3B?s=010203040501d2" + "7" * 157
TEXT = LabelText(
    name_en="Secure Wi-Fi Router",
    name_bn="সুরক্ষিত ওয়াই-ফাই রাউটার",
    gtin=GTIN,
    serial="K7Q2M9X4PLA3B",
    batch="B2026-0042",
)


def render_png(layout_name: str, dpi: int, name: str) -> None:
    buf = io.BytesIO()
    write_pdf_sheet(iter([(URL, TEXT)]), buf, get_layout(layout_name))
    doc = pdfium.PdfDocument(buf.getvalue())
    doc[0].render(scale=dpi / 72).to_pil().save(OUT / name, optimize=True)
    doc.close()


def main() -> None:
    render_png("roll-40x30", 600, "sample-label.png")
    render_png("roll-25x25", 600, "sample-label-25x25.png")
    layout = get_layout("a4")
    with (OUT / "sample-sheet-a4.pdf").open("wb") as out:
        write_pdf_sheet(iter([(URL, TEXT)] * layout.per_page), out, layout)
    (OUT / "sample-qr.svg").write_text(render_svg(URL, module_size=0.4), encoding="utf-8")
    (OUT / "mark.svg").write_text(render_mark_svg(), encoding="utf-8")


if __name__ == "__main__":
    main()
