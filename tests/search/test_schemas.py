"""The OpenAPI models and the query parser describe the same parameters."""

from __future__ import annotations

from search.queries import PARAMETERS
from search.schemas import CatalogueExportParams, CatalogueSearchParams


def test_search_parameters_match_the_parser() -> None:
    assert set(CatalogueSearchParams.model_fields) == set(PARAMETERS)


def test_export_takes_the_filters_and_a_format() -> None:
    assert set(CatalogueExportParams.model_fields) == set(PARAMETERS) - {"page", "per_page", "facets"} | {
        "format"
    }
