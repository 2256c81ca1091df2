"""Catalogue documents built from the database: what is public, and what a document holds."""

from __future__ import annotations

from datetime import date
from typing import Any

from bench.relevance.dataset import PRODUCTS, TODAY, seed_database
from registry.models import Manufacturer, Product
from search.documents import (
    build_product_documents,
    count_public_products,
    expired_product_ids,
    flatten_specifications,
    iter_public_documents,
    product_ids_of_manufacturers,
)


def test_public_products_become_documents(fresh_db: Any) -> None:
    with fresh_db.session() as session:
        ids = seed_database(session)
        session.commit()
        docs, gone = build_product_documents(session, [ids["nova5-64"], ids["nova5-256"], 999_999], TODAY)
    assert [d["id"] for d in docs] == [ids["nova5-64"]]
    assert gone == [ids["nova5-256"], 999_999]  # suspended, and one that does not exist
    doc = docs[0]
    assert doc["name_bn"] == "বৈশাখী নোভা ৫ স্মার্টফোন ৬৪"
    assert doc["manufacturer_name_bn"] == "বৈশাখী ইলেকট্রনিক্স লিমিটেড"
    assert (doc["district"], doc["district_name_bn"]) == ("gazipur", "গাজীপুর")
    assert (doc["category"], doc["category_name_en"], doc["category_name_bn"]) == (
        "phones",
        "Mobile phones",
        "মোবাইল ফোন",
    )
    assert doc["certificate_schemes"] == ["BSTI", "BTRC"]
    assert doc["certificates"][0] == {
        "scheme": "BSTI",
        "valid_from": "2025-01-01",
        "valid_until": "2028-12-31",
    }
    assert "Network: 4G LTE, dual SIM" in doc["specifications_text"]
    assert isinstance(doc["local_value_addition"], float)
    assert doc["licence_status"] == "licensed"


def test_suspended_revoked_expired_and_unsubmitted_are_not_public(fresh_db: Any) -> None:
    with fresh_db.session() as session:
        ids = seed_database(session)
        session.commit()
        hidden = [ids[k] for k in ("nova5-256", "titan-rtx4060", "polash-32", "chokh-27")]
        docs, gone = build_product_documents(session, hidden, TODAY)
        assert docs == [] and gone == sorted(hidden)
        assert count_public_products(session, TODAY) == len(PRODUCTS) - 4
        assert expired_product_ids(session, date(2026, 1, 1), TODAY) == [ids["polash-32"]]


def test_a_suspended_manufacturer_hides_its_products(fresh_db: Any) -> None:
    with fresh_db.session() as session:
        ids = seed_database(session)
        maker = session.get(Product, ids["durgo-1u"]).manufacturer
        maker.status = "suspended"
        session.commit()
        products = product_ids_of_manufacturers(session, [maker.id])
        docs, gone = build_product_documents(session, products, TODAY)
        assert docs == [] and ids["durgo-1u"] in gone
        assert session.get(Manufacturer, maker.id).legal_name_en == "Akash Systems Ltd."


def test_every_public_document_in_batches(fresh_db: Any) -> None:
    with fresh_db.session() as session:
        seed_database(session)
        session.commit()
        batches = list(iter_public_documents(session, TODAY, batch=100))
    assert [len(b) for b in batches] == [100, 100, 100, 2]
    all_ids = [d["id"] for b in batches for d in b]
    assert all_ids == sorted(set(all_ids))


def test_specifications_are_flattened_to_text() -> None:
    specs = {
        "RAM": "8 GB",
        "display": {"size": "6.5 inch", "panel": "AMOLED"},
        "bands": ["4G", "5G"],
        "empty": "",
    }
    assert flatten_specifications(specs) == "RAM: 8 GB; display size: 6.5 inch; display panel: AMOLED; 4G; 5G"
