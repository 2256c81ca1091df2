"""Whole batches as ZIP of SVG/PNG and as CSV, streamed from an iterator; one entry point for all formats."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from PIL import Image

from labels import (
    LabelDataError,
    LabelText,
    UnknownLayoutError,
    items_from_urls,
    iter_csv,
    write_labels,
    write_zip,
)
from tests.labels.label_helpers import GTIN, decode_all, rasterise_qr_svg


class UnseekableSink(io.RawIOBase):
    """Like an HTTP response body or a pipe: write only, no seek, no tell."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def value(self) -> bytes:
        return b"".join(self.chunks)


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_zip_holds_one_decodable_qr_per_label_and_a_manifest(fmt: str, unit_items) -> None:
    items = unit_items(6)
    sink = UnseekableSink()
    ticks = []
    assert write_zip(iter(items), sink, fmt, progress=ticks.append) == 6
    assert ticks == [1] * 6
    with zipfile.ZipFile(io.BytesIO(sink.value())) as archive:
        names = archive.namelist()
        assert names[-1] == "manifest.csv"
        rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8"))))
        assert [row["url"] for row in rows] == [url for url, _ in items]
        assert [row["serial"] for row in rows] == [text.serial for _, text in items]
        assert rows[0]["name_bn"] == items[0][1].name_bn
        for row in rows:
            data = archive.read(row["file"])
            image = (
                rasterise_qr_svg(data.decode("utf-8"), 4) if fmt == "svg" else Image.open(io.BytesIO(data))
            )
            assert decode_all(image) == [row["url"]]
    assert names[:-1] == [row["file"] for row in rows]
    assert names[0].endswith(f"-{items[0][1].serial}.{fmt}")


def test_csv_for_label_printers_round_trips_every_field(unit_items) -> None:
    items = unit_items(3)
    chunks = list(iter_csv(iter(items)))
    rows = list(csv.reader(io.StringIO("".join(chunks))))
    # check_code last (empty on these labels without one): columns are only ever added at the end
    assert rows[0] == ["url", "gtin", "serial", "batch", "name_en", "name_bn", "check_code"]
    assert rows[1:] == [[url, t.gtin, t.serial, t.batch, t.name_en, t.name_bn, ""] for url, t in items]


def test_csv_is_yielded_in_chunks_while_reading(unit_items) -> None:
    pulled = []

    def items():
        for item in unit_items(1200):
            pulled.append(item)
            yield item

    stream = iter_csv(items())
    first = next(stream)  # the first chunk comes before the whole batch has been read
    assert 0 < len(pulled) < 1200
    rest = "".join(stream)
    assert len(pulled) == 1200 and (first + rest).count("\r\n") == 1201


@pytest.mark.parametrize("fmt", ["pdf", "zip-svg", "zip-png", "csv"])
def test_write_labels_counts_labels_in_every_batch_format(fmt: str, unit_items) -> None:
    out = io.BytesIO()
    assert write_labels(iter(unit_items(3)), out, fmt, "roll-25x25") == 3
    assert out.getvalue()


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_single_formats_take_exactly_one_label(fmt: str, unit_items) -> None:
    out = io.BytesIO()
    assert write_labels(iter(unit_items(1)), out, fmt) == 1
    with pytest.raises(LabelDataError):
        write_labels(iter(unit_items(2)), io.BytesIO(), fmt)
    with pytest.raises(LabelDataError):
        write_labels(iter([]), io.BytesIO(), fmt)


def test_unknown_format_is_refused(unit_items) -> None:
    with pytest.raises(UnknownLayoutError):
        write_labels(iter(unit_items(1)), io.BytesIO(), "gif")
    with pytest.raises(UnknownLayoutError):
        write_zip(iter(unit_items(1)), io.BytesIO(), "pdf")


def test_items_from_urls_reads_gtin_and_serial_from_each_url() -> None:
    lines = [
        "# exported from the registry\n",
        f"https://VERIFY.MIB.GOV.BD/01/{GTIN}/21/ABC123\n",
        "\n",
        f"https://VERIFY.MIB.GOV.BD/01/{GTIN}\n",
    ]
    items = list(items_from_urls(lines, "Router", "রাউটার", batch="L1"))
    assert [url for url, _ in items] == [lines[1].strip(), lines[3].strip()]
    assert [t.serial for _, t in items] == ["ABC123", None]
    assert items[0][1] == LabelText("Router", "রাউটার", GTIN, "ABC123", "L1")


@pytest.mark.parametrize("url", ["https://VERIFY.MIB.GOV.BD/21/ABC", "ftp://x/01/" + GTIN, "not a url"])
def test_items_from_urls_refuses_what_is_not_a_label_url(url: str) -> None:
    with pytest.raises(LabelDataError) as info:
        list(items_from_urls([url], "Router", "রাউটার"))
    assert info.value.errors[0]["field"] == "url"
