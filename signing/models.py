"""Signing ORM models on the registry's ``Base``: keys, signed records, serial batches, units, scans,
consumer reports and published status lists.  Models never commit themselves; services own transactions.

A batch of N serials is one row; a unit gets a row only when it is first scanned or recalled.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base
from core.models import utcnow
from registry.models import Product


class SigningKey(Base):
    """An issuing key's public half and where its private half lives (never the private key itself)."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    public_x: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)
    source: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]
    compromised_after: Mapped[datetime | None]


class SignedRecordRow(Base):
    """A signed authenticity record exactly as issued (canonical JSON bytes)."""

    __tablename__ = "signed_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    kid: Mapped[str] = mapped_column(ForeignKey("signing_keys.kid"))
    action: Mapped[str] = mapped_column(String(32))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    document: Mapped[str] = mapped_column(Text)

    product: Mapped[Product] = relationship()


class SerialBatch(Base):
    """N serials of one product: serial i is derived from (secret, prefix, i); see signing.serials."""

    __tablename__ = "serial_batches"
    __table_args__ = (UniqueConstraint("gtin", "prefix"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    gtin: Mapped[str] = mapped_column(String(14))
    prefix: Mapped[str] = mapped_column(String(8))
    secret: Mapped[bytes] = mapped_column(LargeBinary(64))
    count: Mapped[int] = mapped_column(Integer)
    serial_length: Mapped[int] = mapped_column(Integer, default=13)
    issued_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(16), default="active")
    status_reason: Mapped[str | None] = mapped_column(Text)
    status_index: Mapped[int | None] = mapped_column(Integer, unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    product: Mapped[Product] = relationship()


class CheckCodeKey(Base):
    """The registry's one check-code key (``signing.checkcodes``): made on first use, never rotated, never
    published (printed codes depend on it)."""

    __tablename__ = "check_code_keys"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    secret: Mapped[bytes] = mapped_column(LargeBinary(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Unit(Base):
    """One serialised unit that has been scanned or recalled: first sighting, counts, clone flags."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("gtin", "serial"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    gtin: Mapped[str] = mapped_column(String(14))
    serial: Mapped[str] = mapped_column(String(20))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("serial_batches.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), index=True)
    first_seen_at: Mapped[datetime | None]
    first_district: Mapped[str | None] = mapped_column(String(32))
    scan_count: Mapped[int] = mapped_column(Integer, default=0)
    flags: Mapped[list[Any]] = mapped_column(default=list)
    flagged_at: Mapped[datetime | None] = mapped_column(index=True)
    recalled_at: Mapped[datetime | None]
    recall_reason: Mapped[str | None] = mapped_column(Text)
    flags_cleared_at: Mapped[
        datetime | None
    ]  # clone rules look only at scans after this (a cleared false flag)


class Recall(Base):
    """A manufacturer's or the registry's recall of one unit, one batch or a whole product.

    What the consumer sees on the verdict page: the reason and what to do, in Bangla and English, the date and
    whom to contact.  ``batch_id`` is set for batch and unit recalls, ``serial`` only for a unit recall."""

    __tablename__ = "recalls"
    __table_args__ = (Index("ix_recalls_target", "gtin", "scope", "batch_id", "serial"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(8))  # product | batch | unit
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("serial_batches.id"))
    gtin: Mapped[str] = mapped_column(String(14))
    serial: Mapped[str | None] = mapped_column(String(20))
    reason_en: Mapped[str] = mapped_column(Text)
    reason_bn: Mapped[str] = mapped_column(Text)
    instructions_en: Mapped[str] = mapped_column(Text)
    instructions_bn: Mapped[str] = mapped_column(Text)
    contact: Mapped[str] = mapped_column(String(200))
    recalled_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Scan(Base):
    """One verification: the serial, when, a coarse district, a device class and a keyed device hash."""

    __tablename__ = "scans"
    __table_args__ = (Index("ix_scans_unit_time", "unit_id", "scanned_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    gtin: Mapped[str] = mapped_column(String(14), index=True)
    serial: Mapped[str | None] = mapped_column(String(20))
    scanned_at: Mapped[datetime] = mapped_column(default=utcnow)
    verdict: Mapped[str] = mapped_column(String(16))
    district: Mapped[str | None] = mapped_column(String(32))
    location_source: Mapped[str | None] = mapped_column(String(8))
    device_class: Mapped[str] = mapped_column(String(8))
    device_hash: Mapped[str] = mapped_column(String(16))


class ConsumerReport(Base):
    """A consumer's report of a suspected fake, for the manufacturer and the reviewers."""

    __tablename__ = "consumer_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    gtin: Mapped[str | None] = mapped_column(String(14), index=True)
    serial: Mapped[str | None] = mapped_column(String(20))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), index=True)
    label_url: Mapped[str | None] = mapped_column(Text)
    verdict: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    district: Mapped[str | None] = mapped_column(String(32))
    photo: Mapped[bytes | None] = mapped_column(
        LargeBinary
    )  # before 0009; `flask blobs import-files` moves it
    photo_blob: Mapped[str | None] = mapped_column(String(200))  # the photo's key in the blob store
    photo_media_type: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StatusListEntry(Base):
    """Which status-list index belongs to which product licence or batch."""

    __tablename__ = "status_list_entries"
    __table_args__ = (UniqueConstraint("kind", "ref_id"),)

    idx: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(8))
    ref_id: Mapped[int] = mapped_column(Integer)


class StatusListToken(Base):
    """A published Status List Token; the newest row is what /status/1 serves."""

    __tablename__ = "status_list_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    expires_at: Mapped[datetime]
    token: Mapped[str] = mapped_column(Text)
