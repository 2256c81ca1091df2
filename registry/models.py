"""Registry ORM models: manufacturers, products and licences, certificates, company documents, notices.

Users, tokens, sessions, audit events and the search outbox are plumbing: ``core.models``.

Models never commit themselves; services own transactions.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base
from core.models import utcnow


class ManufacturerStatus(enum.StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class ProductStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    REJECTED = "rejected"
    LICENSED = "licensed"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"


class Manufacturer(Base):
    __tablename__ = "manufacturers"

    id: Mapped[int] = mapped_column(primary_key=True)
    legal_name_en: Mapped[str] = mapped_column(String(200))
    legal_name_bn: Mapped[str] = mapped_column(String(200))
    trade_licence_no: Mapped[str] = mapped_column(String(64))
    bin: Mapped[str] = mapped_column(String(13), unique=True)
    tin: Mapped[str] = mapped_column(String(12))
    address: Mapped[str] = mapped_column(Text)
    district: Mapped[str] = mapped_column(String(32), index=True)
    factory_locations: Mapped[list[Any]] = mapped_column(JSON, default=list)
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(254))
    contact_phone: Mapped[str] = mapped_column(String(32))
    website: Mapped[str | None] = mapped_column(String(500))
    # the language of the company's e-mails (decisions, expiry reminders): "bn" or "en"
    language: Mapped[str] = mapped_column(String(2), default="bn", server_default="bn")
    status: Mapped[str] = mapped_column(String(16), default=ManufacturerStatus.PENDING, index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", use_alter=True))
    reviewed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    products: Mapped[list[Product]] = relationship(back_populates="manufacturer")
    __mapper_args__ = {"version_id_col": version}


product_certificates = Table(
    "product_certificates",
    Base.metadata,
    Column("product_id", ForeignKey("products.id", ondelete="CASCADE"), primary_key=True),
    Column("certificate_id", ForeignKey("certificates.id", ondelete="CASCADE"), primary_key=True),
)


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_bn: Mapped[str] = mapped_column(String(200))
    brand: Mapped[str] = mapped_column(String(100))
    # the registered brand ``brand`` names (its English spelling); null only for rows made outside the
    # services (the test factories): every product created or edited through them has one
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brands.id"), index=True)
    model_number: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(32), index=True)
    gtin: Mapped[str] = mapped_column(String(14), unique=True)
    hs_code: Mapped[str | None] = mapped_column(String(12))
    description_en: Mapped[str | None] = mapped_column(Text)
    description_bn: Mapped[str | None] = mapped_column(Text)
    specifications: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    local_value_addition: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    lva_basis: Mapped[str] = mapped_column(Text)
    launch_date: Mapped[date | None]
    images: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default=ProductStatus.DRAFT, index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    licence_number: Mapped[str | None] = mapped_column(String(32), unique=True)
    licence_valid_from: Mapped[date | None]
    licence_valid_until: Mapped[date | None]
    submitted_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]
    # A reviewer approved the licence although these required schemes had no certificate valid on
    # ``certificate_override_on`` (the approval day), for the reason given; null when approved normally.
    certificate_override_schemes: Mapped[list[Any] | None] = mapped_column(JSON)
    certificate_override_reason: Mapped[str | None] = mapped_column(Text)
    certificate_override_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    manufacturer: Mapped[Manufacturer] = relationship(back_populates="products")
    certificates: Mapped[list[Certificate]] = relationship(
        secondary=product_certificates, back_populates="products"
    )
    __mapper_args__ = {"version_id_col": version}

    def licence_state(self, today: date | None = None) -> str:
        """The status a reader should see today: a licence past its validity reads ``expired``."""
        today = today or utcnow().date()
        if (
            self.status == ProductStatus.LICENSED
            and self.licence_valid_until is not None
            and self.licence_valid_until < today
        ):
            return ProductStatus.EXPIRED
        return self.status


class BrandStatus(enum.StrEnum):
    PENDING = "pending"  # confusable with another brand: a reviewer decides
    REGISTERED = "registered"
    REJECTED = "rejected"


class Brand(Base):
    """A brand name a manufacturer owns, in both spellings. Its matching keys are in ``brand_keys``;
    ``conflicts`` lists the brands it was found confusable with when it was registered (for the reviewer)."""

    __tablename__ = "brands"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_en: Mapped[str] = mapped_column(String(100))
    name_bn: Mapped[str] = mapped_column(String(100))
    owner_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=BrandStatus.PENDING, index=True)
    conflicts: Mapped[list[Any]] = mapped_column(JSON, default=list)
    reason: Mapped[str | None] = mapped_column(Text)  # why it was registered, rejected or migrated
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)

    owner: Mapped[Manufacturer] = relationship()
    keys: Mapped[list[BrandKey]] = relationship(back_populates="brand", cascade="all, delete-orphan")
    licences: Mapped[list[BrandLicence]] = relationship(back_populates="brand")
    __mapper_args__ = {"version_id_col": version}


class BrandKey(Base):
    """One matching key of a brand (``registry.brand_matching``): looked up exactly by (kind, key), and by
    (kind, length) for the edit-distance comparison, from an index that holds the key and brand too (the
    database answers that range from the index alone)."""

    __tablename__ = "brand_keys"
    __table_args__ = (
        Index("ix_brand_keys_kind_key", "kind", "key", "brand_id"),
        Index("ix_brand_keys_kind_length", "kind", "length", "key", "brand_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(1))
    key: Mapped[str] = mapped_column(String(400))
    length: Mapped[int] = mapped_column(Integer)

    brand: Mapped[Brand] = relationship(back_populates="keys")


class BrandLicence(Base):
    """The brand's owner lets another manufacturer make products under it (``kind`` "granted"), or the
    manufacturer used it before brands were registered (``kind`` "grandfathered", migration 0012)."""

    __tablename__ = "brand_licences"
    __table_args__ = (UniqueConstraint("brand_id", "licensee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    licensee_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="granted")
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)

    brand: Mapped[Brand] = relationship(back_populates="licences")
    licensee: Mapped[Manufacturer] = relationship()


class Certificate(Base):
    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("manufacturer_id", "scheme", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    scheme: Mapped[str] = mapped_column(String(16))
    number: Mapped[str] = mapped_column(String(100))
    issuer: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[date]
    valid_until: Mapped[date]
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    evidence_media_type: Mapped[str | None] = mapped_column(String(64))
    evidence_size: Mapped[int | None]
    evidence_filename: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    products: Mapped[list[Product]] = relationship(
        secondary=product_certificates, back_populates="certificates"
    )


class CompanyDocument(Base):
    """A company's own paper for the reviewer (trade licence, BIN or TIN certificate), stored as certificate
    evidence is (content-addressed under the instance folder); a newer upload of a kind supersedes the older."""

    __tablename__ = "company_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    sha256: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notice(Base):
    """A decision or reminder for a company, shown in its portal and mailed to it once. ``dedupe_key`` makes a
    reminder idempotent (one per licence or certificate, validity end and threshold)."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(ForeignKey("manufacturers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[datetime | None]


class SeedMark(Base):
    """Records that the demo data was seeded, so ``make run`` never seeds twice."""

    __tablename__ = "seed_marks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
