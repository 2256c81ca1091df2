"""procurement: issued compliance statements, officers' shortlists and the e-mails sent about them

Revision ID: 0011_procurement
Revises: 0010_tlog
Create Date: 2026-12-06 08:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_procurement"
down_revision = "0010_tlog"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "compliance_statements",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("bid_date", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("compliant_count", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("link", sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(["issued_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_compliance_statements_issued_by_id", "compliance_statements", ["issued_by_id"])
    op.create_table(
        "shortlists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("feed_key", sa.String(length=43), nullable=False),
        sa.Column("email_updates", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("feed_key"),
    )
    op.create_index("ix_shortlists_user_id", "shortlists", ["user_id"])
    op.create_table(
        "shortlist_items",
        sa.Column("shortlist_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["shortlist_id"], ["shortlists.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("shortlist_id", "product_id"),
    )
    op.create_index("ix_shortlist_items_product_id", "shortlist_items", ["product_id"])
    op.create_table(
        "shortlist_mails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shortlist_id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=128), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["shortlist_id"], ["shortlists.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("shortlist_id", "dedupe_key"),
    )


def downgrade() -> None:
    op.drop_table("shortlist_mails")
    op.drop_index("ix_shortlist_items_product_id", table_name="shortlist_items")
    op.drop_table("shortlist_items")
    op.drop_index("ix_shortlists_user_id", table_name="shortlists")
    op.drop_table("shortlists")
    op.drop_index("ix_compliance_statements_issued_by_id", table_name="compliance_statements")
    op.drop_table("compliance_statements")
