"""HTML form data → the registry's pydantic schemas (the same ones that validate the API).

Forms only reshape what a browser sends (empty fields, "key: value" lines, checkboxes); every rule
stays in ``registry.schemas`` and the registry workflows (``registry.manufacturers``, ``registry.products``, ...).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from web.field_errors import message
from web.helpers import pydantic_errors

PRODUCT_FIELDS = (
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
)
OPTIONAL_EMPTY_IS_NONE = {"hs_code", "description_en", "description_bn", "launch_date", "website"}
MANUFACTURER_FIELDS = (
    "legal_name_en",
    "legal_name_bn",
    "trade_licence_no",
    "bin",
    "tin",
    "address",
    "district",
    "contact_name",
    "contact_email",
    "contact_phone",
    "website",
)
PROFILE_FIELDS = ("address", "contact_name", "contact_email", "contact_phone", "website", "language")
STAFF_FIELDS = ("name", "email")
CERTIFICATE_FIELDS = ("scheme", "number", "issuer", "valid_from", "valid_until")


class FormInvalid(Exception):
    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("the form has errors")
        self.fields = fields


def _clean(form: Any, names: tuple[str, ...], *, keep_empty: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in names:
        value = (form.get(name) or "").strip()
        if value == "" and name in OPTIONAL_EMPTY_IS_NONE:
            if keep_empty:
                out[name] = None
            continue
        if value == "" and not keep_empty:
            continue
        out[name] = value
    return out


def parse_specifications(text: str) -> dict[str, str]:
    """``Key: value`` lines (one per line; blank lines ignored)."""
    specs: dict[str, str] = {}
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep or not key.strip():
            raise FormInvalid({"specifications": message("specifications.format")})
        specs[key.strip()] = value.strip()
    return specs


def format_specifications(specs: dict[str, Any] | None) -> str:
    return "\n".join(f"{k}: {v}" for k, v in (specs or {}).items())


def validate(model: type[BaseModel], data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise FormInvalid(pydantic_errors(exc)) from exc


def product_data(form: Any, *, for_update: bool = False) -> dict[str, Any]:
    data = _clean(form, PRODUCT_FIELDS, keep_empty=for_update)
    if for_update:
        data = {k: v for k, v in data.items() if v != "" or k in OPTIONAL_EMPTY_IS_NONE}
    data["specifications"] = parse_specifications(form.get("specifications", ""))
    ids = form.getlist("certificate_ids") if hasattr(form, "getlist") else []
    try:
        data["certificate_ids"] = [int(i) for i in ids if str(i).strip()]
    except ValueError as exc:
        raise FormInvalid({"certificate_ids": message("certificate.choose")}) from exc
    return data


def registration_data(form: Any) -> dict[str, Any]:
    data = _clean(form, MANUFACTURER_FIELDS)
    data["owner"] = {
        "name": (form.get("owner_name") or "").strip(),
        "email": (form.get("owner_email") or "").strip(),
        "password": form.get("owner_password") or "",
    }
    return data


def profile_data(form: Any) -> dict[str, Any]:
    data = _clean(form, PROFILE_FIELDS, keep_empty=True)
    if not data.get("language"):
        data.pop("language", None)  # a form without the choice keeps the company's language
    return data


def certificate_data(form: Any) -> dict[str, Any]:
    return _clean(form, CERTIFICATE_FIELDS)


def expected_version(form: Any) -> int | None:
    raw = (form.get("version") or "").strip()
    return int(raw) if raw.isdigit() else None


def staff_data(form: Any) -> dict[str, Any]:
    return _clean(form, STAFF_FIELDS)
