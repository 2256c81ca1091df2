"""RFC 8785 (JSON Canonicalization Scheme) bytes: what records and status lists sign."""

from __future__ import annotations

from typing import Any

import rfc8785

from signing.errors import RecordFormatError


def canonicalize(value: Any) -> bytes:
    """RFC 8785 (JCS) canonical bytes of a JSON value."""
    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as exc:
        raise RecordFormatError(f"value cannot be canonicalised: {exc}") from exc
