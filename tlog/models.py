"""Transparency log tables on the registry's ``Base``: entries (appended in the transaction of the change they
record, sequenced by the integrator), tiles, signed checkpoints and the cosignatures witnesses sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base
from core.models import utcnow

BIGINT = BigInteger().with_variant(Integer(), "sqlite")  # SQLite's INTEGER PRIMARY KEY is 64-bit already


class TlogEntry(Base):
    """One event: ``data`` is its RFC 8785 JSON, ``idx`` its place in the log once integrated (null before).
    ``product_id``, ``manufacturer_id`` and ``gtin`` are copies from ``data`` for the history page's search;
    ``ref`` names the row it concerns (``record:12``) so an answer can find its entry."""

    __tablename__ = "tlog_entries"

    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    idx: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    leaf_hash: Mapped[str] = mapped_column(String(64), index=True)
    ref: Mapped[str | None] = mapped_column(String(48), index=True)
    product_id: Mapped[int | None] = mapped_column(Integer, index=True)
    manufacturer_id: Mapped[int | None] = mapped_column(Integer, index=True)
    gtin: Mapped[str | None] = mapped_column(String(14), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TlogTile(Base):
    """A tile's hashes (32 bytes each), rewritten while it is partial and never again once it has 256."""

    __tablename__ = "tlog_tiles"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hashes: Mapped[bytes] = mapped_column(LargeBinary)


class TlogCheckpoint(Base):
    """A signed checkpoint (the C2SP note as served), one per tree size."""

    __tablename__ = "tlog_checkpoints"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class TlogCosignature(Base):
    """A witness's cosignature line on the checkpoint of ``size`` (served appended to that checkpoint)."""

    __tablename__ = "tlog_cosignatures"
    __table_args__ = (UniqueConstraint("size", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(ForeignKey("tlog_checkpoints.size"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    line: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
