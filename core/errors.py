"""The one problem+json error base every package's errors derive from, and the HTTP errors plumbing raises.

``ProblemError`` carries what ``app.py`` renders as RFC 9457 problem+json: ``status_code``, ``title``, ``slug``
(the last segment of the problem ``type``), ``code`` and ``params`` (a stable code of ``core.error_codes`` and
what its message names), ``detail``, ``errors`` (``[{"field", "reason", "code", "params"}]``; an entry without a
code takes the problem's) and ``extra`` (extension members).  A class names its ``code``; a raise may name a
more precise one. Each package keeps one root (``RegistryError``, ``SigningError``, ``SearchError``,
``LabelError``, ``GS1Error``) derived from it; the classes below are the generic answers any package gives.
"""

from __future__ import annotations

from typing import Any

from core.error_codes import code_of, params_of, plain_params


class ProblemError(Exception):
    """Root of every error that reaches an HTTP caller as problem+json."""

    status_code: int = 400
    title: str = "Bad request"
    slug: str | None = None  # None: app.py derives it from the title
    code: str = "request.invalid"  # core.error_codes; an instance may name a more precise one

    def __init__(
        self,
        detail: str = "",
        *,
        errors: list[dict[str, Any]] | None = None,
        code: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        detail = detail or self.title
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.params: dict[str, Any] = dict(params or {})
        self.errors: list[dict[str, Any]] = [coded_entry(e, self.code) for e in errors or []]
        self.extra: dict[str, Any] = {}

    def with_report(self, report: dict[str, Any]) -> ProblemError:
        """Attach a machine-readable report (e.g. a per-row import report) to the problem."""
        self.extra["report"] = report
        return self

    def with_extra(self, **members: Any) -> ProblemError:
        """Attach machine-readable members to the problem (RFC 9457 extension members)."""
        self.extra.update(members)
        return self


def coded_entry(entry: dict[str, Any], default: str) -> dict[str, Any]:
    """One ``errors`` entry with its ``code`` (``default`` when it names none) and its ``params`` (left out
    when there are none)."""
    out = dict(entry)
    out.setdefault("code", default)
    params = plain_params(out.pop("params", None))
    if params:
        out["params"] = params
    return out


class ValidationFailed(ProblemError):
    status_code = 422
    title = "The request is not valid"
    slug = "validation"
    code = "value.invalid"

    @classmethod
    def field(
        cls, field: str, reason: str, *, code: str = "value.invalid", params: dict[str, Any] | None = None
    ) -> ValidationFailed:
        entry = {"field": field, "reason": reason, "code": code, "params": params}
        return cls(f"{field}: {reason}", errors=[entry], code=code, params=params)

    @classmethod
    def from_exception(cls, field: str, exc: BaseException) -> ValidationFailed:
        """A 422 on ``field`` from a ``ValueError`` that may carry a code (``core.error_codes.coded``)."""
        return cls.field(field, str(exc), code=code_of(exc), params=params_of(exc))


class NotAuthenticated(ProblemError):
    status_code = 401
    title = "Authentication required"
    slug = "not-authenticated"
    code = "auth.required"


class Forbidden(ProblemError):
    status_code = 403
    title = "Not allowed"
    slug = "forbidden"
    code = "auth.forbidden"


class NotFound(ProblemError):
    status_code = 404
    title = "Not found"
    slug = "not-found"
    code = "resource.not_found"


class Conflict(ProblemError):
    status_code = 409
    title = "Conflict"
    slug = "conflict"
    code = "resource.conflict"


class PreconditionFailed(ProblemError):
    status_code = 412
    title = "Precondition failed"
    slug = "precondition-failed"
    code = "request.precondition_failed"


class PayloadTooLarge(ProblemError):
    status_code = 413
    title = "Payload too large"
    slug = "payload-too-large"
    code = "body.too_large"


class UnsupportedMediaType(ProblemError):
    status_code = 415
    title = "Unsupported media type"
    slug = "unsupported-media-type"
    code = "request.media_type"


class TooManyRequests(ProblemError):
    status_code = 429
    title = "Too many requests"
    slug = "too-many-requests"
    code = "request.rate_limited"
