"""Procurement tables: issued compliance statements, officers' shortlists. Models never commit."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime
from core.models import utcnow
from registry.models import Product


class ComplianceStatement(Base):
    """A signed statement as issued: ``document`` is the signed JSON, byte for byte what was signed."""

    __tablename__ = "compliance_statements"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    bid_date: Mapped[date]
    reference: Mapped[str | None] = mapped_column(String(200))
    line_count: Mapped[int] = mapped_column(Integer)
    compliant_count: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    link: Mapped[str] = mapped_column(String(1000))


shortlist_items = Table(
    "shortlist_items",
    Base.metadata,
    Column("shortlist_id", ForeignKey("shortlists.id", ondelete="CASCADE"), primary_key=True),
    Column("product_id", ForeignKey("products.id", ondelete="CASCADE"), primary_key=True, index=True),
    Column("added_at", UTCDateTime(), nullable=False, default=utcnow),
)


class Shortlist(Base):
    """An officer's saved list of products; ``feed_key`` is the secret part of its Atom feed's address."""

    __tablename__ = "shortlists"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    feed_key: Mapped[str] = mapped_column(String(43), unique=True)
    email_updates: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    products: Mapped[list[Product]] = relationship(secondary=shortlist_items, order_by=Product.id)


class ShortlistMail(Base):
    """An e-mail about a shortlisted product that went out once (``dedupe_key``: what it announced)."""

    __tablename__ = "shortlist_mails"
    __table_args__ = (UniqueConstraint("shortlist_id", "dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shortlist_id: Mapped[int] = mapped_column(ForeignKey("shortlists.id", ondelete="CASCADE"))
    dedupe_key: Mapped[str] = mapped_column(String(128))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
