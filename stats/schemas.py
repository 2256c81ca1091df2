"""Pydantic models of the statistics and the open data files: they serialise the API's answers, write the
OpenAPI document and are the JSON Schemas published with the snapshots (one schema source)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from search.schemas import CatalogueProduct


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FigureColumn(_Strict):
    key: str = Field(
        description="Stable machine name of the column (a series: an action, a division, a band)."
    )
    label_en: str
    label_bn: str


class FigureRow(_Strict):
    key: str = Field(
        description="Stable machine name of the row (a category code, district code, YYYY-MM, ...)."
    )
    label_en: str
    label_bn: str
    values: list[int] = Field(description="One count per column, in the columns' order.")


class Figure(_Strict):
    id: str = Field(
        description="products_by_category, products_over_time, products_by_division, "
        "products_by_district, lva_by_category, licence_actions, certificates_expiring, "
        'scans_by_division or fake_reports (docs/formats.md, "Statistics").'
    )
    title_en: str
    title_bn: str
    row_heading_en: str
    row_heading_bn: str
    columns: list[FigureColumn]
    rows: list[FigureRow]


class StatisticsResponse(_Strict):
    """The programme's figures as of one day."""

    as_of: date
    generated_at: datetime
    figures: list[Figure]


class CatalogueSnapshot(_Strict):
    """The open data catalogue of one day: every product in the public catalogue."""

    as_of: date
    generated_at: datetime
    products: list[CatalogueProduct]


class OpenDataFile(_Strict):
    name: str = Field(description="The file's name within its day.")
    url: str
    signature_url: str = Field(description="Its detached signature (compact JWS, payload detached).")
    sha256: str
    size: int
    schema_url: str | None = None


class OpenDataDay(_Strict):
    day: date
    files: list[OpenDataFile]


class OpenDataIndex(_Strict):
    latest: date | None
    days: list[OpenDataDay]


def published_schema(model: type[BaseModel], schema_id: str) -> dict[str, Any]:
    """The JSON Schema (2020-12) published for ``model``'s files at ``schema_id``."""
    schema = model.model_json_schema(mode="serialization")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": schema_id, **schema}
