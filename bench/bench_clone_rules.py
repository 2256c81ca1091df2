"""How well the copy ("clone") rules tell copied labels from genuine ones, on a simulated stream of scans.

    .venv/bin/python bench/bench_clone_rules.py [--units 20000] [--seed 7]

Not a speed benchmark: it measures the rules' false-flag rate (genuine units that get a copy warning) and their
detection (copied serials that get one, and how many holders of a copy see it), with the rules' own code
(``signing.verification.clone_flags``, shared by both scan recorders), the real mapping from an address to a client
(``hash_device``) and to a district (``locate_district`` over an IP-range table). Writes
bench/results/clone_rules.json; docs/formats.md quotes the figures.

The simulated country (deterministic for a seed):

* fixed broadband: each household, shop or office has one address in a range of its district; the IP table
  lists these ranges (an operator lists only ranges whose place is reliable);
* mobile data: three carriers behind carrier-grade NAT; every browsing session gets a fresh address from the
  carrier's pool, which the IP table does not place (its gateways say nothing about where the phone is);
* ordinary owners (most units): a shop may scan at sale, the owner scans 1-4 times over the first weeks (mostly
  on mobile data, sometimes at home), sometimes a family member once;
* keen owners: 6-20 scans over months, on mobile data;
* resellers: a distributor scans at receipt, a retailer in another division days later, then the buyer;
* travellers: bought in one division and scanned at home in another within a few hours;
* second-hand: a second owner in another division months later;
* copied labels: a genuine serial printed on 5-50 fakes sold across the country over 1-2 months, each buyer
  scanning 1-3 times; the genuine owner scans too;
* griefers: one person scanning someone else's genuine unit 200 times with changing browsers and a
  ``?district=`` claim (which the service ignores) — must never flag it.
"""

from __future__ import annotations

import argparse
import ipaddress
import random
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._machine import write_result  # noqa: E402
from registry.data.districts import DISTRICTS  # noqa: E402
from signing.settings import CloneRules, SigningSettings  # noqa: E402
from signing.verification import ScanContext, clone_flags, hash_device, locate_district  # noqa: E402

START = datetime(2026, 1, 1, tzinfo=UTC)
CODES = sorted(DISTRICTS)
HASH_KEY = "bench-clone-rules"  # noqa: S105 - keys the simulated client hashes, guards nothing


@dataclass(order=True)
class SimScan:
    at: datetime
    ip: str = field(compare=False)
    agent: str = field(compare=False, default="Mozilla/5.0 (Linux; Android 13) Mobile")
    copy_holder: bool = field(compare=False, default=False)


class Country:
    """Addresses: broadband per district (placed by the IP table), mobile pools (not placed)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.ranges = [(ipaddress.ip_network(f"10.{i}.0.0/16"), code) for i, code in enumerate(CODES)]
        self.index = {code: i for i, code in enumerate(CODES)}

    def settings(self) -> SigningSettings:
        return SigningSettings(
            env="testing", instance_path=ROOT, public_base_url="https://x", ip_districts=tuple(self.ranges)
        )

    def broadband(self, district: str) -> str:
        """A fixed address in ``district`` (one household, shop or office)."""
        return f"10.{self.index[district]}.{self.rng.randrange(256)}.{self.rng.randrange(1, 255)}"

    def mobile(self) -> str:
        """A fresh carrier-grade-NAT address (one browsing session on mobile data)."""
        carrier = self.rng.randrange(3)
        return f"100.{64 + carrier * 16 + self.rng.randrange(16)}.{self.rng.randrange(256)}.{self.rng.randrange(1, 255)}"

    def district(self, *, other_division_than: str | None = None) -> str:
        while True:
            code = self.rng.choice(CODES)
            if (
                other_division_than is None
                or DISTRICTS[code].division != DISTRICTS[other_division_than].division
            ):
                return code


def owner_scans(country: Country, rng: random.Random, sold: datetime, home: str) -> list[SimScan]:
    scans = []
    if rng.random() < 0.3:  # the shop scans at sale
        scans.append(SimScan(sold, country.broadband(home)))
    for _ in range(rng.randint(1, 4)):
        at = sold + timedelta(minutes=rng.randint(5, 60 * 24 * 21))
        ip = country.mobile() if rng.random() < 0.75 else country.broadband(home)
        scans.append(SimScan(at, ip))
    if rng.random() < 0.2:  # a family member
        scans.append(SimScan(sold + timedelta(hours=rng.randint(1, 24 * 30)), country.mobile()))
    return scans


def scenario_ordinary(country: Country, rng: random.Random, sold: datetime) -> list[SimScan]:
    return owner_scans(country, rng, sold, country.district())


def scenario_keen(country: Country, rng: random.Random, sold: datetime) -> list[SimScan]:
    home = country.district()
    scans = [
        SimScan(sold + timedelta(hours=rng.randint(1, 24 * 180)), country.mobile())
        for _ in range(rng.randint(6, 20))
    ]
    return scans + [SimScan(sold + timedelta(hours=rng.randint(1, 24 * 180)), country.broadband(home))]


def scenario_reseller(country: Country, rng: random.Random, sold: datetime) -> list[SimScan]:
    hub = country.district()
    shop = country.district(other_division_than=hub)
    scans = [SimScan(sold, country.broadband(hub))]
    retail = sold + timedelta(days=rng.randint(2, 20))
    scans.append(SimScan(retail, country.broadband(shop)))
    return scans + owner_scans(country, rng, retail + timedelta(days=rng.randint(0, 30)), shop)


def scenario_traveller(country: Country, rng: random.Random, sold: datetime) -> list[SimScan]:
    shop = country.district()
    home = country.district(other_division_than=shop)
    return [
        SimScan(sold, country.broadband(shop)),
        SimScan(sold + timedelta(hours=rng.uniform(2, 5.5)), country.broadband(home)),
    ] + [
        SimScan(sold + timedelta(days=rng.randint(1, 40)), country.mobile()) for _ in range(rng.randint(0, 2))
    ]


def scenario_second_hand(country: Country, rng: random.Random, sold: datetime) -> list[SimScan]:
    first = country.district()
    scans = owner_scans(country, rng, sold, first)
    later = sold + timedelta(days=rng.randint(90, 300))
    return scans + owner_scans(country, rng, later, country.district(other_division_than=first))


def scenario_griefed(country: Country, rng: random.Random, sold: datetime) -> list[SimScan]:
    scans = owner_scans(country, rng, sold, country.district())
    griefer = country.broadband(country.district())
    when = sold + timedelta(days=rng.randint(1, 30))
    return scans + [
        SimScan(
            when + timedelta(seconds=20 * n),
            griefer,
            agent=f"Browser/{n} (claims district {rng.choice(CODES)})",
        )
        for n in range(200)
    ]


def scenario_copied(country: Country, rng: random.Random, sold: datetime) -> list[SimScan]:
    scans = owner_scans(country, rng, sold, country.district())
    for _ in range(rng.randint(5, 50)):
        bought = sold + timedelta(hours=rng.randint(24, 24 * 60))
        where = country.district()
        for n in range(rng.randint(1, 3)):
            mobile = rng.random() < 0.7
            ip = country.mobile() if mobile else country.broadband(where)
            scans.append(
                SimScan(bought + timedelta(minutes=rng.randint(0, 60 * 24 * 3) * n), ip, copy_holder=True)
            )
    return scans


GENUINE: dict[str, tuple[float, Callable[[Country, random.Random, datetime], list[SimScan]]]] = {
    "ordinary owner": (0.60, scenario_ordinary),
    "keen owner": (0.08, scenario_keen),
    "reseller chain": (0.20, scenario_reseller),
    "traveller": (0.05, scenario_traveller),
    "second-hand": (0.05, scenario_second_hand),
    "griefed by one client": (0.02, scenario_griefed),
}


def replay(scans: list[SimScan], rules: CloneRules, settings: SigningSettings) -> list[set[str]]:
    """The flags each scan's verdict shows, scan by scan in time order (as ``apply_clone_rules`` computes them)."""
    history: list[tuple[datetime, str, str | None]] = []  # (at, client, district)
    flags: set[str] = set()
    shown = []
    for scan in sorted(scans):
        context = ScanContext(scan.ip, scan.agent)
        client = hash_device(HASH_KEY, context)
        district, _ = locate_district(settings, context)
        history.append((scan.at, client, district))
        devices_since = rules.devices_since(scan.at, None)
        districts_since = rules.districts_since(scan.at, None)
        flags = clone_flags(
            rules,
            flags=flags,
            scan_count=len(history),
            client=client,
            district=district,
            devices=lambda since=devices_since: {c for at, c, _ in history if at > since},
            recent=lambda since=districts_since: {
                (d, c) for at, c, d in history if d is not None and at >= since
            },
        )
        shown.append(set(flags))
    return shown


def measure(units: int, seed: int, rules: CloneRules) -> dict[str, object]:
    rng = random.Random(seed)
    country = Country(rng)
    settings = country.settings()
    genuine: dict[str, list[bool]] = {name: [] for name in GENUINE}
    by_flag: dict[str, int] = {}
    names = list(GENUINE)
    weights = [GENUINE[name][0] for name in names]
    copied_units = max(1, units // 20)
    for _ in range(units):
        name = rng.choices(names, weights)[0]
        sold = START + timedelta(days=rng.randint(0, 200))
        shown = replay(GENUINE[name][1](country, rng, sold), rules, settings)
        flagged = bool(shown and shown[-1])
        genuine[name].append(flagged)
        for flag in shown[-1] if shown else ():
            by_flag[flag] = by_flag.get(flag, 0) + 1
    detected, warned, holders, copy_scans_to_flag = 0, 0, 0, []
    for _ in range(copied_units):
        sold = START + timedelta(days=rng.randint(0, 200))
        scans = sorted(scenario_copied(country, rng, sold))
        shown = replay(scans, rules, settings)
        if shown and shown[-1]:
            detected += 1
            copy_scans_to_flag.append(
                next(i for i, f in enumerate(shown) if f)
                + 1
                - sum(not s.copy_holder for s in scans[: next(i for i, f in enumerate(shown) if f)])
            )
        holder_scans = [flags for scan, flags in zip(scans, shown, strict=True) if scan.copy_holder]
        holders += len(holder_scans)
        warned += sum(bool(flags) for flags in holder_scans)
    total_genuine = sum(len(v) for v in genuine.values())
    false_flags = sum(sum(v) for v in genuine.values())
    return {
        "rules": {
            "max_devices": rules.max_devices,
            "device_window_days": rules.device_window_days,
            "window_hours": rules.window_hours,
        },
        "genuine_units": total_genuine,
        "false_flag_rate": round(false_flags / total_genuine, 4),
        "false_flag_rate_by_scenario": {
            name: {"units": len(v), "flagged": sum(v), "rate": round(sum(v) / len(v), 4) if v else None}
            for name, v in genuine.items()
        },
        "false_flags_by_rule": by_flag,
        "copied_serials": copied_units,
        "detection_rate": round(detected / copied_units, 4),
        "copy_holder_scans_warned": round(warned / holders, 4) if holders else None,
        "median_copy_scans_before_flag": statistics.median(copy_scans_to_flag)
        if copy_scans_to_flag
        else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--units", type=int, default=20_000, help="genuine units (copied serials: 1 in 20 of that)"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    default = CloneRules()
    results = {"default": measure(args.units, args.seed, default)}
    # the rules as they were before this simulation (lifetime device count of 5, 6-hour district window), and
    # neighbours of the defaults: what an operator trades by changing them
    for name, rules in {
        "previous (5 ever, 6 h)": CloneRules(max_devices=5, device_window_days=0, window_hours=6),
        "max_devices=5": replace(default, max_devices=5),
        "max_devices=8": replace(default, max_devices=8),
        "device_window_days=30": replace(default, device_window_days=30),
        "window_hours=3": replace(default, window_hours=3),
    }.items():
        results[name] = measure(args.units, args.seed, rules)
    for name, figures in results.items():
        print(
            f"{name:24} false flags {figures['false_flag_rate']:.2%}  detection {figures['detection_rate']:.2%}  "
            f"copy holders warned {figures['copy_holder_scans_warned']:.2%}"
        )
        for scenario, row in figures["false_flag_rate_by_scenario"].items():  # type: ignore[union-attr]
            print(f"    {scenario:24} {row['flagged']:5}/{row['units']:<6} flagged")
    path = write_result("clone_rules", {"units": args.units, "seed": args.seed, "results": results})
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
