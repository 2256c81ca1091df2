"""Pydantic models of the catalogue API for the OpenAPI document.

The query models describe the parameters; ``search.queries.parse_catalogue_query`` does the
full validation (repeated and comma-separated values, cross-field limits) so both agree by
construction: ``tests/search/test_schemas.py`` checks they name the same parameters.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from search.queries import DEFAULT_PER_PAGE, MAX_COMPARE, MAX_PER_PAGE, MAX_QUERY_LENGTH, MAX_RESULT_WINDOW


class _Params(BaseModel):
    model_config = ConfigDict(extra="ignore")


class CatalogueFilterParams(_Params):
    q: str | None = Field(
        None,
        max_length=MAX_QUERY_LENGTH,
        description="Words in English, Bangla or romanised Bangla (Banglish), a full or partial GTIN or "
        "model number. Typos are forgiven. Empty: every public product.",
        examples=["walton smartphone", "মোবাইল ফোন", "mobail fon", "8801234"],
    )
    licence_valid_on: date | None = Field(
        None, description="Only products whose licence is valid on this day (default today)."
    )
    certificate: str | None = Field(
        None,
        description="Certificate schemes the product must hold, valid on `certificate_valid_on` "
        "(comma-separated or repeated; all must hold), e.g. BSTI,BTRC.",
    )
    certificate_valid_on: date | None = Field(
        None, description="The day certificates must be valid on (default today)."
    )
    lva_min: float | None = Field(None, ge=0, le=100, description="Minimum local value addition, percent.")
    district: str | None = Field(
        None, description="District codes (comma-separated or repeated; any may match)."
    )
    manufacturer: str | None = Field(
        None, description="Manufacturer ids (comma-separated or repeated; any may match)."
    )
    category: str | None = Field(
        None, description="Category codes (comma-separated or repeated; any may match)."
    )
    sort: Literal["relevance", "newest", "name", "lva"] | None = Field(
        None, description="Order of results (default: relevance with `q`, newest without)."
    )


class CatalogueSearchParams(CatalogueFilterParams):
    page: int = Field(
        1,
        ge=1,
        le=MAX_RESULT_WINDOW,
        description=f"Page number; pages end after {MAX_RESULT_WINDOW} results.",
    )
    per_page: int = Field(DEFAULT_PER_PAGE, ge=1, le=MAX_PER_PAGE)
    facets: str | None = Field(
        None,
        description="Facets to count, comma-separated: category, manufacturer, district, certificate, lva. "
        "Absent: all; empty: none.",
    )


class CatalogueExportParams(CatalogueFilterParams):
    format: Literal["csv", "xlsx"] = Field(
        "csv", description="File format; every matching product, no row cap."
    )


class SuggestParams(_Params):
    q: str = Field("", max_length=100, description="What the user has typed so far.")
    limit: int = Field(10, ge=1, le=20)


class CompareParams(_Params):
    ids: str = Field(
        ..., description=f"Up to {MAX_COMPARE} product ids, comma-separated.", examples=["12,15,31"]
    )


class CertificateOut(BaseModel):
    scheme: str
    valid_from: str | None
    valid_until: str | None


class CatalogueProduct(BaseModel):
    id: int
    gtin: str
    name_en: str
    name_bn: str
    brand: str
    model_number: str
    manufacturer_id: int
    manufacturer_name_en: str
    manufacturer_name_bn: str
    district: str
    district_name_en: str
    district_name_bn: str
    category: str
    category_name_en: str
    category_name_bn: str
    description_en: str
    description_bn: str
    specifications: dict[str, Any]
    certificates: list[CertificateOut]
    certificate_schemes: list[str]
    licence_status: str
    licence_number: str | None
    licence_valid_from: str | None
    licence_valid_until: str | None
    local_value_addition: float
    launch_date: str | None
    created_at: str | None


class CatalogueHit(BaseModel):
    product: CatalogueProduct
    score: float
    highlights: dict[str, str] = Field(description="Field → its text (HTML-escaped) with matches in <mark>.")


class FacetValue(BaseModel):
    value: str
    count: int
    label_en: str | None = None
    label_bn: str | None = None


class CatalogueSearchResponse(BaseModel):
    query: dict[str, Any]
    total: int
    page: int
    per_page: int
    pages: int
    corrected_q: str | None = Field(None, description="The query after typo correction, when corrected.")
    hint: Literal["stop_words_only"] | None = Field(
        None,
        description="Why nothing matched a query that was not empty: `stop_words_only`, the text had only "
        "words such as `and`, `the` or `এবং`, which say nothing about a product.",
    )
    hits: list[CatalogueHit]
    facets: dict[str, list[FacetValue]]


class SuggestionOut(BaseModel):
    text: str
    kind: Literal["product", "brand", "category", "manufacturer", "district"]
    value: str | None
    count: int


class SuggestResponse(BaseModel):
    q: str
    suggestions: list[SuggestionOut]


class CompareRow(BaseModel):
    key: str
    label_en: str
    label_bn: str
    values: list[Any]


class CompareResponse(BaseModel):
    products: list[CatalogueProduct]
    rows: list[CompareRow]
