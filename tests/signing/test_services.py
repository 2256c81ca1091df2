"""Service helpers that need no database: key-source strings, settings, districts, devices, rate limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from config import settings_from
from signing import EncryptedPKCS8FileKeySource, KeySourceError, PKCS11KeySource, UnsafeDevelopmentKeySource
from signing.keystore import configured_key_source, describe_source, parse_source
from signing.settings import CloneRules, SigningSettings, load_ip_districts
from signing.verification import ScanContext, classify_device, clone_flags, hash_device, locate_district


@pytest.mark.parametrize(
    "source",
    [
        EncryptedPKCS8FileKeySource("/keys/issuing.pem", "pass"),
        UnsafeDevelopmentKeySource("/instance/signing/dev.pem"),
        PKCS11KeySource("/usr/lib/softhsm/libsofthsm2.so", "registry", "pass", "issuing-2026"),
    ],
)
def test_key_sources_are_stored_as_strings_without_secrets(source: object) -> None:
    text = describe_source(source)  # type: ignore[arg-type]
    assert "pass" not in text.replace("passphrase", "")
    assert parse_source(text, "pass") == source


def settings(**changes: object) -> SigningSettings:
    config = {
        "ENV": "development",
        "INSTANCE_PATH": "/nonexistent",
        "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
    }
    config.update(changes)  # type: ignore[arg-type]
    return SigningSettings.from_settings(settings_from(config))


def test_production_refuses_the_development_key() -> None:
    with pytest.raises(KeySourceError, match="production"):
        configured_key_source(settings(ENV="production"))
    assert isinstance(configured_key_source(settings()), UnsafeDevelopmentKeySource)
    pkcs11 = configured_key_source(
        settings(
            ENV="production", SIGNING_KEY_PATH="pkcs11:module=/m.so;token=t;key=k", SIGNING_KEY_PASSPHRASE="1"
        )
    )
    assert pkcs11 == PKCS11KeySource("/m.so", "t", "1", "k")


def test_public_host_and_scheme_follow_public_base_url() -> None:
    demo = settings()
    assert (demo.public_scheme, demo.public_host) == ("http", "127.0.0.1:5000")
    live = settings(PUBLIC_BASE_URL="https://Verify.MIB.gov.bd/")
    assert (live.public_scheme, live.public_host) == ("https", "verify.mib.gov.bd")
    assert live.status_list_uri == "https://Verify.MIB.gov.bd/status/1"


def test_district_comes_from_the_ip_table_only(tmp_path: Path) -> None:
    table = tmp_path / "ip.csv"
    table.write_text("# office ranges\n103.4.144.0/22,Sylhet\n2001:db8::/32,চট্টগ্রাম\n", encoding="utf-8")
    configured = settings(ENV="production", SIGNING_IP_DISTRICTS=str(table), SIGNING_KEY_PATH="/k.pem")
    assert locate_district(configured, ScanContext("103.4.145.9", "")) == ("sylhet", "ip")
    assert locate_district(configured, ScanContext("2001:db8::1", "")) == ("chattogram", "ip")
    assert locate_district(configured, ScanContext("8.8.8.8", "")) == (None, None)
    assert locate_district(configured, ScanContext("not an address", "")) == (None, None)
    assert locate_district(settings(), ScanContext("127.0.0.1", "")) == ("dhaka", "ip")  # demo only
    table.write_text("10.0.0.0/8,Atlantis\n", encoding="utf-8")
    with pytest.raises(Exception, match="unknown district"):
        load_ip_districts(table)


@pytest.mark.parametrize(
    ("agent", "kind"),
    [
        ("Mozilla/5.0 (Linux; Android 13; SM-A145F) Mobile Safari/537.36", "mobile"),
        ("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)", "tablet"),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/133.0", "desktop"),
        ("curl/8.5.0", "bot"),
        ("", "unknown"),
    ],
)
def test_device_class(agent: str, kind: str) -> None:
    assert classify_device(agent) == kind


def test_device_hash_is_keyed_and_short() -> None:
    context = ScanContext("203.0.113.9", "Phone")
    assert len(hash_device("secret-a", context)) == 16
    assert hash_device("secret-a", context) != hash_device("secret-b", context)
    assert "203.0.113.9" not in hash_device("secret-a", context)


def test_one_client_is_one_device_whatever_browser_it_claims() -> None:
    """A bystander cannot make one phone count as many by changing its browser string or its IPv6 address
    within its /64; another address is another client."""
    same = {
        hash_device("k", ScanContext("203.0.113.9", agent))
        for agent in ("Phone", "Other Mobile", "", "curl/8")
    }
    assert len(same) == 1
    v6 = {hash_device("k", ScanContext(f"2001:db8:1:2::{n:x}", "Phone")) for n in range(1, 50)}
    assert len(v6) == 1
    assert hash_device("k", ScanContext("::ffff:203.0.113.9", "Phone")) in same
    assert hash_device("k", ScanContext("203.0.113.10", "Phone")) not in same
    assert hash_device("k", ScanContext("2001:db8:1:3::1", "Phone")) not in v6


def _replay(rules: CloneRules, scans: list[tuple[float, str, str | None]]) -> set[str]:
    """Flags after scans of one unit given as (hours after the first, client, district), as the recorders
    compute them with ``clone_flags``."""
    start = datetime(2026, 5, 1, tzinfo=UTC)
    history: list[tuple[datetime, str, str | None]] = []
    flags: set[str] = set()
    for hours, client, district in scans:
        now = start + timedelta(hours=hours)
        history.append((now, client, district))
        devices_since, districts_since = rules.devices_since(now, None), rules.districts_since(now, None)
        flags = clone_flags(
            rules,
            flags=flags,
            scan_count=len(history),
            client=client,
            district=district,
            devices=lambda since=devices_since: {c for at, c, _ in history if at > since},
            recent=lambda since=districts_since: {(d, c) for at, c, d in history if d and at >= since},
        )
    return flags


def test_the_device_rule_counts_distinct_clients_within_its_window() -> None:
    rules = CloneRules(max_devices=3, device_window_days=14, window_hours=2)
    week = 24 * 7
    assert _replay(rules, [(n, f"c{n}", None) for n in range(4)]) == {"many_devices"}
    assert (
        _replay(rules, [(n * week, f"c{n}", None) for n in range(8)]) == set()
    )  # one a week: an owner's phone
    assert _replay(rules, [(n, "same", None) for n in range(50)]) == set()  # one client, however often


def test_the_district_rule_needs_two_clients_in_two_divisions_within_hours() -> None:
    rules = CloneRules(max_devices=50, device_window_days=14, window_hours=2)
    assert _replay(rules, [(0, "a", "dhaka"), (1, "b", "chattogram")]) == {"far_apart_districts"}
    assert _replay(rules, [(0, "a", "dhaka"), (3, "b", "chattogram")]) == set()  # time enough to travel
    assert _replay(rules, [(0, "a", "dhaka"), (1, "b", "gazipur")]) == set()  # the same division
    assert _replay(rules, [(0, "a", "dhaka"), (1, "a", "chattogram")]) == set()  # one client
    assert _replay(rules, [(0, "a", "dhaka"), (1, "b", None)]) == set()  # an address the table does not place
