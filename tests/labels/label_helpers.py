"""Helpers for label tests: realistic signed label URLs, label text, decoding images with zxing-cpp."""

from __future__ import annotations

import random
import re
import string

import zxingcpp
from PIL import Image

from labels import LabelText

HOST = "VERIFY.MIB.GOV.BD"
SERIAL_ALPHABET = string.ascii_uppercase + string.digits


def gtin14(body13: str) -> str:
    """GTIN-14 with its GS1 mod-10 check digit."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body13)))
    return body13 + str((10 - total % 10) % 10)


GTIN = gtin14("0890123456789")


def make_url(rng: random.Random, gtin: str = GTIN, serial: str | None = "", signed: bool = True) -> str:
    """A label URL shaped like signing.labels.issue_label_url's: upper-case host, /01/, /21/, ?s=<digits>.

    The signature parameter is 71 bytes (key tag, issue day, Ed25519 signature) written as 171 decimal
    digits (QR numeric mode), so a unit URL with a 13-character serial is 234 characters.
    """
    if serial == "":
        serial = "".join(rng.choice(SERIAL_ALPHABET) for _ in range(13))
    url = f"https://{HOST}/01/{gtin}" + (f"/21/{serial}" if serial else "")
    if signed:
        url += "?s=" + str(int.from_bytes(rng.randbytes(71), "big")).zfill(171)
    return url


def make_text(url: str, serial: str | None = None) -> LabelText:
    return LabelText(
        name_en="Walton Primo X5 Smartphone",
        name_bn="ওয়ালটন প্রিমো এক্স৫ স্মার্টফোন",
        gtin=GTIN,
        serial=serial,
        batch="B2026-0042",
    )


def decode_all(image: Image.Image) -> list[str]:
    """Every QR code zxing-cpp finds in the image, as text."""
    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def svg_dark_modules(svg: str) -> tuple[int, set[tuple[int, int]]]:
    """(side in modules, the (x, y) modules) drawn by our QR SVG's one stroked path.

    Parses the whole path by its grammar, so anything else in it fails the test that calls this.
    """
    side = int(re.search(r'viewBox="0 0 (\d+) \1"', svg)[1])
    path = re.search(r'<path fill="none" stroke="#000" d="([^"]*)"', svg)[1]
    rows = re.findall(r"M(\d+) (\d+)\.5((?:m\d+ 0h\d+)+)", path)
    assert "".join(f"M{x} {y}.5{runs}" for x, y, runs in rows) == path
    dark = set()
    for x, y, runs in rows:
        pos = int(x)
        for gap, length in re.findall(r"m(\d+) 0h(\d+)", runs):
            pos += int(gap)
            dark.update((pos + i, int(y)) for i in range(int(length)))
            pos += int(length)
    return side, dark


def rasterise_qr_svg(svg: str, px_per_module: int) -> Image.Image:
    """Paint the modules the SVG's path strokes (a pure rasteriser for our one-path QR SVG)."""
    side, dark = svg_dark_modules(svg)
    image = Image.new("L", (side * px_per_module, side * px_per_module), 255)
    for x, y in dark:
        image.paste(
            0, (x * px_per_module, y * px_per_module, (x + 1) * px_per_module, (y + 1) * px_per_module)
        )
    return image
