"""RFC 9457 problem+json responses: the one shape every API error takes (``app.py``'s handlers and the few
views that answer a problem themselves use ``problem_response``)."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request
from pydantic import BaseModel, Field

from core.error_codes import GENERIC, plain_params

PROBLEM_BASE = "https://registry.mib.gov.bd/problems/"


class ProblemField(BaseModel):
    field: str
    reason: str
    code: str = Field(description="a stable error code (core.error_codes), e.g. gtin.check_digit")
    params: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="what the code's message names, e.g. {'gtin': ..., 'expected': ...}"
    )


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    code: str = Field(description="a stable error code (core.error_codes), e.g. record.changed")
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)
    errors: list[ProblemField] = []
    request_id: str | None = None


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    slug: str | None = None,
    code: str = "request.invalid",
    params: dict[str, Any] | None = None,
    errors: list[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
) -> Any:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug if slug else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
        "code": code,
        "errors": [_entry(e, code) for e in errors or []],
        "request_id": g.get("request_id"),
    }
    if params:
        body["params"] = plain_params(params)
    if extra:
        body.update(extra)
    resp = jsonify(body)
    resp.status_code = status
    resp.mimetype = "application/problem+json"
    return resp


def _entry(entry: dict[str, Any], code: str) -> dict[str, Any]:
    """Every entry names its code (a hand-built one without takes the problem's) and its params, if any."""
    if "code" in entry and "params" not in entry:
        return entry
    out = {**entry, "code": entry.get("code") or code or GENERIC}
    params = plain_params(out.pop("params", None))
    if params:
        out["params"] = params
    return out
