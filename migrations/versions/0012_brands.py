"""brands: registered brand names in both spellings, their matching keys and licences; products.brand_id

Existing data: every distinct brand value of the products (compared by its visual key, so "Symphony" and
"SYMPHONY" are one brand) becomes a registered brand owned by the manufacturer that used it first (the
oldest product); every other manufacturer that used it gets a "grandfathered" licence, so no existing
product loses its brand. The Bangla spelling is taken from the first product's Bangla name when its
English name starts with the brand (as many words), else the English spelling is kept. Brands that are
confusable with one registered before them keep the conflicts in ``brands.conflicts`` for reviewers to
look at; they stay registered (they were in use). All of it is audited (``brand.migrated``,
``brand.licensed``).

Revision ID: 0012_brands
Revises: 0011_procurement
Create Date: 2026-12-06 20:00:00.000000
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from registry.brand_matching import Key, brand_keys, compare_keys, visual_key

revision = "0012_brands"
down_revision = "0011_procurement"
branch_labels = None
depends_on = None

REASON = "registered by migration 0012_brands: the brand of products registered before brands were"


def upgrade() -> None:
    op.create_table(
        "brands",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("name_bn", sa.String(length=100), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("conflicts", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["manufacturers.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_brands_owner_id", "brands", ["owner_id"])
    op.create_index("ix_brands_status", "brands", ["status"])
    op.create_table(
        "brand_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=1), nullable=False),
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_brand_keys_brand_id", "brand_keys", ["brand_id"])
    op.create_index("ix_brand_keys_kind_key", "brand_keys", ["kind", "key", "brand_id"])
    op.create_index("ix_brand_keys_kind_length", "brand_keys", ["kind", "length", "key", "brand_id"])
    op.create_table(
        "brand_licences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("licensee_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("granted_by_id", sa.Integer(), nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"]),
        sa.ForeignKeyConstraint(["licensee_id"], ["manufacturers.id"]),
        sa.ForeignKeyConstraint(["granted_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("brand_id", "licensee_id"),
    )
    op.create_index("ix_brand_licences_brand_id", "brand_licences", ["brand_id"])
    op.create_index("ix_brand_licences_licensee_id", "brand_licences", ["licensee_id"])
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a nullable column with its reference in place (batch mode would copy the table,
        # and dropping the old one would cascade into the tables that reference products)
        op.execute("ALTER TABLE products ADD COLUMN brand_id INTEGER REFERENCES brands (id)")
    else:
        op.add_column("products", sa.Column("brand_id", sa.Integer(), nullable=True))
        op.create_foreign_key("products_brand_id_fkey", "products", "brands", ["brand_id"], ["id"])
    op.create_index("ix_products_brand_id", "products", ["brand_id"])
    migrate_product_brands(op.get_bind())


def bangla_spelling(brand: str, name_en: str, name_bn: str) -> str:
    """The brand's Bangla spelling read off a product's names: as many words of the Bangla name as the
    brand has, when the English name starts with the brand; else the brand as it is."""
    words = brand.split()
    if name_en.casefold().split()[: len(words)] == [w.casefold() for w in words]:
        bangla = name_bn.split()[: len(words)]
        if len(bangla) == len(words):
            return " ".join(bangla)[:100]
    return brand


def migrate_product_brands(conn: Any) -> None:
    products = sa.table(
        "products",
        sa.column("id", sa.Integer),
        sa.column("manufacturer_id", sa.Integer),
        sa.column("brand", sa.String),
        sa.column("name_en", sa.String),
        sa.column("name_bn", sa.String),
        sa.column("created_at", sa.DateTime),
        sa.column("brand_id", sa.Integer),
    )
    brands = sa.table(
        "brands",
        sa.column("id", sa.Integer),
        sa.column("name_en", sa.String),
        sa.column("name_bn", sa.String),
        sa.column("owner_id", sa.Integer),
        sa.column("status", sa.String),
        sa.column("conflicts", sa.JSON),
        sa.column("reason", sa.Text),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("version", sa.Integer),
    )
    keys_table = sa.table(
        "brand_keys",
        sa.column("brand_id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("key", sa.String),
        sa.column("length", sa.Integer),
    )
    licences = sa.table(
        "brand_licences",
        sa.column("brand_id", sa.Integer),
        sa.column("licensee_id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("granted_at", sa.DateTime(timezone=True)),
        sa.column("reason", sa.Text),
    )
    audit = sa.table(
        "audit_events",
        sa.column("occurred_at", sa.DateTime(timezone=True)),
        sa.column("actor_id", sa.Integer),
        sa.column("actor", sa.String),
        sa.column("action", sa.String),
        sa.column("target_type", sa.String),
        sa.column("target_id", sa.String),
        sa.column("before", sa.JSON),
        sa.column("after", sa.JSON),
        sa.column("reason", sa.Text),
        sa.column("request_id", sa.String),
    )
    rows = conn.execute(
        sa.select(
            products.c.id,
            products.c.manufacturer_id,
            products.c.brand,
            products.c.name_en,
            products.c.name_bn,
        ).order_by(products.c.created_at, products.c.id)
    ).all()
    groups: dict[str, list[Any]] = {}
    for row in rows:
        groups.setdefault(visual_key(row.brand) or row.brand.casefold(), []).append(row)
    now = datetime.now(UTC)
    registered: list[tuple[int, Key]] = []
    events: list[dict[str, Any]] = []
    for group in groups.values():
        first = group[0]
        name_bn = bangla_spelling(first.brand, first.name_en, first.name_bn)
        keys = brand_keys(first.brand, name_bn)
        conflicts = [
            {"brand_id": other, "matches": [m.to_dict() for m in matches]}
            for other, matches in compare_keys(keys, registered).items()
        ]
        brand_id = conn.execute(
            brands.insert()
            .values(
                name_en=first.brand,
                name_bn=name_bn,
                owner_id=first.manufacturer_id,
                status="registered",
                conflicts=conflicts,
                reason=REASON,
                created_at=now,
                version=1,
            )
            .returning(brands.c.id)
        ).scalar_one()
        registered.extend((brand_id, k) for k in keys)
        if keys:
            conn.execute(
                keys_table.insert(),
                [
                    {"brand_id": brand_id, "kind": k.kind, "key": k.value, "length": len(k.value)}
                    for k in keys
                ],
            )
        events.append(_event(now, "brand.migrated", brand_id, {"owner_id": first.manufacturer_id}))
        others = list(
            dict.fromkeys(r.manufacturer_id for r in group if r.manufacturer_id != first.manufacturer_id)
        )
        for licensee in others:
            conn.execute(
                licences.insert().values(
                    brand_id=brand_id,
                    licensee_id=licensee,
                    kind="grandfathered",
                    granted_at=now,
                    reason="used this brand before brands were registered (migration 0012_brands)",
                )
            )
            events.append(
                _event(now, "brand.licensed", brand_id, {"licensee_id": licensee, "kind": "grandfathered"})
            )
        ids = [r.id for r in group]
        for start in range(0, len(ids), 500):
            conn.execute(
                products.update().where(products.c.id.in_(ids[start : start + 500])).values(brand_id=brand_id)
            )
    if events:
        conn.execute(audit.insert(), events)


def _event(when: datetime, action: str, brand_id: int, after: dict[str, Any]) -> dict[str, Any]:
    return {
        "occurred_at": when,
        "actor_id": None,
        "actor": "system",
        "action": action,
        "target_type": "brand",
        "target_id": str(brand_id),
        "before": None,
        "after": after,
        "reason": REASON,
        "request_id": None,
    }


def downgrade() -> None:
    op.drop_index("ix_products_brand_id", table_name="products")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE products DROP COLUMN brand_id")
    else:
        op.drop_constraint("products_brand_id_fkey", "products", type_="foreignkey")
        op.drop_column("products", "brand_id")
    op.drop_table("brand_licences")
    op.drop_table("brand_keys")
    op.drop_index("ix_brands_status", table_name="brands")
    op.drop_index("ix_brands_owner_id", table_name="brands")
    op.drop_table("brands")
