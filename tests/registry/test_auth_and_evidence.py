"""Passwords, API tokens (shown once, hashed, scoped, expiring, revocable), staff invitations, evidence uploads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from config import settings_of
from core.models import ApiToken, AuditEvent, User
from tests.factories import CertificateFactory, UserFactory, make_party

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_password_is_argon2_and_token_is_stored_hashed(client, session):
    user = UserFactory(email="staff@example.com", role="reviewer", is_owner=False)
    session.commit()
    assert user.password_hash.startswith("$argon2id$")
    resp = client.post(
        "/api/v1/tokens",
        json={"name": "laptop", "scopes": ["read"]},
        auth=("staff@example.com", "correct horse battery"),
    )
    token = resp.get_json()
    assert resp.status_code == 201 and token["token"].startswith("mib_") and token["scopes"] == ["read"]
    stored = session.scalar(select(ApiToken).where(ApiToken.id == token["id"]))
    assert token["token"].split("_", 2)[2] not in (stored.secret_hash, stored.prefix)
    listed = client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {token['token']}"}).get_json()[
        "items"
    ]
    assert "token" not in listed[0]
    # a read-only token cannot review
    resp = client.post(
        "/api/v1/products/1/approve", json={}, headers={"Authorization": f"Bearer {token['token']}"}
    )
    assert resp.status_code == 403 and "scope" in resp.get_json()["detail"]


def test_scopes_beyond_the_role_are_refused(client, session):
    UserFactory(email="maker@example.com", role="manufacturer", is_owner=True)
    session.commit()
    resp = client.post(
        "/api/v1/tokens",
        json={"name": "x", "scopes": ["review"]},
        auth=("maker@example.com", "correct horse battery"),
    )
    assert resp.status_code == 403 and resp.get_json()["errors"][0]["field"] == "scopes"


def test_revoked_and_expired_tokens_stop_working(client, session):
    party = make_party(session, "reviewer")
    session.commit()
    assert client.get("/api/v1/me", headers=party.headers).status_code == 200
    token_id = session.scalar(select(ApiToken.id).where(ApiToken.user_id == party.user.id))
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=party.headers).status_code == 204
    resp = client.get("/api/v1/me", headers=party.headers)
    assert resp.status_code == 401 and "revoked" in resp.get_json()["detail"]
    other = make_party(session, "reviewer")
    session.execute(
        ApiToken.__table__.update()
        .where(ApiToken.user_id == other.user.id)
        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    session.commit()
    assert "expired" in client.get("/api/v1/me", headers=other.headers).get_json()["detail"]


def test_lockout_after_repeated_failures_without_revealing_accounts(client, session):
    UserFactory(email="victim@example.com", role="reviewer", is_owner=False)
    session.commit()
    for _ in range(5):
        resp = client.post("/api/v1/session", json={"email": "victim@example.com", "password": "wrong"})
        assert resp.get_json()["detail"].startswith("wrong email address or password")
    resp = client.post(
        "/api/v1/session", json={"email": "victim@example.com", "password": "correct horse battery"}
    )
    assert resp.status_code == 401  # this address waits ...
    unknown = client.post("/api/v1/session", json={"email": "nobody@example.com", "password": "wrong"})
    assert unknown.get_json()["detail"] == resp.get_json()["detail"]
    elsewhere = client.post(
        "/api/v1/session",
        json={"email": "victim@example.com", "password": "correct horse battery"},
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert elsewhere.status_code == 200  # ... the account's owner elsewhere does not


def test_web_session_login(client, session):
    UserFactory(email="rev@example.com", role="reviewer", is_owner=False)
    session.commit()
    assert (
        client.post(
            "/api/v1/session", json={"email": "REV@example.com", "password": "correct horse battery"}
        ).status_code
        == 200
    )
    assert client.get("/api/v1/me").get_json()["user"]["email"] == "rev@example.com"
    client.delete("/api/v1/session")
    assert client.get("/api/v1/me").status_code == 401


def test_owner_invites_staff_who_can_sign_in(client, session):
    owner = make_party(session)
    session.commit()
    resp = client.post(
        f"/api/v1/manufacturers/{owner.manufacturer.id}/staff",
        json={"name": "Karim", "email": "karim@example.com"},
        headers=owner.headers,
    )
    assert resp.status_code == 201
    password = resp.get_json()["one_time_password"]
    staff = session.scalar(select(User).where(User.email == "karim@example.com"))
    assert staff.manufacturer_id == owner.manufacturer.id and not staff.is_owner
    token = client.post(
        "/api/v1/tokens", json={"name": "t"}, auth=("karim@example.com", password)
    ).get_json()["token"]
    resp = client.post(
        f"/api/v1/manufacturers/{owner.manufacturer.id}/staff",
        json={"name": "X", "email": "x@example.com"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert resp.status_code == 403


def test_owner_turns_a_staff_account_off_and_on(client, session):
    owner, stranger, reviewer = make_party(session), make_party(session), make_party(session, "reviewer")
    session.commit()
    base = f"/api/v1/manufacturers/{owner.manufacturer.id}/staff"
    invited = client.post(base, json={"name": "Karim", "email": "karim2@example.com"}, headers=owner.headers)
    staff_id = invited.get_json()["user"]["id"]
    token = client.post(
        "/api/v1/tokens",
        json={"name": "t"},
        auth=("karim2@example.com", invited.get_json()["one_time_password"]),
    ).get_json()["token"]
    staff_headers = {"Authorization": f"Bearer {token}"}
    listed = client.get(base, headers=staff_headers).get_json()["items"]
    assert [(p["email"], p["is_owner"], p["is_active"]) for p in listed] == [
        (owner.user.email, True, True),
        ("karim2@example.com", False, True),
    ]
    assert client.get(base, headers=reviewer.headers).status_code == 200
    assert client.get(base, headers=stranger.headers).status_code == 404
    # only the owner switches accounts, only staff of the company, never the owner's own
    assert client.post(f"{base}/{staff_id}/deactivate", headers=staff_headers).status_code == 403
    theirs = f"/api/v1/manufacturers/{stranger.manufacturer.id}/staff/{staff_id}/deactivate"
    assert client.post(theirs, headers=stranger.headers).status_code == 404
    own = client.post(f"{base}/{owner.user.id}/deactivate", headers=owner.headers)
    assert own.status_code == 409 and own.get_json()["errors"][0]["field"] == "user_id"
    off = client.post(f"{base}/{staff_id}/deactivate", headers=owner.headers)
    assert off.status_code == 200 and off.get_json()["is_active"] is False
    assert client.get("/api/v1/me", headers=staff_headers).status_code == 401  # at once, token and all
    assert client.post(f"{base}/{staff_id}/reactivate", headers=owner.headers).get_json()["is_active"] is True
    assert client.get("/api/v1/me", headers=staff_headers).status_code == 200
    actions = session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.target_type == "user", AuditEvent.target_id == str(staff_id)
        )
    ).all()
    assert actions == ["user.invited", "user.deactivated", "user.reactivated"]


def test_evidence_is_checked_by_content_and_size(client, session, app):
    maker, other = make_party(session), make_party(session)
    cert = CertificateFactory(manufacturer_id=maker.manufacturer.id)
    session.commit()
    url = f"/api/v1/certificates/{cert.id}/evidence"
    # a text file that claims to be a PDF is refused
    resp = client.put(url, data=b"hello, I am a PDF", content_type="application/pdf", headers=maker.headers)
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "file"
    # a PNG named .pdf is accepted as PNG
    from io import BytesIO

    resp = client.put(
        url,
        data={"file": (BytesIO(PNG), "scan.pdf")},
        content_type="multipart/form-data",
        headers=maker.headers,
    )
    assert resp.status_code == 200 and resp.get_json()["evidence"]["media_type"] == "image/png"
    resp = client.put(url, data=PDF, content_type="application/octet-stream", headers=maker.headers)
    assert resp.get_json()["evidence"]["media_type"] == "application/pdf"
    big = PDF + b"0" * settings_of(app).registry.max_evidence_bytes
    resp = client.put(url, data=big, content_type="application/pdf", headers=maker.headers)
    assert resp.status_code == 413 and resp.get_json()["errors"][0]["field"] == "file"
    assert client.put(url, data=PDF, content_type="application/pdf", headers=other.headers).status_code == 404
    download = client.get(url, headers=maker.headers)
    try:
        assert download.status_code == 200 and download.data == PDF
    finally:
        download.close()
