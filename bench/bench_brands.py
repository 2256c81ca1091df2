"""Brand conflict check: a new brand against 10,000 registered brands (``registry.brands.find_conflicts``:
exact keys by index, near keys by rapidfuzz over the keys of similar length), on SQLite in process.
Writes bench/results/brands.json with the load average and the machine.

    .venv/bin/python bench/bench_brands.py [--brands 10000] [--checks 300]

The register is made of invented names from Bangla syllables, each in Latin and Bangla letters; the checks
mix look-alikes of registered names (a letter changed, a digit for a letter, a Cyrillic letter) with new
names. No reference implementation exists, so the figures are absolute (ms per check) beside a budget of
50 ms per check (a registration request must not wait for the register).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._machine import write_result  # noqa: E402

BUDGET_MS = 50.0
# Latin and Bangla spellings of the same syllables: 20 consonants by 5 vowels
CONSONANTS = [
    ("k", "ক"), ("kh", "খ"), ("g", "গ"), ("ch", "চ"), ("j", "জ"), ("t", "ট"), ("th", "থ"), ("d", "দ"),
    ("dh", "ধ"), ("n", "ন"), ("p", "প"), ("ph", "ফ"), ("b", "ব"), ("bh", "ভ"), ("m", "ম"), ("r", "র"),
    ("l", "ল"), ("sh", "শ"), ("s", "স"), ("h", "হ"),
]  # fmt: skip
VOWELS = [("a", "া"), ("i", "ি"), ("u", "ু"), ("e", "ে"), ("o", "ো")]
SYLLABLES = [(c + v, cb + vb) for c, cb in CONSONANTS for v, vb in VOWELS]


def invented(rng: random.Random) -> tuple[str, str]:
    parts = [rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))]
    return "".join(p[0] for p in parts).capitalize(), "".join(p[1] for p in parts)


def look_alike(name: str, rng: random.Random) -> str:
    i = rng.randrange(len(name))
    return rng.choice(
        [
            name[:i] + name[i + 1 :],  # a letter left out
            name.replace("l", "1").replace("o", "0"),  # digits for letters
            name.replace("a", "\u0430", 1),  # Cyrillic a
            name.upper(),
            name[:i] + " " + name[i:],
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--brands", type=int, default=10_000)
    parser.add_argument("--checks", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["REGISTRY_INSTANCE_PATH"] = tmp
        os.environ["REGISTRY_ENV"] = "testing"
        from app import create_app
        from core.migrate import upgrade_database
        from registry.brands import add_keys, find_conflicts
        from registry.factories import ManufacturerFactory, bind_factories
        from registry.models import Brand

        app = create_app()
        db = app.extensions["core.db"]
        upgrade_database(db.engine)
        rng = random.Random(23)
        started = time.perf_counter()
        with app.app_context():
            session = db.session()
            bind_factories(session)
            owners = [ManufacturerFactory(status="verified") for _ in range(50)]
            session.flush()
            names: dict[str, tuple[str, str]] = {}
            while len(names) < args.brands:
                en, bn = invented(rng)
                names.setdefault(en.casefold(), (en, bn))
            registered = list(names.values())
            for n, (en, bn) in enumerate(registered):
                brand = Brand(
                    name_en=en, name_bn=bn, owner_id=owners[n % 50].id, status="registered", conflicts=[]
                )
                add_keys(session, brand)
                session.add(brand)
            session.commit()
            seeded = time.perf_counter() - started
            checks = []
            for n in range(args.checks):
                if n % 2:
                    en, bn = rng.choice(registered)
                    checks.append((look_alike(en, rng), bn))
                else:
                    checks.append(invented(rng))
            timings, conflicted = [], 0
            for en, bn in checks:
                t = time.perf_counter()
                found = find_conflicts(session, en, bn)
                timings.append((time.perf_counter() - t) * 1000)
                conflicted += bool(found)
            session.close()
    timings.sort()
    result = {
        "what": "find_conflicts of one new brand (both spellings) against the register, SQLite, in process",
        "brands": args.brands,
        "checks": args.checks,
        "checks_with_conflicts": conflicted,
        "seed_seconds": round(seeded, 1),
        "median_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
        "max_ms": round(timings[-1], 2),
        "budget_ms": BUDGET_MS,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    path = write_result("brands", result)
    print(result, "->", path)


if __name__ == "__main__":
    main()
