"""The catalogue's bid-date field: a procurement officer sees the products whose licence (and, when a
certificate is asked for, that certificate) was valid on the bid date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.factories import CertificateFactory, ProductFactory, licensed

TODAY = datetime.now(UTC).date()


def test_the_bid_date_keeps_products_licensed_and_certified_on_that_day(
    client: Any, session: Any, catalogue: Any, maker: Any
) -> None:
    recent = ProductFactory(
        manufacturer=maker.manufacturer, brand="Walton", **licensed(TODAY - timedelta(days=30))
    )
    older = ProductFactory(
        manufacturer=maker.manufacturer, brand="Walton", **licensed(TODAY - timedelta(days=400))
    )
    older.certificates = [
        CertificateFactory(
            manufacturer_id=maker.manufacturer.id,
            scheme="BSTI",
            valid_from=TODAY - timedelta(days=400),
            valid_until=TODAY - timedelta(days=50),
        )
    ]
    catalogue.add(recent, older)
    bid = (TODAY - timedelta(days=100)).isoformat()
    html = client.get(f"/search?bid_date={bid}&lang=en").get_data(as_text=True)
    assert f"/products/{older.id}" in html and f"/products/{recent.id}" not in html
    assert f'name="bid_date" type="date" value="{bid}"' in html
    assert f"licence_valid_on={bid}" in html and f"certificate_valid_on={bid}" in html  # the export links
    certified = client.get(f"/search?bid_date={bid}&certificate=BSTI&lang=en").get_data(as_text=True)
    assert f"/products/{older.id}" in certified  # its BSTI certificate was valid then, though not today
    today = client.get("/search?certificate=BSTI&lang=en").get_data(as_text=True)
    assert f"/products/{older.id}" not in today


def test_a_bid_date_that_is_not_a_date_is_named(client: Any, catalogue: Any) -> None:
    resp = client.get("/search?bid_date=next-tuesday&lang=en")
    assert resp.status_code == 422 and "bid_date" in resp.get_data(as_text=True)
