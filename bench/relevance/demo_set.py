"""A harder judged query set on the demo data (registry/demo.py): at least 80 queries, a third in Bangla, a
sixth in Banglish, with typos, codes and procurement filters. Judgements are rules over the public documents
(a kind of product, a brand's kind, one GTIN or model), so they hold for any backend and any seed size.

    python -m bench.relevance.demo_set            # embedded; REGISTRY_TEST_OPENSEARCH_URL (http:// or opensearch://) adds OpenSearch

prints success@3 and nDCG@10 per group and per backend as JSON."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from bench.relevance.evaluate import ndcg_at
from search.queries import parse_catalogue_query

Doc = dict[str, Any]


@dataclass(frozen=True)
class DemoQuery:
    q: str
    group: str  # en, bn, banglish, typo, code, filter
    relevant: Callable[[Doc], bool]
    filters: dict[str, list[str]] = field(default_factory=dict)
    hard: bool = False  # from the harder part of the set (ambiguous words, variants, partial codes, mixes)


def named(*words: str) -> Callable[[Doc], bool]:
    """Products whose English name has every word (case-insensitive)."""
    return lambda d: all(w.lower() in d["name_en"].lower() for w in words)


def brand_kind(brand: str, *words: str) -> Callable[[Doc], bool]:
    return lambda d: d["brand"] == brand and named(*words)(d)


# (English words, Bangla, Banglish, typo) of each kind of product the demo makes.
KINDS: tuple[tuple[str, str, str, str], ...] = (
    ("smartphone", "স্মার্টফোন", "smartfon", "smarphone"),
    ("feature phone", "ফিচার ফোন", "fichar fon", "featur phone"),
    ("tablet", "ট্যাবলেট", "tablet", "tablte"),
    ("laptop", "ল্যাপটপ", "lyaptop", "labtop"),
    ("notebook", "নোটবুক", "notbuk", "notebok"),
    ("desktop pc", "ডেস্কটপ পিসি", "deskotop pc", "dekstop pc"),
    ("rack server", "র‍্যাক সার্ভার", "rak sarvar", "rack sever"),
    ("led monitor", "এলইডি মনিটর", "monitar", "moniter"),
    ("smart tv", "স্মার্ট টিভি", "smart tibhi", "smrt tv"),
    ("wi-fi router", "ওয়াই-ফাই রাউটার", "rauter", "routr"),
    ("network switch", "নেটওয়ার্ক সুইচ", "netwark suich", "netwrok switch"),
    ("pos terminal", "পিওএস টার্মিনাল", "pos tarminal", "pos termnal"),
    ("ip camera", "আইপি ক্যামেরা", "kyamera", "ip camra"),
    ("dome camera", "ডোম ক্যামেরা", "dom kyamera", "dome camrea"),
    ("online ups", "অনলাইন ইউপিএস", "onlain ups", "onlne ups"),
    ("power bank", "পাওয়ার ব্যাংক", "paoar byank", "powr bank"),
    ("motherboard", "মাদারবোর্ড", "madarbord", "motherbord"),
    ("nvme ssd", "এনভিএমই এসএসডি", "enviemi ssd", "nvme sdd"),
    ("fast charger", "ফাস্ট চার্জার", "fast charjar", "fast chargr"),
    ("cat6 cable", "ক্যাট৬ ক্যাবল", "kyat6 kyabol", "cat6 cabel"),
    ("smart plug", "স্মার্ট প্লাগ", "smart plag", "smart plgu"),
    ("erp suite", "ইআরপি স্যুট", "iarpi sut", "erp suiet"),
    ("accounting software", "হিসাব সফটওয়্যার", "hisab softwer", "acounting software"),
)
EXTRA_BN = (  # Bangla as people type it: spelled-out letters, short vowels, digits
    ("ইউ পি এস", named("ups")),
    ("টিভি", named("tv")),
    ("মোবাইল ফোন", lambda d: d["category"] == "phones"),
    ("সিসিটিভি ক্যামেরা", lambda d: d["category"] == "cctv"),
    ("রাউটার", named("router")),
    ("চার্জার", named("charger")),
    ("সার্ভার", named("server")),
    ("ক্যাবল", named("cable")),
    ("স্মার্ট মিটার", named("smart meter")),
    ("ডেস্কটপ", named("desktop")),
    ("এসএসডি", named("ssd")),
    ("ল্যাপটপ কম্পিউটার", named("laptop")),
    ("স্মাটফোন", named("smartphone")),
    ("কেমেরা", named("camera")),
    ("ইউপিএস", named("ups")),
    ("অনলাইন ইউ পি এস", named("online ups")),
    ("জিপন ওএনইউ", named("onu")),
    ("প্রিপেইড স্মার্ট মিটার", named("smart meter")),
    ("অল-ইন-ওয়ান পিসি", named("all-in-one")),
    ("টাওয়ার সার্ভার", named("tower server")),
    ("ইউএসবি-সি চার্জার", named("usb-c charger")),
    ("সাটা এসএসডি", named("sata ssd")),
    ("এলইডি টেলিভিশন", named("led television")),
    ("ডোম ক্যামেরা", named("dome camera")),
    ("হিসাব সফটওয়্যার ক্লাউড", named("accounting software")),
)
EXTRA_BANGLISH = (
    ("mobail fon", lambda d: d["category"] == "phones"),
    ("telibhishon", named("television")),
    ("sarvar", named("server")),
    ("charjar", named("charger")),
    ("smart mitar", named("smart meter")),
    ("pawar byank", named("power bank")),
)


def brand_is(brand: str) -> Callable[[Doc], bool]:
    return lambda d: d["brand"] == brand


def model_starts(prefix: str) -> Callable[[Doc], bool]:
    return lambda d: d["model_number"].upper().startswith(prefix)


def both(*rules: Callable[[Doc], bool]) -> Callable[[Doc], bool]:
    return lambda d: all(rule(d) for rule in rules)


# The hard part, judged as a procurement officer would judge it (what they mean, not what an engine
# returns): words that are both a brand and a thing (হিসাব "accounting" is the brand Hishab, জাল "net" is
# Jaal, a maker of monitors), series names every brand uses (Nova, Prime, Edge), partial model numbers,
# several romanisations of one Bangla word, Bangla typos and queries in two scripts.
AMBIGUOUS = (
    ("hishab ups", both(brand_is("Hishab"), named("ups"))),  # the brand, not accounting software
    ("hishab", brand_is("Hishab")),
    ("jaal router", named("router")),  # jaal = net: a network router, not the Jaal monitors
    ("bidyut ups", named("ups")),  # bidyut = electricity; the Bidyut brand sells software
    ("ghori smart plug", both(brand_is("Ghori"), named("smart plug"))),
    ("padma nova", both(brand_is("Padma"), named("nova"))),
    ("nova 64 gb phone", both(lambda d: d["category"] == "phones", named("nova", "64 gb"))),
    ("spark tv", named("tv", "spark")),
    ("edge camera", named("camera", "edge")),
    ("prime online ups", named("online ups", "prime")),
    ("meghna laptop 16 gb", both(brand_is("Meghna"), named("laptop", "16 gb"))),
    ("surma camera", both(brand_is("Surma"), named("camera"))),
    ("max tablet", named("tablet", "max")),
    ("tower server", named("tower server")),
    ("usb-c cable", named("usb-c cable")),
    ("zigbee smart plug", named("smart plug", "zigbee")),
    ("on premises erp", named("erp", "on premises")),
    ("pos terminal without printer", named("pos terminal", "without printer")),
)
AMBIGUOUS_BN = (
    ("হিসাব ইউপিএস", both(brand_is("Hishab"), named("ups"))),
    ("জাল মনিটর", both(brand_is("Jaal"), named("monitor"))),
    ("ঘড়ি রাউটার", both(brand_is("Ghori"), named("router"))),
    ("তারা ল্যাপটপ", both(brand_is("Tara"), named("laptop"))),
    ("নোভা স্মার্টফোন ৬৪ জিবি", named("smartphone", "nova", "64 gb")),
    ("প্রাইম পাওয়ার ব্যাংক", named("power bank", "prime")),
    ("অনলাইন ইউপিএস ৬৫০ ভিএ", named("online ups", "650 va")),
    ("ডোম ক্যামেরা এজ", named("dome camera", "edge")),
    ("ফিচার ফোন অরবিট", named("feature phone", "orbit")),
    ("২২ ইঞ্চি মনিটর", named("monitor", "22-inch")),
    ("পদ্মা নোভা", both(brand_is("Padma"), named("nova"))),
    ("মেঘনা ডেস্কটপ", both(brand_is("Meghna"), named("desktop"))),
    ("কলম টিভি", both(brand_is("Kolom"), named("tv"))),  # kolom = pen: the brand
    ("আকাশ ক্যামেরা", both(brand_is("Akash"), named("camera"))),  # akash = sky: the brand
    ("৬৫ ওয়াট চার্জার", named("charger", "65 w")),
    ("১০০০০ এমএএইচ পাওয়ার ব্যাংক", named("power bank", "10000 mah")),
    ("হিসাব পাওয়ার ব্যাংক", both(brand_is("Hishab"), named("power bank"))),
    ("সাটা এসএসডি ১ টিবি", named("sata ssd", "1 tb")),
)
BN_TYPOS = (  # Bangla as people mistype it
    ("ল্যাপটব", named("laptop")),
    ("রাউটর", named("router")),
    ("স্মার্টফন", named("smartphone")),
    ("মনিটার", named("monitor")),
    ("ক্যামরা", named("camera")),
    ("পাওযার ব্যাংক", named("power bank")),
    ("মাদারবোড", named("motherboard")),
    ("সার্ভর", named("server")),
    ("টেবলেট", named("tablet")),
    ("চার্যার", named("charger")),
    ("সুইছ", named("switch")),
    ("ইউপিস", named("ups")),
)
BANGLISH_VARIANTS = (  # one Bangla word, several romanisations
    ("leptop", named("laptop")),
    ("laptap", named("laptop")),
    ("mobaile fon", lambda d: d["category"] == "phones"),
    ("mobile phon", lambda d: d["category"] == "phones"),
    ("charzar", named("charger")),
    ("telebhishon", named("television")),
    ("raotar", named("router")),
    ("pawarbank", named("power bank")),
    ("sarbhar", named("server")),
    ("kemera", named("camera")),
    ("tyablet", named("tablet")),
    ("smartfone", named("smartphone")),
    ("hishab charjar", both(brand_is("Hishab"), named("charger"))),
    ("padma smartfon", both(brand_is("Padma"), named("smartphone"))),
    ("routar", named("router")),
    ("powar bank", named("power bank")),
    ("mobail", lambda d: d["category"] == "phones"),
    ("rak sarvar", named("rack server")),
)
MIXED = (  # two scripts in one query
    ("Padma স্মার্টফোন", both(brand_is("Padma"), named("smartphone"))),
    ("ল্যাপটপ 16GB", named("laptop", "16 gb")),
    ("Meghna ল্যাপটপ", both(brand_is("Meghna"), named("laptop"))),
    ("স্মার্ট TV", named("smart tv")),
    ("Hishab ইউপিএস", both(brand_is("Hishab"), named("ups"))),
    ("router ওয়াই-ফাই ৬", named("router", "wi-fi 6")),
    ("৬৪ GB ফোন", both(lambda d: d["category"] == "phones", named("64 gb"))),
    ("NVMe এসএসডি 1TB", named("nvme ssd", "1 tb")),
)


def _partial_codes(ordered: list[Doc]) -> list[DemoQuery]:
    """Model numbers without their variant (every variant is right), spaced or run together, and a run of
    GTIN digits found in one GTIN only."""
    out: list[DemoQuery] = []
    for d in ordered[11:400:60]:
        family = "-".join(d["model_number"].split("-")[:2])
        out.append(DemoQuery(family, "code", model_starts(family.upper())))
        out.append(
            DemoQuery(
                d["model_number"].replace("-", " "),
                "code",
                lambda x, m=d["model_number"]: x["model_number"] == m,
            )
        )
    gtins = [d["gtin"] for d in ordered]
    for d in ordered[17:1000:160]:
        for start in range(len(d["gtin"]) - 8, 0, -1):
            fragment = d["gtin"][start : start + 8]
            if sum(fragment in g for g in gtins) == 1:
                out.append(DemoQuery(fragment, "code", lambda x, g=d["gtin"]: x["gtin"] == g))
                break
    return out


def script(q: DemoQuery) -> str:
    """bn (Bangla letters, no Latin ones), banglish (romanised Bangla) or en (the rest, mixed included)."""
    from search.text import has_bangla

    if has_bangla(q.q) and not any("a" <= ch.lower() <= "z" for ch in q.q):
        return "bn"
    return "banglish" if q.group == "banglish" else "en"


def build_queries(docs: list[Doc]) -> list[DemoQuery]:
    """The judged set for the documents of a seeded demo (codes and brands are read from them)."""
    out: list[DemoQuery] = []
    for en, bn, banglish, typo in KINDS:
        rule = named(*en.replace("wi-fi router", "router").split())
        out += [DemoQuery(en, "en", rule), DemoQuery(bn, "bn", rule), DemoQuery(typo, "typo", rule)]
        if banglish != en:
            out.append(DemoQuery(banglish, "banglish", rule))
    out += [DemoQuery(q, "bn", rule) for q, rule in EXTRA_BN]
    out += [DemoQuery(q, "banglish", rule) for q, rule in EXTRA_BANGLISH]
    ordered = sorted(docs, key=lambda d: d["id"])
    # a brand with its kind, in both scripts
    seen: set[tuple[str, str]] = set()
    for d in ordered:
        kind = d["name_en"].split(d["brand"], 1)[1].split()[0]
        if (d["brand"], kind) in seen or len(seen) >= 8:
            continue
        seen.add((d["brand"], kind))
        rule = brand_kind(d["brand"], kind)
        out.append(DemoQuery(f"{d['brand']} {kind}", "en", rule))
        brand_bn = d["name_bn"].split()[0]
        kind_bn = d["name_bn"].split()[1]
        out.append(DemoQuery(f"{brand_bn} {kind_bn}", "bn", rule))
    # codes: full GTINs, EAN-13 without the leading zero, model numbers (lower case too)
    for d in ordered[5:200:25]:
        out.append(DemoQuery(d["gtin"], "code", lambda x, g=d["gtin"]: x["gtin"] == g))
        out.append(DemoQuery(d["gtin"].lstrip("0"), "code", lambda x, g=d["gtin"]: x["gtin"] == g))
        out.append(
            DemoQuery(
                d["model_number"].lower(), "code", lambda x, m=d["model_number"]: x["model_number"] == m
            )
        )
    out += [DemoQuery(q, "ambiguous", rule, hard=True) for q, rule in (*AMBIGUOUS, *AMBIGUOUS_BN)]
    out += [DemoQuery(q, "typo", rule, hard=True) for q, rule in BN_TYPOS]
    out += [DemoQuery(q, "banglish", rule, hard=True) for q, rule in BANGLISH_VARIANTS]
    out += [DemoQuery(q, "mixed", rule, hard=True) for q, rule in MIXED]
    out += [DemoQuery(q.q, q.group, q.relevant, hard=True) for q in _partial_codes(ordered)]
    # procurement: text with filters (a district, a category, a certificate, a local value floor)
    for q, filters, rule in (
        ("router", {"certificate": ["BTRC"], "category": ["network-equipment"]}, named("router")),
        ("ups", {"district": ["rangpur"]}, named("ups")),
        ("ক্যামেরা", {"certificate": ["ISO_9001"], "lva_min": ["30"]}, named("camera")),
        ("ফোন", {"certificate": ["BTRC"], "lva_min": ["25"]}, lambda d: d["category"] == "phones"),
        (
            "power bank",
            {"lva_min": ["40"], "district": ["dhaka", "gazipur", "chattogram"]},
            named("power bank"),
        ),
        ("server", {"certificate": ["ISO_9001"], "lva_min": ["20"]}, named("server")),
        ("lyaptop", {"lva_min": ["15"]}, named("laptop")),
        ("smart plug", {"category": ["iot-devices"], "certificate": ["BTRC"]}, named("smart plug")),
    ):
        out.append(DemoQuery(q, "filter", rule, filters, hard=True))
    # procurement: a kind with a valid certificate and a local value floor
    for q, cert, lva, rule in (
        ("ups", "BSTI", "50", named("ups")),
        ("smartphone", "BTRC", "20", named("smartphone")),
        ("router", "BTRC", "25", named("router")),
        ("charger", "BSTI", "45", named("charger")),
        ("ইউপিএস", "BSTI", "55", named("ups")),
        ("ল্যাপটপ", "ISO_9001", "15", named("laptop")),
    ):
        out.append(DemoQuery(q, "filter", rule, {"certificate": [cert], "lva_min": [lva]}))
    return out


def evaluate(backend: Any, docs: list[Doc], today: date) -> dict[str, Any]:
    by_id = {d["id"]: d for d in docs}
    rows = []
    for judged in build_queries(docs):
        query = parse_catalogue_query(
            {"q": [judged.q], "per_page": ["10"], "facets": [], **judged.filters}, today
        )
        result = backend.search(query)
        eligible = [d["id"] for d in docs if judged.relevant(d)]
        if judged.filters:  # what the filters let through is what can be right
            full = parse_catalogue_query({"per_page": ["100"], "facets": [], **judged.filters}, today)
            allowed = {doc["id"] for doc in backend.scan(full)}
            eligible = [i for i in eligible if i in allowed]
        relevant = set(eligible)
        ranked = [h.document["id"] for h in result.hits]
        rows.append(
            {
                "q": judged.q,
                "group": judged.group,
                "hard": judged.hard,
                "success_at_3": float(any(i in relevant for i in ranked[:3])),
                "ndcg_at_10": ndcg_at([str(i) for i in ranked], {str(i) for i in relevant}),
                "top": [by_id[i]["name_en"] for i in ranked[:3] if i in by_id],
                "relevant": len(relevant),
            }
        )
    groups = {}
    for g in sorted({r["group"] for r in rows}):
        sub = [r for r in rows if r["group"] == g]
        groups[g] = {
            "queries": len(sub),
            "success_at_3": round(sum(r["success_at_3"] for r in sub) / len(sub), 3),
            "ndcg_at_10": round(sum(r["ndcg_at_10"] for r in sub) / len(sub), 3),
        }
    hard = [r for r in rows if r["hard"]]
    groups["hard (all groups)"] = {
        "queries": len(hard),
        "success_at_3": round(sum(r["success_at_3"] for r in hard) / len(hard), 3),
        "ndcg_at_10": round(sum(r["ndcg_at_10"] for r in hard) / len(hard), 3),
    }
    return {
        "queries": len(rows),
        "success_at_3": round(sum(r["success_at_3"] for r in rows) / len(rows), 3),
        "ndcg_at_10": round(sum(r["ndcg_at_10"] for r in rows) / len(rows), 3),
        "by_group": groups,
        "failures": [r for r in rows if not r["success_at_3"]],
    }


def demo_documents(
    directory: Path, *, products: int = 2000, manufacturers: int = 60, today: date = date(2026, 6, 1)
) -> list[Doc]:
    """Seed the demo into a SQLite file under ``directory`` and return its public catalogue documents."""
    from core.db import Base, Database, import_all_models
    from registry.demo import seed_demo
    from search.documents import iter_public_documents

    import_all_models()
    db = Database(f"sqlite:///{directory / 'demo.sqlite3'}")
    Base.metadata.create_all(db.engine)
    session = db.write_sessions()
    try:
        seed_demo(session, products=products, manufacturers=manufacturers, today=today)
        session.flush()
        docs: list[Doc] = []
        for item in iter_public_documents(session, today):
            docs.extend(item if isinstance(item, list) else [item])
        session.rollback()
    finally:
        session.close()
        db.dispose()
    return docs


def main() -> None:
    from search.backends import create_backend

    today = date(2026, 6, 1)
    report = {}
    with tempfile.TemporaryDirectory() as tmp:
        docs = demo_documents(Path(tmp), today=today)
        urls = {"embedded": f"embedded://{tmp}/index"}
        if os.environ.get("REGISTRY_TEST_OPENSEARCH_URL"):
            # what tools/services.py prints (http://host:port) or the search layer's opensearch://host:port
            urls["opensearch"] = os.environ["REGISTRY_TEST_OPENSEARCH_URL"].replace(
                "http://", "opensearch://", 1
            )
        for name, url in urls.items():
            backend = create_backend(url, tmp)
            backend.reindex(lambda: iter(()), lambda: 0)
            backend.index_documents(docs)
            result = evaluate(backend, docs, today)
            result["failures"] = [{k: f[k] for k in ("q", "group", "top")} for f in result["failures"]]
            report[name] = result
            backend.close()
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
