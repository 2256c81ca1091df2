"""RFC 9457 problem+json responses: the one shape every API error takes (``app.py``'s handlers and the few
views that answer a problem themselves use ``problem_response``)."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request
from pydantic import BaseModel

PROBLEM_BASE = "https://registry.mib.gov.bd/problems/"


class ProblemField(BaseModel):
    field: str
    reason: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[ProblemField] = []
    request_id: str | None = None


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    slug: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
) -> Any:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug if slug else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
        "errors": errors or [],
        "request_id": g.get("request_id"),
    }
    if extra:
        body.update(extra)
    resp = jsonify(body)
    resp.status_code = status
    resp.mimetype = "application/problem+json"
    return resp
