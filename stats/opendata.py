"""Open data: a daily snapshot of the public catalogue and the statistics, as CSV and JSON, each file with a
detached signature by the registry's issuing key (``signing.detached``).

A day's snapshot is the blobs ``open-data/<YYYY-MM-DD>/<name>`` in the shared blob store (``core.blobs``, so
every application host serves it) for each of :data:`FILES` and, beside each, its ``.jws``.  It is written
once, in one transaction (a reader never sees half of one; two hosts writing the same day at once: one
wins, the other changes nothing): producing the day's snapshot again changes nothing.  Snapshots written by
earlier versions into the folder ``OPEN_DATA_DIR`` move into the store with ``flask blobs import-files``
(:func:`folder_importer`).  docs/formats.md, "Open data", has the formats, the published JSON Schemas and how
to verify a file.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.blobs import BlobInfo, DatabaseBlobStore
from core.blobs_cli import Importer
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
BLOB_PREFIX = "open-data"
PUBLISHED = (*FILES, *(f"{name}.jws" for name in FILES))  # every blob of a complete day

log = logging.getLogger("registry.stats")


@dataclass(frozen=True)
class SnapshotResult:
    day: date
    created: bool

    @property
    def location(self) -> str:
        return f"{BLOB_PREFIX}/{self.day.isoformat()}/"


def blob_key(day: date | str, name: str) -> str:
    return f"{BLOB_PREFIX}/{day if isinstance(day, str) else day.isoformat()}/{name}"


def media_type(name: str) -> str:
    return MEDIA_TYPES[Path(name).suffix]


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
    session: Session, signer: Signer, store: DatabaseBlobStore, today: date, *, now: datetime | None = None
) -> SnapshotResult:
    """Write and sign ``today``'s snapshot into the blob store unless it is there already (idempotent). The
    blobs join ``session``'s transaction, which the caller commits: all of the day, or nothing."""
    if is_complete(store, today, session):
        return SnapshotResult(today, created=False)
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    files = build_snapshot(session, today, moment)
    try:
        with session.begin_nested():
            for name, data in files.items():
                signature = sign_detached(data, signer, name=f"{today.isoformat()}/{name}", now=moment)
                store.put(blob_key(today, name), io.BytesIO(data), media_type(name), session)
                jws = (signature + "\n").encode("ascii")
                store.put(blob_key(today, f"{name}.jws"), io.BytesIO(jws), MEDIA_TYPES[".jws"], session)
    except IntegrityError:  # another host wrote the day at the same moment: theirs stands
        log.info("open data %s: written by another process meanwhile", today.isoformat())
        return SnapshotResult(today, created=False)
    return SnapshotResult(today, created=True)


def is_complete(store: DatabaseBlobStore, day: date, session: Session | None = None) -> bool:
    return all(store.stat(blob_key(day, name), session) is not None for name in PUBLISHED)


def read_blob(store: DatabaseBlobStore, key: str) -> bytes:
    return b"".join(store.open(key))


def resign_snapshots(
    store: DatabaseBlobStore, signer: Signer, session: Session, *, now: datetime | None = None
) -> int:
    """Sign every published file again under ``signer`` (after a key rotation or compromise: a compromised
    key's signatures prove nothing); the files themselves stay byte for byte. The new signatures join
    ``session``'s transaction (the caller commits: a reader gets the old set or the new). Returns how many."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    count = 0
    for day in snapshot_days(store):
        for name in FILES:
            data = read_blob(store, blob_key(day, name))
            signature = sign_detached(data, signer, name=f"{day.isoformat()}/{name}", now=moment)
            jws = (signature + "\n").encode("ascii")
            store.put(blob_key(day, f"{name}.jws"), io.BytesIO(jws), MEDIA_TYPES[".jws"], session)
            count += 1
    return count


def snapshot_days(store: DatabaseBlobStore) -> list[date]:
    """The days with a complete snapshot, newest first."""
    present: dict[str, set[str]] = {}
    for key in store.keys(f"{BLOB_PREFIX}/"):
        parts = key.split("/")
        if len(parts) == 3 and DAY.fullmatch(parts[1]):
            present.setdefault(parts[1], set()).add(parts[2])
    days = []
    for day, names in present.items():
        if names.issuperset(PUBLISHED):
            try:
                days.append(date.fromisoformat(day))
            except ValueError:
                continue
    return sorted(days, reverse=True)


def snapshot_file(store: DatabaseBlobStore, day: str, name: str) -> BlobInfo | None:
    """A published file (a data file or its ``.jws``), or None: only names of :data:`FILES`."""
    if not DAY.fullmatch(day) or name not in PUBLISHED:
        return None
    return store.stat(blob_key(day, name))


def folder_importer(folder_of: Callable[[], Path], store: DatabaseBlobStore) -> Importer:
    """``flask blobs import-files``: the day folders of ``OPEN_DATA_DIR`` (written by earlier versions) into
    the store, each day in one transaction, byte for byte (the signatures stay valid); a day already in the
    store is left alone. The folder is left in place: the operator removes it once every host serves.
    ``folder_of`` gives the folder when the command runs (the settings may change after start-up)."""

    def pending() -> list[Path]:
        folder = folder_of()
        if not folder.is_dir():
            return []
        days = [
            entry
            for entry in sorted(folder.iterdir())
            if entry.is_dir() and DAY.fullmatch(entry.name) and all((entry / n).is_file() for n in PUBLISHED)
        ]
        return [entry for entry in days if not is_complete(store, date.fromisoformat(entry.name))]

    def move(entry: Path) -> int | None:
        size = 0
        with store.db.session() as session:
            for name in PUBLISHED:
                path = entry / name
                with path.open("rb") as handle:
                    store.put(blob_key(entry.name, name), handle, media_type(name), session)
                size += path.stat().st_size
            session.commit()
        return size

    return Importer("open data", pending, move)
