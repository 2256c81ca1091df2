"""sms: the registry's check-code key (check codes on unit labels, checked by SMS)

Revision ID: 0013_sms
Revises: 0012_brands
Create Date: 2026-12-06 20:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_sms"
down_revision = "0012_brands"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "check_code_keys",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("secret", sa.LargeBinary(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("check_code_keys")
