"""The judged query set: each query with the products that should rank in the top 3.

Judgements name product *families* (a series and its older generations, e.g. every "Nova 5"
phone) or single product keys (for codes), never database ids, so they hold for any backend and
any load order. ``relevant_keys(query)`` expands them against ``dataset.PRODUCTS``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.relevance.dataset import NOT_PUBLIC, PRODUCTS, PUBLIC_KEYS

PHONES = ("nova5", "nova7", "chitra", "dhrubo", "polash", "sathi")
SMARTPHONES = ("nova5", "nova7", "dhrubo")
LAPTOPS = ("shikkha", "titan", "karigor")


@dataclass(frozen=True)
class Judged:
    q: str
    kind: str  # en, bn, banglish, typo, code
    families: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()


def _family(key: str) -> str:
    product = next(p for p in PRODUCTS if p["key"] == key)
    series = product["series"]
    for generation in ("g2", "g3", "g4", "g6"):
        if series.endswith(generation):
            return series[: -len(generation)]
    return series


FAMILY = {p["key"]: _family(p["key"]) for p in PRODUCTS}
BY_KEY = {p["key"]: p for p in PRODUCTS}


def _gtin(key: str) -> str:
    return BY_KEY[key]["gtin"]


def _unique_fragment(key: str, length: int = 7) -> str:
    """A run of the product's GTIN digits found in no other GTIN."""
    gtin = _gtin(key)
    others = [p["gtin"] for p in PRODUCTS if p["key"] != key]
    for start in range(len(gtin) - length, 0, -1):
        fragment = gtin[start : start + length]
        if not any(fragment in o for o in others):
            return fragment
    raise ValueError(f"no unique fragment in {gtin}")


QUERIES: tuple[Judged, ...] = (
    # English
    Judged("nova 5", "en", ("nova5",)),
    Judged("boishakhi smartphone", "en", ("nova5", "nova7")),
    Judged("gaming laptop", "en", ("titan",)),
    Judged("wifi 6 router", "en", ("meghdut-ax",)),
    Judged("online ups", "en", ("bidyut-ups",)),
    Judged("ip camera", "en", ("prohori-ip",)),
    Judged("power bank", "en", ("bidyut-pb",)),
    Judged("pos terminal", "en", ("tori-pos",)),
    Judged("nvme ssd", "en", ("tara-nvme",)),
    Judged("smart tv", "en", ("dorpon-tv",)),
    Judged("rack server", "en", ("durgo",)),
    Judged("feature phone", "en", ("chitra", "sathi")),
    Judged("prepaid smart meter", "en", ("ghori-meter",)),
    Judged("accounting software", "en", ("hishab-erp",)),
    Judged("cat6 cable", "en", ("jaal-cat6",)),
    Judged("gpon onu", "en", ("meghdut-onu",)),
    Judged("usb-c charger", "en", ("bidyut-ch",)),
    Judged("5g phone", "en", ("nova7",)),
    Judged("kids tablet", "en", ("shishu",)),
    Judged("16 inch gaming", "en", ("titan",)),
    Judged("ups for server", "en", ("bidyut-ups",)),
    Judged("fingerprint notebook", "en", ("karigor",)),
    Judged("feature phone with torch", "en", ("chitra",)),
    # Bangla
    Judged("স্মার্টফোন", "bn", SMARTPHONES),
    Judged("ল্যাপটপ", "bn", LAPTOPS),
    Judged("রাউটার", "bn", ("meghdut-ax", "meghdut-n")),
    Judged("পাওয়ার ব্যাংক", "bn", ("bidyut-pb",)),
    Judged("সিসিটিভি ক্যামেরা", "bn", ("prohori-ip", "prohori-dvr")),
    Judged("বৈশাখী টেলিভিশন", "bn", ("boishakhi-tv",)),
    Judged("দর্পণ স্মার্ট টিভি", "bn", ("dorpon-tv",)),
    Judged("বৈশাখি নোভা", "bn", ("nova5", "nova7")),  # short i for long i
    Judged("নোভা ৫", "bn", ("nova5",)),  # Bangla digit
    Judged("গাজিপুর স্মার্ট প্লাগ", "bn", ("ghori-plug",)),  # short i in Gazipur
    Judged("অনলাইন ইউপিএস", "bn", ("bidyut-ups",)),
    Judged("মোবাইল ফোন", "bn", PHONES),
    Judged("ডেস্কটপ কম্পিউটার", "bn", ("durjoy", "meghna-aio")),
    Judged("দর্পন মনিটর", "bn", ("chokh",)),  # ন for ণ
    Judged("৫জি ফোন", "bn", ("nova7",)),
    Judged("টর্চ ফিচার ফোন", "bn", ("chitra",)),
    Judged("শিশুদের ট্যাবলেট", "bn", ("shishu",)),
    # Banglish (romanised Bangla)
    Judged("mobail fon", "banglish", PHONES),
    Judged("lyaptop", "banglish", LAPTOPS),
    Judged("rauter", "banglish", ("meghdut-ax", "meghdut-n")),
    Judged("durjoy deskotop", "banglish", ("durjoy",)),
    Judged("dorpon tibhi", "banglish", ("dorpon-tv",)),
    Judged("bidyut charjar", "banglish", ("bidyut-ch",)),
    Judged("ghori smart miter", "banglish", ("ghori-meter",)),
    Judged("shikkha lyaptop", "banglish", ("shikkha",)),
    Judged("prohori kyamera", "banglish", ("prohori-ip",)),
    # typos
    Judged("smarphone", "typo", SMARTPHONES),
    Judged("lapptop", "typo", LAPTOPS),
    Judged("routr", "typo", ("meghdut-ax", "meghdut-n")),
    Judged("camra", "typo", ("prohori-ip",)),
    Judged("boishaki", "typo", ("nova5", "nova7", "chitra", "boishakhi-tv")),
    Judged("projapati tablet", "typo", ("pakhi", "shishu")),
    Judged("motherbord", "typo", ("tara-mb",)),
    Judged("meghdoot router", "typo", ("meghdut-ax", "meghdut-n")),
    # partial and full codes
    Judged(_gtin("nova7-256"), "code", keys=("nova7-256",)),
    Judged(_unique_fragment("durgo-2u"), "code", keys=("durgo-2u",)),
    Judged(_gtin("tori-pos-a10").lstrip("0"), "code", keys=("tori-pos-a10",)),  # as an EAN-13
    Judged("BN-N5-128", "code", keys=("nova5-128",)),
    Judged("N7P-256", "code", keys=("nova7-256",)),
    Judged("TR-NV-1TB", "code", keys=("tara-nvme-1tb",)),
)


def relevant_keys(judged: Judged) -> set[str]:
    """The public products that count as a right answer to ``judged``."""
    keys = set(judged.keys) | {k for k, family in FAMILY.items() if family in judged.families}
    return {k for k in keys if k in PUBLIC_KEYS and k not in NOT_PUBLIC}
