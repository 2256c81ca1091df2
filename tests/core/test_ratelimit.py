"""The one rate limiter (core.ratelimit): its syntax, its counting, its shared storage and its refusals."""

from __future__ import annotations

import os
from typing import Any

import pytest
from prometheus_client import REGISTRY

from config import settings_of
from core.ratelimit import (
    RateLimiter,
    RateLimitSettingsError,
    RateLimitSyntaxError,
    check_worker_storage,
    parse_limit,
)
from tests.needs import need

REDIS_URL = os.environ.get("REGISTRY_TEST_REDIS_URL", "")


def refusals(limit: str) -> float:
    return REGISTRY.get_sample_value("registry_ratelimit_refusals_total", {"limit": limit}) or 0.0


def test_one_syntax_for_every_limit() -> None:
    assert (parse_limit("120/minute").amount, parse_limit("120/minute").get_expiry()) == (120, 60)
    assert parse_limit("10/5 minutes").get_expiry() == 300
    assert parse_limit("10 per hour").get_expiry() == 3600
    assert parse_limit("") is None  # an empty setting switches the limit off
    for wrong in ("lots", "10/300", "ten/minute"):
        with pytest.raises(RateLimitSyntaxError, match="300/minute"):
            parse_limit(wrong)


def test_a_wrong_limit_setting_stops_the_start() -> None:
    from app import create_app

    with pytest.raises(RateLimitSettingsError, match="WEB_LOGIN_RATE_LIMIT"):
        create_app({"ENV": "testing", "WEB_LOGIN_RATE_LIMIT": "10/300"})
    with pytest.raises(RateLimitSettingsError, match="RATELIMIT_STORAGE_URL"):
        create_app({"ENV": "testing", "RATELIMIT_STORAGE_URL": "memcached://127.0.0.1"})


def _counts_per_client(first: RateLimiter, second: RateLimiter) -> None:
    item = parse_limit("3/minute")
    before = refusals("verify")
    assert [first.hit("verify", item, "198.51.100.7") for _ in range(2)] == [None, None]
    assert second.hit("verify", item, "198.51.100.7") is None  # the third, counted wherever it arrived
    wait = first.hit("verify", item, "198.51.100.7")
    assert wait is not None and 1 <= wait <= 60
    assert second.is_full("verify", item, "198.51.100.7")
    assert second.hit("verify", item, "198.51.100.8") is None  # another client has its own count
    assert first.hit("report", item, "198.51.100.7") is None  # and so has another limit
    assert refusals("verify") == before + 1
    second.forget("verify", item, "198.51.100.7")
    assert first.hit("verify", item, "198.51.100.7") is None


def test_memory_storage_counts_within_one_process() -> None:
    limiter = RateLimiter("")
    assert not limiter.shared
    _counts_per_client(limiter, limiter)
    assert RateLimiter("").hit("verify", parse_limit("1/minute"), "198.51.100.7") is None  # not shared


def test_redis_storage_is_shared_by_every_limiter_that_names_it() -> None:
    need(REDIS_URL, "REGISTRY_TEST_REDIS_URL is not set (tools/services.py start redis; make test does)")
    one, two = RateLimiter(REDIS_URL), RateLimiter(REDIS_URL)  # two workers, or two hosts
    one.reset()
    assert one.shared and two.shared
    try:
        _counts_per_client(one, two)
    finally:
        one.reset()


def test_an_unreachable_store_lets_requests_through_and_says_so(caplog: Any) -> None:
    limiter = RateLimiter("redis://127.0.0.1:1/0?socket_connect_timeout=0.2")
    before = REGISTRY.get_sample_value("registry_ratelimit_storage_errors_total") or 0.0
    assert limiter.hit("verify", parse_limit("1/minute"), "198.51.100.7") is None
    assert REGISTRY.get_sample_value("registry_ratelimit_storage_errors_total") == before + 1
    assert "rate-limit storage" in caplog.text


def test_production_refuses_per_process_counts_with_several_workers() -> None:
    reason = check_worker_storage(4, production=True, storage_url="")
    assert reason and "4 workers" in reason and "REGISTRY_RATELIMIT_STORAGE_URL" in reason
    assert check_worker_storage(4, production=True, storage_url="memory://")
    assert check_worker_storage(4, production=True, storage_url="redis://127.0.0.1:6379/0") is None
    assert check_worker_storage(1, production=True, storage_url="") is None  # one process counts right
    assert check_worker_storage(4, production=False, storage_url="") is None  # make run, tests


def test_verification_page_refusal_is_bilingual_with_retry_after(
    app: Any, client: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(settings_of(app).ratelimit, "verify", "1/minute")
    url = "/01/09506000134352"
    client.get(url, headers={"Accept": "text/html"})
    for lang, words in (("en", "Too many attempts"), ("bn", "অনেক বেশি চেষ্টা")):
        page = client.get(url, headers={"Accept": "text/html", "Accept-Language": lang})
        assert page.status_code == 429 and page.mimetype == "text/html"
        assert words in page.get_data(as_text=True)
        assert int(page.headers["Retry-After"]) >= 1
    api = client.get(url, headers={"Accept": "application/json"})
    assert api.status_code == 429 and api.mimetype == "application/problem+json"
    assert api.get_json()["errors"] == [
        {"field": "client", "reason": "rate limit exceeded", "code": "request.rate_limited"}
    ]
    assert int(api.headers["Retry-After"]) >= 1
