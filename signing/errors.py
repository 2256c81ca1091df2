"""Errors raised by the signing package.

``SigningError`` is the package's one root exception.  Every error that can reach an HTTP caller
carries ``status_code`` and ``title`` (class attributes) and ``errors`` (a list of
``{"field", "reason"}`` dicts), which ``app.py`` turns into RFC 9457 problem+json.
"""

from __future__ import annotations

from enum import StrEnum

from core.errors import ProblemError


class SigningError(ProblemError):
    """Root of every error the signing package raises."""

    status_code: int = 500
    title: str = "Signing error"
    code = "signing.invalid"


class RecordFormatError(SigningError, ValueError):
    """A signed record, JWKS or status list document is not structurally valid."""

    status_code = 400
    title = "Malformed signed document"
    code = "signing.record_format"

    def __init__(self, detail: str, *, field: str = "document") -> None:
        super().__init__(detail, errors=[{"field": field, "reason": detail}])


class KeySourceError(SigningError):
    """The issuing key could not be loaded from its key source."""

    title = "Signing key unavailable"
    code = "signing.key_source"


class RateLimited(SigningError):
    """A client went over a public limit (``core.ratelimit``): 429 with Retry-After."""

    status_code = 429
    title = "Too many requests"
    code = "request.rate_limited"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, errors=[{"field": "client", "reason": "rate limit exceeded"}])
        self.retry_after = retry_after


class Verdict(StrEnum):
    """What a verifier tells a consumer about a label or record."""

    GENUINE = "genuine"
    NOT_GENUINE = "not_genuine"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"
    RECALLED = "recalled"
    UNTRUSTED_KEY = "untrusted_key"
    UNKNOWN = "unknown"


class Reason(StrEnum):
    """Why verification failed: a finer code than the verdict it maps to."""

    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_KEY = "unknown_key"
    KEY_COMPROMISED = "key_compromised"
    LICENCE_SUSPENDED = "licence_suspended"
    LICENCE_REVOKED = "licence_revoked"
    LICENCE_EXPIRED = "licence_expired"
    BATCH_REVOKED = "batch_revoked"
    BATCH_SUSPENDED = "batch_suspended"
    UNIT_RECALLED = "unit_recalled"
    BATCH_RECALLED = "batch_recalled"
    PRODUCT_RECALLED = "product_recalled"
    RECORD_NOT_YET_VALID = "record_not_yet_valid"
    STATUS_LIST_INVALID = "status_list_invalid"
    STATUS_LIST_EXPIRED = "status_list_expired"
    NO_UNIT_SIGNATURE = "no_unit_signature"
    FUTURE_DATED = "future_dated"
    PRODUCT_NOT_REGISTERED = "product_not_registered"
    SERIAL_NOT_ISSUED = "serial_not_issued"
    BATCH_AFTER_COMPROMISE = "batch_after_compromise"
    CHECK_ONLINE = "check_online"
    STATUS_NOT_CHECKED = "status_not_checked"


VERDICT_OF_REASON: dict[Reason, Verdict] = {
    Reason.MALFORMED: Verdict.NOT_GENUINE,
    Reason.BAD_SIGNATURE: Verdict.NOT_GENUINE,
    Reason.UNKNOWN_KEY: Verdict.UNTRUSTED_KEY,
    Reason.KEY_COMPROMISED: Verdict.UNTRUSTED_KEY,
    Reason.LICENCE_SUSPENDED: Verdict.SUSPENDED,
    Reason.LICENCE_REVOKED: Verdict.REVOKED,
    Reason.LICENCE_EXPIRED: Verdict.EXPIRED,
    Reason.BATCH_REVOKED: Verdict.REVOKED,
    Reason.BATCH_SUSPENDED: Verdict.SUSPENDED,
    Reason.UNIT_RECALLED: Verdict.RECALLED,
    Reason.BATCH_RECALLED: Verdict.RECALLED,
    Reason.PRODUCT_RECALLED: Verdict.RECALLED,
    Reason.RECORD_NOT_YET_VALID: Verdict.UNKNOWN,
    Reason.STATUS_LIST_INVALID: Verdict.UNKNOWN,
    Reason.STATUS_LIST_EXPIRED: Verdict.UNKNOWN,
    Reason.NO_UNIT_SIGNATURE: Verdict.UNKNOWN,
    Reason.FUTURE_DATED: Verdict.NOT_GENUINE,
    Reason.PRODUCT_NOT_REGISTERED: Verdict.UNKNOWN,
    Reason.SERIAL_NOT_ISSUED: Verdict.NOT_GENUINE,
    Reason.BATCH_AFTER_COMPROMISE: Verdict.NOT_GENUINE,
    Reason.CHECK_ONLINE: Verdict.UNKNOWN,
    Reason.STATUS_NOT_CHECKED: Verdict.UNKNOWN,
}


class VerificationError(SigningError):
    """Verification failed.  Verifiers return ``None`` on success and raise this otherwise, never ``False``.

    ``reason`` says why (a :class:`Reason`); ``verdict`` is what to tell a consumer.
    """

    status_code = 422
    title = "Verification failed"
    code = "verification.failed"

    def __init__(self, detail: str, *, reason: Reason) -> None:
        super().__init__(detail, errors=[{"field": "signature", "reason": reason.value}])
        self.reason = reason
        self.verdict = VERDICT_OF_REASON[reason]


class BatchError(SigningError):
    """A serial batch cannot be created or changed."""

    status_code = 409
    title = "Serial batch refused"
    code = "batch.invalid"

    def __init__(self, detail: str, *, field: str = "product", status_code: int | None = None) -> None:
        super().__init__(detail, errors=[{"field": field, "reason": detail}])
        if status_code is not None:
            self.status_code = status_code


class ReportError(SigningError):
    status_code = 422
    title = "The report is not valid"
    code = "report.invalid"

    def __init__(self, detail: str, *, field: str) -> None:
        super().__init__(detail, errors=[{"field": field, "reason": detail}])
