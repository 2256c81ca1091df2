"""The demo data plus scans and consumer reports at known places and times, and the figures a caller gets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from registry.demo import seed_demo
from signing.models import ConsumerReport, Scan


@dataclass
class Demo:
    today: date
    scans: list[tuple[datetime, str | None, str]]  # (when, district, verdict)
    reports: list[datetime]


def _at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.fixture()
def demo(session: Any) -> Demo:
    today = datetime.now(UTC).date()
    seed_demo(session, manufacturers=24, products=300, today=today)
    scans = [
        (_at(today, 1), "dhaka", "genuine"),
        (_at(today, 2), "gazipur", "genuine"),
        (_at(today, 3), "sylhet", "genuine"),
        (_at(today, 4), "sylhet", "not_genuine"),  # not a verified scan
        (_at(today - timedelta(days=7)), "chattogram", "genuine"),
        (_at(today - timedelta(days=8)), None, "genuine"),  # the IP table placed it nowhere
        (_at(today - timedelta(days=20)), "khulna", "revoked"),
        (_at(today - timedelta(days=30)), "rangpur", "genuine"),
        (_at(today - timedelta(days=120)), "dhaka", "genuine"),  # older than the 8 weeks shown
    ]
    for n, (when, district, verdict) in enumerate(scans):
        session.add(
            Scan(
                gtin="08901234567893",
                serial=f"S{n:05d}",
                scanned_at=when,
                verdict=verdict,
                district=district,
                device_class="phone",
                device_hash=f"{n:016x}",
            )
        )
    reports = [
        _at(today),
        _at(today, 3),
        _at(today - timedelta(days=40)),
        _at(today - timedelta(days=70)),
        _at(today - timedelta(days=400)),
    ]
    for n, when in enumerate(reports):
        session.add(ConsumerReport(text=f"looks fake {n}", created_at=when, district="dhaka"))
    session.flush()
    return Demo(today=today, scans=scans, reports=reports)


def figure(body: dict[str, Any], figure_id: str) -> dict[str, Any]:
    """Row key -> {column key: value} of one figure of an API answer."""
    found = next(f for f in body["figures"] if f["id"] == figure_id)
    columns = [c["key"] for c in found["columns"]]
    return {row["key"]: dict(zip(columns, row["values"], strict=True)) for row in found["rows"]}
