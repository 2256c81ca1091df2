"""transparency log: entries (appended with each trust-changing change), tiles, checkpoints, cosignatures

Revision ID: 0010_tlog
Revises: 0009_blobs_jobs
Create Date: 2026-12-06 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_tlog"
down_revision = "0009_blobs_jobs"
branch_labels = None
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "tlog_entries",
        sa.Column("id", BIGINT, autoincrement=True, nullable=False),
        sa.Column("idx", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.String(length=64), nullable=False),
        sa.Column("ref", sa.String(length=48), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("manufacturer_id", sa.Integer(), nullable=True),
        sa.Column("gtin", sa.String(length=14), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idx"),
    )
    for column in ("kind", "leaf_hash", "ref", "product_id", "manufacturer_id", "gtin"):
        op.create_index(f"ix_tlog_entries_{column}", "tlog_entries", [column])
    op.create_table(
        "tlog_tiles",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hashes", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx"),
    )
    op.create_table(
        "tlog_checkpoints",
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("size"),
    )
    op.create_index("ix_tlog_checkpoints_created_at", "tlog_checkpoints", ["created_at"])
    op.create_table(
        "tlog_cosignatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["size"], ["tlog_checkpoints.size"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("size", "name"),
    )
    op.create_index("ix_tlog_cosignatures_size", "tlog_cosignatures", ["size"])


def downgrade() -> None:
    op.drop_index("ix_tlog_cosignatures_size", table_name="tlog_cosignatures")
    op.drop_table("tlog_cosignatures")
    op.drop_index("ix_tlog_checkpoints_created_at", table_name="tlog_checkpoints")
    op.drop_table("tlog_checkpoints")
    op.drop_table("tlog_tiles")
    for column in ("kind", "leaf_hash", "ref", "product_id", "manufacturer_id", "gtin"):
        op.drop_index(f"ix_tlog_entries_{column}", table_name="tlog_entries")
    op.drop_table("tlog_entries")
