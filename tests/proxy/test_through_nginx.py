"""Verdicts and client addresses through a real nginx in front of gunicorn (tests/proxy/conftest.py): every demo
label gives its expected verdict whatever Host nginx passes on, and behind the site operators install
(deploy/nginx/mib-registry.conf) each phone has its own rate-limit bucket, which a forged X-Forwarded-For does
not change, and /metrics stays inside."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest

from tests.proxy.conftest import ROOT, VERIFY_LIMIT, Arrangement

pytestmark = pytest.mark.proxy

EVERY_VERDICT = {"genuine", "suspended", "revoked", "expired", "recalled", "not_genuine", "unknown"}


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_every_demo_label_gives_its_expected_verdict_through_nginx(
    arrangement: Arrangement, seeded: tuple[dict[str, str], list[tuple[str, str]]]
) -> None:
    _env, labels = seeded
    assert {verdict for verdict, _url in labels} == EVERY_VERDICT
    assert len(labels) < VERIFY_LIMIT  # one client opens them all without meeting its limit
    got = [(arrangement.get(path_of(url)).body.get("verdict"), url) for _verdict, url in labels]
    assert got == labels


@pytest.mark.parametrize("arrangement", ["site"], indirect=True)
def test_the_site_gives_each_client_its_own_bucket_and_ignores_forged_addresses(
    arrangement: Arrangement,
) -> None:
    path = "/01/02000000000015"  # an unregistered product: cheap, and counted like any verification
    codes = [
        arrangement.get(path, source="127.0.0.2", headers={"X-Forwarded-For": f"203.0.113.{n}"}).status
        for n in range(VERIFY_LIMIT + 1)
    ]
    assert codes == [200] * VERIFY_LIMIT + [429]
    assert arrangement.get(path, source="127.0.0.3").status == 200
    assert arrangement.get(path, source="127.0.0.2").status == 429
    # gunicorn's log names the phone, not nginx; it writes a line after the answer is sent, so wait for the last
    deadline = time.monotonic() + 10
    while True:
        log = arrangement.access_log.read_text(encoding="utf-8")
        counts = (log.count("127.0.0.2 "), log.count("127.0.0.3 "))
        if counts == (VERIFY_LIMIT + 2, 1) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert counts == (VERIFY_LIMIT + 2, 1)
    assert "203.0.113." not in log


@pytest.mark.parametrize("arrangement", ["default"], indirect=True)
def test_without_trusted_proxies_forwarded_for_is_ignored(arrangement: Arrangement) -> None:
    """Straight to gunicorn with hops = 0, a client sending a new X-Forwarded-For each time still meets its
    limit; behind nginx's defaults every phone is nginx's address, which is why the site sets X-Forwarded-For."""
    path = "/01/02000000000015"
    direct = [
        arrangement.get(
            path, source="127.0.0.4", direct=True, headers={"X-Forwarded-For": f"198.51.100.{n}"}
        ).status
        for n in range(VERIFY_LIMIT + 1)
    ]
    assert direct == [200] * VERIFY_LIMIT + [429]
    through = {arrangement.get(path, source=f"127.0.0.{n}").status for n in range(5, 5 + VERIFY_LIMIT + 1)}
    assert 429 in through  # many phones, one bucket: nginx's 127.0.0.1


def test_the_docs_send_operators_to_the_tested_site_file() -> None:
    """One source: docs/operations.md names deploy/nginx/mib-registry.conf and copies none of its blocks."""
    doc = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    assert "deploy/nginx/mib-registry.conf" in doc
    assert "```nginx" not in doc and "proxy_pass http" not in doc


@pytest.mark.parametrize("arrangement", ["site"], indirect=True)
def test_the_site_keeps_metrics_inside(arrangement: Arrangement) -> None:
    """nginx answers /metrics itself, whatever the client sends; the application behind it never sees it."""
    for path in ("/metrics", "/metrics/", "//metrics", "/%6Detrics", "/metrics?x=1"):
        assert arrangement.get(path, headers={"Authorization": "Bearer guess"}).status == 404, path


@pytest.mark.parametrize("arrangement", ["default"], indirect=True)
def test_production_metrics_need_the_token_even_from_loopback(arrangement: Arrangement) -> None:
    """Behind a proxy the app does not count (hops = 0) every client is nginx's loopback address: production
    answers /metrics to no address, only to REGISTRY_METRICS_TOKEN (unset here: off, 404)."""
    assert arrangement.get("/metrics", source="127.0.0.30").status == 404
    assert arrangement.get("/metrics", direct=True).status == 404
