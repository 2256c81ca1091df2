"""Who may call what, from one table: every route of the application declares a token scope (API), a page
guard or that it is public, and every API operation is walked with every role and every single scope.

An operation that needs a scope answers 401 to anonymous callers and 403 "lacks the scope" to a token without
it, before its view runs (so with any body at all); a token that has the scope gets past the check (what it
may see is then the services' business: 404, 409, 422 ...)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from core.api import SCOPES, api
from core.auth import ROLE_SCOPES
from core.models import Role
from registry.accounts import issue_token
from tests.factories import UserFactory, make_party

SCOPE_REFUSAL = "lacks the scope"


def concrete_path(rule: str) -> str:
    """A request path for ``rule``: ids that exist nowhere, and a plain word for other parameters."""
    return re.sub(r"<(?:int:)?([a-z_]+)>", lambda m: "987654" if "int:" in m.group(0) else "x", rule)


def operations() -> list[Any]:
    return sorted(api.operations, key=lambda op: (op.rule, op.method))


def test_every_route_of_the_app_declares_who_may_call_it(app: Any) -> None:
    assert api.undeclared(app) == []
    declared = {op.rule for op in api.operations}
    api_rules = {rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")}
    assert api_rules <= declared, sorted(api_rules - declared)  # every API route is in the OpenAPI document


def test_an_undeclared_route_stops_the_application_from_starting() -> None:
    from flask import Flask

    from app import _refuse_undeclared_routes

    fresh = Flask("forgetful")
    fresh.add_url_rule("/api/v1/forgotten", "forgotten", lambda: "open by accident")
    assert [line for line in api.undeclared(fresh) if "forgotten" in line]
    with pytest.raises(RuntimeError, match="/api/v1/forgotten"):
        _refuse_undeclared_routes(fresh)


def test_the_api_document_names_each_operations_scope(client: Any) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    for op in operations():
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", op.rule)
        item = document["paths"][path][op.method.lower()]
        if op.scopes:
            assert item["x-scopes"] == list(op.scopes) and item["security"], (op.method, op.rule)
        else:
            assert "x-scopes" not in item, (op.method, op.rule)


@pytest.fixture()
def callers(session: Any) -> dict[str, dict[str, str]]:
    """Per role, one bearer header per scope the role may hold (one scope per token)."""
    out: dict[str, dict[str, str]] = {}
    for role in (Role.MANUFACTURER, Role.REVIEWER, Role.ADMIN):
        user = make_party(session, role).user if role == Role.MANUFACTURER else UserFactory(role=role)
        session.flush()
        out[role] = {}
        for scope in sorted(ROLE_SCOPES[role]):
            _, plaintext = issue_token(session, user, f"only {scope}", [scope], 1)
            out[role][scope] = f"Bearer {plaintext}"
    session.commit()
    return out


def call(client: Any, op: Any, authorization: str | None) -> Any:
    headers = {"Authorization": authorization} if authorization else {}
    resp = client.open(concrete_path(op.rule), method=op.method, json={}, headers=headers)
    resp.get_data()  # a streamed answer (exports) runs to its end and closes its request context
    resp.close()
    return resp


def refused_for_scope(resp: Any) -> bool:
    body = resp.get_json(silent=True) or {}
    return resp.status_code == 403 and SCOPE_REFUSAL in str(body.get("detail", ""))


def test_every_operation_x_every_role_x_every_scope(client: Any, callers: dict[str, dict[str, str]]) -> None:
    assert set(SCOPES) == set().union(*ROLE_SCOPES.values())
    wrong: list[str] = []
    for op in operations():
        name = f"{op.method} {op.rule}"
        anonymous = call(client, op, None)
        if op.scopes:
            if anonymous.status_code != 401:
                wrong.append(f"{name}: anonymous got {anonymous.status_code}, not 401")
        elif anonymous.status_code == 401 and op.rule != "/api/v1/tokens":
            wrong.append(f"{name}: public but asks anonymous callers to sign in")
        for role, tokens in callers.items():
            for scope, authorization in tokens.items():
                resp = call(client, op, authorization)
                allowed = not op.scopes or scope in op.scopes
                if allowed and (refused_for_scope(resp) or resp.status_code == 401):
                    wrong.append(f"{name}: a {role} token with {scope!r} was refused ({resp.status_code})")
                if not allowed and not refused_for_scope(resp):
                    wrong.append(f"{name}: a {role} token with {scope!r} got {resp.status_code}, not 403")
                if resp.status_code >= 500:
                    wrong.append(f"{name}: {role}/{scope} caused {resp.status_code}")
    assert not wrong, "\n".join(wrong)


def test_a_read_token_cannot_recall_render_labels_or_start_jobs(
    client: Any, callers: dict[str, dict[str, str]]
) -> None:
    """The cases of issue 15: a read token recalled a unit, rendered labels and started label jobs."""
    read = {"Authorization": callers[Role.MANUFACTURER]["read"]}
    for method, path in (
        ("POST", "/api/v1/units/recall"),
        ("POST", "/api/v1/labels"),
        ("POST", "/api/v1/batches/1/labels"),
        ("POST", "/api/v1/batches/1/recall"),
        ("POST", "/api/v1/products/1/recall"),
    ):
        resp = client.open(
            path, method=method, json={"url": "https://x/01/02100000000012/21/A"}, headers=read
        )
        assert refused_for_scope(resp), (path, resp.status_code, resp.get_json())
