"""GET /metrics: Prometheus text, for loopback clients or the bearer token; what operators watch is in it."""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from config import settings_of


def scrape(client: Any, **kwargs: Any) -> dict[str, Any]:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/plain" and response.headers["Cache-Control"] == "no-store"
    return {family.name: family for family in text_string_to_metric_families(response.get_data(as_text=True))}


def sample(families: dict[str, Any], name: str, **labels: str) -> float:
    family = families[name.removesuffix("_total").removesuffix("_bucket").removesuffix("_count")]
    return sum(
        s.value
        for s in family.samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )


def test_metrics_count_requests_verdicts_and_read_the_queues(client: Any) -> None:
    before = scrape(client)
    for _ in range(2):
        client.get("/01/09506000134352", headers={"Accept": "application/json"})
    after = scrape(client)
    route = {"route": "/01/<gtin>", "method": "GET"}
    assert sample(after, "registry_request_duration_seconds_count", **route) == (
        sample(before, "registry_request_duration_seconds_count", **route) + 2
    )
    assert sum(
        s.value for s in after["registry_verdicts"].samples if s.name == "registry_verdicts_total"
    ) >= (
        sum(s.value for s in before["registry_verdicts"].samples if s.name == "registry_verdicts_total") + 2
    )
    assert sample(after, "registry_search_outbox_pending") >= 0
    assert sample(after, "registry_search_outbox_lag_seconds") >= 0
    assert {s.labels["status"] for s in after["registry_label_jobs"].samples} == {"queued", "running"}
    assert "registry_ratelimit_refusals" in after and "registry_scan_buffer_size" in after


def test_metrics_refuse_remote_clients_without_the_token(app: Any, client: Any, monkeypatch: Any) -> None:
    remote = {"environ_base": {"REMOTE_ADDR": "203.0.113.5"}}
    refused = client.get("/metrics", **remote)
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert refused.get_json()["errors"][0]["field"] == "Authorization"
    monkeypatch.setattr(settings_of(app).metrics, "token", "s3cret-metrics-token-for-tests")
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"}, **remote)
    assert wrong.status_code == 403
    scrape(client, headers={"Authorization": "Bearer s3cret-metrics-token-for-tests"}, **remote)


TOKEN = "a-metrics-token-of-forty-random-chars-0123"  # noqa: S105 - a test value


def test_production_answers_metrics_only_with_the_token(app: Any, client: Any, monkeypatch: Any) -> None:
    """Behind nginx with TRUSTED_PROXY_HOPS=0 every client looks like loopback: production trusts no address."""
    monkeypatch.setattr(settings_of(app).core, "env", "production")
    loopback = {"environ_base": {"REMOTE_ADDR": "127.0.0.1"}}
    off = client.get("/metrics", **loopback)
    assert off.status_code == 404 and off.mimetype == "application/problem+json"
    assert "REGISTRY_METRICS_TOKEN" in off.get_json()["detail"]
    monkeypatch.setattr(settings_of(app).metrics, "token", TOKEN)
    refused = client.get("/metrics", **loopback)
    assert refused.status_code == 403 and refused.get_json()["errors"][0]["field"] == "Authorization"
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}, **loopback).status_code == 403
    assert "registry_request_duration_seconds" in scrape(
        client, headers={"Authorization": f"Bearer {TOKEN}"}, **loopback
    )


def test_development_answers_loopback_without_a_token(app: Any, client: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(settings_of(app).core, "env", "development")
    assert "registry_request_duration_seconds" in scrape(client, environ_base={"REMOTE_ADDR": "::1"})
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code == 403
