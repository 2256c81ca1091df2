"""products: a reviewer's override of missing required certificates at approval (schemes, reason, day)

Revision ID: 0004_licence_override
Revises: 0003_recalls
Create Date: 2026-12-05 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_licence_override"
down_revision = "0003_recalls"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("certificate_override_schemes", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("certificate_override_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("certificate_override_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("certificate_override_on")
        batch_op.drop_column("certificate_override_reason")
        batch_op.drop_column("certificate_override_schemes")
