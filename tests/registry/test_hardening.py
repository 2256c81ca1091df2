"""Issue 15's smaller points on the registry side: production refuses guessable secrets, the demo seed
refuses production and keeps its passwords out of every log but development's, and /readyz tells a load
balancer which dependency is down while /healthz stays a liveness check."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest

from config import ConfigError, load_settings, settings_of
from signing.errors import KeySourceError

PRODUCTION = {
    "ENV": "production",
    "DATABASE_URL": "postgresql://db/registry",
    "SIGNING_KEY_PATH": "/etc/registry/key.pem",
    "PUBLIC_BASE_URL": "https://verify.mib.gov.bd",
}
WEAK_SECRETS = {
    "one character": "x" * 40,
    "a word then padding": "proxy-tests-" + "x" * 40,
    "a repeated word": "password1234password1234password",
    "the alphabet": "abcdefghijklmnopqrstuvwxyz012345",
    "two characters": "aZ" * 20,
    "a counting pattern": "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6",
    "too short": "Xq3-vR8_kP1zL6mN0tY",
}


@pytest.mark.parametrize("kind", sorted(WEAK_SECRETS))
def test_production_refuses_a_guessable_secret_key(kind: str) -> None:
    with pytest.raises(ConfigError, match="REGISTRY_SECRET_KEY") as refused:
        load_settings(PRODUCTION | {"SECRET_KEY": WEAK_SECRETS[kind]}, environ={})
    assert "token_urlsafe" in str(refused.value)  # says how to make a good one
    assert load_settings({"ENV": "testing", "SECRET_KEY": WEAK_SECRETS[kind]}, environ={})  # tests may


RANDOM_SECRETS = {
    "token_urlsafe(48)": lambda: secrets.token_urlsafe(48),
    "token_urlsafe(32)": lambda: secrets.token_urlsafe(32),
    "token_hex(32)": lambda: secrets.token_hex(32),
}


@pytest.mark.parametrize("kind", sorted(RANDOM_SECRETS))
def test_production_accepts_a_random_secret_key(kind: str) -> None:
    for _ in range(200):  # any random one, not one lucky draw
        secret = RANDOM_SECRETS[kind]()
        assert load_settings(PRODUCTION | {"SECRET_KEY": secret}, environ={}).is_production, secret


def seed_small(monkeypatch: pytest.MonkeyPatch) -> None:
    from registry import demo

    real = demo.seed_demo
    monkeypatch.setattr(
        demo, "seed_demo", lambda s, **kw: real(s, **(kw | {"products": 50, "manufacturers": 50}))
    )


def demo_passwords(app: Any) -> list[str]:
    lines = (Path(settings_of(app).core.instance_path) / "demo-credentials.txt").read_text(encoding="utf-8")
    return [line.split()[2] for line in lines.splitlines()[1:]]


def test_seed_demo_refuses_production(runner: Any, app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.db import get_session
    from registry.demo import is_seeded

    monkeypatch.setattr(settings_of(app).core, "env", "production")
    result = runner.invoke(args=["registry", "seed-demo"])
    assert result.exit_code != 0 and "refuses to run in production" in result.output
    assert not is_seeded(get_session())


@pytest.mark.parametrize("env", ["testing", "development"])
def test_seed_demo_prints_passwords_in_development_only(
    runner: Any, app: Any, monkeypatch: pytest.MonkeyPatch, env: str
) -> None:
    monkeypatch.setattr(settings_of(app).core, "env", env)
    seed_small(monkeypatch)
    result = runner.invoke(args=["registry", "seed-demo"])
    assert result.exit_code == 0, result.output
    passwords = demo_passwords(app)
    assert len(passwords) == 3 and all(len(p) >= 12 for p in passwords)
    printed = [p for p in passwords if p in result.output]
    assert printed == (passwords if env == "development" else [])
    assert "admin@registry.demo" in result.output and "demo-credentials.txt" in result.output


# ---------------------------------------------------------------------------------------------- readiness


def test_readyz_is_ready_when_database_search_and_key_work(client: Any) -> None:
    resp = client.get("/readyz")
    assert resp.status_code == 200, resp.get_json()
    checks = resp.get_json()["checks"]
    assert {name: check["up"] for name, check in checks.items()} == {
        "database": True,
        "search": True,
        "signing": True,
    }
    assert checks["signing"]["detail"].startswith("Ed25519 kid=")


def not_ready(client: Any, down: str, *, alive: bool = True) -> dict[str, Any]:
    resp = client.get("/readyz")
    assert resp.status_code == 503 and resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert [error["field"] for error in body["errors"]] == [down]
    assert body["checks"][down]["up"] is False and down in body["detail"]
    if alive:  # restarting it would not help
        assert client.get("/healthz").status_code == 200
    return body


def test_readyz_names_a_search_backend_that_does_not_answer(
    client: Any, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.extensions["search"], "ping", lambda: False)
    body = not_ready(client, "search")
    assert "does not answer" in body["errors"][0]["reason"]


def test_readyz_names_a_search_index_that_is_missing(
    client: Any, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from search.errors import SearchUnavailable

    def no_index() -> Any:
        raise SearchUnavailable("no index behind the alias")

    monkeypatch.setattr(app.extensions["search"], "info", no_index)
    assert "flask search reindex" in not_ready(client, "search")["errors"][0]["reason"]


def test_readyz_names_a_signing_key_that_cannot_be_loaded(
    client: Any, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unloadable(session: Any) -> Any:
        raise KeySourceError("cannot load the private key from /etc/registry/key.pem: bad decrypt")

    monkeypatch.setattr(app.extensions["signing"], "signer", unloadable)
    body = not_ready(client, "signing")
    assert "/etc/registry" not in str(body)  # the reason, not the server's paths


def test_readyz_names_a_database_behind_the_code(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import core.health

    monkeypatch.setattr(core.health, "latest_version", lambda: "9999_future")
    body = not_ready(client, "database", alive=False)  # /healthz says so too
    assert "flask db upgrade" in body["errors"][0]["reason"]


def test_production_refuses_a_short_metrics_token() -> None:
    settings = PRODUCTION | {"SECRET_KEY": secrets.token_urlsafe(48)}
    with pytest.raises(ConfigError, match="REGISTRY_METRICS_TOKEN"):
        load_settings(settings | {"METRICS_TOKEN": "short"}, environ={})
    assert load_settings(settings | {"METRICS_TOKEN": secrets.token_urlsafe(32)}, environ={}).metrics.token
    assert load_settings(settings, environ={}).metrics.token == ""  # no token: /metrics is off
