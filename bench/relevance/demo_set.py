"""A harder judged query set on the demo data (registry/demo.py): at least 80 queries, a third in Bangla, a
sixth in Banglish, with typos, codes and procurement filters. Judgements are rules over the public documents
(a kind of product, a brand's kind, one GTIN or model), so they hold for any backend and any seed size.

    python -m bench.relevance.demo_set            # embedded; REGISTRY_TEST_OPENSEARCH_URL adds OpenSearch

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
    ("ইউ পি এস", named("ups")), ("টিভি", named("tv")), ("মোবাইল ফোন", lambda d: d["category"] == "phones"),
    ("সিসিটিভি ক্যামেরা", lambda d: d["category"] == "cctv"), ("রাউটার", named("router")),
    ("চার্জার", named("charger")), ("সার্ভার", named("server")), ("ক্যাবল", named("cable")),
    ("স্মার্ট মিটার", named("smart meter")), ("ডেস্কটপ", named("desktop")), ("এসএসডি", named("ssd")),
    ("ল্যাপটপ কম্পিউটার", named("laptop")), ("স্মাটফোন", named("smartphone")), ("কেমেরা", named("camera")),
    ("ইউপিএস", named("ups")), ("অনলাইন ইউ পি এস", named("online ups")), ("জিপন ওএনইউ", named("onu")),
    ("প্রিপেইড স্মার্ট মিটার", named("smart meter")), ("অল-ইন-ওয়ান পিসি", named("all-in-one")),
    ("টাওয়ার সার্ভার", named("tower server")), ("ইউএসবি-সি চার্জার", named("usb-c charger")),
    ("সাটা এসএসডি", named("sata ssd")), ("এলইডি টেলিভিশন", named("led television")),
    ("ডোম ক্যামেরা", named("dome camera")), ("হিসাব সফটওয়্যার ক্লাউড", named("accounting software")),
)
EXTRA_BANGLISH = (
    ("mobail fon", lambda d: d["category"] == "phones"), ("telibhishon", named("television")),
    ("sarvar", named("server")), ("charjar", named("charger")), ("smart mitar", named("smart meter")),
    ("pawar byank", named("power bank")),
)


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
        out.append(DemoQuery(d["model_number"].lower(), "code",
                             lambda x, m=d["model_number"]: x["model_number"] == m))
    # procurement: a kind with a valid certificate and a local value floor
    for q, cert, lva, rule in (("ups", "BSTI", "50", named("ups")), ("smartphone", "BTRC", "20", named("smartphone")),
                               ("router", "BTRC", "25", named("router")), ("charger", "BSTI", "45", named("charger")),
                               ("ইউপিএস", "BSTI", "55", named("ups")), ("ল্যাপটপ", "ISO_9001", "15", named("laptop"))):
        out.append(DemoQuery(q, "filter", rule, {"certificate": [cert], "lva_min": [lva]}))
    return out


def evaluate(backend: Any, docs: list[Doc], today: date) -> dict[str, Any]:
    by_id = {d["id"]: d for d in docs}
    rows = []
    for judged in build_queries(docs):
        query = parse_catalogue_query({"q": [judged.q], "per_page": ["10"], "facets": [], **judged.filters}, today)
        result = backend.search(query)
        eligible = [d["id"] for d in docs if judged.relevant(d)]
        if judged.filters:  # what the filters let through is what can be right
            full = parse_catalogue_query({"per_page": ["100"], "facets": [], **judged.filters}, today)
            allowed = {doc["id"] for doc in backend.scan(full)}
            eligible = [i for i in eligible if i in allowed]
        relevant = set(eligible)
        ranked = [h.document["id"] for h in result.hits]
        rows.append({"q": judged.q, "group": judged.group, "success_at_3": float(any(i in relevant for i in ranked[:3])),
                     "ndcg_at_10": ndcg_at([str(i) for i in ranked], {str(i) for i in relevant}),
                     "top": [by_id[i]["name_en"] for i in ranked[:3] if i in by_id], "relevant": len(relevant)})
    groups = {}
    for g in sorted({r["group"] for r in rows}):
        sub = [r for r in rows if r["group"] == g]
        groups[g] = {"queries": len(sub), "success_at_3": round(sum(r["success_at_3"] for r in sub) / len(sub), 3),
                     "ndcg_at_10": round(sum(r["ndcg_at_10"] for r in sub) / len(sub), 3)}
    return {"queries": len(rows), "success_at_3": round(sum(r["success_at_3"] for r in rows) / len(rows), 3),
            "ndcg_at_10": round(sum(r["ndcg_at_10"] for r in rows) / len(rows), 3), "by_group": groups,
            "failures": [r for r in rows if not r["success_at_3"]]}


def demo_documents(directory: Path, *, products: int = 2000, manufacturers: int = 60,
                   today: date = date(2026, 6, 1)) -> list[Doc]:
    """Seed the demo into a SQLite file under ``directory`` and return its public catalogue documents."""
    from registry.db import Base, Database, import_all_models
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
            urls["opensearch"] = os.environ["REGISTRY_TEST_OPENSEARCH_URL"]
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
