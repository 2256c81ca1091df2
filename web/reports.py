"""Consumer reports of suspected fakes, from the public form.

Until the signing package provides its own report store, a report is kept as an audit event
(``report.received``, targeting the product when the label or GTIN names a registered one, so the
manufacturer's portal and the reviewers' audit log show it); an optional photo (JPEG or PNG,
checked by content) is stored under ``<INSTANCE_PATH>/reports/<sha256>``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from registry.audit import record_event
from registry.db import get_session
from registry.models import Product

MAX_PHOTO_BYTES = 5 * 1024 * 1024
PHOTO_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


class ReportInvalid(Exception):
    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("the report is not complete")
        self.fields = fields


def _gtin_of(values: dict[str, str]) -> tuple[str | None, str | None]:
    """GTIN-14 and serial named by the label URL or typed in."""
    from signing import LabelURLError, normalize_gtin, parse_label_url
    from signing.errors import InvalidGTIN

    if values.get("url"):
        try:
            label = parse_label_url(values["url"])
            return label.gtin, label.serial
        except LabelURLError:
            return None, values.get("serial") or None
    if values.get("gtin"):
        try:
            return normalize_gtin(values["gtin"].replace(" ", "")), values.get("serial") or None
        except InvalidGTIN:
            return None, values.get("serial") or None
    return None, values.get("serial") or None


def submit_report(values: dict[str, str], photo: Any) -> None:
    errors: dict[str, str] = {}
    if not values.get("details") or len(values["details"]) < 10:
        errors["details"] = _("Please describe what looks wrong (at least 10 characters).")
    if len(values.get("details", "")) > 4000:
        errors["details"] = _("Please keep the description under 4000 characters.")
    if not (values.get("url") or values.get("gtin")):
        errors["gtin"] = _("Give the label's web address or the product's barcode number (GTIN).")
    for key in ("url", "gtin", "serial", "where", "contact"):
        if len(values.get(key, "")) > 500:
            errors[key] = _("This is too long.")
    photo_meta = None
    if photo is not None and photo.filename:
        data = photo.stream.read(MAX_PHOTO_BYTES + 1)
        media_type = next((t for magic, t in PHOTO_TYPES.items() if data.startswith(magic)), None)
        if len(data) > MAX_PHOTO_BYTES:
            errors["photo"] = _("The photo must be smaller than 5 MB.")
        elif media_type is None:
            errors["photo"] = _("The photo must be a JPEG or PNG picture.")
        else:
            digest = hashlib.sha256(data).hexdigest()
            folder = Path(current_app.config["INSTANCE_PATH"]) / "reports"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / digest).write_bytes(data)
            photo_meta = {"sha256": digest, "media_type": media_type, "size": len(data)}
    if errors:
        raise ReportInvalid(errors)
    gtin, serial = _gtin_of(values)
    db = get_session()
    product_id = db.scalar(select(Product.id).where(Product.gtin == gtin)) if gtin else None
    record_event(
        db, actor="public", action="report.received",
        target_type="product" if product_id else "report", target_id=product_id or (gtin or "unknown"),
        after={"gtin": gtin, "serial": serial, "url": values.get("url") or None, "where": values.get("where") or None,
               "details": values["details"], "contact": values.get("contact") or None, "photo": photo_meta},
    )
