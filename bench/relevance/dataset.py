"""A fixed, deterministic bilingual catalogue for relevance judgements and benchmarks.

Every brand and product name here is invented (no real trademarks). ``PRODUCTS`` is the same
on every run: a few hundred ICT products from fourteen makers in ten districts, with English and
Bangla names, model numbers, GTINs in the GS1 restricted-circulation range (20-29, never a real
product), specifications, certificates and licence states — a handful deliberately not public
(suspended, revoked, expired, submitted) so tests can check they never show.

``catalogue_documents()`` gives the catalogue documents without a database (ids 1..N in order),
``seed_database(session)`` inserts the same data through the ORM and returns key → product id.
``synthetic_products(n)`` stretches the same vocabulary to any size for the 100,000-product bench.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from gs1.gtin import compute_check_digit

TODAY = date(2026, 6, 1)  # the catalogue's "today": licences and certificates are judged on it


@dataclass(frozen=True)
class Maker:
    key: str
    legal_name_en: str
    legal_name_bn: str
    district: str
    brand_en: str
    brand_bn: str


MAKERS: tuple[Maker, ...] = (
    Maker(
        "boishakhi", "Boishakhi Electronics Ltd.", "বৈশাখী ইলেকট্রনিক্স লিমিটেড", "gazipur", "Boishakhi", "বৈশাখী"
    ),
    Maker("shurjomukhi", "Shurjomukhi Mobile Ltd.", "সূর্যমুখী মোবাইল লিমিটেড", "dhaka", "Shurjomukhi", "সূর্যমুখী"),
    Maker("nodi", "Nodi Digital Ltd.", "নদী ডিজিটাল লিমিটেড", "chattogram", "Nodi", "নদী"),
    Maker("meghdut", "Meghdut Networks Ltd.", "মেঘদূত নেটওয়ার্কস লিমিটেড", "narayanganj", "Meghdut", "মেঘদূত"),
    Maker("akash", "Akash Systems Ltd.", "আকাশ সিস্টেমস লিমিটেড", "dhaka", "Akash", "আকাশ"),
    Maker("dorpon", "Dorpon Displays Ltd.", "দর্পণ ডিসপ্লে লিমিটেড", "cumilla", "Dorpon", "দর্পণ"),
    Maker("projapoti", "Projapoti Devices Ltd.", "প্রজাপতি ডিভাইসেস লিমিটেড", "rajshahi", "Projapoti", "প্রজাপতি"),
    Maker("bidyut", "Bidyut Power Ltd.", "বিদ্যুৎ পাওয়ার লিমিটেড", "bogura", "Bidyut", "বিদ্যুৎ"),
    Maker("shonartori", "Shonar Tori Tech Ltd.", "সোনার তরী টেক লিমিটেড", "sylhet", "Shonar Tori", "সোনার তরী"),
    Maker("prohori", "Prohori Security Ltd.", "প্রহরী সিকিউরিটি লিমিটেড", "khulna", "Prohori", "প্রহরী"),
    Maker("tara", "Tara Semicon Ltd.", "তারা সেমিকন লিমিটেড", "jashore", "Tara", "তারা"),
    Maker("jaal", "Jaal Cables Ltd.", "জাল ক্যাবলস লিমিটেড", "narayanganj", "Jaal", "জাল"),
    Maker("ghori", "Ghori Smart Home Ltd.", "ঘড়ি স্মার্ট হোম লিমিটেড", "gazipur", "Ghori", "ঘড়ি"),
    Maker("hishab", "Hishab Soft Ltd.", "হিসাব সফট লিমিটেড", "dhaka", "Hishab", "হিসাব"),
)
MAKERS_BY_KEY = {m.key: m for m in MAKERS}


@dataclass(frozen=True)
class Series:
    """A product line: variants share the series name and differ in size/capacity."""

    key: str
    maker: str
    category: str
    name_en: str  # without brand, e.g. "Nova 5 Smartphone"
    name_bn: str
    model_prefix: str
    variants: tuple[str, ...]  # appended to the model number and the name
    specs: dict[str, str] = field(default_factory=dict)
    description_en: str = ""
    description_bn: str = ""
    schemes: tuple[str, ...] = ()


SERIES: tuple[Series, ...] = (
    # phones
    Series(
        "nova5",
        "boishakhi",
        "phones",
        "Nova 5 Smartphone",
        "নোভা ৫ স্মার্টফোন",
        "BN-N5",
        ("64", "128", "256"),
        {"Network": "4G LTE, dual SIM", "Display": "6.5 inch", "Battery": "5000 mAh"},
        "Dual SIM 4G smartphone with a 6.5 inch display.",
        "ডুয়াল সিম ৪জি স্মার্টফোন, ৬.৫ ইঞ্চি ডিসপ্লে।",
        ("BTRC", "BSTI"),
    ),
    Series(
        "nova7",
        "boishakhi",
        "phones",
        "Nova 7 Pro 5G Smartphone",
        "নোভা ৭ প্রো ৫জি স্মার্টফোন",
        "BN-N7P",
        ("128", "256"),
        {"Network": "5G, dual SIM", "Display": "6.7 inch AMOLED", "Battery": "5500 mAh"},
        "Flagship 5G smartphone with AMOLED display and fast charging.",
        "৫জি ফ্ল্যাগশিপ স্মার্টফোন।",
        ("BTRC", "BSTI", "ISO_9001"),
    ),
    Series(
        "chitra",
        "boishakhi",
        "phones",
        "Chitra Feature Phone",
        "চিত্রা ফিচার ফোন",
        "BN-CF",
        ("1", "2"),
        {"Network": "2G, dual SIM", "Battery": "1500 mAh"},
        "Rugged keypad feature phone with torch and FM radio.",
        "টর্চ ও এফএম রেডিওসহ কিপ্যাড ফিচার ফোন।",
        ("BTRC",),
    ),
    Series(
        "dhrubo",
        "shurjomukhi",
        "phones",
        "Dhrubo X Smartphone",
        "ধ্রুব এক্স স্মার্টফোন",
        "SM-DX",
        ("32", "64", "128"),
        {"Network": "4G, dual SIM", "Display": "6.1 inch", "Battery": "4000 mAh"},
        "Affordable 4G smartphone for students.",
        "শিক্ষার্থীদের জন্য সাশ্রয়ী ৪জি মোবাইল ফোন।",
        ("BTRC",),
    ),
    Series(
        "polash",
        "shurjomukhi",
        "phones",
        "Polash Lite Mobile Phone",
        "পলাশ লাইট মোবাইল ফোন",
        "SM-PL",
        ("16", "32"),
        {"Network": "4G", "Battery": "3500 mAh"},
        "Entry level mobile phone with long battery life.",
        "দীর্ঘ ব্যাটারি লাইফের মোবাইল ফোন।",
        ("BTRC",),
    ),
    Series(
        "sathi",
        "shurjomukhi",
        "phones",
        "Sathi Senior Feature Phone",
        "সাথী সিনিয়র ফিচার ফোন",
        "SM-SF",
        ("1",),
        {"Keys": "large keypad", "Battery": "1800 mAh"},
        "Feature phone with large keys and SOS button for elders.",
        "বয়স্কদের জন্য বড় বোতামের ফিচার ফোন।",
        ("BTRC",),
    ),
    # laptops
    Series(
        "shikkha",
        "nodi",
        "laptops",
        "Shikkha 14 Laptop",
        "শিক্ষা ১৪ ল্যাপটপ",
        "ND-S14",
        ("i3", "i5"),
        {"CPU": "Core i5", "RAM": "8 GB", "Storage": "512 GB SSD", "Display": "14 inch"},
        "Light student laptop with full day battery.",
        "শিক্ষার্থীদের হালকা ল্যাপটপ।",
        ("BSTI", "ISO_9001"),
    ),
    Series(
        "titan",
        "nodi",
        "laptops",
        "Titan 16 Gaming Laptop",
        "টাইটান ১৬ গেমিং ল্যাপটপ",
        "ND-T16",
        ("rtx3050", "rtx4060"),
        {"CPU": "Core i7", "RAM": "16 GB", "GPU": "RTX graphics", "Display": "16 inch 144 Hz"},
        "Gaming laptop with RTX graphics and 144 Hz display.",
        "আরটিএক্স গ্রাফিক্সসহ গেমিং ল্যাপটপ।",
        ("BSTI",),
    ),
    Series(
        "karigor",
        "akash",
        "laptops",
        "Karigor Pro Notebook",
        "কারিগর প্রো নোটবুক",
        "AK-KP",
        ("15", "17"),
        {"CPU": "Ryzen 7", "RAM": "32 GB", "Storage": "1 TB SSD"},
        "Business notebook with fingerprint reader.",
        "ফিঙ্গারপ্রিন্ট রিডারসহ ব্যবসায়িক নোটবুক।",
        ("BSTI", "ISO_9001", "ISO_14001"),
    ),
    # tablets
    Series(
        "pakhi",
        "projapoti",
        "tablets",
        "Pakhi 10 Tablet",
        "পাখি ১০ ট্যাবলেট",
        "PJ-P10",
        ("wifi", "lte"),
        {"Display": "10.1 inch", "Battery": "7000 mAh", "Network": "Wi-Fi / 4G LTE"},
        "Education tablet for classrooms.",
        "শ্রেণিকক্ষের জন্য শিক্ষা ট্যাবলেট।",
        ("BTRC",),
    ),
    Series(
        "shishu",
        "projapoti",
        "tablets",
        "Shishu Kids Tablet",
        "শিশু কিডস ট্যাবলেট",
        "PJ-SK",
        ("7",),
        {"Display": "7 inch", "Case": "shockproof"},
        "Kids tablet with shockproof case and parental control.",
        "শিশুদের ট্যাবলেট, প্যারেন্টাল কন্ট্রোলসহ।",
        ("BTRC",),
    ),
    # desktops / servers
    Series(
        "durjoy",
        "akash",
        "desktops",
        "Durjoy Desktop PC",
        "দুর্জয় ডেস্কটপ পিসি",
        "AK-DD",
        ("i5", "i7"),
        {"CPU": "Core i7", "RAM": "16 GB", "Storage": "1 TB SSD"},
        "Office desktop computer assembled in Dhaka.",
        "ঢাকায় সংযোজিত অফিস ডেস্কটপ কম্পিউটার।",
        ("BSTI",),
    ),
    Series(
        "meghna-aio",
        "nodi",
        "desktops",
        "Meghna All-in-One PC",
        "মেঘনা অল-ইন-ওয়ান পিসি",
        "ND-AIO",
        ("24", "27"),
        {"Display": "24 inch", "RAM": "8 GB"},
        "All-in-one computer for offices and banks.",
        "অফিস ও ব্যাংকের জন্য অল-ইন-ওয়ান কম্পিউটার।",
        ("BSTI",),
    ),
    Series(
        "durgo",
        "akash",
        "servers",
        "Durgo Rack Server",
        "দুর্গ র‍্যাক সার্ভার",
        "AK-DR",
        ("1u", "2u"),
        {"CPU": "2x Xeon", "RAM": "256 GB ECC", "Storage": "8 x 2.5 inch bays"},
        "Rack server for data centres and government clouds.",
        "ডেটা সেন্টারের জন্য র‍্যাক সার্ভার।",
        ("ISO_9001", "IEC_62368_1"),
    ),
    Series(
        "minar",
        "akash",
        "servers",
        "Minar Tower Server",
        "মিনার টাওয়ার সার্ভার",
        "AK-MT",
        ("1",),
        {"CPU": "Xeon", "RAM": "64 GB ECC"},
        "Quiet tower server for small offices.",
        "ছোট অফিসের জন্য টাওয়ার সার্ভার।",
        ("ISO_9001",),
    ),
    # displays
    Series(
        "dorpon-tv",
        "dorpon",
        "tvs",
        "Dorpon Smart TV",
        "দর্পণ স্মার্ট টিভি",
        "DP-STV",
        ("32", "43", "55"),
        {"Display": "4K UHD", "OS": "Android TV"},
        "Android smart TV with 4K UHD panel.",
        "৪কে ইউএইচডি অ্যান্ড্রয়েড স্মার্ট টিভি।",
        ("BSTI",),
    ),
    Series(
        "boishakhi-tv",
        "boishakhi",
        "tvs",
        "Boishakhi LED Television",
        "বৈশাখী এলইডি টেলিভিশন",
        "BN-TV",
        ("24", "32"),
        {"Display": "HD LED"},
        "LED television with USB movie playback.",
        "ইউএসবি মুভি প্লেব্যাকসহ এলইডি টেলিভিশন।",
        ("BSTI",),
    ),
    Series(
        "chokh",
        "dorpon",
        "monitors",
        "Chokh LED Monitor",
        "চোখ এলইডি মনিটর",
        "DP-CM",
        ("22", "24", "27"),
        {"Panel": "IPS", "Refresh": "75 Hz"},
        "IPS monitor with eye care mode.",
        "আই কেয়ার মোডসহ আইপিএস মনিটর।",
        ("BSTI",),
    ),
    # network
    Series(
        "meghdut-ax",
        "meghdut",
        "network-equipment",
        "Meghdut AX3000 Wi-Fi 6 Router",
        "মেঘদূত এএক্স৩০০০ ওয়াই-ফাই ৬ রাউটার",
        "MD-AX3",
        ("1",),
        {"Wi-Fi": "Wi-Fi 6, dual band", "Ports": "4x gigabit"},
        "Dual band Wi-Fi 6 router for homes and offices.",
        "বাসা ও অফিসের জন্য ডুয়াল ব্যান্ড ওয়াই-ফাই ৬ রাউটার।",
        ("BTRC",),
    ),
    Series(
        "meghdut-n",
        "meghdut",
        "network-equipment",
        "Meghdut N300 Wi-Fi Router",
        "মেঘদূত এন৩০০ ওয়াই-ফাই রাউটার",
        "MD-N3",
        ("1",),
        {"Wi-Fi": "Wi-Fi 4, 300 Mbps"},
        "Budget wireless router.",
        "সাশ্রয়ী ওয়্যারলেস রাউটার।",
        ("BTRC",),
    ),
    Series(
        "meghdut-onu",
        "meghdut",
        "network-equipment",
        "Meghdut GPON ONU",
        "মেঘদূত জিপন ওএনইউ",
        "MD-ONU",
        ("1", "2"),
        {"PON": "GPON", "Ports": "1x gigabit"},
        "Fibre ONU for internet service providers.",
        "ইন্টারনেট সেবাদাতাদের ফাইবার ওএনইউ।",
        ("BTRC",),
    ),
    Series(
        "meghdut-sw",
        "meghdut",
        "network-equipment",
        "Meghdut 24-Port Network Switch",
        "মেঘদূত ২৪-পোর্ট নেটওয়ার্ক সুইচ",
        "MD-SW24",
        ("1",),
        {"Ports": "24x gigabit", "Managed": "yes"},
        "Managed gigabit switch.",
        "ম্যানেজড গিগাবিট সুইচ।",
        ("BTRC", "CE"),
    ),
    # POS, CCTV, power
    Series(
        "tori-pos",
        "shonartori",
        "pos-terminals",
        "Tori Android POS Terminal",
        "তরী অ্যান্ড্রয়েড পিওএস টার্মিনাল",
        "ST-POS",
        ("a8", "a10"),
        {"Printer": "58 mm thermal", "Payments": "NFC, chip, QR"},
        "Android POS terminal with printer for shops.",
        "প্রিন্টারসহ অ্যান্ড্রয়েড পিওএস টার্মিনাল।",
        ("BTRC", "BSTI"),
    ),
    Series(
        "prohori-ip",
        "prohori",
        "cctv",
        "Prohori 4MP IP Camera",
        "প্রহরী ৪এমপি আইপি ক্যামেরা",
        "PH-IP4",
        ("bullet", "dome"),
        {"Resolution": "4 MP", "Night vision": "30 m"},
        "Outdoor CCTV IP camera with night vision.",
        "নাইট ভিশনসহ সিসিটিভি আইপি ক্যামেরা।",
        ("BSTI",),
    ),
    Series(
        "prohori-dvr",
        "prohori",
        "cctv",
        "Prohori 8-Channel DVR",
        "প্রহরী ৮-চ্যানেল ডিভিআর",
        "PH-DVR8",
        ("1",),
        {"Channels": "8"},
        "Video recorder for CCTV cameras.",
        "সিসিটিভি ক্যামেরার ভিডিও রেকর্ডার।",
        ("BSTI",),
    ),
    Series(
        "bidyut-ups",
        "bidyut",
        "ups",
        "Bidyut Online UPS",
        "বিদ্যুৎ অনলাইন ইউপিএস",
        "BD-OU",
        ("1kva", "2kva", "3kva"),
        {"Topology": "online double conversion"},
        "Online UPS for servers and hospitals.",
        "সার্ভার ও হাসপাতালের জন্য অনলাইন ইউপিএস।",
        ("BSTI", "IEC_62368_1"),
    ),
    Series(
        "bidyut-pb",
        "bidyut",
        "power-banks",
        "Bidyut Power Bank",
        "বিদ্যুৎ পাওয়ার ব্যাংক",
        "BD-PB",
        ("10000", "20000"),
        {"Output": "22.5 W fast charging"},
        "Power bank with fast charging.",
        "ফাস্ট চার্জিং পাওয়ার ব্যাংক।",
        ("BSTI",),
    ),
    Series(
        "bidyut-ch",
        "bidyut",
        "chargers",
        "Bidyut 65W USB-C Charger",
        "বিদ্যুৎ ৬৫ওয়াট ইউএসবি-সি চার্জার",
        "BD-C65",
        ("1",),
        {"Output": "65 W GaN"},
        "GaN fast charger for laptops and phones.",
        "ল্যাপটপ ও ফোনের জন্য ফাস্ট চার্জার।",
        ("BSTI",),
    ),
    # components
    Series(
        "tara-nvme",
        "tara",
        "ssds",
        "Tara NVMe SSD",
        "তারা এনভিএমই এসএসডি",
        "TR-NV",
        ("512", "1tb", "2tb"),
        {"Interface": "PCIe 4.0 NVMe"},
        "PCIe 4.0 NVMe solid state drive.",
        "পিসিআইই ৪.০ এনভিএমই এসএসডি।",
        ("ROHS",),
    ),
    Series(
        "tara-mb",
        "tara",
        "motherboards",
        "Tara B660 Motherboard",
        "তারা বি৬৬০ মাদারবোর্ড",
        "TR-B660",
        ("1",),
        {"Socket": "LGA1700"},
        "Micro-ATX motherboard.",
        "মাইক্রো-এটিএক্স মাদারবোর্ড।",
        ("ROHS", "CE"),
    ),
    Series(
        "jaal-cat6",
        "jaal",
        "cables",
        "Jaal Cat6 Network Cable",
        "জাল ক্যাট৬ নেটওয়ার্ক ক্যাবল",
        "JL-C6",
        ("100m", "305m"),
        {"Type": "UTP Cat6"},
        "Cat6 UTP network cable box.",
        "ক্যাট৬ নেটওয়ার্ক ক্যাবল।",
        ("ROHS",),
    ),
    Series(
        "jaal-usbc",
        "jaal",
        "cables",
        "Jaal USB-C Cable",
        "জাল ইউএসবি-সি ক্যাবল",
        "JL-UC",
        ("1m", "2m"),
        {"Power": "60 W"},
        "Braided USB-C charging cable.",
        "ইউএসবি-সি চার্জিং ক্যাবল।",
        ("ROHS",),
    ),
    # IoT, software
    Series(
        "ghori-plug",
        "ghori",
        "iot-devices",
        "Ghori Smart Plug",
        "ঘড়ি স্মার্ট প্লাগ",
        "GH-SP",
        ("1",),
        {"Control": "Wi-Fi app"},
        "Wi-Fi smart plug with energy meter.",
        "এনার্জি মিটারসহ স্মার্ট প্লাগ।",
        ("BTRC",),
    ),
    Series(
        "ghori-meter",
        "ghori",
        "iot-devices",
        "Ghori Prepaid Smart Meter",
        "ঘড়ি প্রিপেইড স্মার্ট মিটার",
        "GH-PM",
        ("1p", "3p"),
        {"Phase": "single / three"},
        "Prepaid electricity smart meter.",
        "প্রিপেইড বিদ্যুৎ স্মার্ট মিটার।",
        ("BTRC", "BSTI"),
    ),
    Series(
        "hishab-erp",
        "hishab",
        "software-services",
        "Hishab ERP Suite",
        "হিসাব ইআরপি স্যুট",
        "HS-ERP",
        ("std", "ent"),
        {"Modules": "accounts, payroll, VAT"},
        "ERP and accounting software with VAT returns.",
        "ভ্যাট রিটার্নসহ হিসাব সফটওয়্যার।",
        ("ISO_9001",),
    ),
)

# product key → (status, licence_valid_until override) for the few that are not public on TODAY
NOT_PUBLIC: dict[str, tuple[str, date | None]] = {
    "nova5-256": ("suspended", None),
    "titan-rtx4060": ("revoked", None),
    "polash-32": ("expired", date(2026, 1, 31)),
    "chokh-27": ("submitted", None),
}


def gtin_for(n: int) -> str:
    body = f"28{(n * 7919 + 1234567) % 10**10:010d}"  # 7919 is coprime to 10**10: no two n collide
    return (body + compute_check_digit(body)).zfill(14)


def _bn_digits(text: str) -> str:
    return text.translate(str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯"))


def _product(n: int, series: Series, variant: str, rng: random.Random) -> dict[str, Any]:
    maker = MAKERS_BY_KEY[series.maker]
    key = f"{series.key}-{variant}"
    suffix = "" if variant in ("1",) else f" {variant.upper() if not variant.isdigit() else variant}"
    status, until_override = NOT_PUBLIC.get(key, ("licensed", None))
    start = date(2025, 1, 1) + timedelta(days=rng.randint(0, 300))
    until = until_override or (start.replace(year=start.year + 3) - timedelta(days=1))
    if status == "expired":
        status = "licensed"  # an expired licence is a licensed product past its validity
        start = date(2023, 2, 1)
    return {
        "key": key,
        "series": series.key,
        "maker": maker.key,
        "name_en": f"{maker.brand_en} {series.name_en}{suffix}"
        if not series.name_en.startswith(maker.brand_en)
        else f"{series.name_en}{suffix}",
        "name_bn": f"{maker.brand_bn} {series.name_bn}{_bn_digits(suffix)}"
        if not series.name_bn.startswith(maker.brand_bn)
        else f"{series.name_bn}{_bn_digits(suffix)}",
        "brand": maker.brand_en,
        "model_number": f"{series.model_prefix}-{variant.upper()}" if variant != "1" else series.model_prefix,
        "category": series.category,
        "gtin": gtin_for(n),
        "description_en": series.description_en,
        "description_bn": series.description_bn,
        "specifications": dict(series.specs) | ({"Variant": variant} if variant != "1" else {}),
        "local_value_addition": Decimal(rng.randint(12, 92)),
        "launch_date": date(2023, 1, 1) + timedelta(days=rng.randint(0, 1000)),
        "status": status,
        "licence_valid_from": start if status in ("licensed", "suspended", "revoked") else None,
        "licence_valid_until": until if status in ("licensed", "suspended", "revoked") else None,
        "schemes": series.schemes,
        "created_at": datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=n),
    }


def build_products() -> list[dict[str, Any]]:
    """Every product of the fixed dataset (deterministic), including a few that are not public."""
    rng = random.Random(20260601)
    products = []
    n = 0
    for series in SERIES:
        for variant in series.variants:
            n += 1
            products.append(_product(n, series, variant, rng))
    # filler: older generations of each series, so the judged products have look-alike neighbours
    for generation in (2, 3, 4, 6):
        for series in SERIES:
            for variant in series.variants[:2]:
                n += 1
                old = Series(
                    f"{series.key}g{generation}",
                    series.maker,
                    series.category,
                    series.name_en.replace(" ", f" Gen{generation} ", 1),
                    series.name_bn.replace(" ", f" জেন{_bn_digits(str(generation))} ", 1),
                    f"{series.model_prefix}G{generation}",
                    series.variants,
                    series.specs,
                    series.description_en,
                    series.description_bn,
                    series.schemes,
                )
                products.append(_product(n, old, variant, rng))
    return products


PRODUCTS: list[dict[str, Any]] = build_products()
PUBLIC_KEYS = {p["key"] for p in PRODUCTS if p["key"] not in NOT_PUBLIC}


def _certificates(product: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "scheme": s,
            "valid_from": date(2025, 1, 1),
            "valid_until": date(2028, 12, 31) if s != "ISO_14001" else date(2026, 3, 1),
        }
        for s in product["schemes"]
    ]


def catalogue_documents(today: date = TODAY) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The public products as catalogue documents (ids 1..N in dataset order), and key → id."""
    from search.documents import build_product_document

    docs = []
    ids = {}
    for i, p in enumerate(PRODUCTS, 1):
        ids[p["key"]] = i
        if p["key"] in NOT_PUBLIC:
            continue
        maker = MAKERS_BY_KEY[p["maker"]]
        row = {
            **{
                k: p[k]
                for k in (
                    "gtin",
                    "name_en",
                    "name_bn",
                    "brand",
                    "model_number",
                    "category",
                    "description_en",
                    "description_bn",
                    "specifications",
                    "local_value_addition",
                    "launch_date",
                    "licence_valid_from",
                    "licence_valid_until",
                    "created_at",
                )
            },
            "id": i,
            "hs_code": None,
            "manufacturer_id": MAKERS.index(maker) + 1,
            "licence_number": f"MIB-{i:06d}",
            "legal_name_en": maker.legal_name_en,
            "legal_name_bn": maker.legal_name_bn,
            "district": maker.district,
        }
        docs.append(build_product_document(row, _certificates(p)))
    return docs, ids


def seed_database(session: Any) -> dict[str, int]:
    """Insert makers, certificates and products through the ORM; return product key → id."""
    from registry.models import Certificate, Manufacturer, Product

    makers = {}
    for i, m in enumerate(MAKERS, 1):
        makers[m.key] = Manufacturer(
            legal_name_en=m.legal_name_en,
            legal_name_bn=m.legal_name_bn,
            trade_licence_no=f"TRAD/{i:06d}",
            bin=f"{900000000000 + i:013d}",
            tin=f"{700000000000 + i:012d}",
            address=f"{m.district} industrial area",
            district=m.district,
            contact_name="Contact",
            contact_email=f"contact@{m.key}.example.com.bd",
            contact_phone=f"+880170000{i:04d}",
            status="verified",
        )
        session.add(makers[m.key])
    session.flush()
    certs: dict[tuple[str, str], Any] = {}
    ids = {}
    for p in PRODUCTS:
        product = Product(
            manufacturer=makers[p["maker"]],
            **{
                k: p[k]
                for k in (
                    "name_en",
                    "name_bn",
                    "brand",
                    "model_number",
                    "category",
                    "gtin",
                    "description_en",
                    "description_bn",
                    "specifications",
                    "local_value_addition",
                    "launch_date",
                    "status",
                    "licence_valid_from",
                    "licence_valid_until",
                    "created_at",
                )
            },
            lva_basis="ex-factory price less imported inputs",
        )
        for c in _certificates(p):
            cert_key = (p["maker"], c["scheme"])
            if cert_key not in certs:
                certs[cert_key] = Certificate(
                    manufacturer_id=makers[p["maker"]].id,
                    scheme=c["scheme"],
                    number=f"{p['maker']}-{c['scheme']}",
                    issuer="issuer",
                    valid_from=c["valid_from"],
                    valid_until=c["valid_until"],
                )
            product.certificates.append(certs[cert_key])
        session.add(product)
        ids[p["key"]] = product
    session.flush()
    return {key: product.id for key, product in ids.items()}


def synthetic_products(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """``n`` products built from the same vocabulary (for the 100,000-product benchmark)."""
    return list(iter_synthetic_products(n, seed))


def iter_synthetic_products(n: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """``synthetic_products`` one at a time (a million of them do not need to sit in memory at once)."""
    rng = random.Random(seed)
    base = build_products()
    for i in range(n):
        p = dict(base[i % len(base)])
        generation = i // len(base)
        if generation:
            p["key"] = f"{p['key']}-x{generation}"
            p["name_en"] = f"{p['name_en']} Mk{generation}"
            p["name_bn"] = f"{p['name_bn']} মার্ক{_bn_digits(str(generation))}"
            p["model_number"] = f"{p['model_number']}-{generation}"
        p["gtin"] = gtin_for(100000 + i)
        p["local_value_addition"] = Decimal(rng.randint(5, 95))
        p["created_at"] = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=i)
        yield p
