"""Server-side sessions (sign-out, password change, idle and absolute limits, nothing secret in the cookie), the
one password policy on every path that sets a password, API tokens' last use and an admin's revocation, and the
API's sign-in limits (issue 15, points 3, 4 and 6)."""

from __future__ import annotations

import base64
import json
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from config import settings_of
from core.models import ApiToken, AuditEvent, User, UserSession
from registry.accounts import password_problem
from registry.signin import set_password
from tests.conftest import from_address
from tests.factories import UserFactory, make_party

PASSWORD = "correct horse battery"


def _sign_in(client: Any, email: str, **kwargs: Any) -> Any:
    resp = client.post("/api/v1/session", json={"email": email, "password": PASSWORD}, **kwargs)
    assert resp.status_code == 200, resp.get_json()
    return resp


def _cookie(client: Any) -> str:
    return client.get_cookie("session").value


def _replay(app: Any, cookie: str) -> Any:
    """A fresh browser presenting a copy of ``cookie``."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def _payload(cookie: str) -> dict[str, Any]:
    """What Flask's signed (not encrypted) session cookie carries, as anyone holding it can read."""
    compressed = cookie.startswith(".")
    data = cookie.removeprefix(".").split(".")[0]
    raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    return json.loads(zlib.decompress(raw) if compressed else raw)


def _age(session: Any, user: User, *, created: timedelta = timedelta(0), seen: timedelta) -> None:
    now = datetime.now(UTC)
    session.execute(
        UserSession.__table__.update()
        .where(UserSession.user_id == user.id)
        .values(created_at=now - created, last_seen_at=now - seen)
    )
    session.commit()


def test_a_copy_of_the_cookie_is_signed_out_with_its_browser(app, client, session):
    user = UserFactory(email="rev@example.com", role="reviewer", is_owner=False)
    session.commit()
    _sign_in(client, user.email)
    copy = _cookie(client)
    assert _replay(app, copy).get("/api/v1/me").status_code == 200
    assert client.delete("/api/v1/session").status_code == 204
    assert _replay(app, copy).get("/api/v1/me").status_code == 401


def test_a_password_change_signs_out_every_session_and_revokes_tokens(app, client, session):
    party = make_party(session, "reviewer")
    session.commit()
    _sign_in(client, party.user.email)
    assert client.get("/api/v1/me").status_code == 200
    set_password(session, party.user, "a different long passphrase")
    session.commit()
    assert client.get("/api/v1/me").status_code == 401
    assert "revoked" in client.get("/api/v1/me", headers=party.headers).get_json()["detail"]


def test_the_cookie_carries_a_random_id_and_no_password_material(app, client, session):
    user = UserFactory(email="rev@example.com", role="reviewer", is_owner=False)
    session.commit()
    client.get("/api/v1/me")
    _sign_in(client, user.email)
    first = _cookie(client)
    payload = _payload(first)
    assert set(payload) == {"sid"} and len(payload["sid"]) >= 40  # no user id, no part of the password hash
    client.delete("/api/v1/session")
    _sign_in(client, user.email)
    assert _payload(_cookie(client))["sid"] != payload["sid"]  # a new id at every sign-in
    stored = session.scalars(select(UserSession.key_hash).where(UserSession.user_id == user.id)).all()
    assert payload["sid"] not in stored  # only its hash is kept


@pytest.mark.parametrize(
    ("role", "idle_minutes", "max_hours"),
    [("reviewer", 15, 8), ("admin", 15, 8), ("manufacturer", 30, 12)],
)
def test_idle_timeout_and_absolute_lifetime(app, client, session, role, idle_minutes, max_hours):
    party = make_party(session, role)
    session.commit()
    _sign_in(client, party.user.email)
    _age(session, party.user, seen=timedelta(minutes=idle_minutes - 2))
    assert client.get("/api/v1/me").status_code == 200  # still in time; the visit counts as activity
    assert session.scalar(select(UserSession.last_seen_at).where(UserSession.user_id == party.user.id)) > (
        datetime.now(UTC) - timedelta(minutes=1)
    )
    _age(session, party.user, seen=timedelta(minutes=idle_minutes + 1))
    assert client.get("/api/v1/me").status_code == 401  # idle too long
    client.delete("/api/v1/session")
    _sign_in(client, party.user.email)
    _age(session, party.user, created=timedelta(hours=max_hours, minutes=1), seen=timedelta(0))
    assert client.get("/api/v1/me").status_code == 401  # active, but older than the absolute lifetime


def test_session_lifetimes_are_settings(app):
    assert settings_of(app).sessions.console_idle_minutes < settings_of(app).sessions.portal_idle_minutes
    assert settings_of(app).sessions.console_max_hours < settings_of(app).sessions.portal_max_hours


# ---------------------------------------------------------------- the one password policy


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("", "at least 12 characters"),
        ("eleven chrs", "at least 12 characters"),
        ("aaaaaaaaaaaaaaaa", "one character repeated"),
        ("Password1234", "most common"),
        ("qwerty123456", "most common"),
        ("owner@example.com", "email address"),
        ("x" * 201, "at most 200"),
    ],
)
def test_the_password_policy_refuses(password, reason):
    assert reason in password_problem(password, "owner@example.com")


@pytest.mark.parametrize("password", ["correct horse battery", "নদী আকাশ পাখি ফুল", "Tr0ub4dor&3xyz"])
def test_the_password_policy_accepts_passphrases_without_composition_rules(password):
    assert password_problem(password, "owner@example.com") is None


def test_api_owner_and_admin_created_users_follow_the_policy(client, session):
    admin = make_party(session, "admin")
    session.commit()
    resp = client.post(
        "/api/v1/users",
        json={"name": "R", "email": "r@example.com", "role": "reviewer", "password": "r@example.com"},
        headers=admin.headers,
    )
    assert resp.status_code == 422
    assert resp.get_json()["errors"][0]["field"] == "password"
    assert "email address" in resp.get_json()["errors"][0]["reason"]


def test_create_user_refuses_empty_and_weak_passwords(runner, session):
    for weak in ("", "12345", "password1234"):
        result = runner.invoke(
            args=[
                "registry",
                "create-user",
                "--email",
                "a@example.com",
                "--name",
                "A",
                "--role",
                "admin",
                "--password",
                weak,
            ]
        )
        assert result.exit_code != 0 and "password" in result.output, result.output
    assert session.scalar(select(User).where(User.email == "a@example.com")) is None
    good = runner.invoke(
        args=[
            "registry",
            "create-user",
            "--email",
            "a@example.com",
            "--name",
            "A",
            "--role",
            "admin",
            "--password",
            "a long admin passphrase",
        ]
    )
    assert good.exit_code == 0, good.output


# ---------------------------------------------------------------- tokens


def test_a_token_records_its_last_use_at_most_once_a_minute(client, session):
    party = make_party(session, "reviewer")
    session.commit()
    token = session.scalar(select(ApiToken).where(ApiToken.user_id == party.user.id))
    assert token.last_used_at is None
    assert client.get("/api/v1/me", headers=party.headers).status_code == 200
    session.expire_all()
    first = session.get(ApiToken, token.id).last_used_at
    assert first is not None and first > datetime.now(UTC) - timedelta(minutes=1)
    client.get("/api/v1/me", headers=party.headers)
    session.expire_all()
    assert session.get(ApiToken, token.id).last_used_at == first  # not rewritten within the minute
    listed = client.get("/api/v1/tokens", headers=party.headers).get_json()["items"]
    assert listed[0]["last_used_at"] == first.isoformat()


def test_an_admin_revokes_another_users_tokens_and_it_is_audited(client, session):
    admin = make_party(session, "admin")
    maker = make_party(session)
    session.commit()
    assert client.delete(f"/api/v1/users/{admin.user.id}/tokens", headers=maker.headers).status_code == 403
    resp = client.delete(f"/api/v1/users/{maker.user.id}/tokens", headers=admin.headers)
    assert resp.status_code == 200 and resp.get_json()["revoked"] == 1
    assert client.get("/api/v1/me", headers=maker.headers).status_code == 401
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "user.tokens_revoked"))
    assert event.target_id == str(maker.user.id) and event.after == {"revoked": 1}
    assert event.actor_id == admin.user.id
    assert client.delete("/api/v1/users/999999/tokens", headers=admin.headers).status_code == 404


# ---------------------------------------------------------------- API sign-in limits


def test_api_sign_in_answers_unknown_wrong_and_waiting_accounts_alike(client, session):
    UserFactory(email="victim@example.com", role="admin", is_owner=False)
    session.commit()
    answers = [client.post("/api/v1/session", json={"email": "nobody@example.com", "password": "guess"})]
    answers += [
        client.post("/api/v1/session", json={"email": "victim@example.com", "password": "guess"})
        for _ in range(5)
    ]
    answers.append(client.post("/api/v1/session", json={"email": "victim@example.com", "password": PASSWORD}))
    assert {a.status_code for a in answers} == {401}
    assert len({a.get_json()["detail"] for a in answers}) == 1
    assert len({json.dumps(a.get_json()["errors"]) for a in answers}) == 1


def test_eighty_sign_ins_against_eighty_accounts_from_one_address_meet_429(client, session):
    statuses = [
        client.post(
            "/api/v1/session",
            json={"email": f"user{i}@example.com", "password": "guess"},
            **from_address("203.0.113.9"),
        ).status_code
        for i in range(80)
    ]
    assert statuses[0] == 401 and statuses[-1] == 429
    assert statuses.count(401) <= 10
    # the same address gets no further through HTTP Basic on /tokens
    basic = client.post(
        "/api/v1/tokens",
        json={"name": "x"},
        auth=("user0@example.com", "guess"),
        **from_address("203.0.113.9"),
    )
    assert basic.status_code == 429 and basic.headers["Retry-After"]


def test_addresses_of_one_ipv6_network_share_one_sign_in_limit(client, session):
    """A device rotating through its /64 is one client, as for every other limit (core.ratelimit.client_id)."""
    statuses = [
        client.post(
            "/api/v1/session",
            json={"email": f"user{i}@example.com", "password": "guess"},
            **from_address(f"2001:db8:5:7::{i + 1:x}"),
        ).status_code
        for i in range(80)
    ]
    assert statuses[0] == 401 and statuses[-1] == 429
    assert statuses.count(401) <= 10
    other_network = client.post(
        "/api/v1/session",
        json={"email": "user0@example.com", "password": "guess"},
        **from_address("2001:db8:5:8::1"),
    )
    assert other_network.status_code == 401


def test_basic_sign_in_on_tokens_counts_failures_like_the_session(client, session):
    user = UserFactory(email="rev@example.com", role="reviewer", is_owner=False)
    session.commit()
    for _ in range(5):
        assert (
            client.post("/api/v1/tokens", json={"name": "x"}, auth=(user.email, "guess")).status_code == 401
        )
    assert client.post("/api/v1/tokens", json={"name": "x"}, auth=(user.email, PASSWORD)).status_code == 401
    assert (
        client.post(
            "/api/v1/tokens", json={"name": "x"}, auth=(user.email, PASSWORD), **from_address("10.0.0.2")
        ).status_code
        == 201
    )
