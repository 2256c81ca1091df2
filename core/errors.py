"""The one problem+json error base every package's errors derive from, and the HTTP errors plumbing raises.

``ProblemError`` carries what ``app.py`` renders as RFC 9457 problem+json: ``status_code``, ``title``, ``slug``
(the last segment of the problem ``type``), ``detail``, ``errors`` (``[{"field", "reason"}]``) and ``extra``
(extension members). Each package keeps one root (``RegistryError``, ``SigningError``, ``SearchError``,
``LabelError``, ``GS1Error``) derived from it; the classes below are the generic answers any package gives.
"""

from __future__ import annotations

from typing import Any


class ProblemError(Exception):
    """Root of every error that reaches an HTTP caller as problem+json."""

    status_code: int = 400
    title: str = "Bad request"
    slug: str | None = None  # None: app.py derives it from the title

    def __init__(self, detail: str = "", *, errors: list[dict[str, Any]] | None = None) -> None:
        detail = detail or self.title
        super().__init__(detail)
        self.detail = detail
        self.errors: list[dict[str, Any]] = list(errors or [])
        self.extra: dict[str, Any] = {}

    def with_report(self, report: dict[str, Any]) -> ProblemError:
        """Attach a machine-readable report (e.g. a per-row import report) to the problem."""
        self.extra["report"] = report
        return self

    def with_extra(self, **members: Any) -> ProblemError:
        """Attach machine-readable members to the problem (RFC 9457 extension members)."""
        self.extra.update(members)
        return self


class ValidationFailed(ProblemError):
    status_code = 422
    title = "The request is not valid"
    slug = "validation"

    @classmethod
    def field(cls, field: str, reason: str) -> ValidationFailed:
        return cls(f"{field}: {reason}", errors=[{"field": field, "reason": reason}])


class NotAuthenticated(ProblemError):
    status_code = 401
    title = "Authentication required"
    slug = "not-authenticated"


class Forbidden(ProblemError):
    status_code = 403
    title = "Not allowed"
    slug = "forbidden"


class NotFound(ProblemError):
    status_code = 404
    title = "Not found"
    slug = "not-found"


class Conflict(ProblemError):
    status_code = 409
    title = "Conflict"
    slug = "conflict"


class PreconditionFailed(ProblemError):
    status_code = 412
    title = "Precondition failed"
    slug = "precondition-failed"


class PayloadTooLarge(ProblemError):
    status_code = 413
    title = "Payload too large"
    slug = "payload-too-large"


class UnsupportedMediaType(ProblemError):
    status_code = 415
    title = "Unsupported media type"
    slug = "unsupported-media-type"


class TooManyRequests(ProblemError):
    status_code = 429
    title = "Too many requests"
    slug = "too-many-requests"
