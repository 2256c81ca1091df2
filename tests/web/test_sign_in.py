"""Signing in on the pages: one answer for unknown, wrong and waiting accounts; an attacker's failures do not keep
the owner out; guessing spread over many addresses slows down only browsers new to the account; a new session id
at sign-in; sign-out and reset end the session on the server; the reset token stays out of the access log."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from werkzeug.test import EnvironBuilder

from config import settings_of
from core.models import User
from registry import signin
from tests.conftest import from_address
from tests.web.pages import PASSWORD, csrf_token, post_form, sign_in
from web.accounts import read_outbox

VALUE = re.compile(r'value="[^"]*"')


def _login(client: Any, email: str, password: str, address: str = "127.0.0.1") -> Any:
    token = csrf_token(client)
    return client.post(
        "/login?lang=en",
        data={"csrf_token": token, "email": email, "password": password},
        **from_address(address),
    )


def test_unknown_wrong_and_waiting_accounts_get_one_answer(client: Any, maker: Any) -> None:
    unknown = _login(client, "nobody@example.com", "a guess")
    wrong = _login(client, maker.user.email, "a guess")
    for _ in range(4):
        _login(client, maker.user.email, "a guess")
    waiting = _login(client, maker.user.email, PASSWORD)  # right password, but this address must wait
    assert unknown.status_code == wrong.status_code == waiting.status_code == 401
    bodies = {VALUE.sub("", r.get_data(as_text=True)) for r in (unknown, wrong, waiting)}
    assert len(bodies) == 1 and "Wrong email address or password" in bodies.pop()


def test_an_attackers_failures_do_not_keep_the_owner_out(client: Any, maker: Any) -> None:
    statuses = [_login(client, maker.user.email, f"guess {i}", "198.51.100.7").status_code for i in range(50)]
    assert set(statuses) == {401, 429} and statuses[-1] == 429
    owner = client.application.test_client()
    assert _login(owner, maker.user.email, PASSWORD, "192.0.2.44").status_code == 303
    assert owner.get("/portal/").status_code == 200


def test_guessing_from_many_addresses_slows_only_browsers_new_to_the_account(
    app: Any, client: Any, maker: Any, session: Any, monkeypatch: Any
) -> None:
    # The sign-in clock stands still: on a loaded machine twelve argon2 checks can outlast the 2 s delay.
    clock = datetime.now(UTC)
    monkeypatch.setattr(signin, "_now", lambda: clock)
    owner = app.test_client()
    assert _login(owner, maker.user.email, PASSWORD, "192.0.2.10").status_code == 303  # a known browser
    owner.post("/logout", data={"csrf_token": csrf_token(owner, "/portal/")})
    for i in range(12):  # a botnet: a few guesses each from many addresses
        _login(app.test_client(), maker.user.email, f"guess {i}", f"198.51.100.{i + 1}")
    fresh = app.test_client()
    assert _login(fresh, maker.user.email, PASSWORD, "192.0.2.99").status_code == 401  # a new browser waits
    assert _login(owner, maker.user.email, PASSWORD, "203.0.113.5").status_code == 303  # the owner's does not
    session.expire_all()
    user = session.get(User, maker.user.id)
    delay = (
        user.locked_until - user.last_failed_login_at
    )  # 2 s after the 10th failure (attempts within it are not even checked)
    assert (
        timedelta(seconds=2) <= delay <= timedelta(seconds=settings_of(app).signin.account_max_delay_seconds)
    )
    user.locked_until = clock - timedelta(seconds=1)  # the delay is over
    session.commit()
    assert _login(fresh, maker.user.email, PASSWORD, "192.0.2.99").status_code == 303


def test_sign_in_rotates_the_session_and_sign_out_ends_it_on_the_server(
    app: Any, client: Any, maker: Any
) -> None:
    client.get("/login")
    before = client.get_cookie("session").value
    sign_in(client, maker.user)
    after = client.get_cookie("session").value
    assert before != after
    old = app.test_client()
    old.set_cookie("session", before)
    assert old.get("/portal/").status_code == 303  # the cookie from before sign-in signs no one in
    copy = app.test_client()
    copy.set_cookie("session", after)
    assert copy.get("/portal/").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/portal/")})
    assert copy.get("/portal/").status_code == 303  # a copy of the signed-out cookie is signed out too


def _reset_link(app: Any, email: str) -> str:
    body = (
        [m for m in read_outbox(settings_of(app).core.instance_path) if m["To"] == email][-1]
        .get_body()
        .get_content()
    )
    return re.search(re.escape(settings_of(app).core.public_base_url) + r"(/password/reset/\S+)", body).group(
        1
    )


def test_the_reset_token_stays_out_of_urls_and_the_access_log(app: Any, client: Any, maker: Any) -> None:
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    post_form(client, "/password/forgot", {"email": maker.user.email})
    link = _reset_link(app, maker.user.email)
    token = link.rsplit("/", 1)[1]
    # the request as gunicorn hands it to the application, and the line gunicorn then writes (its own code)
    environ = EnvironBuilder(path=link, base_url="http://127.0.0.1:8000/").get_environ()
    environ["RAW_URI"] = link
    answer: list[str] = []
    body = app.wsgi_app(environ, lambda status, headers, *_: answer.append(status))
    b"".join(body)
    assert answer == ["303 SEE OTHER"]
    atoms = Logger(Config()).atoms(
        SimpleNamespace(status="303 See Other", sent=0, headers=[]),
        SimpleNamespace(headers=[]),
        environ,
        timedelta(milliseconds=3),
    )
    assert atoms["r"].startswith("GET /password/reset/[redacted]") and token not in atoms["r"] + atoms["U"]
    assert client.get(link).headers["Location"] == "/password/reset"
    page = client.get("/password/reset")
    assert page.status_code == 200 and token not in page.get_data(as_text=True)
    assert 'action="/password/reset"' in page.get_data(as_text=True)


def test_the_reset_page_says_tokens_are_revoked_and_the_reset_revokes_them(
    app: Any, client: Any, maker: Any
) -> None:
    post_form(client, "/password/forgot", {"email": maker.user.email})
    client.get(_reset_link(app, maker.user.email))
    bangla = client.get("/password/reset").get_data(as_text=True)
    english = client.get("/password/reset?lang=en").get_data(as_text=True)
    assert "এপিআই টোকেন বাতিল" in bangla and "revokes all your API tokens" in english
    common = post_form(
        client,
        "/password/reset?lang=bn",
        {"password": "password1234", "password2": "password1234"},
        form_page="/password/reset",
    )
    assert common.status_code == 422 and "প্রচলিত পাসওয়ার্ড" in common.get_data(as_text=True)
    assert client.get("/api/v1/me", headers=maker.headers).status_code == 200
    done = post_form(
        client,
        "/password/reset",
        {"password": "a fresh long passphrase", "password2": "a fresh long passphrase"},
        form_page="/password/reset",
    )
    assert done.status_code == 303
    assert client.get("/api/v1/me", headers=maker.headers).status_code == 401


def test_registration_refuses_a_weak_password_in_bangla(client: Any) -> None:
    from tests.web.test_portal_console import REGISTRATION

    resp = post_form(
        client,
        "/portal/register",
        REGISTRATION | {"owner_password": "owner@shapla.example.com"},
        form_page="/portal/register",
    )
    assert resp.status_code == 422
    assert "পাসওয়ার্ড আপনার ইমেইল ঠিকানা হতে পারবে না" in resp.get_data(as_text=True)
