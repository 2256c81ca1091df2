"""The JSON shapes of manufacturers, products and certificates, and the snapshots audit events keep."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from registry.data.districts import DISTRICTS
from registry.models import Certificate, Manufacturer, Product
from registry.queries import product_flags, today


def certificate_to_dict(c: Certificate, on: date | None = None) -> dict[str, Any]:
    on = on or today()
    return {
        "id": c.id,
        "manufacturer_id": c.manufacturer_id,
        "scheme": c.scheme,
        "number": c.number,
        "issuer": c.issuer,
        "valid_from": c.valid_from.isoformat(),
        "valid_until": c.valid_until.isoformat(),
        "is_valid_today": c.valid_from <= on <= c.valid_until,
        "evidence": (
            {"media_type": c.evidence_media_type, "size": c.evidence_size, "sha256": c.evidence_sha256}
            if c.evidence_sha256
            else None
        ),
    }


def manufacturer_to_dict(m: Manufacturer, *, private: bool = False) -> dict[str, Any]:
    d = DISTRICTS[m.district]
    out: dict[str, Any] = {
        "id": m.id,
        "legal_name_en": m.legal_name_en,
        "legal_name_bn": m.legal_name_bn,
        "district": m.district,
        "district_bn": d.name_bn,
        "status": m.status,
        "website": m.website,
    }
    if private:
        out.update(
            trade_licence_no=m.trade_licence_no,
            bin=m.bin,
            tin=m.tin,
            address=m.address,
            factory_locations=m.factory_locations,
            contact_name=m.contact_name,
            contact_email=m.contact_email,
            contact_phone=m.contact_phone,
            status_reason=m.status_reason,
            language=m.language,
            version=m.version,
        )
    return out


def product_to_dict(p: Product) -> dict[str, Any]:
    on = today()
    return {
        "id": p.id,
        "manufacturer_id": p.manufacturer_id,
        "manufacturer_name_en": p.manufacturer.legal_name_en,
        "manufacturer_name_bn": p.manufacturer.legal_name_bn,
        "name_en": p.name_en,
        "name_bn": p.name_bn,
        "brand": p.brand,
        "brand_id": p.brand_id,
        "model_number": p.model_number,
        "category": p.category,
        "gtin": p.gtin,
        "hs_code": p.hs_code,
        "description_en": p.description_en,
        "description_bn": p.description_bn,
        "specifications": p.specifications or {},
        "local_value_addition": float(p.local_value_addition),
        "lva_basis": p.lva_basis,
        "launch_date": p.launch_date.isoformat() if p.launch_date else None,
        "images": p.images or [],
        "status": p.licence_state(on),
        "status_reason": p.status_reason,
        "licence_number": p.licence_number,
        "licence_valid_from": p.licence_valid_from.isoformat() if p.licence_valid_from else None,
        "licence_valid_until": p.licence_valid_until.isoformat() if p.licence_valid_until else None,
        "flags": product_flags(p, on),
        "certificates": [certificate_to_dict(c, on) for c in sorted(p.certificates, key=lambda c: c.id)],
        "certificate_override": (
            {
                "schemes": list(p.certificate_override_schemes or ()),
                "reason": p.certificate_override_reason,
                "approved_on": p.certificate_override_on.isoformat() if p.certificate_override_on else None,
            }
            if p.certificate_override_reason
            else None
        ),
        "version": p.version,
    }


def audit_snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    out = {}
    for f in fields:
        v = getattr(obj, f)
        out[f] = (
            v.isoformat()
            if isinstance(v, date | datetime)
            else (float(v) if f == "local_value_addition" else v)
        )
    return out


PRODUCT_AUDIT_FIELDS = (
    "name_en",
    "name_bn",
    "brand",
    "model_number",
    "category",
    "gtin",
    "hs_code",
    "local_value_addition",
    "lva_basis",
    "launch_date",
    "status",
    "status_reason",
    "licence_number",
    "licence_valid_from",
    "licence_valid_until",
)
MANUFACTURER_AUDIT_FIELDS = (
    "legal_name_en",
    "legal_name_bn",
    "address",
    "district",
    "contact_name",
    "contact_email",
    "contact_phone",
    "website",
    "language",
    "status",
    "status_reason",
)
