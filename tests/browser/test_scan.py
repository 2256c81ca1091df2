"""The scan page reads a label through the phone camera: here Chromium's fake camera plays a video of a
real label's QR code, the page decodes it (BarcodeDetector where the browser has it, else the vendored
jsQR decoder) and opens the verdict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.browser.browsing import CHROMIUM, CHROMIUM_ARGS, screenshot


def write_y4m(url: str, path: Path, frames: int = 20) -> Path:
    """A short 640x480 video (YUV4MPEG2, 4:2:0) showing the QR code of ``url`` on white."""
    from PIL import Image

    from labels import render_png

    qr = Image.open(__import__("io").BytesIO(render_png(url, module_px=6))).convert("RGB")
    frame = Image.new("RGB", (640, 480), "white")
    frame.paste(qr, ((640 - qr.width) // 2, (480 - qr.height) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    planes = y.tobytes() + cb.resize((320, 240)).tobytes() + cr.resize((320, 240)).tobytes()
    with open(path, "wb") as f:
        f.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(frames):
            f.write(b"FRAME\n" + planes)
    return path


def test_the_scan_page_decodes_a_label_from_the_camera(site: Any, playwright: Any, tmp_path: Path) -> None:
    video = write_y4m(site.labels["laptop-a"], tmp_path / "label.y4m")  # the https:// URL as printed
    args = [
        *CHROMIUM_ARGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
    try:
        context = browser.new_context(
            base_url=site.base_url,
            locale="bn-BD",
            viewport={"width": 360, "height": 740},
            permissions=["camera"],
        )
        page = context.new_page()
        requested: list[str] = []
        page.on("request", lambda r: requested.append(r.url))
        page.goto("/scan")
        has_detector = page.evaluate("'BarcodeDetector' in window")
        screenshot(page, "scan-bn-360")
        before_start = list(requested)
        page.click("#scan-start")
        page.wait_for_url("**/01/**", timeout=20_000)
        assert page.locator("h1#verdict-word").inner_text() == "আসল"
        assert has_detector or any(u.endswith("/static/vendor/jsQR.js") for u in requested)
        # the decoder is fetched only when the camera starts, so the scan page itself stays light
        assert not any("jsQR" in u for u in before_start)
    finally:
        browser.close()
