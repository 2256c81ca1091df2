"""Security of the pages: CSRF on every form, headers and a CSP the pages keep to, sign-in rate limit and
lockout, and a password reset that does not reveal which addresses have accounts."""

from __future__ import annotations

import re
from typing import Any

import pytest

from config import settings_of
from tests.web.pages import PASSWORD, csrf_token, post_form, sign_in
from web.accounts import read_outbox
from web.pages import PAGE_BLUEPRINTS

WEB_BLUEPRINTS = PAGE_BLUEPRINTS  # web's own and other packages' pages (procurement), filled by create_app


def _form_routes(app: Any) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in WEB_BLUEPRINTS and "POST" in (rule.methods or ()):
            values = {
                arg: (
                    "pdf"
                    if arg == "fmt"
                    else "approve"
                    if arg == "action"
                    else "tok"
                    if arg == "token"
                    else 1
                )
                for arg in rule.arguments
            }
            urls.append(rule.build(values, append_unknown=False)[1])
    return urls


def test_every_form_of_the_pages_is_csrf_protected(app: Any, client: Any, reviewer: Any) -> None:
    routes = _form_routes(app)
    assert "/tender-check" in routes and "/shortlists" in routes
    assert len(routes) >= 12  # login, logout, reset, report, register, portal forms, console decisions
    sign_in(client, reviewer.user)
    for url in routes:
        for data in ({}, {"csrf_token": "forged"}):
            resp = client.post(url, data=data)
            assert resp.status_code == 400, url
            assert "csrf" not in resp.get_data(as_text=True).lower() or resp.mimetype == "text/html"


def test_a_token_from_another_session_is_refused(app: Any, client: Any) -> None:
    other = app.test_client()
    token = csrf_token(other)
    resp = client.post("/report", data={"csrf_token": token, "details": "x" * 20, "gtin": "1"})
    assert resp.status_code == 400


def test_pages_keep_to_the_content_security_policy(
    client: Any, licensed_product: Any, catalogue: Any
) -> None:
    catalogue.add(licensed_product)
    for path in [
        "/",
        "/search?q=phone",
        f"/products/{licensed_product.id}",
        f"/manufacturers/{licensed_product.manufacturer_id}",
        "/scan",
        "/report",
        "/login",
        "/portal/register",
        f"/compare?ids={licensed_product.id}",
    ]:
        resp = client.get(path)
        csp = resp.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
        html = resp.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path  # no inline scripts
        assert not re.search(r"\sstyle=", html), path  # no style attributes
        assert not re.search(r"\son[a-z]+=", html), path  # no inline event handlers
        assert not re.search(r'(src|href)="(https?:)?//', html.replace('href="https://maker', "")), path
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_session_cookie_is_httponly_and_samesite(client: Any, maker: Any) -> None:
    resp = sign_in(client, maker.user)
    cookie = next(c for c in resp.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_wrong_password_and_unknown_address_get_the_same_answer(client: Any, maker: Any) -> None:
    wrong = post_form(client, "/login", {"email": maker.user.email, "password": "not the password"})
    unknown = post_form(client, "/login", {"email": "nobody@example.com", "password": "not the password"})
    assert wrong.status_code == unknown.status_code == 401
    assert "ইমেইল ঠিকানা বা পাসওয়ার্ড ভুল" in wrong.get_data(as_text=True)
    strip = re.compile(r'value="[^"]*"')
    assert strip.sub("", wrong.get_data(as_text=True)) == strip.sub("", unknown.get_data(as_text=True))


def test_an_address_waits_after_repeated_failures_on_an_account(client: Any, maker: Any) -> None:
    for _ in range(5):
        wrong = post_form(client, "/login?lang=en", {"email": maker.user.email, "password": "wrong password"})
    resp = post_form(client, "/login?lang=en", {"email": maker.user.email, "password": PASSWORD})
    assert resp.status_code == 401  # that address waits, with the answer a wrong password gets
    assert resp.get_data() == wrong.get_data()


def test_sign_in_is_rate_limited_per_client_address(app: Any, client: Any, maker: Any) -> None:
    limit = int(settings_of(app).ratelimit.login.split("/")[0])
    for i in range(limit):
        resp = post_form(client, "/login", {"email": f"x{i}@example.com", "password": "wrong"})
        assert resp.status_code == 401
    blocked = post_form(client, "/login", {"email": maker.user.email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["Retry-After"]) <= 300  # within the 5-minute window of the limit
    for path, words in (("/login?lang=en", "Too many sign-in attempts"), ("/login?lang=bn", "অনেক")):
        page = post_form(client, path, {"email": maker.user.email, "password": PASSWORD})
        assert page.status_code == 429 and words in page.get_data(as_text=True)
    other_client = client.post(
        "/login",
        data={"csrf_token": csrf_token(client), "email": maker.user.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    assert other_client.status_code == 303


def test_login_redirects_only_to_local_pages(client: Any, maker: Any) -> None:
    resp = post_form(
        client,
        "/login",
        {"email": maker.user.email, "password": PASSWORD, "next": "https://evil.example/steal"},
    )
    assert resp.headers["Location"] == "/portal/"


def _reset_link(app: Any, email: str) -> str:
    """The link in the newest message to ``email`` (earlier tests leave their mail in the outbox)."""
    messages = [m for m in read_outbox(settings_of(app).core.instance_path) if m["To"] == email]
    body = messages[-1].get_body().get_content()
    base = re.escape(settings_of(app).core.public_base_url)
    return re.search(base + r"(/password/reset/\S+)", body).group(1)


def test_password_reset_does_not_reveal_accounts_and_works_once(app: Any, client: Any, maker: Any) -> None:
    before = len(read_outbox(settings_of(app).core.instance_path))
    unknown = post_form(client, "/password/forgot", {"email": "nobody@example.com"})
    assert len(read_outbox(settings_of(app).core.instance_path)) == before
    known = post_form(client, "/password/forgot", {"email": maker.user.email.upper()})
    assert unknown.status_code == known.status_code == 200
    assert unknown.get_data() == known.get_data()
    assert len(read_outbox(settings_of(app).core.instance_path)) == before + 1
    assert read_outbox(settings_of(app).core.instance_path)[-1]["To"] == maker.user.email
    link = _reset_link(app, maker.user.email)
    assert client.get(link).headers["Location"] == "/password/reset"
    short = post_form(
        client, "/password/reset", {"password": "short", "password2": "short"}, form_page="/password/reset"
    )
    assert short.status_code == 422
    done = post_form(
        client,
        "/password/reset",
        {"password": "a brand new password", "password2": "a brand new password"},
        form_page="/password/reset",
    )
    assert done.status_code == 303
    assert client.get(link).status_code == 400  # used: the password it was made for changed
    old = post_form(client, "/login", {"email": maker.user.email, "password": PASSWORD})
    assert old.status_code == 401
    new = post_form(client, "/login", {"email": maker.user.email, "password": "a brand new password"})
    assert new.status_code == 303


def test_the_reset_link_ignores_the_host_header(app: Any, client: Any, maker: Any) -> None:
    token = csrf_token(client, "/password/forgot")
    client.post(
        "/password/forgot",
        data={"csrf_token": token, "email": maker.user.email},
        headers={"Host": "evil.example"},
    )
    body = read_outbox(settings_of(app).core.instance_path)[-1].get_body().get_content()
    assert "evil.example" not in body and settings_of(app).core.public_base_url + "/password/reset/" in body


@pytest.mark.parametrize("token", ["garbage", "eyJ1IjoxfQ.AAAA.BBBB"])
def test_forged_reset_links_are_refused(client: Any, token: str) -> None:
    assert client.get(f"/password/reset/{token}").status_code == 400


def test_a_password_reset_ends_other_sessions(app: Any, client: Any, maker: Any) -> None:
    sign_in(client, maker.user)
    assert client.get("/portal/").status_code == 200
    other = app.test_client()
    post_form(other, "/password/forgot", {"email": maker.user.email})
    other.get(_reset_link(app, maker.user.email))
    post_form(
        other,
        "/password/reset",
        {"password": "another new password", "password2": "another new password"},
        form_page="/password/reset",
    )
    assert client.get("/portal/").status_code == 303
