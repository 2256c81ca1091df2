"""Scan analytics in the portal: scans per day and per district, first and repeat scans, flagged units, drawn
as SVG on the server with the same numbers in tables; only the company's own labels count."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from signing.models import Scan, Unit
from tests.factories import ProductFactory, licensed, make_party
from tests.web.pages import sign_in


def _scans(session: Any, product: Any, serial: str, where: list[str], *, flagged: bool = False) -> None:
    now = datetime.now(UTC)
    unit = Unit(
        gtin=product.gtin,
        serial=serial,
        product_id=product.id,
        first_seen_at=now - timedelta(days=1),
        first_district=where[0],
        scan_count=len(where),
        flags=["many_devices"] if flagged else [],
        flagged_at=now if flagged else None,
    )
    session.add(unit)
    session.flush()
    for i, district in enumerate(where):
        session.add(
            Scan(
                unit_id=unit.id,
                gtin=product.gtin,
                serial=serial,
                scanned_at=now - timedelta(days=1) + timedelta(hours=i),
                verdict="genuine",
                district=district,
                device_class="phone",
                device_hash=f"{i:016x}",
            )
        )
    session.flush()


def test_analytics_count_only_the_companys_scans(client: Any, session: Any, maker: Any) -> None:
    mine = ProductFactory(manufacturer=maker.manufacturer, **licensed())
    theirs = ProductFactory(manufacturer=make_party(session).manufacturer, **licensed())
    _scans(session, mine, "A1", ["dhaka", "dhaka", "sylhet"], flagged=True)
    _scans(session, mine, "A2", ["khulna"])
    _scans(session, theirs, "B1", ["rajshahi"] * 5)
    sign_in(client, maker.user)
    resp = client.get("/portal/analytics?lang=en")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "in the last 30 days: 4 scans" in html
    assert html.count("<svg") == 3 and "<script" not in html
    assert re.search(r"<th scope=\"row\">Dhaka</th><td>2</td>", html)
    assert re.search(r"<th scope=\"row\">Khulna</th><td>1</td>", html)
    assert "Rajshahi" not in html
    assert re.search(r"First scans</th><td>2</td>", html) and re.search(r"Repeat scans</th><td>2</td>", html)
    assert re.search(r"Flagged units</th><td>1</td>", html)
    bangla = client.get("/portal/analytics?lang=bn").get_data(as_text=True)
    assert "ঢাকা</th><td>২</td>" in bangla  # district names and digits in Bangla
