"""Procurement fixtures: a small catalogue with a known history, bidders' lists as files, an officer."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from core.audit import AUDIT_INSERT
from core.models import Role
from procurement.checks import DHAKA
from registry.models import Product
from tests.factories import CertificateFactory, ManufacturerFactory, ProductFactory, licensed, make_party

TODAY = datetime.now(DHAKA).date()  # the registry's day (from 18:00 UTC it is already tomorrow in Dhaka)


def csv_file(rows: list[list[Any]], header: tuple[str, ...] = ("gtin", "quantity")) -> tuple[io.BytesIO, str]:
    text = "\n".join(",".join(str(v) for v in row) for row in [list(header), *rows]) + "\n"
    return io.BytesIO(text.encode("utf-8")), "bidders.csv"


def record_history(session: Any, p: Product, day: date, before: str, after: str) -> None:
    """A licence event of ``p`` on ``day`` (noon UTC), as the registry's services write them."""
    session.execute(
        AUDIT_INSERT,
        {
            "occurred_at": datetime.combine(day, time(12), tzinfo=UTC),
            "actor_id": None,
            "actor": "reviewer@example.com",
            "action": f"product.{ {'suspended': 'suspend', 'licensed': 'reinstate', 'revoked': 'revoke'}[after] }",
            "target_type": "product",
            "target_id": str(p.id),
            "before": {"status": before},
            "after": {"status": after},
            "reason": "test history",
            "request_id": None,
        },
    )


@pytest.fixture()
def shop(session: Any) -> dict[str, Any]:
    """Products with known licences, certificates and values (licences from 400 days ago, three years)."""
    maker = ManufacturerFactory()
    start = TODAY - timedelta(days=400)
    bsti = CertificateFactory(
        manufacturer_id=maker.id, scheme="BSTI", valid_from=start, valid_until=TODAY + timedelta(days=300)
    )
    old_btrc = CertificateFactory(
        manufacturer_id=maker.id, scheme="BTRC", valid_from=start, valid_until=TODAY - timedelta(days=100)
    )
    good = ProductFactory(
        manufacturer=maker,
        brand="Walton",
        model_number="WX-100",
        category="phones",
        local_value_addition=60,
        **licensed(start),
    )
    good.certificates = [bsti, old_btrc]
    twin_a = ProductFactory(
        manufacturer=maker, brand="Symphony", model_number="Z 9", local_value_addition=40, **licensed(start)
    )
    twin_b = ProductFactory(
        manufacturer=maker, brand="SYMPHONY", model_number="z-9", local_value_addition=40, **licensed(start)
    )
    draft = ProductFactory(manufacturer=maker, brand="Draft", model_number="D-1")
    session.flush()
    return {"maker": maker, "good": good, "twin_a": twin_a, "twin_b": twin_b, "draft": draft, "start": start}


@pytest.fixture()
def officer(session: Any) -> Any:
    party = make_party(session, Role.OFFICER)
    session.commit()
    return party


@pytest.fixture()
def check(client: Any) -> Callable[..., Any]:
    """POST a bidder's list to the API; returns the response."""

    def run(
        rows: list[list[Any]],
        header: tuple[str, ...] = ("gtin", "quantity"),
        *,
        bid_date: date = TODAY,
        path: str = "/api/v1/tender-checks",
        headers: dict[str, str] | None = None,
        **fields: Any,
    ) -> Any:
        data: dict[str, Any] = {"file": csv_file(rows, header), "bid_date": bid_date.isoformat(), **fields}
        return client.post(path, data=data, content_type="multipart/form-data", headers=headers or {})

    return run
