"""factory-boy factories for the registry's models, with bilingual Faker data (bn_BD and en_US).

Used by the demo seed and by the tests. Bind them to a session with ``bind_factories(session)``.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import factory
from factory.alchemy import SQLAlchemyModelFactory
from faker import Faker

from core.models import Role, User
from gs1.gtin import compute_check_digit
from registry.accounts import hash_password
from registry.data.districts import DISTRICTS
from registry.data.taxonomy import CATEGORIES
from registry.models import Certificate, Manufacturer, ManufacturerStatus, Product, ProductStatus

fake_bn = Faker("bn_BD")
fake_en = Faker("en_US")

# Invented brands (no real trademarks) with their Bangla spelling.
BRANDS = [
    ("Ekota", "একতা"),
    ("Padma Tech", "পদ্মা টেক"),
    ("Jamuna Digital", "যমুনা ডিজিটাল"),
    ("Shapla", "শাপলা"),
    ("Meghna Devices", "মেঘনা ডিভাইসেস"),
    ("Bonolota", "বনলতা"),
    ("Surjo", "সূর্য"),
    ("Nokshi", "নকশী"),
    ("Dhaka Micro", "ঢাকা মাইক্রো"),
    ("Karnaphuli", "কর্ণফুলী"),
    ("Sundarban Systems", "সুন্দরবন সিস্টেমস"),
    ("Teesta", "তিস্তা"),
    ("Rupsha Electronics", "রূপসা ইলেকট্রনিক্স"),
    ("Dhanshiri", "ধানসিঁড়ি"),
    ("Kapotakkho", "কপোতাক্ষ"),
    ("Madhumati", "মধুমতি"),
    ("Sonargaon Tech", "সোনারগাঁও টেক"),
    ("Lalbag", "লালবাগ"),
]
# Per category: English and Bangla product words.
KINDS = {
    "phones": [("Smartphone", "স্মার্টফোন"), ("Feature Phone", "ফিচার ফোন")],
    "laptops": [("Laptop", "ল্যাপটপ"), ("Notebook", "নোটবুক")],
    "tablets": [("Tablet", "ট্যাবলেট")],
    "desktops": [("Desktop PC", "ডেস্কটপ পিসি"), ("All-in-One PC", "অল-ইন-ওয়ান পিসি")],
    "servers": [("Rack Server", "র‍্যাক সার্ভার"), ("Tower Server", "টাওয়ার সার্ভার")],
    "monitors": [("LED Monitor", "এলইডি মনিটর")],
    "tvs": [("Smart TV", "স্মার্ট টিভি"), ("LED Television", "এলইডি টেলিভিশন")],
    "network-equipment": [
        ("Wi-Fi Router", "ওয়াই-ফাই রাউটার"),
        ("Network Switch", "নেটওয়ার্ক সুইচ"),
        ("ONU", "ওএনইউ"),
    ],
    "pos-terminals": [("POS Terminal", "পিওএস টার্মিনাল")],
    "cctv": [("IP Camera", "আইপি ক্যামেরা"), ("Dome Camera", "ডোম ক্যামেরা")],
    "ups": [("Online UPS", "অনলাইন ইউপিএস"), ("Offline UPS", "অফলাইন ইউপিএস")],
    "power-banks": [("Power Bank", "পাওয়ার ব্যাংক")],
    "motherboards": [("Motherboard", "মাদারবোর্ড")],
    "ssds": [("NVMe SSD", "এনভিএমই এসএসডি"), ("SATA SSD", "সাটা এসএসডি")],
    "chargers": [("Fast Charger", "ফাস্ট চার্জার"), ("USB-C Charger", "ইউএসবি-সি চার্জার")],
    "cables": [("USB-C Cable", "ইউএসবি-সি ক্যাবল"), ("Cat6 Cable", "ক্যাট৬ ক্যাবল")],
    "iot-devices": [("Smart Plug", "স্মার্ট প্লাগ"), ("Smart Meter", "স্মার্ট মিটার")],
    "software-services": [("ERP Suite", "ইআরপি স্যুট"), ("Accounting Software", "হিসাব সফটওয়্যার")],
}
SPECS = {
    "phones": lambda r: {
        "RAM": f"{r.choice([2, 3, 4, 6, 8])} GB",
        "Storage": f"{r.choice([32, 64, 128, 256])} GB",
        "Display": f"{r.choice(['6.1', '6.5', '6.7'])} inch",
        "Battery": f"{r.choice([4000, 5000, 6000])} mAh",
    },
    "laptops": lambda r: {
        "CPU": r.choice(["Core i5", "Core i7", "Ryzen 5"]),
        "RAM": f"{r.choice([8, 16, 32])} GB",
        "Storage": f"{r.choice([256, 512, 1024])} GB SSD",
        "Display": "15.6 inch",
    },
}
_BN_DIGITS = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")


def demo_gtin(n: int) -> str:
    """A GTIN-13 in the GS1 restricted-circulation range 20-29, so demo data never collides with real products."""
    body = f"2{n % 10}{n:010d}"[:12]
    return (body + compute_check_digit(body)).zfill(14)


# The trade word of a company named after a one-word brand ("Shapla Electronics Ltd."), by round of BRANDS.
TRADES = [
    ("Electronics", "ইলেকট্রনিক্স"),
    ("Technologies", "টেকনোলজিস"),
    ("Telecom", "টেলিকম"),
    ("Industries", "ইন্ডাস্ট্রিজ"),
    ("Networks", "নেটওয়ার্কস"),
    ("Power Systems", "পাওয়ার সিস্টেমস"),
]


def company_name(n: int) -> tuple[str, str]:
    """A plausible legal name in English and Bangla for the n-th company: "Shapla Electronics Ltd." /
    "শাপলা ইলেকট্রনিক্স লিমিটেড", "Padma Tech Ltd." (a two-word brand is already a company's name);
    no serial numbers, no "Inc Ltd."."""
    brand_en, brand_bn = BRANDS[n % len(BRANDS)]
    trade_en, trade_bn = TRADES[(n // len(BRANDS) + n) % len(TRADES)]
    if " " in brand_en:
        return f"{brand_en} Ltd.", f"{brand_bn} লিমিটেড"
    return f"{brand_en} {trade_en} Ltd.", f"{brand_bn} {trade_bn} লিমিটেড"


def digits(n: int, seq: int) -> str:
    return f"{seq:0{n}d}"[-n:]


class _Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_persistence = "flush"


class ManufacturerFactory(_Base):
    class Meta:
        model = Manufacturer

    legal_name_en = factory.Sequence(lambda n: company_name(n)[0])
    legal_name_bn = factory.Sequence(lambda n: company_name(n)[1])
    trade_licence_no = factory.Sequence(lambda n: f"TRAD/DNCC/{digits(6, n + 1000)}/2024")
    bin = factory.Sequence(lambda n: "00" + digits(11, n * 7919 + 13))
    tin = factory.Sequence(lambda n: "1" + digits(11, n * 104729 + 7))
    address = factory.LazyFunction(lambda: fake_bn.address().replace("\n", ", "))
    district = factory.Sequence(lambda n: list(DISTRICTS)[n % 64])
    factory_locations = factory.LazyAttribute(
        lambda o: [{"address": fake_en.street_address(), "district": o.district}]
    )
    contact_name = factory.LazyFunction(fake_bn.name)
    contact_email = factory.Sequence(lambda n: f"contact{n}@maker{n}.example.com.bd")
    contact_phone = factory.Sequence(lambda n: "+8801" + digits(9, 700000000 + n))
    website = factory.Sequence(lambda n: f"https://maker{n}.example.com.bd")
    status = ManufacturerStatus.VERIFIED


class UserFactory(_Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.LazyFunction(fake_en.name)
    password_hash = factory.LazyFunction(lambda: hash_password("correct horse battery"))
    role = Role.MANUFACTURER
    is_owner = True


class CertificateFactory(_Base):
    class Meta:
        model = Certificate

    scheme = "BSTI"
    number = factory.Sequence(lambda n: f"CERT-{n:06d}")
    issuer = "Bangladesh Standards and Testing Institution"
    valid_from = factory.LazyFunction(lambda: date.today() - timedelta(days=200))
    valid_until = factory.LazyFunction(lambda: date.today() + timedelta(days=500))


class ProductFactory(_Base):
    class Meta:
        model = Product

    class Params:
        kind = factory.LazyAttribute(lambda o: random.Random(o.gtin).choice(KINDS[o.category]))

    category = factory.Sequence(lambda n: list(CATEGORIES)[n % len(CATEGORIES)])
    brand = factory.Sequence(lambda n: BRANDS[n % len(BRANDS)][0])
    model_number = factory.Sequence(lambda n: f"{chr(65 + n % 26)}{chr(65 + (n // 26) % 26)}-{100 + n}")
    gtin = factory.Sequence(lambda n: demo_gtin(n + 1))
    name_en = factory.LazyAttribute(lambda o: f"{o.brand} {o.kind[0]} {o.model_number}")
    name_bn = factory.LazyAttribute(
        lambda o: f"{dict(BRANDS).get(o.brand, o.brand)} {o.kind[1]} {o.model_number.translate(_BN_DIGITS)}"
    )
    hs_code = factory.LazyAttribute(lambda o: CATEGORIES[o.category].hs_hint)
    description_en = factory.LazyAttribute(
        lambda o: f"{o.kind[0]} designed and assembled in Bangladesh by {o.brand}."
    )
    description_bn = factory.LazyAttribute(lambda o: f"বাংলাদেশে তৈরি {o.kind[1]}।")
    specifications = factory.LazyAttribute(
        lambda o: SPECS.get(o.category, lambda r: {"Warranty": f"{r.choice([1, 2, 3])} years"})(
            random.Random(o.gtin)
        )
    )
    local_value_addition = factory.LazyAttribute(
        lambda o: Decimal(random.Random(o.gtin + "lva").randint(15, 85))
    )
    lva_basis = "ex-factory price less imported inputs, audited 2025"
    launch_date = factory.LazyAttribute(
        lambda o: date(2022, 1, 1) + timedelta(days=random.Random(o.gtin).randint(0, 1200))
    )
    images = factory.LazyFunction(list)
    status = ProductStatus.DRAFT


def licensed(valid_from: date | None = None, years: int = 3) -> dict[str, object]:
    start = valid_from or (datetime.now(UTC).date() - timedelta(days=30))
    return {
        "status": ProductStatus.LICENSED,
        "licence_valid_from": start,
        "licence_valid_until": start.replace(year=start.year + years) - timedelta(days=1),
    }


ALL_FACTORIES = (ManufacturerFactory, UserFactory, CertificateFactory, ProductFactory)


def bind_factories(session: object) -> None:
    for f in ALL_FACTORIES:
        f._meta.sqlalchemy_session = session
