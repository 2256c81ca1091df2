"""A compliance statement as a bilingual A4 PDF: the table of lines, the bid date and check time, and the
QR code of the statement's signed link (its live status page; ``python -m signing verify`` proves it).

Fonts and QR drawing are the label printer's (``labels.pdf``): Noto Sans and Noto Sans Bengali shaped by
HarfBuzz, the QR symbol written as vector rectangles.
"""

from __future__ import annotations

from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from labels.pdf import FONT_DIR, FONTS, qr_symbol_ops
from labels.qr import QUIET_ZONE
from procurement.words import in_both, pdf_words, reason_text, verdict_text

QR_SIDE = 38.0  # mm
MARGIN = 12.0


def _both(make: Any, sep: str = " · ") -> str:
    english, bangla = in_both(make)
    return english if english == bangla else f"{english}{sep}{bangla}"


def render_statement_pdf(statement: dict[str, Any], link: str) -> bytes:
    """The PDF of a signed statement's content (``statement``) with ``link`` as its QR code."""
    words_en, words_bn = in_both(pdf_words)

    def word(key: str, sep: str = " · ", **params: Any) -> str:
        en, bn = (
            words_en[key] % params if params else words_en[key],
            words_bn[key] % params if params else words_bn[key],
        )
        return f"{en}{sep}{bn}"

    pdf = _StatementPDF(unit="mm", format="A4")
    pdf.set_creator("Made in Bangladesh ICT registry")
    pdf.set_title(f"{words_en['title']} {statement['id']}")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=MARGIN)
    for (family, style), filename in FONTS.items():
        pdf.add_font(family, style, str(FONT_DIR / filename))
    pdf.set_text_shaping(True)
    pdf.set_fallback_fonts(["bn"])
    pdf.add_page()
    _draw_qr(pdf, link, pdf.w - MARGIN - QR_SIDE, MARGIN)
    text_width = pdf.w - 2 * MARGIN - QR_SIDE - 4
    pdf.set_font("sans", "B", 15)
    pdf.multi_cell(text_width, 7, word("title", "\n"))
    pdf.set_font("sans", "", 10)
    checked = statement["checked_at"].replace("T", " ").replace("Z", " UTC")
    pdf.multi_cell(text_width, 5, word("as_of", "\n", bid_date=statement["bid_date"], checked_at=checked))
    pdf.multi_cell(text_width, 5, statement["id"])
    if statement.get("reference"):
        pdf.multi_cell(text_width, 5, f"{word('reference')}: {statement['reference']}")
    pdf.multi_cell(
        text_width,
        5,
        f"{word('issued_by')}: {statement['issuer']['en']} · {statement['issuer']['bn']}"
        f" ({statement.get('issued_by') or ''})",
    )
    rules = statement["rules"]
    none = word("none", " / ")
    pdf.multi_cell(
        text_width, 5, f"{word('min_lva')}: {rules['min_lva'] + '%' if rules['min_lva'] else none}"
    )
    pdf.multi_cell(text_width, 5, f"{word('schemes')}: {', '.join(rules['schemes']) or none}")
    pdf.multi_cell(text_width, 5, f"{word('categories')}: {', '.join(rules['categories']) or none}")
    summary = statement["summary"]
    pdf.set_font("sans", "B", 10)
    pdf.multi_cell(
        text_width, 5, word("summary", " · ", compliant=summary["compliant"], lines=summary["lines"])
    )
    pdf.set_y(max(pdf.get_y(), MARGIN + QR_SIDE) + 3)
    pdf.set_font("sans", "", 8)
    pdf.multi_cell(0, 4, f"{word('scan', chr(10))}\n{word('later', chr(10))}")
    pdf.ln(2)
    pdf.set_font("sans", "", 7.5)
    heading = FontFace(emphasis="BOLD", fill_color=(230, 240, 236))
    with pdf.table(
        col_widths=(9, 58, 14, 30, 75),
        headings_style=heading,
        line_height=3.6,
        text_align=("RIGHT", "LEFT", "RIGHT", "LEFT", "LEFT"),
    ) as table:
        table.row(
            [
                word("line", "\n"),
                word("product", "\n"),
                word("quantity", "\n"),
                word("verdict", "\n"),
                word("reasons", "\n"),
            ]
        )
        for line in statement["lines"]:
            table.row(
                [
                    str(line["line"]),
                    _product_cell(line),
                    str(line["input"]["quantity"]),
                    _both(lambda v=line["verdict"]: verdict_text(v), "\n"),
                    _reasons_cell(line),
                ]
            )
    return bytes(pdf.output())


class _StatementPDF(FPDF):
    def multi_cell(self, *args: Any, **kwargs: Any) -> Any:  # every paragraph starts at the left margin
        kwargs.setdefault("new_x", XPos.LMARGIN)
        kwargs.setdefault("new_y", YPos.NEXT)
        return super().multi_cell(*args, **kwargs)


def _product_cell(line: dict[str, Any]) -> str:
    p = line.get("product")
    asked = line["input"]
    if p is None:
        named = (
            asked.get("gtin") or asked.get("licence_number") or f"{asked.get('brand')} {asked.get('model')}"
        )
        return str(named)
    return f"{p['brand']} {p['model']}\n{p['name_bn']}\nGTIN {p['gtin']}\n{p.get('licence_number') or ''}"


def _reasons_cell(line: dict[str, Any]) -> str:
    if not line["reasons"]:
        return "—"
    return "\n".join(_both(lambda r=reason: reason_text(r), "\n") for reason in line["reasons"])


def _draw_qr(pdf: FPDF, url: str, x: float, y: float) -> None:
    modules, body = qr_symbol_ops(url)
    k = pdf.k
    module = QR_SIDE / modules
    unit = module * k
    ox = (x + module * QUIET_ZONE) * k
    oy = (pdf.h - y - module * QUIET_ZONE) * k
    pdf._out(f"q 0 g {unit:.5f} 0 0 {-unit:.5f} {ox:.3f} {oy:.3f} cm {body}f Q")
