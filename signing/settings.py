"""The signing package's settings, derived once from the settings tree (its group ``signing`` and the
core values it needs): the public host, key source, clone rules, scan buffering, the IP-range to district
table."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from config import Settings
from gs1.digital_link import normalize_host
from registry.data.districts import find_district
from signing.errors import SigningError

STATUS_LIST_PATH = "/status/1"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class CloneRules:
    """When a serial counts as possibly copied (documented in docs/formats.md, configurable)."""

    max_devices: int = 6  # distinct clients (addresses, see client_key) that may verify one serial ...
    device_window_days: int = 14  # ... within this many days (0: ever)
    window_hours: int = 2  # scans by two clients in two divisions within this many hours look copied

    def devices_since(self, now: datetime, cleared: datetime | None) -> datetime:
        """The start of the scans whose clients the device rule counts."""
        start = now - timedelta(days=self.device_window_days) if self.device_window_days else EPOCH
        return max(start, cleared or EPOCH)

    def districts_since(self, now: datetime, cleared: datetime | None) -> datetime:
        """The start of the scans whose places the district rule compares."""
        return max(now - timedelta(hours=self.window_hours), cleared or EPOCH)


@dataclass(frozen=True)
class SigningSettings:
    env: str
    instance_path: Path
    public_base_url: str
    key_path: str = ""
    key_passphrase: str = ""
    secret_key: str = ""
    status_ttl: timedelta = timedelta(hours=24)
    scan_flush_ms: int = 0  # 0: each scan in its request's transaction; > 0: buffered (signing.scans)
    clone_rules: CloneRules = field(default_factory=CloneRules)
    ip_districts: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> SigningSettings:
        group, env = settings.signing, settings.core.env
        instance = Path(settings.core.instance_path)
        table_path = group.ip_districts or instance / "ip-districts.csv"
        ranges = load_ip_districts(Path(table_path)) if Path(table_path).is_file() else []
        if env == "development" and not ranges:
            ranges = [
                (ipaddress.ip_network("127.0.0.0/8"), "dhaka"),
                (ipaddress.ip_network("::1/128"), "dhaka"),
            ]
        return cls(
            env=env,
            instance_path=instance,
            public_base_url=settings.public_url(),
            key_path=group.key_path,
            key_passphrase=group.key_passphrase,
            secret_key=settings.core.secret_key,
            status_ttl=timedelta(hours=group.status_ttl_hours),
            scan_flush_ms=scan_flush_ms(env, group.scan_flush_ms),
            clone_rules=CloneRules(
                max_devices=group.clone_max_devices,
                device_window_days=group.clone_device_window_days,
                window_hours=group.clone_window_hours,
            ),
            ip_districts=tuple(ranges),
        )

    @property
    def public_host(self) -> str:
        return normalize_host(self.public_base_url.split("://", 1)[1].split("/", 1)[0])

    @property
    def public_scheme(self) -> str:
        """``https``, or ``http`` when PUBLIC_BASE_URL is a plain-http demo server (so demo labels open)."""
        return "http" if self.public_base_url.startswith("http://") else "https"

    @property
    def status_list_uri(self) -> str:
        return self.public_base_url + STATUS_LIST_PATH


DEFAULT_SCAN_FLUSH_MS = 100


def scan_flush_ms(env: str, setting: Any) -> int:
    """``SIGNING_SCAN_FLUSH_MS``: -1 (the default) buffers scans for 100 ms, except under ``ENV=testing``
    where every test runs inside one rolled-back transaction and scans are written with their request."""
    value = int(setting if setting is not None else -1)
    if value < 0:
        return 0 if env == "testing" else DEFAULT_SCAN_FLUSH_MS
    return value


def load_ip_districts(path: Path) -> list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str]]:
    """Read ``cidr,district`` lines (``#`` comments allowed); districts by code or name."""
    ranges = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        cidr, _, name = text.partition(",")
        district = find_district(name)
        if district is None:
            raise SigningError(f"{path}:{number}: unknown district {name.strip()!r}")
        try:
            ranges.append((ipaddress.ip_network(cidr.strip(), strict=False), district.code))
        except ValueError as exc:
            raise SigningError(f"{path}:{number}: not a network: {cidr!r}") from exc
    return ranges
