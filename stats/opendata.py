"""Open data: a daily snapshot of the public catalogue and the statistics, as CSV and JSON, each file with a
detached signature by the registry's issuing key (``signing.detached``).

A day's snapshot is a folder ``<OPEN_DATA_DIR>/<YYYY-MM-DD>/`` holding :data:`FILES` and, beside each, its
``.jws``.  It is written once (into a temporary folder renamed into place, so a reader never sees half of
one): producing the day's snapshot again changes nothing.  docs/formats.md, "Open data", has the formats,
the published JSON Schemas and how to verify a file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from search.documents import iter_public_documents
from search.views import _csv_safe, public_document
from signing.detached import sign_detached
from signing.keys import Signer
from stats.figures import Statistics, compute_statistics

CATALOGUE_COLUMNS = (
    "id",
    "gtin",
    "name_en",
    "name_bn",
    "brand",
    "model_number",
    "category",
    "manufacturer_id",
    "manufacturer_name_en",
    "manufacturer_name_bn",
    "district",
    "local_value_addition",
    "certificates",
    "licence_number",
    "licence_valid_from",
    "licence_valid_until",
    "launch_date",
)
STATISTICS_COLUMNS = ("figure", "row", "row_label_en", "row_label_bn", "column", "value")
FILES = ("catalogue.csv", "catalogue.json", "statistics.csv", "statistics.json")
MEDIA_TYPES = {".csv": "text/csv; charset=utf-8", ".json": "application/json", ".jws": "application/jose"}
# the published JSON Schema of each JSON file (served at /open-data/schema/<name>)
SCHEMAS = {"catalogue.json": "catalogue.schema.json", "statistics.json": "statistics.schema.json"}
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class SnapshotResult:
    day: date
    path: Path
    created: bool


def csv_bytes(header: tuple[str, ...], rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([[_csv_safe(value) for value in row] for row in rows])
    return buffer.getvalue().encode("utf-8")


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=1, sort_keys=False) + "\n").encode("utf-8")


def _catalogue_cell(doc: dict[str, Any], key: str) -> Any:
    if key == "certificates":
        return ";".join(f"{c['scheme']}:{c.get('valid_until') or ''}" for c in doc.get("certificates") or [])
    value = doc.get(key)
    return "" if value is None else value


def catalogue_files(session: Session, today: date, generated_at: datetime) -> dict[str, bytes]:
    products = [public_document(doc) for batch in iter_public_documents(session, today) for doc in batch]
    header = {"as_of": today.isoformat(), "generated_at": generated_at.isoformat(timespec="seconds")}
    return {
        "catalogue.csv": csv_bytes(
            CATALOGUE_COLUMNS, [[_catalogue_cell(doc, key) for key in CATALOGUE_COLUMNS] for doc in products]
        ),
        "catalogue.json": _json_bytes(header | {"products": products}),
    }


def statistics_rows(statistics: Statistics) -> list[list[Any]]:
    """The long form of every figure: one line per (figure, row, column)."""
    return [
        [table.id, row.key, row.en, row.bn, column.key, values[j]]
        for table in statistics.tables
        for row, values in zip(table.rows, table.values, strict=True)
        for j, column in enumerate(table.columns)
    ]


def statistics_files(statistics: Statistics) -> dict[str, bytes]:
    return {
        "statistics.csv": csv_bytes(STATISTICS_COLUMNS, statistics_rows(statistics)),
        "statistics.json": _json_bytes(statistics.to_json()),
    }


def build_snapshot(session: Session, today: date, now: datetime) -> dict[str, bytes]:
    """The day's files (not signed yet)."""
    moment = now.astimezone(UTC).replace(microsecond=0)
    return catalogue_files(session, today, moment) | statistics_files(
        compute_statistics(session, today, now=moment)
    )


def write_snapshot(
    session: Session, signer: Signer, directory: Path, today: date, *, now: datetime | None = None
) -> SnapshotResult:
    """Write and sign ``today``'s snapshot under ``directory`` unless it is there already (idempotent)."""
    final = directory / today.isoformat()
    if final.is_dir():
        return SnapshotResult(today, final, created=False)
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    files = build_snapshot(session, today, moment)
    directory.mkdir(parents=True, exist_ok=True)
    temporary = directory / f".{today.isoformat()}.{os.getpid()}.tmp"
    shutil.rmtree(temporary, ignore_errors=True)
    temporary.mkdir()
    try:
        for name, data in files.items():
            (temporary / name).write_bytes(data)
            signature = sign_detached(data, signer, name=f"{today.isoformat()}/{name}", now=moment)
            (temporary / f"{name}.jws").write_text(signature + "\n", encoding="ascii")
        try:
            temporary.rename(final)
        except OSError:  # another process wrote the day first: theirs stands
            if not final.is_dir():
                raise
            return SnapshotResult(today, final, created=False)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return SnapshotResult(today, final, created=True)


def resign_snapshots(directory: Path, signer: Signer, *, now: datetime | None = None) -> int:
    """Sign every published file again under ``signer`` (after a key rotation or compromise: a compromised
    key's signatures prove nothing); the files themselves stay byte for byte. Returns how many were signed."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    count = 0
    for day in snapshot_days(directory):
        for name in FILES:
            path = directory / day.isoformat() / name
            signature = sign_detached(path.read_bytes(), signer, name=f"{day.isoformat()}/{name}", now=moment)
            fresh = path.with_name(f".{name}.jws.{os.getpid()}.tmp")
            fresh.write_text(signature + "\n", encoding="ascii")
            fresh.replace(path.with_name(f"{name}.jws"))  # atomic: a reader gets the old or the new one
            count += 1
    return count


def snapshot_days(directory: Path) -> list[date]:
    """The days with a complete snapshot, newest first."""
    if not directory.is_dir():
        return []
    days = [
        date.fromisoformat(entry.name)
        for entry in directory.iterdir()
        if entry.is_dir() and DAY.fullmatch(entry.name) and all((entry / name).is_file() for name in FILES)
    ]
    return sorted(days, reverse=True)


def snapshot_file(directory: Path, day: str, name: str) -> Path | None:
    """The path of a published file (a data file or its ``.jws``), or None: only names of :data:`FILES`."""
    if not DAY.fullmatch(day) or (name not in FILES and name.removesuffix(".jws") not in FILES):
        return None
    path = directory / day / name
    return path if path.is_file() else None


def file_digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
