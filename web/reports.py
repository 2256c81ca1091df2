"""Consumer reports of suspected fakes, from the public form, stored by the signing package
(``signing.reports.create_report``) for the manufacturer and the reviewers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from config import settings_of
from core.blobs import get_blobs
from core.db import get_session
from signing.errors import ReportError
from signing.keystore import load_keyring
from signing.reports import create_report

MAX_PHOTO_BYTES = 2 * 1024 * 1024


class ReportInvalid(Exception):
    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("the report is not complete")
        self.fields = fields


def _label_url(values: dict[str, str]) -> str | None:
    """The label URL given, or the product URL built from a typed GTIN (and serial)."""
    if values.get("url"):
        return values["url"]
    gtin = values.get("gtin", "").replace(" ", "")
    if not gtin:
        return None

    base = settings_of(current_app).public_url()
    serial = values.get("serial", "").strip().upper()
    return f"{base}/01/{gtin}" + (f"/21/{serial}" if serial else "")


def submit_report(values: dict[str, str], photo: Any) -> Any:

    errors: dict[str, str] = {}
    details = values.get("details", "")
    if len(details) < 10:
        errors["details"] = _("Please describe what looks wrong (at least 10 characters).")
    elif len(details) > 1500:
        errors["details"] = _("Please keep the description under 1500 characters.")
    for key in ("url", "gtin", "serial", "where", "contact"):
        if len(values.get(key, "")) > 300:
            errors[key] = _("This is too long.")
    data = None
    if photo is not None and photo.filename:
        data = photo.stream.read(MAX_PHOTO_BYTES + 1)
        if len(data) > MAX_PHOTO_BYTES:
            errors["photo"] = _("The photo must be smaller than 2 MB.")
    if errors:
        raise ReportInvalid(errors)
    text = details
    if values.get("where"):
        text += "\n\n" + _("Bought at") + ": " + values["where"]
    if values.get("contact"):
        text += "\n" + _("Contact") + ": " + values["contact"]
    session = get_session()
    try:
        return create_report(
            session,
            load_keyring(session),
            text=text,
            url=_label_url(values),
            district=values.get("district") or None,
            photo=data,
            now=datetime.now(UTC),
            blobs=get_blobs(),
        )
    except ReportError as exc:
        field = (exc.errors or [{}])[0].get("field", "details")
        messages = {
            "photo": _("The photo must be a JPEG, PNG or WebP picture."),
            "district": _("Choose a district from the list."),
            "text": _("Please describe what looks wrong (at least 10 characters)."),
        }
        raise ReportInvalid(
            {"details" if field == "text" else field: messages.get(field, exc.detail)}
        ) from exc
