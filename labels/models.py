"""The label job queue's table: one row per job, shared by every host (labels.jobs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

import core.models  # noqa: F401 - defines users, which owner_id refers to
from core.db import Base


class LabelJobRecord(Base):
    """A label job: what to render (``source``), its state and progress, and who holds it.

    ``status``: queued -> running -> done | failed. A running job is held by ``worker`` until
    ``lease_until``; the worker's heartbeat pushes that forward, and once it passes any worker may claim
    the job again (``attempts`` + 1)."""

    __tablename__ = "label_jobs"
    __table_args__ = (Index("ix_label_jobs_status_created", "status", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[dict[str, Any]]
    fmt: Mapped[str] = mapped_column(String(16))
    layout: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(
        String(32)
    )  # stable, for translated messages (ERROR_CODES)
    attempts: Mapped[int] = mapped_column(default=0)
    worker: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None]
    blob_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
