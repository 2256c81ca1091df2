"""signing tables: keys, signed records, serial batches, units, scans, consumer reports, status lists

Revision ID: 0002_signing
Revises: 0001_core
Create Date: 2026-11-28 01:32:07.717067
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_signing"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("public_x", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("compromised_after", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kid"),
    )
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signing_keys_status"), ["status"], unique=False)

    op.create_table(
        "status_list_entries",
        sa.Column("idx", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("idx"),
        sa.UniqueConstraint("kind", "ref_id"),
    )
    op.create_table(
        "status_list_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("status_list_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_status_list_tokens_issued_at"), ["issued_at"], unique=False)

    op.create_table(
        "consumer_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gtin", sa.String(length=14), nullable=True),
        sa.Column("serial", sa.String(length=20), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("label_url", sa.Text(), nullable=True),
        sa.Column("verdict", sa.String(length=16), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("district", sa.String(length=32), nullable=True),
        sa.Column("photo", sa.LargeBinary(), nullable=True),
        sa.Column("photo_media_type", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("consumer_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consumer_reports_gtin"), ["gtin"], unique=False)
        batch_op.create_index(batch_op.f("ix_consumer_reports_product_id"), ["product_id"], unique=False)

    op.create_table(
        "serial_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("gtin", sa.String(length=14), nullable=False),
        sa.Column("prefix", sa.String(length=8), nullable=False),
        sa.Column("secret", sa.LargeBinary(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("serial_length", sa.Integer(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("status_index", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("gtin", "prefix"),
        sa.UniqueConstraint("status_index"),
    )
    with op.batch_alter_table("serial_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_serial_batches_product_id"), ["product_id"], unique=False)

    op.create_table(
        "signed_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["kid"],
            ["signing_keys.kid"],
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("signed_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signed_records_product_id"), ["product_id"], unique=False)

    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gtin", sa.String(length=14), nullable=False),
        sa.Column("serial", sa.String(length=20), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_district", sa.String(length=32), nullable=True),
        sa.Column("scan_count", sa.Integer(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recalled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recall_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["serial_batches.id"],
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("gtin", "serial"),
    )
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_units_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_units_flagged_at"), ["flagged_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_units_product_id"), ["product_id"], unique=False)

    op.create_table(
        "scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("gtin", sa.String(length=14), nullable=False),
        sa.Column("serial", sa.String(length=20), nullable=True),
        sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("district", sa.String(length=32), nullable=True),
        sa.Column("location_source", sa.String(length=8), nullable=True),
        sa.Column("device_class", sa.String(length=8), nullable=False),
        sa.Column("device_hash", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scans_gtin"), ["gtin"], unique=False)
        batch_op.create_index("ix_scans_unit_time", ["unit_id", "scanned_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.drop_index("ix_scans_unit_time")
        batch_op.drop_index(batch_op.f("ix_scans_gtin"))

    op.drop_table("scans")
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_units_product_id"))
        batch_op.drop_index(batch_op.f("ix_units_flagged_at"))
        batch_op.drop_index(batch_op.f("ix_units_batch_id"))

    op.drop_table("units")
    with op.batch_alter_table("signed_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signed_records_product_id"))

    op.drop_table("signed_records")
    with op.batch_alter_table("serial_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_serial_batches_product_id"))

    op.drop_table("serial_batches")
    with op.batch_alter_table("consumer_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consumer_reports_product_id"))
        batch_op.drop_index(batch_op.f("ix_consumer_reports_gtin"))

    op.drop_table("consumer_reports")
    with op.batch_alter_table("status_list_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_list_tokens_issued_at"))

    op.drop_table("status_list_tokens")
    op.drop_table("status_list_entries")
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signing_keys_status"))

    op.drop_table("signing_keys")
