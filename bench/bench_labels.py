"""Label throughput and memory: QR encoding, SVG per second on 1 and 2 cores, 10,000-label PDFs, print sizes.

Run:  .venv/bin/python bench/bench_labels.py            (full run, writes bench/results/labels.json)
      .venv/bin/python bench/bench_labels.py --quick    (smaller counts, for a smoke run)

URLs are shaped like signing.labels.issue_label_url's output (234 characters, QR version 7 at level M).
Each PDF run happens in a fresh child process so its peak RSS (ru_maxrss) is its own.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import os
import platform
import random
import resource
import string
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

GTIN = "08901234567890"
SERIALS = string.ascii_uppercase + string.digits


def make_urls(n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    urls = []
    for _ in range(n):
        serial = "".join(rng.choice(SERIALS) for _ in range(13))
        signature = str(int.from_bytes(rng.randbytes(71), "big")).zfill(171)
        urls.append(f"https://VERIFY.MIB.GOV.BD/01/{GTIN}/21/{serial}?s={signature}")
    return urls


def make_items(n: int, seed: int = 1):
    from labels import LabelText

    for url in make_urls(n, seed):
        serial = url.split("/21/")[1].split("?")[0]
        yield (
            url,
            LabelText(
                name_en="Walton Primo X5 Smartphone",
                name_bn="ওয়ালটন প্রিমো এক্স৫ স্মার্টফোন",
                gtin=GTIN,
                serial=serial,
                batch="B2026-0042",
            ),
        )


def machine_info() -> dict:
    try:
        from bench._machine import machine_info as shared  # type: ignore[import-not-found]

        return shared()
    except ImportError:
        pass
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "cpu_count": os.cpu_count(),
        "cpu": cpu,
        "load_average_at_start": os.getloadavg(),
    }


def per_second(count: int, seconds: float) -> float:
    return round(count / seconds, 1)


# ------------------------------------------------------------------------------ encoding and SVG
def bench_qrcode_reference(urls: list[str]) -> dict:
    """qrcode 8.2 as shipped: automatic mask selection (8 x map_data + lost_point)."""
    import qrcode
    from qrcode import constants

    start, cpu = time.perf_counter(), time.process_time()
    for url in urls:
        q = qrcode.QRCode(error_correction=constants.ERROR_CORRECT_M)
        q.add_data(url)
        q.make()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        "codes": len(urls),
        "ms_per_code": round(elapsed / len(urls) * 1e3, 3),
        "cpu_ms_per_code": round(cpu / len(urls) * 1e3, 3),
        "version": q.version,
    }


def bench_qrcode_profile(url: str) -> dict:
    """Where qrcode's time goes: cumulative share of the hot functions."""
    import cProfile
    import pstats

    import qrcode
    from qrcode import constants

    def run() -> None:
        for _ in range(20):
            q = qrcode.QRCode(error_correction=constants.ERROR_CORRECT_M)
            q.add_data(url)
            q.make()

    profiler = cProfile.Profile()
    profiler.runcall(run)
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in stats.values())
    shares = {}
    for (filename, _, name), (_, _, _tottime, cumtime, _) in stats.items():
        if (
            name in {"best_mask_pattern", "map_data", "lost_point", "create_data", "makeImpl"}
            and "qrcode" in filename
        ):
            shares[name] = {"cumulative_share": round(cumtime / max(total, 1e-9), 3)}
    return shares


def bench_fast(urls: list[str]) -> dict:
    from labels import encode_matrix, render_label_svg, render_png, render_svg

    out = {}
    start, cpu = time.perf_counter(), time.process_time()
    for url in urls:
        encode_matrix(url)
    out["matrix_ms_per_code"] = round((time.perf_counter() - start) / len(urls) * 1e3, 3)
    out["matrix_cpu_ms_per_code"] = round((time.process_time() - cpu) / len(urls) * 1e3, 3)
    start, cpu = time.perf_counter(), time.process_time()
    for url in urls:
        render_svg(url)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    out["svg_per_second_1_core"] = per_second(len(urls), elapsed)
    out["svg_cpu_ms_per_label"] = round(cpu / len(urls) * 1e3, 3)
    out["svg_per_cpu_second"] = per_second(len(urls), cpu)
    out["svg_bytes"] = len(render_svg(urls[0]))
    items = list(make_items(len(urls)))
    start = time.perf_counter()
    for url, text in items:
        render_label_svg(url, text)
    out["label_svg_per_second_1_core"] = per_second(len(items), time.perf_counter() - start)
    some = urls[: max(1, len(urls) // 5)]
    start = time.perf_counter()
    for url in some:
        render_png(url)
    out["png_10px_per_second_1_core"] = per_second(len(some), time.perf_counter() - start)
    return out


def _svg_chunk(urls: list[str]) -> tuple[int, float]:
    from labels import render_svg

    cpu = time.process_time()
    size = sum(len(render_svg(url)) for url in urls)
    return size, time.process_time() - cpu


def bench_svg_parallel(urls: list[str], processes: int) -> dict:
    """SVGs rendered by a pool of `processes` workers; the parent receives every SVG's size."""
    chunk = 250
    chunks = [urls[i : i + chunk] for i in range(0, len(urls), chunk)]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(processes) as pool:
        pool.map(_svg_chunk, [urls[:50]] * processes)  # warm: imports and per-version tables
        start = time.perf_counter()
        results = pool.map(_svg_chunk, chunks)
        elapsed = time.perf_counter() - start
    total = sum(size for size, _ in results)
    cpu = sum(seconds for _, seconds in results)
    return {
        "processes": processes,
        "labels": len(urls),
        "seconds": round(elapsed, 3),
        "svg_per_second": per_second(len(urls), elapsed),
        "worker_cpu_seconds": round(cpu, 3),
        "svg_per_second_if_each_process_had_a_core": round(processes * len(urls) / cpu, 1),
        "svg_megabytes": round(total / 1e6, 1),
    }


# ------------------------------------------------------------------------------ PDF and bulk (child processes)
def child_pdf(count: int, layout: str, out_path: str, workers: int = 1) -> None:
    """In a fresh process: write `count` labels as one PDF; print JSON with time and peak RSS."""
    import labels  # noqa: F401 - import cost outside the timed part, as in a running server

    before = resource.getrusage(resource.RUSAGE_SELF)
    rss_before = before.ru_maxrss
    cpu_before = before.ru_utime + before.ru_stime
    from labels import get_layout, write_pdf_sheet

    start = time.perf_counter()
    with open(out_path, "wb") as out:
        written = write_pdf_sheet(make_items(count), out, get_layout(layout), workers=workers)
    elapsed = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak = usage.ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        json.dumps(
            {
                "layout": layout,
                "workers": workers,
                "labels": written,
                "seconds": round(elapsed, 2),
                "cpu_seconds": round(usage.ru_utime + usage.ru_stime - cpu_before, 2),
                "worker_cpu_seconds": round(children.ru_utime + children.ru_stime, 2),
                "worker_peak_rss_mb": round(children.ru_maxrss / 1024, 1),
                "labels_per_second": per_second(written, elapsed),
                "peak_rss_mb": round(peak / 1024, 1),
                "rss_after_imports_mb": round(rss_before / 1024, 1),
                "pdf_megabytes": round(os.path.getsize(out_path) / 1e6, 2),
            }
        )
    )


def child_bulk(count: int, fmt: str, out_path: str) -> None:
    from labels import write_labels

    cpu_before = time.process_time()
    start = time.perf_counter()
    with open(out_path, "wb") as out:
        written = write_labels(make_items(count), out, fmt)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_before
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "format": fmt,
                "labels": written,
                "seconds": round(elapsed, 2),
                "cpu_seconds": round(cpu, 2),
                "labels_per_second": per_second(written, elapsed),
                "peak_rss_mb": round(peak / 1024, 1),
                "megabytes": round(os.path.getsize(out_path) / 1e6, 2),
            }
        )
    )


def run_child(*args: str) -> dict:
    result = subprocess.run(  # noqa: S603 - this script, fixed arguments
        [sys.executable, __file__, *args], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------ smallest print size
def bench_print_sizes(samples: int) -> list[dict]:
    """Smallest module size (mm) per QR version whose PDF, printed at 300 dpi, decodes for every sample.

    "Printed" is pdfium's raster at 300 dpi without anti-aliasing, so module edges snap to whole
    printer dots as on a 300 dpi thermal or laser printer; "camera" then adds a Gaussian blur of 1 dot
    and JPEG quality 50, roughly what a phone camera sees of it.
    """
    import pypdfium2 as pdfium
    import zxingcpp
    from PIL import Image, ImageFilter

    from labels.pdf import _LabelPainter, qr_symbol_ops
    from labels.qr import QUIET_ZONE, encode_matrix
    from labels.schemas import make_roll_layout

    def data_for_version(version: int, rng: random.Random) -> str:
        # URL-like upper-case payload grown until it needs exactly this version
        text = "https://VERIFY.MIB.GOV.BD/01/" + GTIN
        while encode_matrix(text).version < version:
            text += rng.choice(SERIALS)
        while encode_matrix(text).version > version:
            text = text[:-1]
        return text

    def decodes(data: str, module_mm: float, camera: bool) -> bool:
        m = encode_matrix(data)
        side = (m.size + 2 * QUIET_ZONE) * module_mm
        painter = _LabelPainter(make_roll_layout(round(side + 2, 2), round(side + 2, 2)))
        try:
            painter.add_page()
            painter.draw_qr(qr_symbol_ops(data, m), 1, 1, side)
            pdf_bytes = bytes(painter.pdf.output())
        finally:
            painter.close()
        doc = pdfium.PdfDocument(pdf_bytes)
        image = doc[0].render(scale=300 / 72, grayscale=True, no_smoothpath=True).to_pil()
        doc.close()
        if camera:
            image = image.filter(ImageFilter.GaussianBlur(1.0))
            buf = io.BytesIO()
            image.save(buf, format="JPEG", quality=50)
            image = Image.open(io.BytesIO(buf.getvalue()))
        found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
        return [r.text for r in found] == [data]

    rows = []
    rng = random.Random(7)
    for version in (2, 3, 4, 5, 6, 7, 8, 10):
        datas = [data_for_version(version, rng) for _ in range(samples)]
        size = version * 4 + 17
        row: dict = {"version": version, "modules": size, "modules_with_quiet_zone": size + 2 * QUIET_ZONE}
        for camera in (False, True):
            smallest = None
            for hundredths in range(8, 41):  # 0.08 .. 0.40 mm per module
                module_mm = hundredths / 100
                if all(decodes(d, module_mm, camera) for d in datas):
                    smallest = module_mm
                    break
            key = "camera" if camera else "printed"
            row[f"min_module_mm_{key}"] = smallest
            row[f"min_side_mm_{key}"] = (
                None if smallest is None else round(smallest * (size + 2 * QUIET_ZONE), 1)
            )
        rows.append(row)
    return rows


# ------------------------------------------------------------------------------ main
def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child-pdf", nargs=4, metavar=("COUNT", "LAYOUT", "OUT", "WORKERS"))
    parser.add_argument("--child-bulk", nargs=3, metavar=("COUNT", "FORMAT", "OUT"))
    args = parser.parse_args()
    if args.child_pdf:
        child_pdf(int(args.child_pdf[0]), args.child_pdf[1], args.child_pdf[2], int(args.child_pdf[3]))
        return
    if args.child_bulk:
        child_bulk(int(args.child_bulk[0]), args.child_bulk[1], args.child_bulk[2])
        return

    quick = args.quick
    results: dict = {"machine": machine_info(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    n_svg = 2_000 if quick else 10_000
    urls = make_urls(n_svg)
    print("qrcode reference ...", flush=True)
    results["qrcode_8_2_auto_mask"] = bench_qrcode_reference(urls[: 30 if quick else 200])
    results["qrcode_8_2_profile"] = bench_qrcode_profile(urls[0])
    print("fast path, 1 core ...", flush=True)
    results["labels_1_core"] = bench_fast(urls)
    print("SVG on 1 and 2 processes ...", flush=True)
    results["svg_pool"] = [bench_svg_parallel(urls, p) for p in (1, 2)]
    results["speedup_vs_qrcode_matrix"] = round(
        results["qrcode_8_2_auto_mask"]["ms_per_code"] / results["labels_1_core"]["matrix_ms_per_code"], 1
    )
    tmp = ROOT / "instance" / "bench-labels"
    tmp.mkdir(parents=True, exist_ok=True)
    n_pdf = 2_000 if quick else 10_000
    results["pdf"] = []
    for layout, workers in (("a4", 1), ("a4", 2), ("roll-40x30", 1), ("roll-40x30", 2), ("roll-25x25", 1)):
        print(f"PDF {n_pdf} labels, {layout}, {workers} process(es) ...", flush=True)
        out_pdf = str(tmp / f"{layout}-{workers}.pdf")
        results["pdf"].append(run_child("--child-pdf", str(n_pdf), layout, out_pdf, str(workers)))
    results["bulk"] = []
    for fmt in ("zip-svg", "zip-png", "csv"):
        print(f"{fmt} {n_pdf} labels ...", flush=True)
        results["bulk"].append(run_child("--child-bulk", str(n_pdf), fmt, str(tmp / f"out.{fmt}")))
    print("smallest print sizes at 300 dpi ...", flush=True)
    results["print_size_300dpi"] = bench_print_sizes(3 if quick else 5)
    # Wall-clock figures depend on what else the machine runs (see the load averages); CPU seconds
    # do much less, so the targets are also checked against CPU time.
    results["targets_on_cpu_time"] = {
        "svg_per_second_2_cores_at_least_1000": results["svg_pool"][1][
            "svg_per_second_if_each_process_had_a_core"
        ]
        >= 1000,
        "pdf_10000_within_20_s_cpu_single_process": {
            p["layout"]: p["cpu_seconds"] <= 20 for p in results["pdf"] if p["workers"] == 1
        },
        "pdf_10000_within_20_s_cpu_two_processes_busiest": {
            p["layout"]: max(p["cpu_seconds"], p["worker_cpu_seconds"] / 2) <= 20
            for p in results["pdf"]
            if p["workers"] == 2
        },
    }
    results["targets"] = {
        "svg_per_second_2_cores_at_least_1000": results["svg_pool"][1]["svg_per_second"] >= 1000,
        "pdf_10000_within_20_s": {
            f"{p['layout']}/{p['workers']}": p["seconds"] <= 20 for p in results["pdf"]
        },
        "pdf_10000_peak_rss_within_500_mb": all(
            p["peak_rss_mb"] + p["worker_peak_rss_mb"] <= 500 for p in results["pdf"]
        ),
    }
    results["load_average_at_end"] = os.getloadavg()
    out = ROOT / "bench" / "results" / "labels.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
