"""The transparency log's errors: one root, carrying what the problem+json handler needs."""

from __future__ import annotations

from typing import Any


class TlogError(Exception):
    """Root of the transparency log's errors."""

    status_code = 400
    title = "Transparency log error"
    slug = "tlog"
    code = "tlog.invalid"

    def __init__(self, detail: str, *, field: str | None = None, status_code: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if status_code is not None:
            self.status_code = status_code
        self.errors: list[dict[str, Any]] = [{"field": field, "reason": detail}] if field else []


class ProofError(TlogError):
    """A proof does not verify, or cannot be built for the sizes asked."""

    title = "Invalid proof"
    slug = "tlog-proof"
    code = "tlog.proof"


class NoteError(TlogError):
    """A signed note or checkpoint is malformed, or no known key verifies it."""

    title = "Invalid signed note"
    slug = "tlog-note"
    code = "tlog.note"


class TileError(TlogError):
    """A tile path is malformed, or asks for a tile the log does not have."""

    title = "No such tile"
    slug = "tlog-tile"
    code = "tlog.tile"
    status_code = 404


class AuditError(TlogError):
    """The monitor found the log inconsistent."""

    title = "Log inconsistent"
    slug = "tlog-audit"
    code = "tlog.audit"
