"""The programme's figures, computed from the database as of one day: each is a :class:`Table` (rows × value
columns, both labelled in English and Bangla), which the page draws as a chart with its table, the API
returns as JSON, and the CSV links and the open data snapshot write out.

What each figure counts (docs/formats.md, "Statistics"):

* ``products_by_category``, ``products_by_division``, ``products_by_district``: products in the public
  catalogue on the day (licensed, licence in force, manufacturer in good standing: ``search.documents``'
  rule), by category and by the manufacturer's district and its division;
* ``products_over_time``: for each of the last 12 months, products whose licence was in force at the month's
  end by its validity dates, less those whose current suspension or revocation had begun by then (the audit
  trail's ``product.suspend`` / ``product.revoke``);
* ``lva_by_category``: public products by local value addition band, per category;
* ``licence_actions``: licences granted, suspended and revoked per month (audit events ``product.approve``,
  ``product.suspend``, ``product.revoke``), last 12 months;
* ``certificates_expiring``: certificates whose validity ends within the next 90 days, by scheme;
* ``scans_by_division``: verified (``genuine``) scans per week (Monday to Sunday, last 8 weeks) per division
  of the district the IP table placed them in (``unknown`` when it placed them nowhere);
* ``fake_reports``: consumer reports of suspected fakes per month, last 12 months.

Months and weeks are calendar periods in UTC.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import AuditEvent
from registry.data.districts import DISTRICTS, DIVISIONS
from registry.data.taxonomy import CATEGORIES, CERTIFICATE_SCHEMES
from registry.models import Certificate, Manufacturer, Product, ProductStatus
from search.documents import public_clause
from signing.errors import Verdict
from signing.models import ConsumerReport, Scan

MONTHS = 12
WEEKS = 8
EXPIRING_DAYS = 90
# local value addition bands, percent: [low, high)
LVA_BANDS: tuple[tuple[int, int], ...] = ((0, 20), (20, 30), (30, 40), (40, 50), (50, 101))
LICENCE_ACTIONS = (
    ("approve", "Granted", "মঞ্জুর"),
    ("suspend", "Suspended", "স্থগিত"),
    ("revoke", "Revoked", "বাতিল"),
)
_BN_DIGITS = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")


@dataclass(frozen=True)
class Label:
    key: str
    en: str
    bn: str


@dataclass
class Table:
    """One figure: ``values[i][j]`` is row ``i`` in column ``j``."""

    id: str
    title_en: str
    title_bn: str
    row_heading_en: str
    row_heading_bn: str
    columns: list[Label]
    rows: list[Label] = field(default_factory=list)
    values: list[list[int]] = field(default_factory=list)

    def add(self, row: Label, values: list[int]) -> None:
        self.rows.append(row)
        self.values.append(values)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title_en": self.title_en,
            "title_bn": self.title_bn,
            "row_heading_en": self.row_heading_en,
            "row_heading_bn": self.row_heading_bn,
            "columns": [{"key": c.key, "label_en": c.en, "label_bn": c.bn} for c in self.columns],
            "rows": [
                {"key": r.key, "label_en": r.en, "label_bn": r.bn, "values": list(v)}
                for r, v in zip(self.rows, self.values, strict=True)
            ],
        }


@dataclass
class Statistics:
    as_of: date
    generated_at: datetime
    tables: list[Table]

    def table(self, table_id: str) -> Table:
        return next(t for t in self.tables if t.id == table_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "generated_at": self.generated_at.astimezone(UTC).isoformat(timespec="seconds"),
            "figures": [t.to_json() for t in self.tables],
        }


def bangla_digits(text: str) -> str:
    return text.translate(_BN_DIGITS)


def month_starts(today: date, count: int = MONTHS) -> list[date]:
    """The first days of the last ``count`` months, oldest first, the current month last."""
    year, month = today.year, today.month
    out = []
    for _ in range(count):
        out.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]


def next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def month_label(start: date) -> Label:
    return Label(
        start.strftime("%Y-%m"),
        format_date(start, "MMM y", locale="en"),
        bangla_digits(format_date(start, "MMMM y", locale="bn")),
    )


def week_starts(today: date, count: int = WEEKS) -> list[date]:
    """The Mondays of the last ``count`` weeks, oldest first, this week last."""
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=n) for n in range(count - 1, -1, -1)]


def week_label(start: date) -> Label:
    return Label(
        start.isoformat(),
        format_date(start, "d MMM y", locale="en"),
        bangla_digits(format_date(start, "d MMMM y", locale="bn")),
    )


def _moment(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _one_column(key: str, en: str, bn: str) -> list[Label]:
    return [Label(key, en, bn)]


PRODUCTS = _one_column("products", "Products", "পণ্য")


def _public_rows(session: Session, today: date) -> list[Any]:
    stmt = (
        select(Product.category, Product.local_value_addition, Manufacturer.district)
        .join(Manufacturer, Manufacturer.id == Product.manufacturer_id)
        .where(public_clause(today))
    )
    return list(session.execute(stmt))


def products_by_category(rows: list[Any]) -> Table:
    counts = Counter(row.category for row in rows)
    table = Table(
        "products_by_category",
        "Licensed products by category",
        "ক্যাটাগরি অনুযায়ী লাইসেন্সপ্রাপ্ত পণ্য",
        "Category",
        "ক্যাটাগরি",
        PRODUCTS,
    )
    for code, category in CATEGORIES.items():
        table.add(Label(code, category.name_en, category.name_bn), [counts.get(code, 0)])
    return table


def products_by_division(rows: list[Any]) -> Table:
    counts = Counter(DISTRICTS[row.district].division if row.district in DISTRICTS else "" for row in rows)
    table = Table(
        "products_by_division",
        "Licensed products by division",
        "বিভাগ অনুযায়ী লাইসেন্সপ্রাপ্ত পণ্য",
        "Division",
        "বিভাগ",
        PRODUCTS,
    )
    for name, name_bn in DIVISIONS.items():
        table.add(Label(name.lower(), name, name_bn), [counts.get(name, 0)])
    return table


def products_by_district(rows: list[Any]) -> Table:
    """Districts with at least one licensed product, most first (then by name)."""
    counts = Counter(row.district for row in rows)
    table = Table(
        "products_by_district",
        "Licensed products by district",
        "জেলা অনুযায়ী লাইসেন্সপ্রাপ্ত পণ্য",
        "District",
        "জেলা",
        PRODUCTS,
    )
    for code, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        district = DISTRICTS.get(code)
        table.add(
            Label(code, district.name_en if district else code, district.name_bn if district else code), [n]
        )
    return table


def lva_band(value: Decimal | float) -> int:
    """The band of a local value addition (percent; the registry accepts 0 to 100)."""
    share = min(max(float(value), 0.0), 100.0)
    return next(i for i, (low, high) in enumerate(LVA_BANDS) if low <= share < high)


def lva_by_category(rows: list[Any]) -> Table:
    columns = [
        Label(
            f"{low}-{min(high, 100)}",
            f"{low}–{high}\u00a0%" if high <= 100 else f"{low}\u00a0%\u00a0+",
            bangla_digits(f"{low}–{high}\u00a0%" if high <= 100 else f"{low}\u00a0%\u00a0+"),
        )
        for low, high in LVA_BANDS
    ]
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(LVA_BANDS))
    for row in rows:
        counts[row.category][lva_band(row.local_value_addition)] += 1
    table = Table(
        "lva_by_category",
        "Local value addition by category",
        "ক্যাটাগরি অনুযায়ী স্থানীয় মূল্য সংযোজন",
        "Category",
        "ক্যাটাগরি",
        columns,
    )
    for code, category in CATEGORIES.items():
        table.add(Label(code, category.name_en, category.name_bn), counts[code])
    return table


def _stopped_at(session: Session) -> dict[int, datetime]:
    """Product id -> when its current suspension or revocation began (the latest such audit event)."""
    stmt = (
        select(AuditEvent.target_id, func.max(AuditEvent.occurred_at))
        .where(
            AuditEvent.target_type == "product", AuditEvent.action.in_(["product.suspend", "product.revoke"])
        )
        .group_by(AuditEvent.target_id)
    )
    return {int(target): _utc(when) for target, when in session.execute(stmt) if target.isdigit()}


def products_over_time(session: Session, today: date) -> Table:
    months = month_starts(today)
    stmt = select(Product.id, Product.status, Product.licence_valid_from, Product.licence_valid_until).where(
        Product.licence_valid_from.is_not(None)
    )
    licences = list(session.execute(stmt))
    stopped = _stopped_at(session)
    table = Table(
        "products_over_time",
        "Licensed products over time",
        "সময়ের সাথে লাইসেন্সপ্রাপ্ত পণ্য",
        "Month",
        "মাস",
        PRODUCTS,
    )
    for start in months:
        end = min(next_month(start) - timedelta(days=1), today)
        end_moment = _moment(end + timedelta(days=1))
        n = 0
        for row in licences:
            if not (
                row.licence_valid_from <= end
                and (row.licence_valid_until is None or row.licence_valid_until >= end)
            ):
                continue
            if row.status in (ProductStatus.SUSPENDED, ProductStatus.REVOKED):
                began = stopped.get(row.id)
                if began is None or began < end_moment:
                    continue
            n += 1
        table.add(month_label(start), [n])
    return table


def _per_month(moments: list[datetime], months: list[date]) -> list[int]:
    keys = Counter(moment.strftime("%Y-%m") for moment in moments)
    return [keys.get(start.strftime("%Y-%m"), 0) for start in months]


def licence_actions(session: Session, today: date) -> Table:
    months = month_starts(today)
    since = _moment(months[0])
    until = _moment(next_month(months[-1]))
    columns = [Label(action, en, bn) for action, en, bn in LICENCE_ACTIONS]
    stmt = select(AuditEvent.action, AuditEvent.occurred_at).where(
        AuditEvent.action.in_([f"product.{action}" for action, _en, _bn in LICENCE_ACTIONS]),
        AuditEvent.occurred_at >= since,
        AuditEvent.occurred_at < until,
    )
    by_action: dict[str, list[datetime]] = defaultdict(list)
    for action, when in session.execute(stmt):
        by_action[action.split(".", 1)[1]].append(_utc(when))
    per_column = [_per_month(by_action[c.key], months) for c in columns]
    table = Table(
        "licence_actions",
        "Licences granted, suspended and revoked per month",
        "প্রতি মাসে মঞ্জুর, স্থগিত ও বাতিল লাইসেন্স",
        "Month",
        "মাস",
        columns,
    )
    for i, start in enumerate(months):
        table.add(month_label(start), [counts[i] for counts in per_column])
    return table


def certificates_expiring(session: Session, today: date) -> Table:
    stmt = (
        select(Certificate.scheme, func.count())
        .where(
            Certificate.valid_until >= today, Certificate.valid_until <= today + timedelta(days=EXPIRING_DAYS)
        )
        .group_by(Certificate.scheme)
    )
    counts = {scheme: int(n) for scheme, n in session.execute(stmt)}
    table = Table(
        "certificates_expiring",
        "Certificates expiring in the next 90 days",
        "আগামী ৯০ দিনে মেয়াদ শেষ হবে এমন সনদ",
        "Scheme",
        "সনদের ধরন",
        _one_column("certificates", "Certificates", "সনদ"),
    )
    for scheme in sorted(set(CERTIFICATE_SCHEMES) | set(counts)):
        en, bn = CERTIFICATE_SCHEMES.get(scheme, (scheme, scheme))
        table.add(Label(scheme, en, bn), [int(counts.get(scheme, 0))])
    return table


def scans_by_division(session: Session, today: date) -> Table:
    weeks = week_starts(today)
    columns = [Label(name.lower(), name, bn) for name, bn in DIVISIONS.items()]
    columns.append(Label("unknown", "Unknown", "অজানা"))
    stmt = select(Scan.district, Scan.scanned_at).where(
        Scan.verdict == Verdict.GENUINE.value,
        Scan.scanned_at >= _moment(weeks[0]),
        Scan.scanned_at < _moment(today + timedelta(days=1)),
    )
    counts: Counter[tuple[date, str]] = Counter()
    for district, when in session.execute(stmt):
        day = _utc(when).date()
        division = DISTRICTS[district].division.lower() if district in DISTRICTS else "unknown"
        counts[(day - timedelta(days=day.weekday()), division)] += 1
    table = Table(
        "scans_by_division",
        "Verified scans per division per week",
        "প্রতি সপ্তাহে বিভাগ অনুযায়ী যাচাই করা স্ক্যান",
        "Week from",
        "সপ্তাহ শুরু",
        columns,
    )
    for start in weeks:
        table.add(week_label(start), [counts.get((start, c.key), 0) for c in columns])
    return table


def fake_reports(session: Session, today: date) -> Table:
    months = month_starts(today)
    stmt = select(ConsumerReport.created_at).where(
        ConsumerReport.created_at >= _moment(months[0]),
        ConsumerReport.created_at < _moment(today + timedelta(days=1)),
    )
    moments = [_utc(when) for when in session.scalars(stmt)]
    table = Table(
        "fake_reports",
        "Reports of suspected fakes per month",
        "প্রতি মাসে নকল পণ্যের অভিযোগ",
        "Month",
        "মাস",
        _one_column("reports", "Reports", "অভিযোগ"),
    )
    for start, n in zip(months, _per_month(moments, months), strict=True):
        table.add(month_label(start), [n])
    return table


def compute_statistics(session: Session, today: date, *, now: datetime | None = None) -> Statistics:
    """Every figure as of ``today``."""
    rows = _public_rows(session, today)
    tables = [
        products_by_category(rows),
        products_over_time(session, today),
        products_by_division(rows),
        products_by_district(rows),
        lva_by_category(rows),
        licence_actions(session, today),
        certificates_expiring(session, today),
        scans_by_division(session, today),
        fake_reports(session, today),
    ]
    return Statistics(as_of=today, generated_at=now or datetime.now(UTC), tables=tables)
