"""Bilingual demo data for the embedded first run, written to read as a real registry would: Bangladeshi
companies (invented names) at addresses in their own district in both scripts, each owning one brand (a few
also make another company's brand under licence), product lines with spec sheets per category, certificates
from the body that issues each scheme, local value addition in the range each kind of product reaches, an
audit trail of the decisions that made each licence, an admin and a reviewer. Deterministic: the same
arguments give the same companies, products and history (only the demo passwords are random)."""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import AUDIT_INSERT, record_event
from core.models import Role
from registry.accounts import hash_password
from registry.brands import add_keys, find_conflicts
from registry.data.districts import DISTRICTS
from registry.data.taxonomy import CATEGORIES
from registry.factories import UserFactory, bind_factories, demo_gtin, licensed
from registry.models import (
    Brand,
    BrandLicence,
    BrandStatus,
    Certificate,
    Manufacturer,
    ManufacturerStatus,
    Product,
    ProductStatus,
    SeedMark,
)
from registry.products import licence_changed

SEED_NAME = "demo-v1"
_BN_DIGITS = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")

# ---------------------------------------------------------------- the demo's world (all names invented)

# Brand stems: one brand per company, spelled in both scripts.
STEMS: tuple[tuple[str, str], ...] = (
    ("Padma", "পদ্মা"),
    ("Meghna", "মেঘনা"),
    ("Jamuna", "যমুনা"),
    ("Teesta", "তিস্তা"),
    ("Karnaphuli", "কর্ণফুলী"),
    ("Surma", "সুরমা"),
    ("Rupsha", "রূপসা"),
    ("Madhumati", "মধুমতি"),
    ("Dhanshiri", "ধানসিঁড়ি"),
    ("Kapotakkho", "কপোতাক্ষ"),
    ("Shapla", "শাপলা"),
    ("Bonolota", "বনলতা"),
    ("Nokshi", "নকশী"),
    ("Shonali", "সোনালী"),
    ("Akash", "আকাশ"),
    ("Dorpon", "দর্পণ"),
    ("Projapoti", "প্রজাপতি"),
    ("Bidyut", "বিদ্যুৎ"),
    ("Prohori", "প্রহরী"),
    ("Tara", "তারা"),
    ("Jaal", "জাল"),
    ("Ghori", "ঘড়ি"),
    ("Hishab", "হিসাব"),
    ("Durjoy", "দুর্জয়"),
    ("Shikha", "শিখা"),
    ("Alo", "আলো"),
    ("Dishari", "দিশারী"),
    ("Shetu", "সেতু"),
    ("Pakhi", "পাখি"),
    ("Kolom", "কলম"),
    ("Chayanika", "চয়নিকা"),
    ("Shurjo", "সূর্য"),
    ("Chand", "চাঁদ"),
    ("Borsha", "বর্ষা"),
    ("Boshonto", "বসন্ত"),
    ("Sagor", "সাগর"),
    ("Pahar", "পাহাড়"),
    ("Shobuj", "সবুজ"),
    ("Ekota", "একতা"),
    ("Mitali", "মিতালী"),
    ("Agami", "আগামী"),
    ("Protiva", "প্রতিভা"),
    ("Uddipon", "উদ্দীপন"),
    ("Anirban", "অনির্বাণ"),
    ("Shonkho", "শঙ্খ"),
    ("Dhrubo", "ধ্রুব"),
    ("Torongo", "তরঙ্গ"),
    ("Jonaki", "জোনাকি"),
    ("Sheuli", "শিউলি"),
    ("Kadam", "কদম"),
    ("Bokul", "বকুল"),
    ("Shimul", "শিমুল"),
    ("Polash", "পলাশ"),
    ("Krishnochura", "কৃষ্ণচূড়া"),
    ("Hijol", "হিজল"),
    ("Kashful", "কাশফুল"),
    ("Dolna", "দোলনা"),
    ("Nilgiri", "নীলগিরি"),
    ("Sonar Bangla", "সোনার বাংলা"),
    ("Lalon", "লালন"),
    ("Baul", "বাউল"),
    ("Ektara", "একতারা"),
    ("Rangdhonu", "রংধনু"),
    ("Moyur", "ময়ূর"),
)

# What a company makes, and the word its legal name carries.
SPECIALTIES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("mobile", "Telecom", "টেলিকম", ("phones", "tablets", "power-banks")),
    ("computing", "Technologies", "টেকনোলজিস", ("laptops", "desktops", "servers")),
    ("displays", "Electronics", "ইলেকট্রনিক্স", ("tvs", "monitors")),
    ("network", "Networks", "নেটওয়ার্কস", ("network-equipment", "cables", "iot-devices")),
    ("power", "Power Systems", "পাওয়ার সিস্টেমস", ("ups", "chargers", "power-banks")),
    ("security", "Security Systems", "সিকিউরিটি সিস্টেমস", ("cctv", "iot-devices")),
    ("components", "Semiconductor", "সেমিকন্ডাক্টর", ("motherboards", "ssds")),
    ("retail", "Digital", "ডিজিটাল", ("pos-terminals", "tablets")),
    ("software", "Soft", "সফট", ("software-services",)),
)

# Where the industry is: an industrial area (English, Bangla, post code) per district; elsewhere the
# district's BSCIC industrial estate in its Sadar upazila.
AREAS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "dhaka": (
        ("Tejgaon Industrial Area", "তেজগাঁও শিল্প এলাকা", "1208"),
        ("Mirpur DOHS", "মিরপুর ডিওএইচএস", "1216"),
        ("Kawran Bazar", "কারওয়ান বাজার", "1215"),
    ),
    "gazipur": (
        ("Hi-Tech Park, Kaliakair", "হাই-টেক পার্ক, কালিয়াকৈর", "1750"),
        ("BSCIC Industrial Estate, Tongi", "বিসিক শিল্পনগরী, টঙ্গী", "1710"),
    ),
    "narayanganj": (
        ("Adamjee EPZ, Siddhirganj", "আদমজী ইপিজেড, সিদ্ধিরগঞ্জ", "1431"),
        ("BSCIC Industrial Estate, Fatullah", "বিসিক শিল্পনগরী, ফতুল্লা", "1421"),
    ),
    "chattogram": (
        ("Chattogram EPZ, Patenga", "চট্টগ্রাম ইপিজেড, পতেঙ্গা", "4223"),
        ("Kalurghat Heavy Industrial Area", "কালুরঘাট ভারী শিল্প এলাকা", "4208"),
    ),
    "cumilla": (("Cumilla EPZ", "কুমিল্লা ইপিজেড", "3500"),),
    "jashore": (("Software Technology Park, Jashore", "সফটওয়্যার টেকনোলজি পার্ক, যশোর", "7400"),),
    "rajshahi": (("Hi-Tech Park, Nabinagar", "হাই-টেক পার্ক, নবীনগর", "6000"),),
    "sylhet": (("Electronic City, Companiganj", "ইলেকট্রনিক সিটি, কোম্পানীগঞ্জ", "3140"),),
    "khulna": (("BSCIC Industrial Estate, Shiromoni", "বিসিক শিল্পনগরী, শিরোমণি", "9204"),),
    "bogura": (("BSCIC Industrial Estate, Bogura", "বিসিক শিল্পনগরী, বগুড়া", "5800"),),
    "mymensingh": (("BSCIC Industrial Estate, Mymensingh", "বিসিক শিল্পনগরী, ময়মনসিংহ", "2200"),),
    "rangpur": (("BSCIC Industrial Estate, Rangpur", "বিসিক শিল্পনগরী, রংপুর", "5400"),),
}
HUBS = (
    "dhaka",
    "gazipur",
    "narayanganj",
    "chattogram",
    "dhaka",
    "gazipur",
    "cumilla",
    "jashore",
    "rajshahi",
    "sylhet",
    "khulna",
    "bogura",
    "mymensingh",
    "rangpur",
    "dhaka",
    "chattogram",
)

# Who issues each scheme (invented bodies for the private ones).
ISSUERS: dict[str, str] = {
    "BSTI": "Bangladesh Standards and Testing Institution",
    "BTRC": "Bangladesh Telecommunication Regulatory Commission",
    "ISO_9001": "Bengal Certification Services Ltd.",
    "ISO_14001": "Sundarban Quality Assurance Ltd.",
    "IEC_62368_1": "Dhaka Electrical Test Laboratory",
    "ROHS": "Dhaka Electrical Test Laboratory",
}
CERT_PREFIX = {
    "BSTI": "BSTI/CM",
    "BTRC": "BTRC/TA",
    "ISO_9001": "BCS-QMS",
    "ISO_14001": "SQA-EMS",
    "IEC_62368_1": "DETL-62368",
    "ROHS": "DETL-RoHS",
}

# Per category: product words (en, bn), series names (en, bn), variants (en, bn, spec changes), the
# local value addition range (%) and the basis manufacturers of such products state.
Line = tuple[str, str]
SERIES_NAMES: tuple[Line, ...] = (
    ("Nova", "নোভা"),
    ("Orbit", "অরবিট"),
    ("Spark", "স্পার্ক"),
    ("Prime", "প্রাইম"),
    ("Neo", "নিও"),
    ("Edge", "এজ"),
    ("Lite", "লাইট"),
    ("Max", "ম্যাক্স"),
    ("Aura", "অরা"),
    ("Zen", "জেন"),
)
CATALOGUE: dict[str, dict[str, Any]] = {
    "phones": {
        "kinds": [("Smartphone", "স্মার্টফোন"), ("Feature Phone", "ফিচার ফোন")],
        "lva": (14, 32),
        "variants": [
            ("64GB", {"Storage": "64 GB", "RAM": "4 GB"}),
            ("128GB", {"Storage": "128 GB", "RAM": "6 GB"}),
            ("256GB", {"Storage": "256 GB", "RAM": "8 GB"}),
        ],
        "specs": {"Display": "6.6 inch", "Battery": "5000 mAh", "Network": "4G", "SIM": "Dual"},
        "basis": "assembly and testing labour in Bangladesh",
    },
    "tablets": {
        "kinds": [("Tablet", "ট্যাবলেট")],
        "lva": (12, 28),
        "variants": [("WiFi", {"Network": "Wi-Fi"}), ("LTE", {"Network": "4G"})],
        "specs": {"Display": "10.1 inch", "Storage": "64 GB", "RAM": "4 GB", "Battery": "7000 mAh"},
        "basis": "assembly and testing labour in Bangladesh",
    },
    "laptops": {
        "kinds": [("Laptop", "ল্যাপটপ"), ("Notebook", "নোটবুক")],
        "lva": (10, 24),
        "variants": [("8GB", {"RAM": "8 GB"}), ("16GB", {"RAM": "16 GB"})],
        "specs": {"CPU": "Core i5", "Storage": "512 GB", "Display": "15.6 inch", "Weight": "1.7 kg"},
        "basis": "bill of materials sourced in Bangladesh",
    },
    "desktops": {
        "kinds": [("Desktop PC", "ডেস্কটপ পিসি"), ("All-in-One PC", "অল-ইন-ওয়ান পিসি")],
        "lva": (22, 40),
        "variants": [("i3", {"CPU": "Core i3"}), ("i5", {"CPU": "Core i5"})],
        "specs": {"RAM": "8 GB", "Storage": "512 GB", "Ports": "6 ports"},
        "basis": "assembly and testing labour in Bangladesh",
    },
    "servers": {
        "kinds": [("Rack Server", "র‍্যাক সার্ভার"), ("Tower Server", "টাওয়ার সার্ভার")],
        "lva": (15, 30),
        "variants": [("1U", {"Form factor": "1U"}), ("2U", {"Form factor": "2U"})],
        "specs": {"CPU": "Xeon Silver", "RAM": "64 GB", "Drive bays": "8", "Warranty": "3 years"},
        "basis": "assembly and testing labour in Bangladesh",
    },
    "monitors": {
        "kinds": [("LED Monitor", "এলইডি মনিটর")],
        "lva": (18, 32),
        "variants": [
            ("22", {"Screen size": "22 inch"}),
            ("24", {"Screen size": "24 inch"}),
            ("27", {"Screen size": "27 inch"}),
        ],
        "specs": {"Resolution": "1920 x 1080", "Panel": "IPS", "Refresh rate": "75 Hz"},
        "basis": "ex-factory price less imported inputs",
    },
    "tvs": {
        "kinds": [("Smart TV", "স্মার্ট টিভি"), ("LED Television", "এলইডি টেলিভিশন")],
        "lva": (28, 46),
        "variants": [
            ("32", {"Screen size": "32 inch"}),
            ("43", {"Screen size": "43 inch"}),
            ("55", {"Screen size": "55 inch"}),
        ],
        "specs": {"Resolution": "3840 x 2160", "Smart OS": "Android TV", "Warranty": "2 years"},
        "basis": "ex-factory price less imported inputs",
    },
    "network-equipment": {
        "kinds": [
            ("Wi-Fi Router", "ওয়াই-ফাই রাউটার"),
            ("Network Switch", "নেটওয়ার্ক সুইচ"),
            ("GPON ONU", "জিপন ওএনইউ"),
        ],
        "lva": (20, 38),
        "variants": [("AC", {"Wi-Fi": "Wi-Fi 5"}), ("AX", {"Wi-Fi": "Wi-Fi 6"})],
        "specs": {"Ports": "4 ports", "Speed": "1 Gbps", "Bands": "Dual"},
        "basis": "ex-factory price less imported inputs",
    },
    "pos-terminals": {
        "kinds": [("POS Terminal", "পিওএস টার্মিনাল")],
        "lva": (25, 42),
        "variants": [("A", {"Printer": "Built-in printer"}), ("M", {"Printer": "Without printer"})],
        "specs": {"Payment": "Card, QR, MFS", "Battery": "2600 mAh", "Network": "4G"},
        "basis": "ex-factory price less imported inputs",
    },
    "cctv": {
        "kinds": [("IP Camera", "আইপি ক্যামেরা"), ("Dome Camera", "ডোম ক্যামেরা")],
        "lva": (20, 38),
        "variants": [("2MP", {"Resolution": "2 MP"}), ("4MP", {"Resolution": "4 MP"})],
        "specs": {"Night vision": "30 m", "IP rating": "IP67", "Lens": "3.6 mm"},
        "basis": "ex-factory price less imported inputs",
    },
    "ups": {
        "kinds": [("Online UPS", "অনলাইন ইউপিএস"), ("Offline UPS", "অফলাইন ইউপিএস")],
        "lva": (45, 68),
        "variants": [
            ("650", {"Capacity": "650 VA"}),
            ("1K", {"Capacity": "1 kVA"}),
            ("2K", {"Capacity": "2 kVA"}),
        ],
        "specs": {"Backup time": "15 minutes", "Input": "220 V", "Warranty": "2 years"},
        "basis": "ex-factory price less imported inputs, audited",
    },
    "power-banks": {
        "kinds": [("Power Bank", "পাওয়ার ব্যাংক")],
        "lva": (30, 48),
        "variants": [("10K", {"Capacity": "10000 mAh"}), ("20K", {"Capacity": "20000 mAh"})],
        "specs": {"Output": "22.5 W", "Fast charging": "Yes", "Ports": "3 ports"},
        "basis": "ex-factory price less imported inputs",
    },
    "chargers": {
        "kinds": [("Fast Charger", "ফাস্ট চার্জার"), ("USB-C Charger", "ইউএসবি-সি চার্জার")],
        "lva": (40, 58),
        "variants": [("20W", {"Output": "20 W"}), ("65W", {"Output": "65 W"})],
        "specs": {"Input": "220 V", "Ports": "2 ports", "Warranty": "1 year"},
        "basis": "ex-factory price less imported inputs, audited",
    },
    "motherboards": {
        "kinds": [("Motherboard", "মাদারবোর্ড")],
        "lva": (10, 20),
        "variants": [("M", {"Form factor": "Micro-ATX"}), ("A", {"Form factor": "ATX"})],
        "specs": {"Socket": "LGA1700", "Memory slots": "4", "Chipset": "B760"},
        "basis": "bill of materials sourced in Bangladesh",
    },
    "ssds": {
        "kinds": [("NVMe SSD", "এনভিএমই এসএসডি"), ("SATA SSD", "সাটা এসএসডি")],
        "lva": (10, 20),
        "variants": [("512", {"Capacity": "512 GB"}), ("1T", {"Capacity": "1 TB"})],
        "specs": {"Read speed": "3500 MB/s", "Interface": "PCIe 4.0", "Warranty": "3 years"},
        "basis": "bill of materials sourced in Bangladesh",
    },
    "cables": {
        "kinds": [("Cat6 Cable", "ক্যাট৬ ক্যাবল"), ("USB-C Cable", "ইউএসবি-সি ক্যাবল")],
        "lva": (55, 78),
        "variants": [("1M", {"Length": "1 m"}), ("305M", {"Length": "305 m"})],
        "specs": {"Cable type": "Copper", "Warranty": "1 year"},
        "basis": "ex-factory price less imported inputs",
    },
    "iot-devices": {
        "kinds": [("Smart Plug", "স্মার্ট প্লাগ"), ("Prepaid Smart Meter", "প্রিপেইড স্মার্ট মিটার")],
        "lva": (35, 58),
        "variants": [("W", {"Connectivity": "Wi-Fi"}), ("Z", {"Connectivity": "Zigbee"})],
        "specs": {"Protocol": "MQTT", "Input": "220 V"},
        "basis": "ex-factory price less imported inputs",
    },
    "software-services": {
        "kinds": [("ERP Suite", "ইআরপি স্যুট"), ("Accounting Software", "হিসাব সফটওয়্যার")],
        "lva": (85, 98),
        "variants": [("Cloud", {"Deployment": "Cloud"}), ("Server", {"Deployment": "On premises"})],
        "specs": {"Language": "Bangla, English", "Users": "50 users", "Support": "24/7"},
        "basis": "software development hours in Bangladesh",
    },
}


def is_seeded(session: Session) -> bool:
    return session.get(SeedMark, SEED_NAME) is not None


def bn(text: str) -> str:
    return text.translate(_BN_DIGITS)


_WORDS_BN = {
    "-inch": " ইঞ্চি",
    " GB": " জিবি",
    " TB": " টিবি",
    " mAh": " এমএএইচ",
    " kVA": " কেভিএ",
    " VA": " ভিএ",
    " W": " ওয়াট",
    " MP": " মেগাপিক্সেল",
    " m": " মিটার",
    "Core ": "কোর ",
    "Wi-Fi 6": "ওয়াই-ফাই ৬",
    "Wi-Fi 5": "ওয়াই-ফাই ৫",
    "Wi-Fi": "ওয়াই-ফাই",
    "4G": "ফোরজি",
    "Cloud": "ক্লাউড",
    "On premises": "নিজস্ব সার্ভার",
    "Micro-ATX": "মাইক্রো-এটিএক্স",
    "ATX": "এটিএক্স",
    "Zigbee": "জিগবি",
    "Built-in printer": "প্রিন্টারসহ",
    "Without printer": "প্রিন্টার ছাড়া",
    "1U": "১ইউ",
    "2U": "২ইউ",
}


def _variant_bn(text: str) -> str:
    for en, word in _WORDS_BN.items():
        text = text.replace(en, word)
    return bn(text)


def _address(district: str, n: int) -> str:
    d = DISTRICTS[district]
    areas = AREAS.get(district) or (
        (f"BSCIC Industrial Estate, {d.name_en} Sadar", f"বিসিক শিল্পনগরী, {d.name_bn} সদর", ""),
    )
    area_en, area_bn, post = areas[n % len(areas)]
    plot = 3 + (n * 7) % 90
    en = f"Plot {plot}, {area_en}, {d.name_en}" + (f" {post}" if post else "")
    bn_ = f"প্লট {bn(str(plot))}, {area_bn}, {d.name_bn}" + (f" {bn(post)}" if post else "")
    return f"{en} / {bn_}"


def _districts(count: int, rng: random.Random) -> list[str]:
    """Hubs first (where ICT makers are), then other districts, so a small demo still spans many."""
    others = [d for d in DISTRICTS if d not in HUBS]
    rng.shuffle(others)
    order = list(HUBS) + others
    return [order[i % len(order)] for i in range(count)]


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour % 24, (hour * 13) % 60), tzinfo=UTC)


def seed_demo(
    session: Session,
    *,
    manufacturers: int = 60,
    products: int = 2000,
    seed: int = 2031,
    progress: Callable[[int], None] | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """Seed once (caller commits). Returns the credentials of the demo accounts and counts."""
    if is_seeded(session):
        return {"seeded": False}
    rng = random.Random(seed)
    bind_factories(session)
    today = today or datetime.now(UTC).date()
    admin_pw, reviewer_pw, maker_pw = (secrets.token_urlsafe(9) for _ in range(3))
    admin = UserFactory(
        email="admin@registry.demo",
        name="Registry Admin / রেজিস্ট্রি প্রশাসক",
        role=Role.ADMIN,
        is_owner=False,
        password_hash=hash_password(admin_pw),
    )
    reviewer = UserFactory(
        email="reviewer@registry.demo",
        name="Nasrin Akter / নাসরিন আক্তার",
        role=Role.REVIEWER,
        is_owner=False,
        password_hash=hash_password(reviewer_pw),
    )
    history: list[dict[str, Any]] = []

    def event(
        when: datetime,
        action: str,
        kind: str,
        target: int,
        *,
        by: Any = None,
        after: dict[str, Any] | None = None,
        reason: str | None = None,
    ) -> None:
        history.append(
            {
                "occurred_at": when,
                "actor_id": by.id if by else None,
                "actor": by.email if by else "system",
                "action": action,
                "target_type": kind,
                "target_id": str(target),
                "before": None,
                "after": after,
                "reason": reason,
                "request_id": None,
            }
        )

    makers: list[Manufacturer] = []
    specialty_of: dict[int, tuple[str, str, str, tuple[str, ...]]] = {}
    brand_of: dict[int, tuple[str, str]] = {}
    for i, district in enumerate(_districts(manufacturers, rng)):
        stem_en, stem_bn = STEMS[i % len(STEMS)]
        if i >= len(STEMS):
            stem_en, stem_bn = (
                f"{stem_en} {DISTRICTS[district].name_en}",
                f"{stem_bn} {DISTRICTS[district].name_bn}",
            )
        spec = SPECIALTIES[i % len(SPECIALTIES)]
        status = ManufacturerStatus.VERIFIED
        if i >= manufacturers - 4:
            status = ManufacturerStatus.PENDING
        elif i == manufacturers - 5:
            status = ManufacturerStatus.REJECTED
        slug = stem_en.lower().replace(" ", "")
        registered = today - timedelta(days=1400 - i * 9)
        m = Manufacturer(
            legal_name_en=f"{stem_en} {spec[1]} Ltd.",
            legal_name_bn=f"{stem_bn} {spec[2]} লিমিটেড",
            trade_licence_no=f"TRAD/{district[:4].upper()}/{100000 + i * 7919 % 900000:06d}/{registered.year}",
            bin=f"00{(i * 7919 + 13) % 10**11:011d}",
            tin=f"1{(i * 104729 + 7) % 10**11:011d}",
            address=_address(district, i),
            district=district,
            factory_locations=[{"address": _address(district, i + 1).split(" / ")[0], "district": district}],
            contact_name=[
                "Rafiqul Islam",
                "Farhana Yasmin",
                "Tanvir Ahmed",
                "Sharmin Sultana",
                "Mahbub Alam",
                "Nusrat Jahan",
                "Kamrul Hasan",
                "Sabina Yeasmin",
            ][i % 8],
            contact_email=f"compliance@{slug}.example.com.bd",
            contact_phone=f"+88017{1100000 + i * 3571:08d}"[:14],
            website=f"https://{slug}.example.com.bd",
            status=status,
            status_reason="The trade licence scan is unreadable; please upload it again."
            if status == ManufacturerStatus.REJECTED
            else None,
            created_at=_at(registered, 10 + i),
        )
        session.add(m)
        makers.append(m)
        specialty_of[i] = spec
        brand_of[i] = (stem_en, stem_bn)
    session.flush()
    maker_pw_hash = hash_password(maker_pw)
    for i, m in enumerate(makers):
        UserFactory(
            email="maker@registry.demo" if i == 0 else f"owner@{m.website.split('//')[1]}",
            name=m.contact_name,
            manufacturer_id=m.id,
            is_owner=True,
            password_hash=maker_pw_hash,
        )
        event(m.created_at, "manufacturer.registered", "manufacturer", m.id, after={"district": m.district})
        if m.status != ManufacturerStatus.PENDING:
            decided = m.created_at + timedelta(days=3 + i % 5, hours=2)
            m.reviewed_by_id, m.reviewed_at = reviewer.id, decided
            verb = "verify" if m.status == ManufacturerStatus.VERIFIED else "reject"
            event(
                decided,
                f"manufacturer.{verb}",
                "manufacturer",
                m.id,
                by=reviewer,
                after={"status": m.status},
                reason=m.status_reason,
            )

    verified = [i for i, m in enumerate(makers) if m.status == ManufacturerStatus.VERIFIED]
    # each verified company registered its brand a week after it was verified
    brands: dict[int, Brand] = {}
    for i in verified:
        m = makers[i]
        brand = Brand(
            name_en=brand_of[i][0],
            name_bn=brand_of[i][1],
            owner_id=m.id,
            status=BrandStatus.REGISTERED,
            conflicts=[],
            created_at=(m.reviewed_at or m.created_at) + timedelta(days=7),
        )
        add_keys(session, brand)
        brands[i] = brand
    session.add_all(brands.values())
    session.flush()
    for brand in brands.values():
        event(brand.created_at, "brand.registered", "brand", brand.id, after={"owner_id": brand.owner_id})
    # and one company asked for a name that reads like another's (rn for m): it waits for a reviewer
    asking = makers[verified[-1]]
    look_alike = Brand(
        name_en="Padrna",
        name_bn="প্যাডরনা",
        owner_id=asking.id,
        status=BrandStatus.PENDING,
        conflicts=find_conflicts(session, "Padrna", "প্যাডরনা", exclude_owner=asking.id),
        created_at=_at(today - timedelta(days=2), 10),
    )
    add_keys(session, look_alike)
    session.add(look_alike)
    session.flush()
    event(look_alike.created_at, "brand.submitted", "brand", look_alike.id, after={"owner_id": asking.id})
    granted: set[tuple[int, int]] = set()
    by_category: dict[str, list[int]] = {c: [] for c in CATEGORIES}
    for i in verified:
        for c in specialty_of[i][3]:
            by_category[c].append(i)
    for c, owners in by_category.items():
        if not owners:  # a small demo: someone in the same trade makes it
            by_category[c] = [verified[len(c) % len(verified)]]
    # certificates: the schemes each company's products need, from the body that issues each
    certs: dict[int, dict[str, Certificate]] = {}
    serial = 0
    for i, m in enumerate(makers):
        needed = {
            s for c, owners in by_category.items() if i in owners for s in CATEGORIES[c].required_schemes
        }
        if specialty_of[i][0] == "software":
            schemes = sorted(needed | {"ISO_9001", "ISO_14001"})
        else:  # hardware: safety and hazardous-substance test reports too
            schemes = sorted(needed | {"ISO_9001", "ROHS"} | ({"IEC_62368_1"} if i % 3 else {"ISO_14001"}))
        certs[m.id] = {}
        for scheme in schemes:
            serial += 1
            expired = rng.random() < 0.06
            until = (
                today - timedelta(days=rng.randint(5, 200))
                if expired
                else today + timedelta(days=rng.randint(90, 1000))
            )
            c = Certificate(
                manufacturer_id=m.id,
                scheme=scheme,
                issuer=ISSUERS[scheme],
                number=f"{CERT_PREFIX[scheme]}/{until.year - 3}/{serial:05d}",
                valid_until=until,
                valid_from=until - timedelta(days=1095),
            )
            session.add(c)
            certs[m.id][scheme] = c
    session.flush()
    for m in makers:
        for c in certs[m.id].values():
            event(
                _at(max(c.valid_from, m.created_at.date()), 11),
                "certificate.created",
                "certificate",
                c.id,
                after={"scheme": c.scheme, "issuer": c.issuer},
            )

    lines: dict[tuple[int, str], int] = {}
    categories = list(CATEGORIES)
    built: list[Product] = []
    for n in range(products):
        category = categories[n % len(categories)]
        owners = by_category[category]
        i = owners[(n // len(categories)) % len(owners)]
        m = makers[i]
        brand_en, brand_bn = brand_of[i]
        licensor = None
        if i % 7 == 3 and (n // len(categories)) % 3 == 0 and len(owners) > 1:
            licensor = owners[(owners.index(i) + 1) % len(owners)]  # made here under another's brand
            brand_en, brand_bn = brand_of[licensor]
        spec = CATALOGUE[category]
        k = lines.get((i, category), 0)
        lines[(i, category)] = k + 1
        variant_code, variant_specs = spec["variants"][k % len(spec["variants"])]
        line = k // len(spec["variants"])
        kind_en, kind_bn = spec["kinds"][line % len(spec["kinds"])]
        series_en, series_bn = SERIES_NAMES[(line + i) % len(SERIES_NAMES)]
        gen = 2 + (line // len(SERIES_NAMES)) * 3 + (i + line) % 3
        code = brand_en.replace(" ", "")[:3].upper()
        model = f"{code}-{series_en[0]}{gen}-{variant_code}"
        variant_en = next(iter(variant_specs.values())).replace(" inch", "-inch")
        name_en = f"{brand_en} {kind_en} {series_en} {gen} {variant_en}"
        name_bn = f"{brand_bn} {kind_bn} {series_bn} {bn(str(gen))} {_variant_bn(variant_en)}"
        gtin = demo_gtin(n + 1)
        lva_low, lva_high = spec["lva"]
        lva = Decimal(lva_low * 10 + random.Random(gtin).randint(0, (lva_high - lva_low) * 10)) / 10
        roll = rng.random()
        submitted = today - timedelta(days=rng.randint(40, 1000))
        extra: dict[str, Any]
        if roll < 0.80:
            extra = licensed(submitted + timedelta(days=rng.randint(5, 25)))
        elif roll < 0.85:
            extra = licensed(submitted + timedelta(days=10)) | {
                "status": ProductStatus.SUSPENDED,
                "status_reason": "BSTI surveillance test failed / বিএসটিআই নজরদারি পরীক্ষায় অকৃতকার্য",
            }
        elif roll < 0.88:
            extra = licensed(submitted + timedelta(days=10)) | {
                "status": ProductStatus.REVOKED,
                "status_reason": "Counterfeit components found / নকল যন্ত্রাংশ পাওয়া গেছে",
            }
        elif roll < 0.90:
            extra = licensed(today - timedelta(days=1200)) | {"status": ProductStatus.EXPIRED}
        elif roll < 0.95:
            extra = {"status": ProductStatus.SUBMITTED}
            submitted = today - timedelta(days=rng.randint(1, 20))
        else:
            extra = {"status": ProductStatus.DRAFT}
        required = [certs[m.id][s] for s in CATEGORIES[category].required_schemes if s in certs[m.id]]
        linked = required + [certs[m.id]["ISO_9001"]]
        if "licence_valid_from" in extra:
            extra = _granted_while_certified(extra, required)
        description_en = (
            f"{kind_en} from {brand_en}, designed and assembled at {m.legal_name_en} in "
            f"{DISTRICTS[m.district].name_en}."
        )
        description_bn = f"{brand_bn} {kind_bn}, {DISTRICTS[m.district].name_bn}-এর {m.legal_name_bn}-এ তৈরি।"
        if licensor is not None:
            description_en += f" Made under licence from {makers[licensor].legal_name_en}."
            description_bn += f" {makers[licensor].legal_name_bn}-এর লাইসেন্সে তৈরি।"
        brand = brands[licensor if licensor is not None else i]
        if licensor is not None and (licensor, i) not in granted:
            granted.add((licensor, i))
            when = brand.created_at + timedelta(days=30)
            session.add(
                BrandLicence(
                    brand_id=brand.id,
                    licensee_id=m.id,
                    kind="granted",
                    granted_at=when,
                    reason="contract manufacturing / চুক্তিভিত্তিক উৎপাদন",
                )
            )
            event(when, "brand.licensed", "brand", brand.id, after={"licensee_id": m.id, "kind": "granted"})
        p = Product(
            manufacturer_id=m.id,
            category=category,
            brand=brand_en,
            brand_id=brand.id,
            model_number=model,
            gtin=gtin,
            name_en=name_en,
            name_bn=name_bn,
            hs_code=CATEGORIES[category].hs_hint,
            description_en=description_en,
            description_bn=description_bn,
            specifications={**spec["specs"], **variant_specs},
            local_value_addition=lva,
            lva_basis=spec["basis"],
            launch_date=submitted - timedelta(days=rng.randint(0, 60)),
            images=[],
            submitted_at=_at(submitted, 9) if extra["status"] != ProductStatus.DRAFT else None,
            created_at=_at(submitted - timedelta(days=rng.randint(1, 14)), 15),
            **extra,
        )
        p.certificates = linked
        built.append(p)
        if progress and n % 100 == 99:
            progress(100)
    session.add_all(built)
    session.flush()
    for p in built:
        event(p.created_at, "product.created", "product", p.id, after={"gtin": p.gtin})
        if p.submitted_at:
            event(p.submitted_at, "product.submitted", "product", p.id)
        if p.licence_valid_from:
            p.licence_number = f"MIB-{p.licence_valid_from.year}-{p.id:07d}"
            p.reviewed_by_id = reviewer.id
            p.reviewed_at = _at(p.licence_valid_from, 14)
            event(
                p.reviewed_at,
                "product.approve",
                "product",
                p.id,
                by=reviewer,
                after={"status": "licensed", "licence_number": p.licence_number},
            )
            if p.status in (ProductStatus.SUSPENDED, ProductStatus.REVOKED):
                when = _at(min(today - timedelta(days=2), p.licence_valid_from + timedelta(days=200)), 12)
                verb = "suspend" if p.status == ProductStatus.SUSPENDED else "revoke"
                event(
                    when,
                    f"product.{verb}",
                    "product",
                    p.id,
                    by=reviewer,
                    after={"status": p.status},
                    reason=p.status_reason,
                )
            elif p.status == ProductStatus.EXPIRED:
                event(_at(p.licence_valid_until + timedelta(days=1), 0), "product.expire", "product", p.id)
    session.flush()
    for p in built:
        if p.status in (
            ProductStatus.LICENSED,
            ProductStatus.SUSPENDED,
            ProductStatus.REVOKED,
            ProductStatus.EXPIRED,
        ):
            licence_changed.send(p, session=session, action="seed")
    history.sort(key=lambda e: e["occurred_at"])
    for start in range(0, len(history), 1000):
        session.execute(AUDIT_INSERT, history[start : start + 1000])
    record_event(
        session,
        actor="system",
        action="demo.seeded",
        target_type="user",
        target_id=admin.id,
        after={"manufacturers": len(makers), "products": len(built)},
    )
    session.add(SeedMark(name=SEED_NAME, detail={"manufacturers": len(makers), "products": len(built)}))
    session.flush()
    return {
        "seeded": True,
        "manufacturers": len(makers),
        "districts": len({m.district for m in makers}),
        "products": len(built),
        "accounts": {
            "admin": ("admin@registry.demo", admin_pw),
            "reviewer": ("reviewer@registry.demo", reviewer_pw),
            "manufacturer": ("maker@registry.demo", maker_pw),
        },
        "reviewer_id": reviewer.id,
    }


def _granted_while_certified(licence: dict[str, Any], required: list[Any]) -> dict[str, Any]:
    """A demo licence follows the rule a reviewer's approval does: each required certificate is valid on
    the day the licence starts. A licence that would start after a certificate ended starts on its last
    valid day instead; a certificate issued after the licence started is dated back to that day."""
    start = licence["licence_valid_from"]
    last_valid = min((c.valid_until for c in required), default=start)
    if start > last_valid:
        start = last_valid
        moved = licensed(start)
        licence = licence | {"licence_valid_from": start, "licence_valid_until": moved["licence_valid_until"]}
    for c in required:
        c.valid_from = min(c.valid_from, start)
    return licence


def demo_product_ids(session: Session, status: str, limit: int) -> list[int]:
    return list(
        session.scalars(select(Product.id).where(Product.status == status).order_by(Product.id).limit(limit))
    )
