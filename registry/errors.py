"""Registry errors. One root; each carries the HTTP status and title app.py renders as problem+json."""

from __future__ import annotations

from typing import Any


class RegistryError(Exception):
    status_code = 400
    title = "Bad request"
    slug = "bad-request"

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.extra: dict[str, Any] = {}

    def with_report(self, report: dict[str, Any]) -> RegistryError:
        """Attach a machine-readable report (e.g. a per-row import report) to the problem."""
        self.extra["report"] = report
        return self

    def with_extra(self, **members: Any) -> RegistryError:
        """Attach machine-readable members to the problem (RFC 9457 extension members)."""
        self.extra.update(members)
        return self


class ValidationFailed(RegistryError):
    status_code = 422
    title = "The request is not valid"
    slug = "validation"

    @classmethod
    def field(cls, field: str, reason: str) -> ValidationFailed:
        return cls(f"{field}: {reason}", errors=[{"field": field, "reason": reason}])


class NotAuthenticated(RegistryError):
    status_code = 401
    title = "Authentication required"
    slug = "not-authenticated"


class Forbidden(RegistryError):
    status_code = 403
    title = "Not allowed"
    slug = "forbidden"


class NotFound(RegistryError):
    status_code = 404
    title = "Not found"
    slug = "not-found"


class Conflict(RegistryError):
    status_code = 409
    title = "Conflict"
    slug = "conflict"


class PreconditionFailed(RegistryError):
    status_code = 412
    title = "Precondition failed"
    slug = "precondition-failed"


class IllegalTransition(Conflict):
    title = "This change is not allowed in the current state"
    slug = "illegal-transition"


class PayloadTooLarge(RegistryError):
    status_code = 413
    title = "Payload too large"
    slug = "payload-too-large"


class UnsupportedMediaType(RegistryError):
    status_code = 415
    title = "Unsupported media type"
    slug = "unsupported-media-type"


class TooManyRequests(RegistryError):
    status_code = 429
    title = "Too many requests"
    slug = "too-many-requests"
