"""Errors of GS1 syntax (one root, ``GS1Error``). They are ``ValueError`` too, so a parser's caller may
treat them as bad input without knowing this package."""

from __future__ import annotations

from typing import Any

from core.errors import ProblemError


class GS1Error(ProblemError, ValueError):
    """Root of every error the gs1 package raises."""

    status_code = 422
    title = "Invalid GS1 identifier"
    code = "gs1.invalid"


class InvalidGTIN(GS1Error):
    """A GTIN is malformed or its check digit is wrong."""

    status_code = 422
    title = "Invalid GTIN"
    code = "gtin.length"

    def __init__(
        self,
        detail: str,
        *,
        field: str = "gtin",
        code: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        code = code or self.code
        entry = {"field": field, "reason": detail, "code": code, "params": params}
        super().__init__(detail, errors=[entry], code=code, params=params)


class LabelURLError(GS1Error):
    """A label URL cannot be parsed as a GS1 Digital Link of this registry's shape (or its signature
    parameter, which the signing package reads, is malformed)."""

    status_code = 400
    title = "Malformed label URL"
    code = "gs1.label_url"

    def __init__(self, detail: str, *, field: str = "url") -> None:
        super().__init__(detail, errors=[{"field": field, "reason": detail}])


class DigitalLinkSyntaxError(LabelURLError):
    """A URI that breaks GS1 Digital Link's own grammar (a bad GTIN, an unknown, repeated or misordered key
    qualifier, a value outside GS1's character set 82): a resolver answers 400. A well-formed Digital Link
    that is merely not one this registry issued (a serial outside its alphabet) raises the plain
    :class:`LabelURLError`, and its verdict stays the consumer's to see."""

    title = "Malformed GS1 Digital Link URI"
