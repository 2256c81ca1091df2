"""Errors raised by the labels package (one root: LabelError)."""

from __future__ import annotations

from core.errors import ProblemError


class LabelError(ProblemError):
    """Root of every error the labels package raises."""

    status_code: int = 422
    title: str = "Label cannot be produced"
    code = "label.invalid"

    def __init__(self, detail: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(detail, errors=errors)


class LabelDataError(LabelError):
    """The URL or label text cannot be encoded (too long for a QR code, bad characters, ...)."""

    title = "Label data cannot be encoded"
    code = "label.data"


class UnknownLayoutError(LabelError):
    """A layout or output format name that the package does not know."""

    title = "Unknown label layout or format"
    code = "label.layout_unknown"


class LabelJobNotFoundError(LabelError):
    """A label job id that does not exist (or has expired)."""

    status_code = 404
    title = "Label job not found"
    code = "label.job_not_found"


class LabelJobNotReadyError(LabelError):
    """The job's file is not there (yet): still queued or running, or it failed."""

    status_code = 409
    title = "Label job not finished"
    code = "label.job_not_ready"


class LabelSourceNotFoundError(LabelError):
    """A serial batch that does not exist or that the caller may not see."""

    status_code = 404
    title = "Not found"
    code = "label.source_not_found"


class BatchNotPrintableError(LabelError):
    """Labels are printed only for active batches."""

    status_code = 409
    title = "Batch cannot be printed"
    code = "label.batch_not_printable"
