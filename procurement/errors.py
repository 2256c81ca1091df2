"""Procurement errors. One root; each carries the HTTP status and title ``app.py`` renders as problem+json."""

from __future__ import annotations

from core.errors import ProblemError


class ProcurementError(ProblemError):
    """Root of the procurement package's errors (problem+json through ``app.py``)."""

    status_code = 400
    title = "Bad request"
    slug = "procurement"
    code = "procurement.invalid"


class TenderFileError(ProcurementError):
    """The bidder's list cannot be read: each error names the line (1 is the header) and the column."""

    status_code = 422
    title = "The bidder's list is not valid"
    slug = "tender-file"
    code = "tender.file"


class TenderFileTooLarge(TenderFileError):
    status_code = 413
    title = "The bidder's list is too large"
    code = "tender.file_too_large"


class StatementNotFound(ProcurementError):
    status_code = 404
    title = "Not found"
    slug = "not-found"
    code = "statement.not_found"
