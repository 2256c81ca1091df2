"""Online verification of a label URL and the clone rules: the scan context, device and district, the
unit upsert and scan recording, the verdict (``Outcome``) and its JSON shape. ``signing.scans`` buffers
what ``record_scan`` writes."""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from core.ratelimit import client_key
from gs1.errors import LabelURLError
from registry.data.districts import DISTRICTS
from registry.models import Product, ProductStatus
from signing.batches import UNCACHED, CatalogueCache, find_batch
from signing.errors import Reason, Verdict, VerificationError
from signing.keys import (
    KeyRing,
)
from signing.labels import LabelURL, parse_label_url, verify_label_url
from signing.models import (
    Scan,
    SerialBatch,
    Unit,
)
from signing.recalls import (
    RecallNotice,
    find_unit_recall,
)
from signing.settings import CloneRules, SigningSettings


@dataclass(frozen=True)
class ScanContext:
    """What we may know about the person verifying: nothing more personal than this.

    ``ip`` is the client's address as the server sees it (behind a trusted proxy, the address that proxy
    reports); nothing a client sends in a parameter or header feeds the clone rules."""

    ip: str
    user_agent: str


_BOT = re.compile(r"bot|crawl|spider|slurp|curl|wget|python|httpie|go-http", re.IGNORECASE)
_TABLET = re.compile(r"ipad|tablet", re.IGNORECASE)
_MOBILE = re.compile(r"mobi|android|iphone|ipod|opera mini", re.IGNORECASE)


def classify_device(user_agent: str) -> str:
    if not user_agent:
        return "unknown"
    if _BOT.search(user_agent):
        return "bot"
    if _TABLET.search(user_agent):
        return "tablet"
    if _MOBILE.search(user_agent):
        return "mobile"
    return "desktop"


def hash_device(secret: str, context: ScanContext) -> str:
    """A keyed, truncated hash of the client (``client_key`` of its address): counts distinct clients without
    storing addresses.  The browser string is left out on purpose: one client that changes it is still one."""
    keyed = device_hasher(secret).copy()
    keyed.update(client_key(context.ip).encode())
    return keyed.hexdigest()[:16]


@functools.lru_cache(maxsize=8)
def device_hasher(secret: str) -> hmac.HMAC:
    """The HMAC keyed with ``secret``, ready to copy (keying it costs more than hashing a short message)."""
    return hmac.new(secret.encode() or b"-", digestmod=hashlib.sha256)


def locate_district(settings: SigningSettings, context: ScanContext) -> tuple[str | None, str | None]:
    """(district code, ``"ip"``) from the configured IP-range table and the server's view of the client's
    address, or (None, None).  Never from anything the client sends: a bystander must not be able to place a
    scan in another division."""
    try:
        address = ipaddress.ip_address(context.ip)
    except ValueError:
        return None, None
    for network, code in settings.ip_districts:
        if address in network:
            return code, "ip"
    return None, None


def division_of(code: str | None) -> str | None:
    district = DISTRICTS.get(code or "")
    return district.division if district else None


def clone_flags(
    rules: CloneRules,
    *,
    flags: set[str],
    scan_count: int,
    client: str,
    district: str | None,
    devices: Callable[[], set[str]],
    recent: Callable[[], set[tuple[str, str]]],
) -> set[str]:
    """The clone rules (docs/formats.md, *Copied labels*) for one new scan of a unit, already counted in
    ``scan_count``; ``flags`` are those the unit has.  Reads lazily: ``devices()`` gives the distinct client
    hashes of the unit's scans since its flags were last cleared (this scan included), ``recent()`` the
    (district, client hash) pairs of its scans within the window (and since the last clearing).

    * ``many_devices``: more than ``max_devices`` distinct clients within ``device_window_days``.  One client
      scanning again and again, with any browser, is one client.
    * ``far_apart_districts``: this scan and one by *another* client lie in different divisions within
      ``window_hours``.  Districts come from the server's view of the address only.
    """
    flags = set(flags)
    # clients <= scans: no read until the count could exceed the limit
    if scan_count > rules.max_devices and "many_devices" not in flags and len(devices()) > rules.max_devices:
        flags.add("many_devices")
    if district and scan_count > 1 and "far_apart_districts" not in flags:
        division = division_of(district)
        if any(other_client != client and division_of(other) != division for other, other_client in recent()):
            flags.add("far_apart_districts")
    return flags


def apply_clone_rules(
    connection: Connection,
    unit: Unit,
    rules: CloneRules,
    district: str | None,
    client: str,
    *,
    now: datetime,
) -> list[str]:
    """Flag ``unit`` as possibly copied, given its new scan in ``district`` by ``client`` (already stored, and
    counted in ``unit.scan_count``); returns the flags that are set.

    Reads with prepared Core statements and writes the unit row only when its flags change.  A unit's first
    scan is its only scan, so the district rule has nothing to compare it with and reads nothing.
    """
    devices_since = rules.devices_since(now, unit.flags_cleared_at)
    districts_since = rules.districts_since(now, unit.flags_cleared_at)
    before = set(unit.flags or [])
    flags = clone_flags(
        rules,
        flags=before,
        scan_count=unit.scan_count,
        client=client,
        district=district,
        devices=lambda: set(
            connection.execute(UNIT_DEVICES, {"unit_id": unit.id, "since": devices_since}).scalars()
        ),
        recent=lambda: {
            (row[0], row[1])
            for row in connection.execute(
                RECENT_UNIT_DISTRICTS, {"unit_id": unit.id, "since": districts_since}
            )
        },
    )
    if flags != before:
        unit.flags = sorted(flags)
        unit.flagged_at = unit.flagged_at or now
        connection.execute(
            update(UNITS)
            .where(UNITS.c.id == unit.id)
            .values(flags=unit.flags, flagged_at=func.coalesce(UNITS.c.flagged_at, unit.flagged_at))
        )
    return sorted(flags)


UNITS = cast(Table, Unit.__table__)
SCANS = cast(Table, Scan.__table__)
UNIT_DEVICES = (
    select(SCANS.c.device_hash)
    .where(
        SCANS.c.unit_id == bindparam("unit_id"),
        SCANS.c.scanned_at > bindparam("since", type_=SCANS.c.scanned_at.type),
    )
    .distinct()
)
RECENT_UNIT_DISTRICTS = (
    select(SCANS.c.district, SCANS.c.device_hash)
    .where(
        SCANS.c.unit_id == bindparam("unit_id"),
        SCANS.c.scanned_at >= bindparam("since", type_=SCANS.c.scanned_at.type),
        SCANS.c.district.is_not(None),
    )
    .distinct()
)


@dataclass(frozen=True)
class UnitSighting:
    """What a scan shows of its unit when the unit row is not at hand (buffered scan recording)."""

    first_seen_at: datetime | None
    first_district: str | None
    scan_count: int


@dataclass
class Outcome:
    """The online verdict of one label URL, with everything the page and the JSON show."""

    verdict: Verdict
    reasons: list[dict[str, str]] = field(default_factory=list)
    label: LabelURL | None = None
    product: Product | None = None
    batch: SerialBatch | None = None
    unit: Unit | UnitSighting | None = None
    flags: list[str] = field(default_factory=list)
    recall: RecallNotice | None = None

    def recalled(self, notice: RecallNotice | None, reason: Reason) -> None:
        """A genuine label of a recalled unit, batch or product: ``recalled`` with the recall's words."""
        if self.recall is None and notice is not None:
            self.recall = notice
        self.fail(Verdict.RECALLED, reason.value, f"this {reason.value.split('_')[0]} has been recalled")

    def fail(self, verdict: Verdict, code: str, detail: str) -> None:
        if (
            self.verdict is Verdict.GENUINE
            or self.verdict is Verdict.UNKNOWN
            and verdict is not Verdict.UNKNOWN
        ):
            self.verdict = verdict
        self.reasons.append({"code": code, "detail": detail})


def verify_online(
    session: Session, keyring: KeyRing, url: str, *, now: datetime, cache: CatalogueCache | None = None
) -> Outcome:
    """Verify a label URL against the registry's own records (no scan is recorded here).

    1. parse the URL — malformed is ``not_genuine``;
    2. find the product by GTIN — none is ``unknown``;
    3. a product URL without a signature shows the product, with no unit authenticity;
    4. check the signature with the registry's keyring (complete, so an unknown key is ``not_genuine``),
       and the issue day: later than ``now`` plus ``CLOCK_TOLERANCE`` is ``not_genuine`` (``future_dated``);
    5. the serial must belong to a batch of that product; for a label signed by a key that has since been
       compromised (dated before the compromise), the batch must have been created before the compromise;
    6. the licence, the batch and the unit must not be withdrawn;
    7. a genuine label of a recalled product or batch is ``recalled`` (a recalled unit: ``record_scan``).
    """
    outcome = Outcome(Verdict.GENUINE)
    # 1.
    try:
        label = parse_label_url(url)
    except LabelURLError as exc:
        outcome.fail(Verdict.NOT_GENUINE, Reason.MALFORMED.value, str(exc))
        return outcome
    outcome.label = label
    # 2.
    product = (cache or UNCACHED).product(session, label.gtin)
    outcome.product = product
    # 3. and 4.
    try:
        verify_label_url(label, keyring, now=now)
    except VerificationError as exc:
        if exc.reason is Reason.NO_UNIT_SIGNATURE:
            outcome.fail(
                Verdict.UNKNOWN, exc.reason.value, "a product address: no unit authenticity is shown"
            )
        elif exc.reason is Reason.UNKNOWN_KEY:
            outcome.fail(Verdict.NOT_GENUINE, exc.reason.value, "signed with a key the registry never used")
        else:
            outcome.fail(exc.verdict, exc.reason.value, exc.detail)
    if product is None:
        outcome.fail(
            Verdict.UNKNOWN, "product_not_registered", f"no registered product has GTIN {label.gtin}"
        )
        return outcome
    # 5.
    if label.serial is not None and outcome.verdict is not Verdict.NOT_GENUINE:
        outcome.batch = find_batch(session, label.gtin, label.serial, cache=cache)
        if outcome.batch is None:
            outcome.fail(
                Verdict.NOT_GENUINE, "serial_not_issued", "no batch of this product issued this serial"
            )
        else:
            check_batch_before_compromise(outcome, keyring, label, outcome.batch)
    # 6.
    state = product.licence_state(now.date())
    if state == ProductStatus.SUSPENDED:
        outcome.fail(Verdict.SUSPENDED, Reason.LICENCE_SUSPENDED.value, "the brand licence is suspended")
    elif state == ProductStatus.REVOKED:
        outcome.fail(Verdict.REVOKED, Reason.LICENCE_REVOKED.value, "the brand licence has been revoked")
    elif state == ProductStatus.EXPIRED:
        outcome.fail(Verdict.EXPIRED, Reason.LICENCE_EXPIRED.value, "the brand licence has expired")
    elif state != ProductStatus.LICENSED:
        outcome.fail(Verdict.UNKNOWN, "not_licensed", f"the product is not licensed ({state})")
    if outcome.batch is not None and outcome.batch.status != "active":
        if outcome.batch.status == "suspended":
            outcome.fail(Verdict.SUSPENDED, Reason.BATCH_SUSPENDED.value, "this batch of labels is suspended")
        else:
            outcome.fail(Verdict.REVOKED, Reason.BATCH_REVOKED.value, "this batch of labels has been revoked")
    # 7.
    if outcome.verdict is not Verdict.NOT_GENUINE and outcome.verdict is not Verdict.UNTRUSTED_KEY:
        recalls = (cache or UNCACHED).recalls(session, label.gtin)
        if recalls.product is not None:
            outcome.recalled(recalls.product, Reason.PRODUCT_RECALLED)
        elif outcome.batch is not None and (notice := recalls.covering(outcome.batch.id)) is not None:
            outcome.recalled(notice, Reason.BATCH_RECALLED)
    return outcome


def check_batch_before_compromise(
    outcome: Outcome, keyring: KeyRing, label: LabelURL, batch: SerialBatch
) -> None:
    """Step 5 of :func:`verify_online` for a key compromised after the label's issue day: a thief can back-date
    labels, so only serials of batches the registry created before the compromise are accepted."""
    if outcome.verdict is Verdict.NOT_GENUINE or label.key_tag is None:
        return
    key = next((key for key in keyring if key.key_tag == label.key_tag), None)
    if key is None or key.compromised_after is None:
        return
    if batch.created_at >= key.compromised_after:
        outcome.fail(
            Verdict.NOT_GENUINE,
            Reason.BATCH_AFTER_COMPROMISE.value,
            "this batch was created after the key that signed the label was compromised",
        )


@functools.cache
def unit_upsert_statement(dialect: str) -> Any:
    """``INSERT ... ON CONFLICT (gtin, serial) DO UPDATE ... RETURNING`` for units, built once per dialect."""
    units = UNITS
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(units).values(
        {name: bindparam(name, type_=units.c[name].type) for name in UNIT_INSERT_COLUMNS}
    )
    return stmt.on_conflict_do_update(
        index_elements=[units.c.gtin, units.c.serial],
        set_={  # every right-hand side reads the row as it was before this scan
            "scan_count": func.coalesce(units.c.scan_count, 0) + 1,
            "first_seen_at": func.coalesce(units.c.first_seen_at, stmt.excluded.first_seen_at),
            "first_district": case(
                (units.c.first_seen_at.is_(None), stmt.excluded.first_district),
                else_=units.c.first_district,
            ),
        },
    ).returning(*(units.c[name] for name in UNIT_COLUMNS))


def upsert_unit(
    connection: Connection, batch: SerialBatch, serial: str, district: str | None, *, now: datetime
) -> Unit:
    """Count one scan of ``serial`` in one statement: create its unit row at the first scan (first seen now,
    in ``district``), else add one to its scan count.  Returns the row as it is after the scan (a transient
    ``Unit``, not in the session)."""
    stmt = unit_upsert_statement(connection.dialect.name)
    row = connection.execute(
        stmt,
        {
            "gtin": batch.gtin,
            "serial": serial,
            "batch_id": batch.id,
            "product_id": batch.product_id,
            "first_seen_at": now,
            "first_district": district,
            "scan_count": 1,
            "flags": [],
        },
    ).one()
    return Unit(**dict(zip(UNIT_COLUMNS, row, strict=True)))


UNIT_INSERT_COLUMNS = (
    "gtin",
    "serial",
    "batch_id",
    "product_id",
    "first_seen_at",
    "first_district",
    "scan_count",
    "flags",
)
UNIT_COLUMNS = ("id", *UNIT_INSERT_COLUMNS, "flagged_at", "recalled_at", "recall_reason", "flags_cleared_at")


SCAN_INSERT = insert(SCANS)


def record_scan(
    session: Session, settings: SigningSettings, outcome: Outcome, context: ScanContext, *, now: datetime
) -> None:
    """Record the scan; for a unit of a known batch, update first sighting, count and clone flags.

    At most three statements for a unit (upsert the unit, insert the scan, read the unit's recent districts
    when the scan has one and is not the unit's first), with prepared Core statements: no ORM flush."""
    label = outcome.label
    if label is None:
        return
    district, source = locate_district(settings, context)
    client = hash_device(settings.secret_key, context)
    connection = session.connection()  # the session's transaction; Core statements on it, no ORM flush
    unit = None
    if label.serial is not None and outcome.batch is not None:
        unit = upsert_unit(connection, outcome.batch, label.serial, district, now=now)
        if unit.recalled_at is not None:
            outcome.recalled(find_unit_recall(session, label.gtin, label.serial), Reason.UNIT_RECALLED)
    connection.execute(
        SCAN_INSERT,
        {
            "unit_id": unit.id if unit is not None else None,
            "gtin": label.gtin,
            "serial": label.serial,
            "scanned_at": now,
            "verdict": outcome.verdict.value,
            "district": district,
            "location_source": source,
            "device_class": classify_device(context.user_agent),
            "device_hash": client,
        },
    )
    if unit is not None:
        outcome.unit = unit
        outcome.flags = apply_clone_rules(connection, unit, settings.clone_rules, district, client, now=now)


def district_names(code: str | None) -> dict[str, str | None]:
    district = DISTRICTS.get(code or "")
    return {
        "district": code,
        "district_name": district.name_en if district else None,
        "district_name_bn": district.name_bn if district else None,
    }


FLAG_TEXT = {
    "many_devices": "verified from more devices than one unit normally is",
    "far_apart_districts": "verified in far-apart districts within a few hours",
}


def outcome_to_dict(outcome: Outcome, *, today: date, cache: CatalogueCache | None = None) -> dict[str, Any]:
    """The JSON verdict (also the context of the verification page).

    With ``cache``, the product's part is built once per cached product and day and shared between verdicts:
    treat the returned dictionary as read-only."""
    product, label, unit = outcome.product, outcome.label, outcome.unit
    body: dict[str, Any] = {
        "verdict": outcome.verdict.value,
        "reasons": outcome.reasons,
        "gtin": label.gtin if label else None,
        "serial": label.serial if label else None,
        "issued_on": label.issued_on.isoformat() if label and label.issued_on else None,
        "product_only": bool(label and label.serial is None),
    }
    if product is not None:
        body.update((cache or UNCACHED).product_body(product, today))
    if unit is not None:
        body["first_seen"] = {
            "at": unit.first_seen_at.isoformat() if unit.first_seen_at else None,
            **district_names(unit.first_district),
        }
        body["scan_count"] = unit.scan_count
        # a copy warning only on a label that is otherwise genuine: a recalled, withdrawn or forged label has
        # its own verdict, and a consumer must not read it as "someone copied this"
        body["clone_warning"] = (
            {"flags": outcome.flags, "reasons": [FLAG_TEXT.get(flag, flag) for flag in outcome.flags]}
            if outcome.flags and outcome.verdict is Verdict.GENUINE
            else False
        )
    if outcome.recall is not None:
        body["recall"] = outcome.recall.to_json()
    return body
