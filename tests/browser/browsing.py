"""Helpers for the browser tests: screenshots, signing in, axe-core."""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("REGISTRY_TEST_CHROMIUM", "/usr/bin/chromium")
# As root Chromium needs --no-sandbox; the rest stop it reaching for the internet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "correct horse battery"


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Any, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state()


def run_axe(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the current page (WCAG 2.0/2.1/2.2 A and AA rules)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})"""
    )
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in bad
    ]


def describe(violations: list[dict[str, Any]]) -> str:
    return json.dumps(violations, ensure_ascii=False, indent=1)


@dataclass
class Site:
    """The running server and the fixed data it was seeded with."""

    base_url: str
    app: Any
    reviewer_email: str = "reviewer@registry.example.gov.bd"
    maker_email: str = "owner@ekota.example.com.bd"
    products: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)

    def local(self, label_url: str) -> str:
        """A label URL as this plain-HTTP test server answers it. Labels print the scheme of PUBLIC_BASE_URL
        (http here, https in production); the scheme is not part of the signature, the host is."""
        scheme, _, rest = label_url.partition("://")
        assert scheme.lower() in ("http", "https")
        assert rest.startswith(self.base_url.partition("://")[2]), "the label names this server's host"
        return "http://" + rest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed_site(app: Any) -> dict[str, Any]:
    """A small fixed bilingual catalogue: two manufacturers, laptops, phones and UPSes with certificates."""
    from core.models import Role, User
    from registry.accounts import hash_password
    from registry.factories import ManufacturerFactory, bind_factories
    from registry.models import Certificate, Product, ProductStatus
    from search.indexing import reindex_catalogue
    from signing.batches import create_batch, iter_batch_urls

    db = app.extensions["core.db"]
    app.extensions["signing"].ready()  # registers the issuing key in its own transaction first
    s = db.session()
    bind_factories(s)
    today = datetime.now(UTC).date()
    ekota = ManufacturerFactory(
        legal_name_en="Ekota Electronics Ltd.", legal_name_bn="একতা ইলেকট্রনিক্স লিমিটেড", district="dhaka"
    )
    padma = ManufacturerFactory(
        legal_name_en="Padma Tech Ltd.", legal_name_bn="পদ্মা টেক লিমিটেড", district="gazipur"
    )
    s.add_all(
        [
            User(
                email="reviewer@registry.example.gov.bd",
                name="Reviewer",
                role=Role.REVIEWER,
                password_hash=hash_password(PASSWORD),
            ),
            User(
                email="owner@ekota.example.com.bd",
                name="Ekota Owner",
                role=Role.MANUFACTURER,
                manufacturer_id=ekota.id,
                is_owner=True,
                password_hash=hash_password(PASSWORD),
            ),
        ]
    )

    def cert(maker: Any, scheme: str, n: int, valid: bool = True) -> Certificate:
        c = Certificate(
            manufacturer_id=maker.id,
            scheme=scheme,
            number=f"{scheme}-{n:04d}",
            issuer=scheme,
            valid_from=today - timedelta(days=400),
            valid_until=today + timedelta(days=400) if valid else today - timedelta(days=5),
        )
        s.add(c)
        return c

    bsti_e, btrc_e, bsti_p, btrc_p = (
        cert(ekota, "BSTI", 1),
        cert(ekota, "BTRC", 2),
        cert(padma, "BSTI", 3),
        cert(padma, "BTRC", 4),
    )
    old_bsti = cert(padma, "BSTI", 5, valid=False)
    start = today - timedelta(days=30)
    rows = [
        # key, maker, category, name_en, name_bn, lva, certificates
        ("laptop-a", ekota, "laptops", "Ekota Laptop L14", "একতা ল্যাপটপ এল১৪", 62, [bsti_e]),
        ("laptop-b", ekota, "laptops", "Ekota Laptop L15", "একতা ল্যাপটপ এল১৫", 41, [bsti_e]),
        ("laptop-c", padma, "laptops", "Padma Notebook P3", "পদ্মা নোটবুক পি৩", 75, [bsti_p]),
        ("laptop-d", padma, "laptops", "Padma Notebook P5", "পদ্মা নোটবুক পি৫", 58, [old_bsti]),
        ("laptop-e", padma, "laptops", "Padma Laptop Air", "পদ্মা ল্যাপটপ এয়ার", 30, []),
        ("phone-a", ekota, "phones", "Ekota Smartphone E5", "একতা স্মার্টফোন ই৫", 45, [btrc_e]),
        ("phone-b", padma, "phones", "Padma Smartphone X", "পদ্মা স্মার্টফোন এক্স", 52, [btrc_p]),
        ("ups-a", ekota, "ups", "Ekota Online UPS 1kVA", "একতা অনলাইন ইউপিএস", 66, [bsti_e]),
        (
            "router-a",
            padma,
            "network-equipment",
            "Padma Wi-Fi Router R1",
            "পদ্মা ওয়াই-ফাই রাউটার আর১",
            38,
            [btrc_p],
        ),
        ("revoked-phone", ekota, "phones", "Ekota Feature Phone F1", "একতা ফিচার ফোন এফ১", 35, [btrc_e]),
        ("suspended-ups", padma, "ups", "Padma Smart UPS 650", "পদ্মা স্মার্ট ইউপিএস ৬৫০", 44, [bsti_p]),
        ("expired-ups", padma, "ups", "Padma Line UPS 500", "পদ্মা লাইন ইউপিএস ৫০০", 40, [bsti_p]),
    ]
    from registry.factories import demo_gtin

    products: dict[str, Any] = {}
    for n, (key, maker, category, name_en, name_bn, lva, certs) in enumerate(rows, 1):
        p = Product(
            manufacturer_id=maker.id,
            name_en=name_en,
            name_bn=name_bn,
            brand=name_en.split()[0],
            model_number=name_en.split()[-1],
            category=category,
            gtin=demo_gtin(9000 + n),
            description_en=f"{name_en}, made in Bangladesh.",
            description_bn=f"বাংলাদেশে তৈরি {name_bn}।",
            specifications={"Warranty": "2 years"},
            local_value_addition=Decimal(lva),
            lva_basis="ex-factory price less imported inputs",
            launch_date=date(2025, 1, n),
            status=ProductStatus.LICENSED,
            licence_number=f"MIB-2026-{n:07d}",
            licence_valid_from=start,
            licence_valid_until=start + timedelta(days=3 * 365),
        )
        p.certificates = certs
        s.add(p)
        products[key] = p
    s.flush()
    ext = app.extensions["signing"]
    signer = ext.signer(s)
    labels = {}
    batches = {}
    for key in ("laptop-a", "laptop-b", "phone-a", "revoked-phone", "suspended-ups", "expired-ups"):
        batch = batches[key] = create_batch(s, products[key], 5, user_id=None, now=datetime.now(UTC))
        s.flush()
        labels[key], _ = next(iter_batch_urls(batch, signer, ext.settings.public_host))
    products["revoked-phone"].status = ProductStatus.REVOKED
    products["revoked-phone"].status_reason = "Counterfeit certificate"
    products["suspended-ups"].status = ProductStatus.SUSPENDED
    products["suspended-ups"].status_reason = "Factory audit pending"
    products["expired-ups"].licence_valid_from = start - timedelta(days=4 * 365)
    products["expired-ups"].licence_valid_until = today - timedelta(days=10)
    seed_verdict_cases(s, ext, products, batches, labels)
    s.commit()
    ext.forget_keys()
    reindex_catalogue(db, app.extensions["search"])
    ids = {k: (p.id, p.gtin, p.name_en, p.name_bn) for k, p in products.items()}
    s.close()
    return {"products": ids, "labels": labels}


def seed_verdict_cases(
    s: Any, ext: Any, products: dict[str, Any], batches: dict[str, Any], labels: dict[str, str]
) -> None:
    """A label for every verdict a consumer can meet: copied (flagged genuine), recalled, not genuine, a product
    address (unknown) and one signed by a key the registry has since distrusted."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from signing.keys import KeyStatus, Signer, encode_b64url, encode_public_key
    from signing.labels import issue_label_url, parse_label_url
    from signing.models import Recall, SigningKey, Unit

    now = datetime.now(UTC)
    copied = parse_label_url(labels["laptop-b"])
    s.add(
        Unit(
            gtin=copied.gtin,
            serial=copied.serial,
            batch_id=batches["laptop-b"].id,
            product_id=products["laptop-b"].id,
            first_seen_at=now - timedelta(days=3),
            first_district="sylhet",
            scan_count=9,
            flags=["far_apart_districts", "many_devices"],
            flagged_at=now - timedelta(days=1),
        )
    )
    s.add(
        Recall(
            scope="batch",
            product_id=products["phone-a"].id,
            batch_id=batches["phone-a"].id,
            gtin=products["phone-a"].gtin,
            reason_en="The battery can swell after long charging.",
            reason_bn="দীর্ঘক্ষণ চার্জ দিলে ব্যাটারি ফুলে যেতে পারে।",
            instructions_en="Stop charging it and take it to any Ekota service centre for a free battery.",
            instructions_bn="চার্জ দেওয়া বন্ধ করুন এবং বিনামূল্যে ব্যাটারির জন্য যেকোনো একতা সার্ভিস সেন্টারে নিন।",
            contact="16xxx · care@ekota.example.com.bd",
            recalled_at=now - timedelta(days=2),
        )
    )
    base, _, parameter = labels["laptop-a"].partition("?s=")
    labels["not-genuine"] = base[:-1] + ("A" if base[-1] != "A" else "B") + "?s=" + parameter
    labels["product-address"] = base.split("/21/")[0]
    stolen = Signer.from_private_key(Ed25519PrivateKey.generate())
    s.add(
        SigningKey(
            kid=stolen.kid,
            public_x=encode_b64url(encode_public_key(stolen.private_key.public_key())),
            status=KeyStatus.COMPROMISED.value,
            source="test: a key that was stolen",
            created_at=now - timedelta(days=30),
            retired_at=now - timedelta(days=2),
            compromised_after=now - timedelta(days=2),
        )
    )
    labels["untrusted"] = issue_label_url(
        ext.settings.public_host,
        products["laptop-c"].gtin,
        "0A1B2C3D4E5F6",
        now.date(),
        stolen,
        scheme=ext.settings.public_scheme,
    )


@contextmanager
def start_site() -> Iterator[Site]:
    """A real server on 127.0.0.1 (free port) on a temporary SQLite database seeded by ``seed_site``."""
    from werkzeug.serving import make_server

    from app import create_app
    from core.migrate import upgrade_database
    from tests.web.pages import wire_pages

    tmp = tempfile.mkdtemp(prefix="registry-browser-")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    app = wire_pages(
        create_app(
            {
                "ENV": "testing",
                "SECRET_KEY": "browser-test-secret-key-long-enough-0123456789",
                "INSTANCE_PATH": tmp,
                "DATABASE_URL": f"sqlite:///{tmp}/registry.sqlite3",
                "SEARCH_SYNC_THREAD": False,
                "PUBLIC_BASE_URL": base,
                "WEB_LOGIN_RATE_LIMIT": "1000/minute",
            }
        )
    )
    upgrade_database(app.extensions["core.db"].engine)
    data = seed_site(app)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(base, app, products=data["products"], labels=data["labels"])
    finally:
        server.shutdown()
        thread.join(5)
        app.extensions["core.db"].dispose()
        shutil.rmtree(tmp, ignore_errors=True)
