"""model drift: the foreign key manufacturers.reviewed_by_id -> users.id that PostgreSQL never got

0001_core declared it with ``use_alter=True`` inside ``op.create_table``; Alembic leaves such a constraint out
of CREATE TABLE (it expects a separate ALTER), so PostgreSQL databases lack it, while SQLite (which has no
ALTER ... ADD CONSTRAINT) wrote it inline. ``alembic check`` found it (tests/tools/test_alembic_check.py).

Revision ID: 0008_model_drift
Revises: 0007_portal
Create Date: 2026-12-06 08:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0008_model_drift"
down_revision = "0007_portal"
branch_labels = None
depends_on = None

CONSTRAINT = "manufacturers_reviewed_by_id_fkey"  # PostgreSQL's own name for it


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":  # already there, inline since 0001
        return
    op.create_foreign_key(CONSTRAINT, "manufacturers", "users", ["reviewed_by_id"], ["id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.drop_constraint(CONSTRAINT, "manufacturers", type_="foreignkey")
