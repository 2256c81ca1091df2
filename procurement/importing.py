"""Reading a bidder's list: CSV (UTF-8, comma, semicolon or tab) or XLSX (first sheet), one header line.

Columns (any order, names without case; aliases in ``COLUMNS``): ``gtin``, ``brand``, ``model``,
``licence_number``, ``quantity`` (required), ``unit_price`` (optional). Each line needs a GTIN, a licence
number, or a brand and a model. A file with any bad line is refused as a whole: the problem lists every
bad cell (up to ``MAX_ERRORS``) as ``lines[<line>].<column>``, line 1 being the header.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from gs1.errors import InvalidGTIN
from gs1.gtin import normalize_gtin
from procurement.errors import TenderFileError, TenderFileTooLarge

MAX_BYTES = 5 * 1024 * 1024  # the uploaded file
MAX_XLSX_UNPACKED = 50 * 1024 * 1024  # what an XLSX may inflate to (a zip bomb is refused unread)
MAX_LINES = 20_000  # data lines, header not counted
MAX_ERRORS = 100
MAX_QUANTITY = 10_000_000
MAX_TEXT = 100

COLUMNS: dict[str, tuple[str, ...]] = {
    "gtin": ("gtin", "ean", "barcode", "gtin_14", "gtin_13"),
    "brand": ("brand",),
    "model": ("model", "model_number", "model_no"),
    "licence_number": ("licence_number", "licence", "licence_no", "license_number", "license", "license_no"),
    "quantity": ("quantity", "qty"),
    "unit_price": ("unit_price", "price"),
}
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_ALIASES = {alias: name for name, aliases in COLUMNS.items() for alias in aliases}


@dataclass(frozen=True)
class TenderLine:
    """One line of the bidder's list; ``line`` is its line number in the file (the header is line 1)."""

    line: int
    quantity: int
    gtin: str | None = None
    brand: str | None = None
    model: str | None = None
    licence_number: str | None = None
    unit_price: Decimal | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "gtin": self.gtin,
            "brand": self.brand,
            "model": self.model,
            "licence_number": self.licence_number,
            "quantity": self.quantity,
            "unit_price": str(self.unit_price) if self.unit_price is not None else None,
        }


def read_tender_file(data: bytes, filename: str = "") -> list[TenderLine]:
    """The lines of a CSV or XLSX bidder's list (told apart by content), or :class:`TenderFileError`."""
    if len(data) > MAX_BYTES:
        raise TenderFileTooLarge(
            f"the file is larger than {MAX_BYTES // 1024 // 1024} MB",
            errors=[{"field": "file", "reason": f"larger than {MAX_BYTES} bytes"}],
        )
    if not data.strip():
        raise TenderFileError("the file is empty", errors=[{"field": "file", "reason": "empty"}])
    rows = _xlsx_rows(data) if data.startswith(b"PK\x03\x04") else _csv_rows(data)
    return parse_rows(rows)


def _csv_rows(data: bytes) -> Iterator[list[Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TenderFileError(
            f"line {line} is not UTF-8 text: save the list as CSV UTF-8 or as XLSX",
            errors=[{"field": f"lines[{line}]", "reason": "not UTF-8 text"}],
        ) from exc
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    except csv.Error as exc:
        raise TenderFileError(
            f"the CSV is malformed: {exc}", errors=[{"field": "file", "reason": f"malformed CSV: {exc}"}]
        ) from exc


def _xlsx_rows(data: bytes) -> Iterator[list[Any]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise TenderFileError(
            "the file is neither CSV nor a readable XLSX workbook",
            errors=[{"field": "file", "reason": f"not a readable XLSX: {exc}"}],
        ) from exc
    if unpacked > MAX_XLSX_UNPACKED:
        raise TenderFileTooLarge(
            "the workbook unpacks to more than 50 MB",
            errors=[{"field": "file", "reason": f"unpacks to {unpacked} bytes"}],
        )
    try:
        from openpyxl import load_workbook  # only for .xlsx uploads: the workers load it when one comes

        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (KeyError, InvalidFileException, XML errors)
        raise TenderFileError(
            "the file is neither CSV nor a readable XLSX workbook",
            errors=[{"field": "file", "reason": f"not a readable XLSX: {type(exc).__name__}"}],
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    except Exception as exc:
        raise TenderFileError(
            "the workbook could not be read",
            errors=[{"field": "file", "reason": f"unreadable sheet: {type(exc).__name__}"}],
        ) from exc
    finally:
        workbook.close()


def _header_name(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value or "")).strip().casefold()
    return re.sub(r"[\s\-.]+", "_", text)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a GTIN or quantity typed into a number cell
    return unicodedata.normalize("NFC", str(value)).strip()


def parse_rows(rows: Iterator[list[Any]] | list[list[Any]]) -> list[TenderLine]:
    """Check the header and every line; all-or-nothing."""
    iterator = iter(rows)
    header = next(iterator, None)
    while header is not None and not any(_cell_text(v) for v in header):
        header = next(iterator, None)
    if header is None:
        raise TenderFileError(
            "the file has no header line", errors=[{"field": "file", "reason": "no header"}]
        )
    positions: dict[str, int] = {}
    errors: list[dict[str, str]] = []
    for index, value in enumerate(header):
        name = _ALIASES.get(_header_name(value))
        if name is None:
            if _cell_text(value):
                errors.append({"field": f"lines[1].{_cell_text(value)[:40]}", "reason": "unknown column"})
            continue
        if name in positions:
            errors.append({"field": f"lines[1].{name}", "reason": "the column appears twice"})
        positions[name] = index
    if "quantity" not in positions:
        errors.append({"field": "lines[1].quantity", "reason": "the quantity column is missing"})
    if not {"gtin", "licence_number", "model"} & set(positions):
        errors.append(
            {
                "field": "lines[1]",
                "reason": "no identifying column: give gtin, licence_number, or brand and model",
            }
        )
    if "model" in positions and "brand" not in positions and not {"gtin", "licence_number"} & set(positions):
        errors.append({"field": "lines[1].brand", "reason": "a model needs its brand column"})
    if errors:
        raise _refuse(errors)
    lines: list[TenderLine] = []
    for number, row in enumerate(iterator, start=2):
        cells = {name: _cell_text(row[i]) if i < len(row) else "" for name, i in positions.items()}
        if not any(cells.values()):
            continue  # blank lines are skipped
        if len(lines) >= MAX_LINES:
            raise TenderFileTooLarge(
                f"the list has more than {MAX_LINES} lines: split it",
                errors=[{"field": f"lines[{number}]", "reason": f"more than {MAX_LINES} lines"}],
            )
        line = _parse_line(number, cells, errors)
        if line is not None:
            lines.append(line)
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        raise _refuse(errors)
    if not lines:
        raise TenderFileError(
            "the file has no lines under its header", errors=[{"field": "file", "reason": "no lines"}]
        )
    return lines


def _refuse(errors: list[dict[str, str]]) -> TenderFileError:
    shown = "; ".join(f"{e['field']}: {e['reason']}" for e in errors[:3])
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return TenderFileError(f"{shown}{more}; nothing was checked", errors=errors[:MAX_ERRORS])


def _parse_line(number: int, cells: dict[str, str], errors: list[dict[str, str]]) -> TenderLine | None:
    def bad(column: str, reason: str) -> None:
        errors.append({"field": f"lines[{number}].{column}", "reason": reason})

    before = len(errors)
    for column, text in cells.items():
        if len(text) > MAX_TEXT:
            bad(column, f"longer than {MAX_TEXT} characters")
        elif _CONTROL.search(text):
            bad(column, "control characters are not allowed")
    gtin = cells.get("gtin") or None
    if gtin is not None and len(errors) == before:
        try:
            gtin = normalize_gtin(gtin)
        except InvalidGTIN as exc:
            bad("gtin", str(exc))
    brand, model = cells.get("brand") or None, cells.get("model") or None
    licence = cells.get("licence_number") or None
    if gtin is None and licence is None and not (brand and model):
        bad("gtin", "the line names no product: give a GTIN, a licence number, or a brand and a model")
    quantity_text = cells.get("quantity", "")
    quantity = 0
    if not quantity_text:
        bad("quantity", "required")
    elif (
        not quantity_text.isascii()
        or not quantity_text.isdigit()
        or not 0 < int(quantity_text) <= MAX_QUANTITY
    ):
        bad("quantity", f"must be a whole number from 1 to {MAX_QUANTITY}")
    else:
        quantity = int(quantity_text)
    unit_price = None
    price_text = cells.get("unit_price", "").replace(",", "")
    if price_text:
        try:
            unit_price = Decimal(price_text)
        except InvalidOperation:
            bad("unit_price", "must be a number")
        else:
            if not unit_price.is_finite() or unit_price < 0 or unit_price >= Decimal("1e12"):
                bad("unit_price", "must be a number from 0 to 999,999,999,999")
                unit_price = None
    if len(errors) > before:
        return None
    return TenderLine(number, quantity, gtin, brand, model, licence, unit_price)
