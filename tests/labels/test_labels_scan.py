"""Every kind of label decodes with zxing-cpp to its exact URL, also after print and camera damage."""

from __future__ import annotations

import io
import random
import shutil
import subprocess

import pytest
from PIL import Image, ImageFilter

from labels import encode_matrix, get_layout, render_label_svg, render_png, render_svg, write_pdf_sheet
from labels.qr import QUIET_ZONE
from tests.labels.label_helpers import GTIN, decode_all, make_text, make_url, rasterise_qr_svg
from tests.needs import need

# pypdfium2 (PyPI, pinned in the dev extras) renders PDF pages for zxing-cpp and reads their text.
pdfium = pytest.importorskip("pypdfium2")

RSVG = shutil.which("rsvg-convert")


def png_image(url: str, module_px: int) -> Image.Image:
    return Image.open(io.BytesIO(render_png(url, module_px=module_px)))


def degrade(image: Image.Image, blur: float = 0, angle: float = 0, jpeg: int | None = None) -> Image.Image:
    image = image.convert("L")
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    if angle:
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    if jpeg:
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=jpeg)
        image = Image.open(io.BytesIO(out.getvalue()))
    return image


@pytest.fixture(params=["unit", "product", "unsigned-unit"])
def url(request: pytest.FixtureRequest) -> str:
    rng = random.Random(request.param)
    if request.param == "product":
        return make_url(rng, serial=None)
    return make_url(rng, signed=request.param != "unsigned-unit")


def test_png_decodes_to_exact_url(url: str) -> None:
    assert decode_all(png_image(url, 10)) == [url]


def test_png_has_quiet_zone_and_requested_scale(url: str) -> None:
    image = png_image(url, 4)
    side = (encode_matrix(url).size + 2 * QUIET_ZONE) * 4
    assert image.size == (side, side)
    border = QUIET_ZONE * 4
    inner = image.convert("L").crop((border, border, side - border, side - border))
    assert image.convert("L").getextrema() == (0, 255)
    # nothing dark in the quiet zone: the dark pixel count is all inside the symbol
    dark_total = sum(image.convert("L").histogram()[:128])
    dark_inner = sum(inner.histogram()[:128])
    assert dark_total == dark_inner


def test_svg_rasterised_decodes_to_exact_url(url: str) -> None:
    assert decode_all(rasterise_qr_svg(render_svg(url), 6)) == [url]


@pytest.mark.parametrize("kind", ["qr", "label"])
def test_svg_rendered_by_librsvg_decodes(kind: str) -> None:
    need(RSVG, "rsvg-convert is not installed (apt-get install librsvg2-bin)")
    rng = random.Random(kind)
    url = make_url(rng)
    svg = render_svg(url) if kind == "qr" else render_label_svg(url, make_text(url, "X"))
    png = subprocess.run(  # noqa: S603 - fixed program, our own SVG on stdin
        [RSVG, "--dpi-x", "300", "--dpi-y", "300", "--background-color", "white"],
        input=svg.encode("utf-8"),
        capture_output=True,
        check=True,
    ).stdout
    assert decode_all(Image.open(io.BytesIO(png))) == [url]


@pytest.mark.parametrize(
    ("module_px", "blur", "angle", "jpeg"),
    [
        (3, 0, 0, None),  # 3 pixels per module
        (4, 1.0, 0, None),  # Gaussian blur, sigma 1 px
        (4, 0, 5, None),  # rotated +5 degrees
        (4, 0, -5, None),  # rotated -5 degrees
        (3, 0, 0, 30),  # JPEG quality 30
        (3, 0.8, 5, 30),  # all at once, at 3 px per module
        (3, 0.8, -5, 30),
    ],
)
def test_degraded_png_still_decodes(
    url: str, module_px: int, blur: float, angle: float, jpeg: int | None
) -> None:
    image = degrade(png_image(url, module_px), blur=blur, angle=angle, jpeg=jpeg)
    assert decode_all(image) == [url]


def test_degraded_svg_still_decodes() -> None:
    url = make_url(random.Random("svg"))
    image = degrade(rasterise_qr_svg(render_svg(url), 3), blur=0.8, angle=-5, jpeg=30)
    assert decode_all(image) == [url]


def pdf_pages_at_300_dpi(data: bytes) -> list[Image.Image]:
    doc = pdfium.PdfDocument(data)
    try:
        return [page.render(scale=300 / 72, grayscale=True).to_pil() for page in doc]
    finally:
        doc.close()


def crop_label(page: Image.Image, layout, slot: int) -> Image.Image:
    x, y = layout.label_origin(slot)
    px = 300 / 25.4
    return page.crop(
        (int(x * px), int(y * px), int((x + layout.label_width) * px), int((y + layout.label_height) * px))
    )


@pytest.mark.parametrize("layout_name", ["a4", "a4-3x7", "roll-40x30", "roll-25x25"])
def test_every_label_on_every_pdf_page_decodes_to_its_url(layout_name: str, unit_items) -> None:
    layout = get_layout(layout_name)
    items = unit_items(layout.per_page + 3)  # a full first page and a partly filled second one
    out = io.BytesIO()
    write_pdf_sheet(iter(items), out, layout)
    pages = pdf_pages_at_300_dpi(out.getvalue())
    assert len(pages) == -(-len(items) // layout.per_page)
    decoded = []
    for index in range(len(items)):
        page, slot = divmod(index, layout.per_page)
        decoded.append(decode_all(crop_label(pages[page], layout, slot)))
    assert decoded == [[url] for url, _ in items]


@pytest.mark.parametrize("layout_name", ["roll-25x25", "roll-40x30"])
def test_pdf_label_printed_at_300_dpi_survives_blur_rotation_and_jpeg(layout_name: str, unit_items) -> None:
    layout = get_layout(layout_name)
    items = unit_items(2)
    out = io.BytesIO()
    write_pdf_sheet(iter(items), out, layout)
    for (url, _), page in zip(items, pdf_pages_at_300_dpi(out.getvalue()), strict=True):
        assert decode_all(degrade(page, blur=0.8, angle=5, jpeg=30)) == [url]


def test_product_label_without_serial_decodes(rng: random.Random) -> None:
    from labels import LabelText

    url = make_url(rng, serial=None)
    text = LabelText(name_en="Router", name_bn="রাউটার", gtin=GTIN)
    out = io.BytesIO()
    write_pdf_sheet(iter([(url, text)]), out, get_layout("roll-25x25"))
    assert decode_all(pdf_pages_at_300_dpi(out.getvalue())[0]) == [url]
