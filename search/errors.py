"""Errors of the search layer. ``SearchError`` is the root; each carries what problem+json needs."""

from __future__ import annotations

from typing import Any

from core.errors import ProblemError


class SearchError(ProblemError):
    """Root of every error the search layer raises."""

    status_code: int = 500
    title: str = "Search failed"
    code = "search.invalid"

    def __init__(self, detail: str = "", errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail, errors=errors)


class InvalidQuery(SearchError):
    """A catalogue query parameter is missing, malformed or out of range."""

    status_code = 422
    title = "Invalid catalogue query"
    code = "search.query"


class SearchUnavailable(SearchError):
    """The search index cannot answer right now (engine down, index missing or locked)."""

    status_code = 503
    title = "Catalogue search is unavailable"
    code = "search.unavailable"
    retry_after = 5  # seconds; app.py turns it into a Retry-After header


class ProductsNotFound(SearchError):
    """Some requested products are not in the public catalogue."""

    status_code = 404
    title = "Products not found in the public catalogue"
    code = "search.products_not_found"


class ReindexFailed(SearchError):
    """A fresh index did not check out (document count mismatch); the live index was left as it was."""

    title = "Reindex failed"
    code = "search.reindex_failed"
