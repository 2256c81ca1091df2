"""PDF label sheets: the right text on every label, Bangla shaped by HarfBuzz, pages as expected."""

from __future__ import annotations

import ctypes
import io
import shutil
import subprocess
from pathlib import Path

import pytest
import uharfbuzz as hb

import labels.pdf
from labels import LabelText, UnknownLayoutError, get_layout, iter_pdf_parts, make_a4_layout, write_pdf_sheet
from labels.pdf import MIN_CODE_PT
from labels.render import SCAN_TO_VERIFY_BN
from labels.schemas import ROLL_SAFE_MARGIN
from tests.labels.label_helpers import GTIN

# pypdfium2 (PyPI, pinned in the dev extras) renders PDF pages for zxing-cpp and reads their text.
pdfium = pytest.importorskip("pypdfium2")
pdfium_raw = pytest.importorskip("pypdfium2.raw")

FONT = Path(__file__).resolve().parents[2] / "static" / "fonts" / "NotoSansBengali-Regular.ttf"
FONT_BOLD = FONT.with_name("NotoSansBengali-Bold.ttf")
NAME_BN = "সুরক্ষিত ওয়াই-ফাই রাউটার"  # ক্ষ conjunct, ি before its consonant, য়


def harfbuzz_glyph_count(text: str, font_path: Path) -> int:
    font = hb.Font(hb.Face(hb.Blob.from_file_path(str(font_path))))
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    hb.shape(font, buf, {})
    return len(buf.glyph_infos)


def page_glyphs(page: pdfium.PdfPage) -> list[tuple[str, tuple[float, ...]]]:
    """(text, box) per drawn glyph: pdfium gives each code point the box of the glyph it maps from."""
    textpage = page.get_textpage()
    glyphs: list[tuple[str, tuple[float, ...]]] = []
    for i in range(textpage.count_chars()):
        char = chr(pdfium_raw.FPDFText_GetUnicode(textpage, i))
        box = tuple(round(v, 2) for v in textpage.get_charbox(i))
        if char in "\r\n":
            continue
        if glyphs and glyphs[-1][1] == box and char.strip():
            glyphs[-1] = (glyphs[-1][0] + char, box)
        else:
            glyphs.append((char, box))
    return glyphs


def glyphs_of(
    glyphs: list[tuple[str, tuple[float, ...]]], phrase: str
) -> list[tuple[str, tuple[float, ...]]]:
    """The run of glyphs whose text (ignoring glyphs without text) spells `phrase`."""
    for start in range(len(glyphs)):
        if not glyphs[start][0].isprintable():
            continue
        text = ""
        for end in range(start, len(glyphs)):
            piece = glyphs[end][0]
            text += piece if piece.isprintable() else ""
            if text == phrase:
                return glyphs[start : end + 1]
            if not phrase.startswith(text):
                break
    raise AssertionError(f"{phrase!r} not found on the page")


def make_items(n: int, serial_prefix: str = "S") -> list[tuple[str, LabelText]]:
    items = []
    for i in range(n):
        serial = f"{serial_prefix}{i:012d}"
        url = f"https://VERIFY.MIB.GOV.BD/01/{GTIN}/21/{serial}"
        text = LabelText(
            name_en="Secure Wi-Fi Router", name_bn=NAME_BN, gtin=GTIN, serial=serial, batch="LOT-7"
        )
        items.append((url, text))
    return items


def render(items, layout_name: str) -> pdfium.PdfDocument:
    out = io.BytesIO()
    write_pdf_sheet(iter(items), out, get_layout(layout_name))
    return pdfium.PdfDocument(out.getvalue())


@pytest.mark.parametrize("layout_name", ["roll-40x30", "roll-25x25"])
@pytest.mark.parametrize("page_index", [0, 1])  # page 1 is drawn, page 2 repeats its recorded text
def test_bangla_is_shaped_into_the_glyphs_harfbuzz_chooses(
    layout_name: str, page_index: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # /ActualText would make pdfium report the logical text instead of each glyph's own mapping
    monkeypatch.setattr(labels.pdf, "ACTUAL_TEXT", False)
    doc = render(make_items(2), layout_name)
    glyphs = page_glyphs(doc[page_index])

    if layout_name != "roll-25x25":  # too small for the scan line at 5 pt
        scan = glyphs_of(glyphs, SCAN_TO_VERIFY_BN)
        assert len(scan) == harfbuzz_glyph_count(SCAN_TO_VERIFY_BN, FONT) < len(SCAN_TO_VERIFY_BN)
        assert [text for text, _ in scan if "স" in text] == ["স্ক"]  # the স্ক conjunct is one glyph
    word = NAME_BN.split()[0]  # the 25 x 25 label shortens the name to fit at 6 pt
    name = glyphs_of(glyphs, word)
    assert len(name) == harfbuzz_glyph_count(word, FONT_BOLD)
    # "ক্ষি" is two glyphs, as HarfBuzz shapes it: the vowel sign ি first (it carries the cluster's text),
    # then the ক্ষ conjunct (no text of its own); unshaped it would be four: ক ্ ষ ি
    cluster = next(i for i, (text, _) in enumerate(name) if text == "ক্ষি")
    assert not name[cluster + 1][0].isprintable()
    assert name[cluster + 2][0] == "ত"
    assert name[cluster][1][0] < name[cluster + 1][1][0]  # ি is left of ক্ষ


@pytest.mark.parametrize("layout_name", ["a4", "roll-40x30", "roll-25x25"])
def test_every_label_shows_its_codes_names_and_scan_line(layout_name: str) -> None:
    items = make_items(get_layout(layout_name).per_page + 1)
    doc = render(items, layout_name)
    texts = [page.get_textpage().get_text_range() for page in doc]
    per_page = get_layout(layout_name).per_page
    for index, (_, label) in enumerate(items):
        text = texts[index // per_page]
        assert f"SN {label.serial}" in text
    for text in texts:
        assert f"GTIN {GTIN}" in text
        assert "Secure Wi-Fi Router" in text
        assert "বাংলাদেশে" in text and "তৈরি" in text
        if layout_name == "roll-25x25":  # what does not fit at the minimum sizes is left out
            assert NAME_BN[:10] in text
            assert "Batch" not in text and "Made in" not in text and "Scan to verify" not in text
        else:
            assert NAME_BN in text
            assert "Batch LOT-7" in text
            assert "Made in" in text and "Bangladesh" in text
            assert SCAN_TO_VERIFY_BN in text and "Scan to verify" in text


def test_product_label_leaves_serial_out() -> None:
    url = f"https://VERIFY.MIB.GOV.BD/01/{GTIN}"
    text = LabelText(name_en="Router", name_bn="রাউটার", gtin=GTIN)
    doc = render([(url, text)], "roll-40x30")
    content = doc[0].get_textpage().get_text_range()
    assert f"GTIN {GTIN}" in content and "SN " not in content and "Batch" not in content


def test_pages_have_the_layout_size_and_grid() -> None:
    layout = make_a4_layout(columns=3, rows=7)
    out = io.BytesIO()
    count = write_pdf_sheet(iter(make_items(22)), out, layout)
    doc = pdfium.PdfDocument(out.getvalue())
    assert count == 22
    assert len(doc) == 2  # 21 labels per page
    width, height = doc[0].get_size()
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)
    roll = render(make_items(1), "roll-25x25")
    assert [round(v / 72 * 25.4, 1) for v in roll[0].get_size()] == [25.0, 25.0]


def test_qr_is_drawn_as_vectors_not_images() -> None:
    doc = render(make_items(1), "roll-40x30")
    kinds = {obj.type for obj in doc[0].get_objects()}
    assert pdfium_raw.FPDF_PAGEOBJ_IMAGE not in kinds
    assert pdfium_raw.FPDF_PAGEOBJ_PATH in kinds


def test_labels_are_consumed_lazily_and_progress_is_reported() -> None:
    consumed = []
    reported = []

    def items():
        for item in make_items(5):
            consumed.append(item)
            yield item

    def progress(n: int) -> None:
        reported.append((n, len(consumed)))

    write_pdf_sheet(items(), io.BytesIO(), get_layout("roll-25x25"), progress)
    # each label is reported right after it is drawn, before the next one is pulled
    assert reported == [(1, 1), (1, 2), (1, 3), (1, 4), (1, 5)]


def test_big_runs_split_into_parts() -> None:
    layout = make_a4_layout(columns=2, rows=2)
    parts = list(iter_pdf_parts(iter(make_items(10)), layout, labels_per_part=4))
    assert [len(pdfium.PdfDocument(p)) for p in parts] == [1, 1, 1]
    assert [part[:5] for part in parts] == [b"%PDF-"] * 3


def test_empty_batch_gives_a_valid_blank_pdf() -> None:
    out = io.BytesIO()
    assert write_pdf_sheet(iter([]), out, get_layout("a4")) == 0
    assert len(pdfium.PdfDocument(out.getvalue())) == 1


@pytest.mark.parametrize("name", ["a5", "a4-0x3", "a4-11x2", "a4-9x19", "roll-40"])
def test_unknown_or_unusable_layouts_are_refused(name: str) -> None:
    with pytest.raises(UnknownLayoutError):
        get_layout(name)


def test_label_text_is_validated() -> None:
    from labels import LabelDataError

    with pytest.raises(LabelDataError) as info:
        LabelText(name_en="", name_bn="রাউটার", gtin="123")
    assert {e["field"] for e in info.value.errors} == {"gtin", "name_en"}


def test_two_worker_processes_give_the_same_labels(monkeypatch: pytest.MonkeyPatch) -> None:
    import labels.pdf

    real = labels.pdf._with_symbols
    monkeypatch.setattr(labels.pdf, "_with_symbols", lambda items, workers: real(items, workers, window=7))
    items = make_items(23)  # four windows of 7 labels ahead of the drawing
    single, double = io.BytesIO(), io.BytesIO()
    write_pdf_sheet(iter(items), single, get_layout("roll-25x25"))
    write_pdf_sheet(iter(items), double, get_layout("roll-25x25"), workers=2)
    one, two = pdfium.PdfDocument(single.getvalue()), pdfium.PdfDocument(double.getvalue())
    assert len(one) == len(two) == 23
    for a, b in zip(one, two, strict=True):
        assert a.get_textpage().get_text_range() == b.get_textpage().get_text_range()
    from tests.labels.label_helpers import decode_all

    for index in (0, 8, 22):
        image = two[index].render(scale=300 / 72, grayscale=True).to_pil()
        assert decode_all(image) == [items[index][0]]


# -- what a printer and a reader get ------------------------------------------------------------------

MIXED_NAME_BN = "তিস্তা পাওয়ার ব্যাংক HX-৭০৫"  # a Bangla name with Latin letters in it


def mixed_label(name_en: str = "Teesta Power Bank HX-705", lot: str = "LOT-7") -> tuple[str, LabelText]:
    serial = "S000000000001"
    url = f"https://VERIFY.MIB.GOV.BD/01/{GTIN}/21/{serial}"
    return url, LabelText(name_en=name_en, name_bn=MIXED_NAME_BN, gtin=GTIN, serial=serial, batch=lot)


def pdf_bytes(items, layout_name: str) -> bytes:
    out = io.BytesIO()
    write_pdf_sheet(iter(items), out, get_layout(layout_name))
    return out.getvalue()


@pytest.mark.parametrize("layout_name", ["a4", "roll-40x30"])
def test_pdftotext_reads_the_bangla_name_whole_with_its_latin_letters(
    layout_name: str, tmp_path: Path
) -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (Debian's poppler-utils, installed by .ci/run) is not installed")
    path = tmp_path / "labels.pdf"
    path.write_bytes(pdf_bytes([mixed_label(lot="লট-১")], layout_name))
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    lines = text.splitlines()
    assert MIXED_NAME_BN in lines  # Latin from Noto Sans, Bangla from Noto Sans Bengali, in typed order
    assert "বাংলাদেশে তৈরি" in lines
    assert "Batch লট-১" in lines  # a lot typed in Bangla takes the Bengali font on a code line too


@pytest.mark.parametrize("layout_name", ["roll-40x30", "roll-25x25"])
@pytest.mark.parametrize("name_en", ["Teesta Power Bank HX-705", "Wq" * 30])
def test_roll_labels_print_nothing_within_the_safe_zone(layout_name: str, name_en: str) -> None:
    page = pdfium.PdfDocument(pdf_bytes([mixed_label(name_en, lot="B2026-0042")], layout_name))[0]
    dpi = 600
    image = page.render(scale=dpi / 72).to_pil().convert("L")
    ink = image.point(lambda v: 255 if v < 200 else 0).getbbox()  # anything visibly printed
    assert ink is not None
    edge = ROLL_SAFE_MARGIN * dpi / 25.4 - 1  # one pixel of anti-aliasing where the code's modules start
    width, height = image.size
    assert min(ink[0], ink[1], width - ink[2], height - ink[3]) >= edge


@pytest.mark.parametrize("layout_name", ["a4", "roll-40x30", "roll-25x25"])
def test_no_text_is_set_below_the_minimum_sizes(layout_name: str) -> None:
    long_names = mixed_label("Wq" * 30)
    page = pdfium.PdfDocument(pdf_bytes([long_names], layout_name))[0]
    sizes = []
    for obj in page.get_objects(filter=[pdfium_raw.FPDF_PAGEOBJ_TEXT]):
        size = ctypes.c_float()
        assert pdfium_raw.FPDFTextObj_GetFontSize(obj, size)
        sizes.append(size.value)  # in points: the labels' text objects are not scaled
    assert sizes and min(sizes) >= MIN_CODE_PT
    names = page.get_textpage().get_text_range()
    assert "WqWq" in names and "…" in names  # too long at the minimum: shortened, not shrunk further
