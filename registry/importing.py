"""Bulk import of products from CSV or JSON Lines with a per-row report.

A file with any invalid row imports nothing, unless the caller asks for ``valid-only``.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.api import errors_from_pydantic
from core.audit import record_event
from core.auth import Actor
from core.errors import ValidationFailed
from registry.brands import BrandResolver
from registry.models import Certificate, Product, ProductStatus
from registry.products import _require_verified_maker
from registry.schemas import ProductCreate

CSV_COLUMNS = (
    "name_en",
    "name_bn",
    "brand",
    "model_number",
    "category",
    "gtin",
    "hs_code",
    "description_en",
    "description_bn",
    "local_value_addition",
    "lva_basis",
    "launch_date",
    "specifications",
    "certificate_ids",
)


def parse_rows(raw: bytes, media_type: str, max_rows: int) -> list[tuple[int, Any]]:
    """Split an upload into (row number, raw row). Raises a 422 for a file that cannot be read at all."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed.field("file", f"not UTF-8 text (byte {exc.start})") from exc
    rows: list[tuple[int, Any]] = []
    if media_type in ("text/csv", "application/csv"):
        reader = csv.DictReader(io.StringIO(text, newline=""))
        if reader.fieldnames is None:
            raise ValidationFailed.field("file", "the CSV file is empty")
        unknown = [c for c in reader.fieldnames if c not in CSV_COLUMNS]
        if unknown:
            raise ValidationFailed.field(
                "file", f"unknown CSV columns: {', '.join(unknown)}; expected {', '.join(CSV_COLUMNS)}"
            )
        for i, row in enumerate(reader, start=2):  # row 1 is the header
            rows.append((i, _csv_row(row)))
    elif media_type in ("application/x-ndjson", "application/jsonl", "application/x-jsonlines"):
        for i, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rows.append((i, json.loads(line)))
            except json.JSONDecodeError as exc:
                rows.append((i, _Malformed(f"malformed JSON: {exc.msg} at column {exc.colno}")))
    else:
        raise ValidationFailed.field("Content-Type", "send text/csv or application/x-ndjson")
    if len(rows) > max_rows:
        raise ValidationFailed.field("file", f"at most {max_rows} rows per import; this file has {len(rows)}")
    if not rows:
        raise ValidationFailed.field("file", "the file has no rows")
    return rows


class _Malformed:
    def __init__(self, reason: str) -> None:
        self.reason = reason


def _csv_row(row: dict[str, str | None]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key is None:
            out["__extra__"] = value
            continue
        value = (value or "").strip()
        if value == "":
            continue
        if key == "specifications":
            out[key] = _parse_specs(value)
        elif key == "certificate_ids":
            out[key] = [int(v) if v.strip().isdigit() else v for v in value.split(";") if v.strip()]
        else:
            out[key] = value
    return out


def _parse_specs(value: str) -> Any:
    if value.startswith("{"):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    specs = {}
    for part in value.split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            specs[k.strip()] = v.strip()
        elif part.strip():
            return value  # let validation say it is not key=value pairs
    return specs


def import_products(
    session: Session,
    actor: Actor,
    raw: bytes,
    media_type: str,
    *,
    mode: str,
    max_rows: int,
    dry_run: bool = False,
) -> dict[str, Any]:
    _, maker = _require_verified_maker(session, actor)
    rows = parse_rows(raw, media_type, max_rows)
    reports: list[dict[str, Any]] = []
    valid: list[tuple[int, ProductCreate]] = []
    seen_gtins: dict[str, int] = {}
    own_certs = set(session.scalars(select(Certificate.id).where(Certificate.manufacturer_id == maker.id)))
    brands = BrandResolver(session, maker.id)
    for number, raw_row in rows:
        errors: list[dict[str, str]] = []
        data: ProductCreate | None = None
        if isinstance(raw_row, _Malformed):
            errors.append({"field": "row", "reason": raw_row.reason, "code": "value.invalid"})
        elif not isinstance(raw_row, dict):
            errors.append(
                {"field": "row", "reason": "each line must be a JSON object", "code": "value.invalid"}
            )
        elif "__extra__" in raw_row:
            errors.append(
                {"field": "row", "reason": "more values than header columns", "code": "value.invalid"}
            )
        else:
            try:
                data = ProductCreate.model_validate(raw_row)
            except Exception as exc:  # pydantic.ValidationError
                if not hasattr(exc, "errors"):
                    raise
                errors.extend(errors_from_pydantic(exc))  # type: ignore[arg-type]
        if data is not None:
            if data.gtin in seen_gtins:
                errors.append(
                    {
                        "field": "gtin",
                        "reason": f"repeats row {seen_gtins[data.gtin]}",
                        "code": "gtin.repeated",
                    }
                )
            seen_gtins.setdefault(data.gtin, number)
            brand_problem = brands.problem(data.brand)
            if brand_problem:
                errors.append(brand_problem)
            bad_certs = [c for c in data.certificate_ids if c not in own_certs]
            if bad_certs:
                errors.append(
                    {
                        "field": "certificate_ids",
                        "reason": f"no certificate of yours with id {bad_certs}",
                        "code": "certificate.not_yours",
                    }
                )
        reports.append({"row": number, "status": "invalid" if errors else "pending", "errors": errors})
        if not errors and data is not None:
            valid.append((len(reports) - 1, data))
    if valid:
        taken = set(session.scalars(select(Product.gtin).where(Product.gtin.in_([d.gtin for _, d in valid]))))
        still_valid = []
        for idx, data in valid:
            if data.gtin in taken:
                reports[idx]["status"] = "invalid"
                reports[idx]["errors"].append(
                    {"field": "gtin", "reason": "already registered to another product", "code": "gtin.taken"}
                )
            else:
                still_valid.append((idx, data))
        valid = still_valid
    invalid = sum(1 for r in reports if r["status"] == "invalid")
    write = not dry_run and (invalid == 0 or mode == "valid-only")
    created = 0
    if write and valid:
        certs = {
            c.id: c
            for c in session.scalars(select(Certificate).where(Certificate.manufacturer_id == maker.id))
        }
        products = []
        for idx, data in valid:
            brand = brands.resolve(data.brand)
            p = Product(
                manufacturer_id=maker.id,
                status=ProductStatus.DRAFT,
                **data.model_dump(exclude={"certificate_ids"})
                | {"brand": brand.name_en, "brand_id": brand.id},
            )
            p.certificates = [certs[c] for c in data.certificate_ids]
            products.append((idx, p))
        session.add_all([p for _, p in products])
        session.flush()
        for idx, p in products:
            reports[idx].update(status="created", id=p.id)
        created = len(products)
        record_event(
            session,
            actor=actor,
            action="product.imported",
            target_type="manufacturer",
            target_id=maker.id,
            after={
                "created": created,
                "invalid": invalid,
                "mode": mode,
                "product_ids": [p.id for _, p in products],
            },
        )
    for r in reports:
        if r["status"] == "pending":
            r["status"] = "skipped"
    return {"mode": mode, "total": len(reports), "created": created, "invalid": invalid, "rows": reports}
