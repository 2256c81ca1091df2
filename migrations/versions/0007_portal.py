"""portal: company documents for the reviewer, notices (decisions and expiry reminders), the company's language

Revision ID: 0007_portal
Revises: 0006_audit_guard
Create Date: 2026-12-12 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_portal"
down_revision = "0006_audit_guard"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("manufacturers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=2), server_default="bn", nullable=False))
    op.create_table(
        "company_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("manufacturer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["manufacturer_id"], ["manufacturers.id"]),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_company_documents_manufacturer_id", "company_documents", ["manufacturer_id"])
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("manufacturer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["manufacturer_id"], ["manufacturers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key"),
    )
    op.create_index("ix_notices_manufacturer_id", "notices", ["manufacturer_id"])
    op.create_index("ix_notices_created_at", "notices", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_notices_created_at", table_name="notices")
    op.drop_index("ix_notices_manufacturer_id", table_name="notices")
    op.drop_table("notices")
    op.drop_index("ix_company_documents_manufacturer_id", table_name="company_documents")
    op.drop_table("company_documents")
    with op.batch_alter_table("manufacturers", schema=None) as batch_op:
        batch_op.drop_column("language")
