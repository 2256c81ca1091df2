"""Migration 0012_brands on data of the release before it: every brand value of the products becomes a
brand owned by the company that used it first, the others keep using it under a grandfathered licence
(on SQLite, and on PostgreSQL in the suite's second pass)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from alembic import command
from sqlalchemy import create_engine, text

from core.migrate import alembic_config
from registry.models import Manufacturer, Product
from tests.conftest import as_owner, committed_database


def _maker(conn: Any, n: int) -> int:
    return conn.execute(
        Manufacturer.__table__.insert()
        .values(
            legal_name_en=f"Maker {n} Ltd.",
            legal_name_bn=f"মেকার {n} লিমিটেড",
            trade_licence_no=f"TRAD/{n}",
            bin=f"{n:013d}",
            tin=f"{n:012d}",
            address="Dhaka",
            district="dhaka",
            factory_locations=[],
            contact_name="A",
            contact_email=f"a{n}@example.com.bd",
            contact_phone="+8801700000000",
            status="verified",
            version=1,
        )
        .returning(Manufacturer.__table__.c.id)
    ).scalar_one()


def _product(conn: Any, maker: int, n: int, brand: str, name_en: str, name_bn: str, days_ago: int) -> int:
    return conn.execute(
        Product.__table__.insert()
        .values(
            manufacturer_id=maker,
            name_en=name_en,
            name_bn=name_bn,
            brand=brand,
            model_number=f"M{n}",
            category="phones",
            gtin=f"{n:014d}",
            specifications={},
            local_value_addition=40,
            lva_basis="audit",
            images=[],
            status="draft",
            created_at=datetime.now(UTC) - timedelta(days=days_ago),
            updated_at=datetime.now(UTC),
            version=1,
        )
        .returning(Product.__table__.c.id)
    ).scalar_one()


def test_existing_brand_values_become_brands_with_their_first_user_as_owner(
    tmp_path: Any, database_url: str
) -> None:
    for own_url in committed_database(tmp_path, database_url):
        migrate_and_check(as_owner(own_url))


def migrate_and_check(url: str) -> None:
    config = alembic_config(url)
    command.upgrade(config, "0011_procurement")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            first, second, third = (_maker(conn, n) for n in (1, 2, 3))
            # "Symphony" was used by the second maker first; the first maker wrote it in capitals later
            p_old = _product(conn, second, 1, "Symphony", "Symphony Z9", "সিম্ফনি জেড৯", 400)
            p_new = _product(conn, first, 2, "SYMPHONY", "SYMPHONY Z10", "সিম্ফনি জেড১০", 10)
            p_own = _product(conn, first, 3, "Padma Tech", "Padma Tech Router", "পদ্মা টেক রাউটার", 50)
            p_odd = _product(conn, third, 4, "Wa1ton", "Router", "রাউটার", 30)
            p_walton = _product(conn, second, 5, "Walton", "Walton Fan", "ওয়ালটন ফ্যান", 300)
        command.upgrade(config, "0012_brands")
        with engine.connect() as conn:
            brands = {
                row.name_en: row
                for row in conn.execute(text("SELECT id, name_en, name_bn, owner_id, status FROM brands"))
            }
            assert set(brands) == {"Symphony", "Padma Tech", "Walton"}
            assert brands["Symphony"].owner_id == second and brands["Symphony"].name_bn == "সিম্ফনি"
            assert brands["Padma Tech"].owner_id == first and brands["Padma Tech"].name_bn == "পদ্মা টেক"
            # "Wa1ton" is Walton in look-alike letters: one brand, first used by the second maker
            assert brands["Walton"].owner_id == second and brands["Walton"].name_bn == "ওয়ালটন"
            assert {row.status for row in brands.values()} == {"registered"}
            licences = {
                (row.brand_id, row.licensee_id, row.kind)
                for row in conn.execute(text("SELECT brand_id, licensee_id, kind FROM brand_licences"))
            }
            assert licences == {
                (brands["Symphony"].id, first, "grandfathered"),
                (brands["Walton"].id, third, "grandfathered"),
            }
            linked = dict(conn.execute(text("SELECT id, brand_id FROM products")).all())
            assert linked == {
                p_old: brands["Symphony"].id,
                p_new: brands["Symphony"].id,
                p_own: brands["Padma Tech"].id,
                p_odd: brands["Walton"].id,
                p_walton: brands["Walton"].id,
            }
            # the product rows keep the brand text they had
            assert (
                conn.execute(text("SELECT brand FROM products WHERE id = :i"), {"i": p_new}).scalar()
                == "SYMPHONY"
            )
            keys = conn.execute(
                text("SELECT count(*) FROM brand_keys WHERE brand_id = :b AND kind = 'v'"),
                {"b": brands["Walton"].id},
            ).scalar()
            assert keys == 2  # the visual keys of both spellings
            actions = sorted(
                row.action
                for row in conn.execute(text("SELECT action FROM audit_events WHERE target_type = 'brand'"))
            )
            assert actions == ["brand.licensed"] * 2 + ["brand.migrated"] * 3
    finally:
        engine.dispose()
