"""Consumer reports of a suspected copy: text, an optional photo (typed by its bytes), the scanned URL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.blobs import DatabaseBlobStore
from core.blobs_cli import Importer
from core.media import HEAD_BYTES, sniff_media_type
from registry.data.districts import find_district
from signing.errors import ReportError
from signing.keys import (
    KeyRing,
)
from signing.models import (
    ConsumerReport,
)
from signing.verification import verify_online

PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
MAX_PHOTO_BYTES = 2 * 1024 * 1024
REPORT_PHOTOS = "report-photos"  # blob key prefix


def create_report(
    session: Session,
    keyring: KeyRing,
    *,
    text: str,
    url: str | None,
    district: str | None,
    photo: bytes | None,
    now: datetime,
    blobs: DatabaseBlobStore,
) -> ConsumerReport:
    """A consumer's report of a suspected fake (text, optional label URL, district and photo); the photo goes
    to the shared blob store (``report-photos/<sha256>``) in the same transaction."""
    text = (text or "").strip()
    if not 3 <= len(text) <= 2000:
        raise ReportError("describe what you saw in 3 to 2,000 characters", field="text")
    media_type = None
    if photo:
        if len(photo) > MAX_PHOTO_BYTES:
            raise ReportError("the photo is larger than 2 MB", field="photo")
        media_type = sniff_media_type(photo[:HEAD_BYTES], PHOTO_TYPES)
        if media_type is None:
            raise ReportError("the photo must be a JPEG, PNG or WebP image", field="photo")
    code = None
    if district:
        found = find_district(district)
        if found is None:
            raise ReportError("unknown district", field="district")
        code = found.code
    gtin = serial = verdict = None
    product_id = None
    if url:
        outcome = verify_online(session, keyring, url, now=now)
        verdict = outcome.verdict.value
        if outcome.label is not None:
            gtin, serial = outcome.label.gtin, outcome.label.serial
        product_id = outcome.product.id if outcome.product is not None else None
    report = ConsumerReport(
        gtin=gtin,
        serial=serial,
        product_id=product_id,
        label_url=url,
        verdict=verdict,
        text=text,
        district=code,
        photo_blob=blobs.put_content_addressed(REPORT_PHOTOS, photo, media_type, session).key
        if photo and media_type
        else None,
        photo_media_type=media_type,
        status="open",
        created_at=now,
    )
    session.add(report)
    session.flush()
    return report


def report_photo_importer(db: Any, blobs: DatabaseBlobStore) -> Importer:
    """Photos an older release kept in ``consumer_reports.photo`` into the blob store, one report per
    transaction (the column is emptied in the transaction that names the blob)."""

    def pending() -> list[int]:
        with db.session(write=False) as s:
            stmt = (
                select(ConsumerReport.id).where(ConsumerReport.photo.is_not(None)).order_by(ConsumerReport.id)
            )
            return list(s.scalars(stmt))

    def move(report_id: int) -> int | None:
        with db.session() as s:
            report = s.get(ConsumerReport, report_id)
            if report is None or report.photo is None:  # moved by another run meanwhile
                return None
            size = len(report.photo)
            media_type = (
                report.photo_media_type
                or sniff_media_type(report.photo[:HEAD_BYTES], PHOTO_TYPES)
                or "application/octet-stream"
            )
            report.photo_blob = blobs.put_content_addressed(REPORT_PHOTOS, report.photo, media_type, s).key
            report.photo = None
            s.commit()
        return size

    return Importer("report photos", pending, move)
