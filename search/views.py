"""The public catalogue API (``/api/v1/catalogue``): search, suggest, export, compare.

Views only translate HTTP to the search layer: arguments go through ``search.queries``, answers
come from the backend in ``app.extensions["search"]``. Errors are ``SearchError``s that app.py
renders as problem+json (422 for a bad query, 503 while the index is unavailable).
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import tempfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, request, stream_with_context
from sqlalchemy import select

from config import settings_of
from core.api import PUBLIC, api
from core.db import get_session
from registry.data.districts import DISTRICTS
from registry.data.taxonomy import CATEGORIES, CERTIFICATE_SCHEMES
from registry.models import Manufacturer
from search.documents import build_product_documents
from search.errors import InvalidQuery, ProductsNotFound
from search.interfaces import SearchBackend, SearchResult
from search.queries import page_count, parse_catalogue_query, parse_compare_ids, parse_suggest_prefix
from search.schemas import (
    CatalogueExportParams,
    CatalogueSearchParams,
    CatalogueSearchResponse,
    CompareParams,
    CompareResponse,
    SuggestParams,
    SuggestResponse,
)

bp = Blueprint("catalogue", __name__, url_prefix="/api/v1/catalogue")

INTERNAL_FIELDS = ("suggest", "specifications_text")
EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "ID"),
    ("gtin", "GTIN"),
    ("name_en", "Name"),
    ("name_bn", "নাম"),
    ("brand", "Brand"),
    ("model_number", "Model number"),
    ("manufacturer_name_en", "Manufacturer"),
    ("manufacturer_name_bn", "প্রস্তুতকারক"),
    ("category_name_en", "Category"),
    ("district_name_en", "District"),
    ("local_value_addition", "Local value addition (%)"),
    ("certificates", "Certificates (valid until)"),
    ("licence_number", "Licence number"),
    ("licence_valid_from", "Licence valid from"),
    ("licence_valid_until", "Licence valid until"),
    ("launch_date", "Launch date"),
    ("url", "Registry URL"),
)
COMPARE_ROWS: tuple[tuple[str, str, str], ...] = (
    ("brand", "Brand", "ব্র্যান্ড"),
    ("model_number", "Model number", "মডেল নম্বর"),
    ("gtin", "GTIN", "জিটিআইএন"),
    ("manufacturer_name_en", "Manufacturer", "প্রস্তুতকারক"),
    ("category_name_en", "Category", "ক্যাটাগরি"),
    ("district_name_en", "District", "জেলা"),
    ("local_value_addition", "Local value addition (%)", "স্থানীয় মূল্য সংযোজন (%)"),
    ("certificates", "Certificates", "সনদ"),
    ("licence_valid_until", "Licence valid until", "লাইসেন্সের মেয়াদ"),
    ("launch_date", "Launch date", "বাজারে আসার তারিখ"),
)


def _backend() -> SearchBackend:
    backend: SearchBackend = current_app.extensions["search"]
    return backend


def _args() -> dict[str, list[str]]:
    return request.args.to_dict(flat=False)


def _today() -> Any:
    return datetime.now(UTC).date()


def public_document(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in INTERNAL_FIELDS}


def _manufacturer_labels(ids: Iterable[str]) -> dict[str, tuple[str, str]]:

    wanted = [int(i) for i in ids if str(i).isdigit()]
    if not wanted:
        return {}
    rows = get_session().execute(
        select(Manufacturer.id, Manufacturer.legal_name_en, Manufacturer.legal_name_bn).where(
            Manufacturer.id.in_(wanted)
        )
    )
    return {str(i): (en, bn) for i, en, bn in rows}


def _facet_payload(result: SearchResult) -> dict[str, list[dict[str, Any]]]:
    manufacturers = _manufacturer_labels(c.value for c in result.facets.get("manufacturer", []))
    out: dict[str, list[dict[str, Any]]] = {}
    for name, counts in result.facets.items():
        items = []
        for c in counts:
            label: tuple[str, str] | None = None
            if name == "category" and c.value in CATEGORIES:
                label = (CATEGORIES[c.value].name_en, CATEGORIES[c.value].name_bn)
            elif name == "district" and c.value in DISTRICTS:
                label = (DISTRICTS[c.value].name_en, DISTRICTS[c.value].name_bn)
            elif name == "certificate" and c.value in CERTIFICATE_SCHEMES:
                label = CERTIFICATE_SCHEMES[c.value]
            elif name == "manufacturer":
                label = manufacturers.get(c.value)
            elif name == "lva":
                label = (f"{c.value} %", f"{c.value} %")
            item: dict[str, Any] = {"value": c.value, "count": c.count}
            if label:
                item["label_en"], item["label_bn"] = label
            items.append(item)
        out[name] = items
    return out


@api.route(
    bp,
    "/search",
    query=CatalogueSearchParams,
    response=CatalogueSearchResponse,
    summary="Search the public catalogue (full text in English, Bangla and Banglish; filters; facets)",
    tags=["catalogue"],
    scope=PUBLIC,
)
def search_catalogue(query: Any = None) -> Any:
    q = parse_catalogue_query(_args(), _today())
    result = _backend().search(q)
    return {
        "query": q.to_dict(),
        "total": result.total,
        "page": q.page,
        "per_page": q.per_page,
        "pages": page_count(result.total, q.per_page),
        "corrected_q": result.corrected_q,
        "hint": result.hint,
        "hits": [
            {"product": public_document(h.document), "score": round(h.score, 4), "highlights": h.highlights}
            for h in result.hits
        ],
        "facets": _facet_payload(result),
    }


@api.route(
    bp,
    "/suggest",
    query=SuggestParams,
    response=SuggestResponse,
    summary="Suggestions as you type",
    tags=["catalogue"],
    scope=PUBLIC,
)
def suggest_catalogue(query: Any = None) -> Any:
    prefix, limit = parse_suggest_prefix(_args())
    suggestions = _backend().suggest(prefix, limit) if prefix.strip() else []
    return {
        "q": prefix,
        "suggestions": [
            {"text": s.text, "kind": s.kind, "value": s.value, "count": s.count} for s in suggestions
        ],
    }


def _export_cell(doc: dict[str, Any], key: str, base_url: str) -> Any:
    if key == "certificates":
        return "; ".join(
            f"{c['scheme']} ({c.get('valid_until') or '—'})" for c in doc.get("certificates") or []
        )
    if key == "url":
        return f"{base_url}/01/{doc['gtin']}"
    value = doc.get(key)
    return "" if value is None else value


def _csv_safe(value: Any) -> Any:
    """Neutralise spreadsheet formulas (CSV injection): text starting with = + - @ gets a leading '."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv_stream(docs: Iterator[dict[str, Any]], base_url: str) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # so spreadsheet programs read Bangla as UTF-8
    writer.writerow([title for _key, title in EXPORT_COLUMNS])
    for n, doc in enumerate(docs, 1):
        writer.writerow([_csv_safe(_export_cell(doc, key, base_url)) for key, _title in EXPORT_COLUMNS])
        if n % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _xlsx_stream(docs: Iterator[dict[str, Any]], base_url: str) -> Iterator[bytes]:
    # lazy: xlsxwriter loads only for a spreadsheet export
    import xlsxwriter

    handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="catalogue-export-")
    os.close(handle)
    try:
        workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False})
        sheet = workbook.add_worksheet("Catalogue")
        bold = workbook.add_format({"bold": True})
        for col, (_key, title) in enumerate(EXPORT_COLUMNS):
            sheet.write_string(0, col, title, bold)
        for row, doc in enumerate(docs, 1):
            for col, (key, _title) in enumerate(EXPORT_COLUMNS):
                value = _export_cell(doc, key, base_url)
                if isinstance(value, int | float) and not isinstance(value, bool):
                    sheet.write_number(row, col, value)
                else:
                    sheet.write_string(row, col, str(value))
        workbook.close()
        with open(path, "rb") as f:
            while chunk := f.read(64 * 1024):
                yield chunk
    finally:
        os.unlink(path)


@api.route(
    bp,
    "/export",
    query=CatalogueExportParams,
    response="a CSV or XLSX file of every matching product",
    summary="Export a result set (CSV or XLSX, streamed, no row cap)",
    tags=["catalogue"],
    scope=PUBLIC,
)
def export_catalogue(query: Any = None) -> Any:

    args = _args()
    fmt = (args.pop("format", None) or ["csv"])[0].lower()
    if fmt not in ("csv", "xlsx"):
        raise InvalidQuery("unknown export format", [{"field": "format", "reason": "must be csv or xlsx"}])
    args.pop("page", None)
    args.pop("per_page", None)
    args["facets"] = []
    q = parse_catalogue_query(args, _today())
    docs = _backend().scan(q)
    # pull the first document now, so an unavailable index answers 503 instead of a broken download
    first = list(itertools.islice(docs, 1))
    docs = itertools.chain(first, docs)
    base_url = settings_of(current_app).public_url()
    stamp = _today().strftime("%Y%m%d")
    if fmt == "csv":
        body: Iterator[Any] = _csv_stream(docs, base_url)
        mimetype = "text/csv; charset=utf-8"
    else:
        body = _xlsx_stream(docs, base_url)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(stream_with_context(body), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="catalogue-{stamp}.{fmt}"'
    return response


@api.route(
    bp,
    "/compare",
    query=CompareParams,
    response=CompareResponse,
    summary="Compare up to 5 public products side by side",
    tags=["catalogue"],
    scope=PUBLIC,
)
def compare_products(query: Any = None) -> Any:

    ids = parse_compare_ids(_args())
    docs, missing = build_product_documents(get_session(), ids)
    if missing:
        raise ProductsNotFound(
            "some products are not in the public catalogue",
            [{"field": "ids", "reason": f"product {i} is not in the public catalogue"} for i in missing],
        )
    by_id = {d["id"]: d for d in docs}
    ordered = [public_document(by_id[i]) for i in ids]
    rows = [
        {"key": key, "label_en": en, "label_bn": bn, "values": [_export_cell(d, key, "") for d in ordered]}
        for key, en, bn in COMPARE_ROWS
    ]
    spec_keys: list[str] = []
    for d in ordered:
        spec_keys.extend(k for k in (d.get("specifications") or {}) if k not in spec_keys)
    rows += [
        {
            "key": f"specifications.{k}",
            "label_en": str(k),
            "label_bn": str(k),
            "values": [(d.get("specifications") or {}).get(k) for d in ordered],
        }
        for k in spec_keys
    ]
    return {"products": ordered, "rows": rows}
