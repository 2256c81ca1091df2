"""Errors of the resolver and the passports (one root, ``InteropError``)."""

from __future__ import annotations

from core.errors import ProblemError


class InteropError(ProblemError):
    """Root of every error the interop package raises."""

    status_code = 400
    title = "Bad resolver request"


class NoSuchLink(InteropError):
    """The product exists, but has no link of the type asked for (GS1-Conformant resolver: 404)."""

    status_code = 404
    title = "No such link"
    code = "resource.not_found"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, errors=[{"field": "linkType", "reason": detail}])


class NoSuchProduct(InteropError):
    """No product with this GTIN has ever been licensed (drafts and rejected ones do not exist here)."""

    status_code = 404
    title = "Not found"
    slug = "not-found"
    code = "resource.not_found"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, errors=[{"field": "gtin", "reason": detail}])
