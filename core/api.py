"""Typed API routes: one decorator validates the request with pydantic, serialises the response model the
view returns and records the operation, so the OpenAPI 3.1 document is generated from the very models that
validate requests and write answers.  A validation error names its field and its stable code
(``core.error_codes``).

Any package can declare routes on its own blueprint with ``api.route(bp, ...)``.

Every operation declares, in the same place, the token scope it needs: ``scope=PUBLIC`` (anyone; what a
caller may see is still decided by the services), one scope (``"read"``, ``"write"``, ``"review"``,
``"admin"``, ``"procure"``: a procurement officer's shortlists and statements), or a tuple of scopes any one of which will do.  ``ApiSpec.enforce_scope`` (a before-request
hook) refuses a request whose credential lacks it, before the view or its validation runs, and
``ApiSpec.undeclared`` lists the routes of an app that declare nothing (the application refuses to start with
one, and a test walks every route × scope × role).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, jsonify, request
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from core.auth import current_actor
from core.error_codes import code_of_pydantic, plain_params
from core.errors import UnsupportedMediaType, ValidationFailed
from core.problems import Problem

PUBLIC = "public"
SCOPES = ("read", "write", "review", "admin", "procure")
Scope = str | tuple[str, ...]


def scopes_of(scope: Scope) -> tuple[str, ...]:
    """The scopes any one of which an operation needs (empty for a public one); refuses unknown names."""
    needed = () if scope == PUBLIC else (scope,) if isinstance(scope, str) else tuple(scope)
    unknown = [name for name in needed if name not in SCOPES]
    if unknown or (not needed and scope != PUBLIC):
        raise ValueError(f"scope must be {PUBLIC!r} or some of {SCOPES}, not {scope!r}")
    return needed


def errors_from_pydantic(exc: ValidationError, prefix: str = "") -> list[dict[str, Any]]:
    out = []
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-after"))]
        field = ".".join(loc) or prefix.rstrip(".") or "body"
        if prefix and loc:
            field = prefix + field
        reason = err["msg"]
        if err["type"] == "extra_forbidden":
            reason = "unknown field"
        elif err["type"] == "missing":
            reason = "this field is required"
        elif reason.startswith("Value error, "):
            reason = reason[len("Value error, ") :]
        entry: dict[str, Any] = {"field": field, "reason": reason, "code": code_of_pydantic(err)}
        params = plain_params(err.get("ctx"))
        if params:
            entry["params"] = params
        out.append(entry)
    return out


def validate_model(model: type[BaseModel], data: Any, *, prefix: str = "") -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = errors_from_pydantic(exc, prefix)
        raise ValidationFailed(
            "; ".join(f"{e['field']}: {e['reason']}" for e in errors[:5]), errors=errors
        ) from exc


def read_json_body() -> Any:
    """The request body as JSON, or a clear 400/415 problem."""
    mimetype = request.mimetype or ""
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise UnsupportedMediaType(
            "send the body as JSON with Content-Type: application/json",
            errors=[
                {
                    "field": "Content-Type",
                    "reason": f"expected application/json, got {mimetype or 'nothing'}",
                    "code": "request.media_type",
                }
            ],
        )
    raw = request.get_data(cache=True)
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = (
            f"line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else "encoding"
        )
        raise ValidationFailed(
            f"the body is not valid JSON ({where})",
            errors=[{"field": "body", "reason": f"malformed JSON: {exc}"}],
            code="body.invalid_json",
        ) from exc


def serialise(result: Any) -> Any:
    """A view's answer as Flask takes it: a returned pydantic model (alone, or first in a ``(model, status)`` or
    ``(model, status, headers)`` tuple) becomes its JSON, as ``jsonify`` writes a dict; anything else is
    passed on unchanged."""
    if isinstance(result, BaseModel):
        return jsonify(result.model_dump(mode="json"))
    if isinstance(result, tuple) and result and isinstance(result[0], BaseModel):
        return (jsonify(result[0].model_dump(mode="json")), *result[1:])
    return result


class Operation:
    def __init__(
        self,
        rule: str,
        method: str,
        view: str,
        *,
        summary: str,
        tags: list[str],
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: Any = None,
        status: int = 200,
        scopes: tuple[str, ...] = (),
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.rule, self.method, self.view, self.summary, self.tags = rule, method, view, summary, tags
        self.body, self.query, self.response, self.status, self.scopes, self.extra = (
            body,
            query,
            response,
            status,
            scopes,
            extra or {},
        )

    @property
    def auth(self) -> bool:
        return bool(self.scopes)


class ApiSpec:
    """Collects operations from decorated views and renders an OpenAPI 3.1 document."""

    def __init__(self, title: str, version: str) -> None:
        self.title = title
        self.version = version
        self.operations: list[Operation] = []
        self.scopes: dict[str, tuple[str, ...]] = {}  # endpoint -> scopes any one of which it needs
        self.public_blueprints: set[str] = set()

    def declare(self, bp: Blueprint, endpoint: str, scope: Scope) -> tuple[str, ...]:
        needed = scopes_of(scope)
        self.scopes[f"{bp.name}.{endpoint}"] = needed
        return needed

    def declare_public_pages(self, bp: Blueprint) -> None:
        """Every route of ``bp`` is a public page.  Pages elsewhere declare themselves with
        ``web.guards.signed_in`` (the roles it admits) or ``web.guards.public_page``: both set ``page_access``."""
        self.public_blueprints.add(bp.name)

    def enforce_scope(self) -> None:
        """Before-request hook: the declared scope of the matched operation, or nothing for other routes."""

        needed = self.scopes.get(request.endpoint or "")
        if needed:
            current_actor().require_any(needed)

    def undeclared(self, app: Any) -> list[str]:
        """Routes of ``app`` that declare neither a scope nor a page guard (should be none)."""
        missing = []
        for rule in app.url_map.iter_rules():
            endpoint = rule.endpoint
            blueprint = endpoint.rsplit(".", 1)[0] if "." in endpoint else ""
            view = app.view_functions.get(endpoint)
            if (
                endpoint in self.scopes
                or endpoint == "static"
                or endpoint.endswith(".static")
                or blueprint in self.public_blueprints
                or getattr(view, "page_access", None) is not None
            ):
                continue
            missing.append(f"{sorted(rule.methods - {'HEAD', 'OPTIONS'})} {rule.rule} ({endpoint})")
        return sorted(missing)

    def route(
        self,
        bp: Blueprint,
        rule: str,
        method: str = "GET",
        *,
        summary: str,
        tags: list[str],
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: Any = None,
        status: int = 200,
        scope: Scope,
        produces: str | tuple[str, ...] | None = None,
        **extra: Any,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register ``view`` on ``bp``; it receives ``body=`` and ``query=`` already validated, and a
        ``response`` model it returns is serialised (``serialise``).  ``produces`` names a file the view may
        answer with 200 instead (``response`` then documents ``status``).  ``scope``: see the module
        docstring."""
        if produces is not None:
            extra["produces"] = (produces,) if isinstance(produces, str) else tuple(produces)

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            needed = self.declare(bp, view.__name__, scope)

            @functools.wraps(view)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                if query is not None:
                    kwargs["query"] = validate_model(query, request.args.to_dict(), prefix="query.")
                if body is not None:
                    kwargs["body"] = validate_model(body, read_json_body())
                return serialise(view(*args, **kwargs))

            full_rule = (bp.url_prefix or "") + rule
            self.operations.append(
                Operation(
                    full_rule,
                    method,
                    view.__name__,
                    summary=summary,
                    tags=tags,
                    body=body,
                    query=query,
                    response=response,
                    status=status,
                    scopes=needed,
                    extra=extra,
                )
            )
            bp.add_url_rule(rule, view.__name__, wrapper, methods=[method])
            return wrapper

        return decorator

    def describe(
        self,
        bp: Blueprint,
        rule: str,
        method: str = "GET",
        *,
        summary: str,
        tags: list[str],
        status: int = 200,
        scope: Scope,
        body: type[BaseModel] | dict[str, Any] | None = None,
        query: type[BaseModel] | dict[str, dict[str, Any]] | None = None,
        response: type[BaseModel] | None = None,
        produces: str | tuple[str, ...] | None = None,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Put a route whose view reads the request itself into the document, unchanged (its scope is
        enforced all the same: ``enforce_scope``): a streamed or non-JSON answer, a multipart body, a hot path.

        ``body``, ``query`` and ``response`` are best pydantic models (documented as ``route`` documents them,
        not validated); a plain JSON Schema of the body, or a map of each query parameter to its schema
        (``"required": True`` inside marks a required one), is still taken.  ``produces`` names a non-JSON
        answer (or several).
        """

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            needed = self.declare(bp, view.__name__, scope)
            openapi: dict[str, Any] = {}
            body_model = body if isinstance(body, type) else None
            if isinstance(body, dict):
                openapi["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
            full_rule = (bp.url_prefix or "") + rule
            params = _path_params(full_rule)
            if isinstance(query, type):
                params += _query_params(query)
            for name, schema in (query or {}).items() if isinstance(query, dict) else ():
                schema = dict(schema)
                required = bool(schema.pop("required", False))
                params.append({"name": name, "in": "query", "required": required, "schema": schema})
            openapi["parameters"] = params
            if produces is not None:
                types = (produces,) if isinstance(produces, str) else produces
                openapi["responses"] = {
                    str(status): {"description": "success", "content": {t: {} for t in types}},
                    "default": _PROBLEM_RESPONSE,
                }
            self.operations.append(
                Operation(
                    full_rule,
                    method,
                    view.__name__,
                    summary=summary,
                    tags=tags,
                    body=body_model,
                    response=response,
                    status=status,
                    scopes=needed,
                    extra={"openapi": openapi},
                )
            )
            return view

        return decorator

    def document(self, server_url: str = "/") -> dict[str, Any]:
        models: set[type[BaseModel]] = {Problem}
        for op in self.operations:
            for m in (op.body, op.response):
                if isinstance(m, type) and issubclass(m, BaseModel):
                    models.add(m)
                elif isinstance(m, list) and m and isinstance(m[0], type):
                    models.add(m[0])
        keyed = [(m, "validation") for m in sorted(models, key=lambda m: m.__name__)]
        refs, top = models_json_schema(keyed, ref_template="#/components/schemas/{model}")
        schemas = top.get("$defs", {})
        # pydantic names two models of one class name apart (module__Class): refer by what it chose.
        ref = {model: refs[(model, "validation")] for model, _ in keyed}
        paths: dict[str, Any] = {}
        for op in self.operations:
            path = _openapi_path(op.rule)
            item: dict[str, Any] = {
                "summary": op.summary,
                "operationId": op.view,
                "tags": op.tags,
                "parameters": _path_params(op.rule) + (_query_params(op.query) if op.query else []),
                "responses": {
                    str(op.status): _response_schema(op.response, op.status, ref),
                    "default": _PROBLEM_RESPONSE,
                },
            }
            if op.body is not None:
                item["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": ref[op.body]}},
                }
            if op.auth:
                item["security"] = [{"bearer": []}, {"session": []}]
                item["x-scopes"] = list(op.scopes)  # any one of these (bearer tokens carry scopes)
                item["description"] = "Needs a token with the scope " + " or ".join(
                    repr(s) for s in op.scopes
                )
            if op.extra.get("produces"):
                item["responses"]["200"] = {
                    "description": "the file",
                    "content": {t: {} for t in op.extra["produces"]},
                }
            item.update(op.extra.get("openapi", {}))
            paths.setdefault(path, {})[op.method.lower()] = item
        return {
            "openapi": "3.1.0",
            "info": {
                "title": self.title,
                "version": self.version,
                "description": "Made in Bangladesh ICT product registry and brand verification. "
                "Every error is RFC 9457 problem+json naming the offending field.",
            },
            "servers": [{"url": server_url}],
            "paths": paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {
                    "bearer": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "an API token from POST /api/v1/tokens",
                    },
                    "session": {"type": "apiKey", "in": "cookie", "name": "session"},
                },
            },
        }


_PROBLEM_RESPONSE = {
    "description": "an RFC 9457 problem",
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
}


def _openapi_path(rule: str) -> str:

    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def _path_params(rule: str) -> list[dict[str, Any]]:

    params = []
    for conv, name in re.findall(r"<(?:([a-z]+):)?([a-z_]+)>", rule):
        schema = {"type": "integer"} if conv == "int" else {"type": "string"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


def _query_params(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in schema.get("properties", {}).items()
    ]


def _response_schema(response: Any, status: int, ref: dict[Any, dict[str, str]]) -> dict[str, Any]:
    if response is None:
        return {"description": "no content" if status == 204 else "success"}
    if isinstance(response, list):
        inner = ref[response[0]]
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": inner},
                "page": {"type": "integer"},
                "per_page": {"type": "integer"},
                "total": {"type": "integer"},
            },
        }
    elif isinstance(response, type) and issubclass(response, BaseModel):
        schema = ref[response]
    else:
        return {"description": str(response)}
    return {"description": "success", "content": {"application/json": {"schema": schema}}}


api = ApiSpec("Made in Bangladesh ICT registry API", "1.0.0")
