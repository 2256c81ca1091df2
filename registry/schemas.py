"""Request and response schemas. The same pydantic models validate requests and generate the OpenAPI document."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from core import validators as text_checks
from core.error_codes import coded
from core.limits import MAX_DB_INT, MAX_PAGE
from core.problems import ProblemField
from registry import validators
from registry.accounts import password_issue
from registry.data.districts import find_district
from registry.data.taxonomy import CATEGORIES, CERTIFICATE_SCHEMES


def _wrap(check: Any) -> Any:
    def inner(value: str) -> str:
        return check(value)

    return inner


def _district(value: str) -> str:
    found = find_district(value)
    if found is None:
        raise coded(
            "district.unknown",
            "unknown district: use one of Bangladesh's 64 district codes (see /api/v1/districts)",
        )
    return found.code


def _category(value: str) -> str:
    if value not in CATEGORIES:
        raise coded("category.unknown", "unknown category: use a code from /api/v1/categories")
    return value


def _scheme(value: str) -> str:
    if value not in CERTIFICATE_SCHEMES:
        raise coded("scheme.unknown", "unknown certificate scheme: one of " + ", ".join(CERTIFICATE_SCHEMES))
    return value


def Line(max_length: int, min_length: int = 1) -> Any:  # noqa: N802 - a type, named like one
    """A single line of text, such as a name: see ``text_checks.check_line`` for what it refuses."""
    return Annotated[
        str, Field(min_length=min_length, max_length=max_length), AfterValidator(text_checks.check_line)
    ]


# Every string of a Strict model is checked by text_checks.check_text (no control characters); a Line
# besides refuses line breaks and invisible formatting characters.
Text = Line(200)
ShortText = Line(100)
LicenceNumber = Line(64, min_length=3)
DbId = Annotated[int, Field(ge=1, le=MAX_DB_INT, description="an id")]
LongText = Annotated[str, Field(min_length=1, max_length=5000)]
BIN = Annotated[
    str,
    Field(description="Business Identification Number, 13 digits"),
    AfterValidator(_wrap(validators.check_bin)),
]
TIN = Annotated[str, Field(description="e-TIN, 12 digits"), AfterValidator(_wrap(validators.check_tin))]
GTIN = Annotated[
    str,
    Field(description="GTIN-8, -12, -13 or -14 with a valid check digit; stored as GTIN-14", max_length=14),
    AfterValidator(_wrap(validators.check_gtin)),
]
HSCode = Annotated[
    str,
    Field(description="Harmonized System code, e.g. 8517.13"),
    AfterValidator(_wrap(validators.check_hs_code)),
]
DistrictCode = Annotated[
    str, Field(description="district code, e.g. dhaka, gazipur"), AfterValidator(_district)
]
CategoryCode = Annotated[str, Field(description="ICT category code, e.g. phones"), AfterValidator(_category)]
SchemeCode = Annotated[str, Field(description="certificate scheme, e.g. BSTI, BTRC"), AfterValidator(_scheme)]
Website = Annotated[str, Field(max_length=500, pattern=r"^https?://[^\s<>\"']+$")]
Phone = Annotated[str, Field(pattern=r"^\+?[0-9 ()-]{6,20}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        return text_checks.check_strings(value)


class FactoryLocation(Strict):
    address: LongText
    district: DistrictCode


def _password_policy(password: str, info: ValidationInfo) -> str:
    """The one password policy (registry.accounts.password_problem), reported on the ``password`` field."""

    issue = password_issue(password, str(info.data.get("email") or ""))
    if issue is not None:
        raise issue
    return password


PASSWORD_DESCRIPTION = (
    "at least 12 characters, not one character repeated, not a common password, not the email"  # noqa: S105,E501
)


class OwnerAccount(Strict):
    name: Text
    email: EmailStr
    password: Annotated[str, Field(max_length=200, description=PASSWORD_DESCRIPTION)]

    _policy = field_validator("password")(_password_policy)


class ManufacturerRegistration(Strict):
    """A company registers itself together with its owner's account."""

    legal_name_en: Text
    legal_name_bn: Text
    trade_licence_no: LicenceNumber
    bin: BIN
    tin: TIN
    address: LongText
    district: DistrictCode
    factory_locations: Annotated[list[FactoryLocation], Field(max_length=50)] = []
    contact_name: Text
    contact_email: EmailStr
    contact_phone: Phone
    website: Website | None = None
    owner: OwnerAccount


def _drop_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


# A field of a partial change that may be left out but not set to null: None stands for "absent" (and
# model_dump(exclude_unset=True) leaves it out); the document shows no default, null not being a value.
ABSENT: Any = Field(default=None, json_schema_extra=_drop_default)


class ManufacturerUpdate(Strict):
    """A partial change: an absent field stays as it is. Only the website may be cleared with null; the
    other fields are required of a company, so null is refused (hence no "| None" on them)."""

    address: LongText = ABSENT
    factory_locations: Annotated[list[FactoryLocation], Field(max_length=50)] = ABSENT
    contact_name: Text = ABSENT
    contact_email: EmailStr = ABSENT
    contact_phone: Phone = ABSENT
    website: Website | None = None
    language: Literal["bn", "en"] = ABSENT  # the language of the company's e-mails


class Decision(Strict):
    """A reviewer's decision. A reason is required to reject, suspend or revoke."""

    reason: Annotated[str, Field(max_length=2000)] | None = None


class CertificateOverride(Strict):
    """A reviewer approves although a required certificate is missing or not valid on the approval day."""

    reason: Annotated[
        str,
        Field(
            min_length=1,
            max_length=2000,
            description="why the licence may be granted without it; audited and shown on the product",
        ),
    ]


class Approval(Decision):
    valid_years: Annotated[int, Field(ge=1, le=5)] | None = None
    valid_from: date | None = None
    override_missing_certificates: CertificateOverride | None = Field(
        None,
        description="needed when a scheme the category requires has no linked certificate valid on the "
        "approval day; without it such an approval is refused (422, field certificates)",
    )


class StaffInvite(Strict):
    name: Text
    email: EmailStr


class UserCreate(Strict):
    name: Text
    email: EmailStr
    role: Literal["reviewer", "admin"]
    password: Annotated[str, Field(max_length=200, description=PASSWORD_DESCRIPTION)]

    _policy = field_validator("password")(_password_policy)


Spec = Annotated[str, Field(max_length=500)]


class ProductBase(Strict):
    name_en: Text
    name_bn: Text
    brand: Annotated[
        str,
        Field(
            min_length=1,
            max_length=100,
            description="a registered brand your company owns or is licensed to use, in either spelling",
        ),
        AfterValidator(text_checks.check_line),
    ]
    model_number: ShortText
    category: CategoryCode
    gtin: GTIN
    hs_code: HSCode | None = None
    description_en: Annotated[str, Field(max_length=5000)] | None = None
    description_bn: Annotated[str, Field(max_length=5000)] | None = None
    specifications: Annotated[dict[ShortText, Spec], Field(max_length=100)] = {}
    local_value_addition: Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
    lva_basis: Annotated[
        str, Field(min_length=3, max_length=2000, description="how the local value addition was computed")
    ]
    launch_date: date | None = None
    images: Annotated[list[Website], Field(max_length=10)] = []
    certificate_ids: Annotated[list[DbId], Field(max_length=50)] = []


class ProductCreate(ProductBase):
    pass


class ProductUpdate(Strict):
    """A partial change: an absent field stays as it is. Null clears what a product may lack (HS code,
    descriptions, launch date); the other fields are required of a product, so null is refused."""

    name_en: Text = ABSENT
    name_bn: Text = ABSENT
    brand: ShortText = ABSENT
    model_number: ShortText = ABSENT
    category: CategoryCode = ABSENT
    gtin: GTIN = ABSENT
    hs_code: HSCode | None = None
    description_en: Annotated[str, Field(max_length=5000)] | None = None
    description_bn: Annotated[str, Field(max_length=5000)] | None = None
    specifications: Annotated[dict[ShortText, Spec], Field(max_length=100)] = ABSENT
    local_value_addition: Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)] = ABSENT
    lva_basis: Annotated[str, Field(min_length=3, max_length=2000)] = ABSENT
    launch_date: date | None = None
    images: Annotated[list[Website], Field(max_length=10)] = ABSENT
    certificate_ids: Annotated[list[DbId], Field(max_length=50)] = ABSENT


_LATIN_LETTER = re.compile(r"[A-Za-z]")
_BANGLA_LETTER = re.compile(r"[\u0980-\u09ff]")


def _latin_name(value: str) -> str:
    if _BANGLA_LETTER.search(value) or not _LATIN_LETTER.search(value):
        raise coded("brand.latin_letters", "write the English spelling in Latin letters")
    return value


def _bangla_name(value: str) -> str:
    if not _BANGLA_LETTER.search(value) or _LATIN_LETTER.search(value):
        raise coded("brand.bangla_letters", "write the Bangla spelling in Bangla letters")
    return value


BrandNameEn = Annotated[
    str,
    Field(min_length=1, max_length=100, description="the brand in Latin letters, as printed"),
    AfterValidator(text_checks.check_line),
    AfterValidator(_latin_name),
]
BrandNameBn = Annotated[
    str,
    Field(min_length=1, max_length=100, description="the brand in Bangla letters"),
    AfterValidator(text_checks.check_line),
    AfterValidator(_bangla_name),
]


class BrandCreate(Strict):
    """A brand name in both spellings. Registered at once unless confusable with another company's brand;
    then it waits for a reviewer (status pending) with the conflicts listed."""

    name_en: BrandNameEn
    name_bn: BrandNameBn


class BrandCheck(Strict):
    """A brand name to compare with the register before registering it (either spelling may be left out)."""

    name_en: Annotated[str, Field(max_length=100)] = ""
    name_bn: Annotated[str, Field(max_length=100)] = ""


class BrandLicenceCreate(Strict):
    licensee_id: DbId
    reason: Annotated[str, Field(max_length=2000)] | None = None


class BrandLicenceRevoke(Strict):
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class CertificateCreate(Strict):
    scheme: SchemeCode
    number: ShortText
    issuer: Text
    valid_from: date
    valid_until: date

    @model_validator(mode="after")
    def _dates(self) -> CertificateCreate:
        if self.valid_until < self.valid_from:
            raise coded("dates.order", "valid_until must not be before valid_from")
        return self


class TokenCreate(Strict):
    name: ShortText
    scopes: list[Literal["read", "write", "review", "admin", "procure"]] | None = None
    expires_in_days: Annotated[int, Field(ge=1, le=365)] | None = None


class Login(Strict):
    email: EmailStr
    password: Annotated[str, Field(min_length=1, max_length=200)]


class Page(Strict):
    page: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 1
    per_page: Annotated[int, Field(ge=1, le=200)] = 20


class ProductListQuery(Page):
    status: (
        Literal["draft", "submitted", "rejected", "licensed", "suspended", "revoked", "expired"] | None
    ) = None
    manufacturer_id: DbId | None = None
    category: CategoryCode | None = None
    brand_id: DbId | None = None


class BrandListQuery(Page):
    status: Literal["pending", "registered", "rejected"] | None = None
    owner_id: DbId | None = None


class ManufacturerListQuery(Page):
    status: Literal["pending", "verified", "rejected", "suspended"] | None = None
    district: DistrictCode | None = None


class AuditQuery(Page):
    action: Annotated[str, Field(max_length=64)] | None = None
    target_type: (
        Literal["manufacturer", "product", "certificate", "user", "token", "key", "batch", "brand"] | None
    ) = None
    target_id: Annotated[str, Field(max_length=64)] | None = None
    actor: Annotated[str, Field(max_length=254)] | None = None
    since: datetime | None = None
    until: datetime | None = None


class ImportQuery(Strict):
    mode: Literal["all", "valid-only"] = "all"
    dry_run: bool = False

    @field_validator("dry_run", mode="before")
    @classmethod
    def _bool(cls, value: Any) -> Any:
        if isinstance(value, str):
            return value.lower() in {"1", "true", "yes"}
        return value


# ---- responses (documentation of what the API returns) ----


class CertificateOut(BaseModel):
    id: int
    manufacturer_id: int
    scheme: str
    number: str
    issuer: str
    valid_from: date
    valid_until: date
    is_valid_today: bool
    evidence: dict[str, Any] | None = None


class ManufacturerOut(BaseModel):
    id: int
    legal_name_en: str
    legal_name_bn: str
    district: str
    district_bn: str
    status: str
    website: str | None = None
    trade_licence_no: str | None = None
    bin: str | None = None
    tin: str | None = None
    address: str | None = None
    factory_locations: list[dict[str, Any]] | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    status_reason: str | None = None
    version: int | None = None


class CertificateOverrideOut(BaseModel):
    """The licence was approved without these required schemes valid on ``approved_on``, for ``reason``."""

    schemes: list[str]
    reason: str
    approved_on: date


class ProductOut(BaseModel):
    id: int
    manufacturer_id: int
    manufacturer_name_en: str
    manufacturer_name_bn: str
    name_en: str
    name_bn: str
    brand: str
    brand_id: int | None = Field(None, description="the registered brand (null for rows made before it)")
    model_number: str
    category: str
    gtin: str
    hs_code: str | None
    description_en: str | None
    description_bn: str | None
    specifications: dict[str, str]
    local_value_addition: float
    lva_basis: str
    launch_date: date | None
    images: list[str]
    status: str
    status_reason: str | None
    licence_number: str | None
    licence_valid_from: date | None
    licence_valid_until: date | None
    flags: list[str]
    certificates: list[CertificateOut]
    certificate_override: CertificateOverrideOut | None = None
    version: int


class ImportRowReport(BaseModel):
    row: int
    status: Literal["created", "invalid", "skipped"]
    id: int | None = None
    errors: list[ProblemField] = []


class ImportReport(BaseModel):
    mode: str
    total: int
    created: int
    invalid: int
    rows: list[ImportRowReport]


class BrandMatchOut(BaseModel):
    reason: Literal["same_letters", "same_sound", "same_consonants", "near_spelling"]
    new: str
    existing: str
    distance: int


class BrandConflictOut(BaseModel):
    brand_id: int
    name_en: str
    name_bn: str
    status: str
    owner_id: int
    owner_name_en: str
    owner_name_bn: str
    matches: list[BrandMatchOut]


class BrandLicenseeOut(BaseModel):
    manufacturer_id: int
    name_en: str
    name_bn: str
    kind: Literal["granted", "grandfathered"]
    granted_at: datetime


class BrandOut(BaseModel):
    id: int
    name_en: str
    name_bn: str
    status: Literal["pending", "registered", "rejected"]
    owner_id: int
    owner_name_en: str
    owner_name_bn: str
    licensees: list[BrandLicenseeOut]
    version: int
    conflicts: list[BrandConflictOut] | None = Field(
        None, description="owner's staff and reviewers: the brands it was found confusable with"
    )
    reason: str | None = None
    created_at: datetime | None = None
    decided_at: datetime | None = None


class BrandCheckOut(BaseModel):
    conflicts: list[BrandConflictOut]


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    expires_at: datetime
    revoked_at: datetime | None = None
    token: str | None = Field(None, description="the secret, shown only once at creation")
