"""Two application hosts behind nginx with deploy/'s files (tests/hosts/conftest.py): what must not depend on
which host answers."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.hosts.conftest import ADMIN_PASSWORD, VERIFY_LIMIT, Deployment, free_port, run_line, walkthrough

pytestmark = [pytest.mark.hosts, pytest.mark.opensearch, pytest.mark.slow]

# A key rotated on one host is current on the other within this time: the keyring cache lives 5 s in
# production (signing.extension.SigningExtension), plus the request that notices.
KEY_PROPAGATION_SECONDS = 7.0
VERIFY_PATH = "/01/02000000000015"
CATALOGUE_PAGE = 100  # more than the seeded licensed products: the whole catalogue on one page


def test_the_walkthrough_is_the_documented_sequence() -> None:
    walk = walkthrough()
    assert [line.split()[1] if "python" in line else " ".join(line.split()[3:5]) for line in walk.setup] == [
        "-m",
        "db upgrade",
        "registry create-user",
        "search reindex",
    ]
    assert "signing.keygen" in walk.setup[0]
    assert any("gunicorn -c deploy/gunicorn.conf.py" in line for line in walk.serve)
    assert any("search sync --watch" in line for line in walk.serve)


def test_verify_rate_limit_counts_requests_across_both_hosts(deployment: Deployment) -> None:
    before = [
        sum(1 for line in host.access_lines() if line["path"] == VERIFY_PATH) for host in deployment.hosts
    ]
    codes = [deployment.front_get(VERIFY_PATH, source="127.0.0.21").status for _ in range(VERIFY_LIMIT + 2)]
    assert codes == [200] * VERIFY_LIMIT + [429, 429]
    assert deployment.front_get(VERIFY_PATH, source="127.0.0.22").status == 200  # another phone
    served = _wait_for_lines(deployment, VERIFY_PATH, sum(before) + VERIFY_LIMIT + 3)
    assert all(now > earlier for now, earlier in zip(served, before, strict=True)), served  # round-robin


def _wait_for_lines(deployment: Deployment, path: str, total: int) -> list[int]:
    """Access lines for ``path`` per host, once there are ``total`` in all (gunicorn writes each after the
    answer went out)."""
    deadline = time.monotonic() + 10
    while True:
        served = [sum(1 for line in host.access_lines() if line["path"] == path) for host in deployment.hosts]
        if sum(served) >= total or time.monotonic() > deadline:
            return served
        time.sleep(0.1)


def _wait_for_host_lines(deployment: Deployment, path: str, count: int, *, host: int) -> int:
    """Access lines for ``path`` on one host, once there are ``count``."""
    deadline = time.monotonic() + 10
    while True:
        served = sum(1 for line in deployment.host(host).access_lines() if line["path"] == path)
        if served >= count or time.monotonic() > deadline:
            return served
        time.sleep(0.1)


def test_access_logs_are_json_with_the_request_id_nginx_gave(deployment: Deployment) -> None:
    answer = deployment.front_get("/healthz", source="127.0.0.23")
    request_id = answer.headers["x-request-id"]
    assert len(request_id) == 32  # nginx's $request_id, passed on by deploy/nginx/mib-registry.conf
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = [
            line
            for host in deployment.hosts
            for line in host.access_lines()
            if line["request_id"] == request_id
        ]
        if lines:
            break
        time.sleep(0.1)
    assert len(lines) == 1, "one host answered, and logged the request with nginx's id"
    assert lines[0]["remote_addr"] == "127.0.0.23"  # the client, through ProxyFix, not nginx
    assert lines[0]["status"] == 200 and lines[0]["method"] == "GET" and lines[0]["duration_ms"] >= 0


def test_keys_status_list_and_catalogue_agree_on_both_hosts(deployment: Deployment, catalogue: None) -> None:
    for path in ("/.well-known/jwks.json", "/status/1"):
        answers = [deployment.get(path, host=i) for i in range(2)]
        assert [a.status for a in answers] == [200, 200]
        assert answers[0].body == answers[1].body, path
    jwks = json.loads(deployment.get("/.well-known/jwks.json", host=0).body)
    assert [key["status"] for key in jwks["keys"]] == ["current"]  # the first key, from signing.keygen
    listed = agreed_catalogue(deployment, lambda body: body["total"] > 0)
    # a change written through host 1 reaches both hosts' answers through the one outbox sync
    basic = base64.b64encode(f"admin@mib.gov.bd:{ADMIN_PASSWORD}".encode()).decode()
    token = deployment.post(
        "/api/v1/tokens", {"name": "two-hosts"}, host=0, headers={"Authorization": f"Basic {basic}"}
    )
    assert token.status == 201, token.body
    product = listed["hits"][0]["product"]["id"]
    suspended = deployment.post(
        f"/api/v1/products/{product}/suspend",
        {"reason": "two-host test"},
        host=1,
        headers={"Authorization": f"Bearer {token.json()['token']}"},
    )
    assert suspended.status == 200, suspended.body
    after = agreed_catalogue(deployment, lambda body: body["total"] == listed["total"] - 1)
    assert product not in [hit["product"]["id"] for hit in after["hits"]]


def agreed_catalogue(deployment: Deployment, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The catalogue's first page once both hosts answer it alike and ``wanted`` holds (30 s at most)."""
    search = f"/api/v1/catalogue/search?per_page={CATALOGUE_PAGE}&sort=newest"
    deadline = time.monotonic() + 30
    while True:
        answers = [deployment.get(search, host=i) for i in range(2)]
        bodies = [a.json() for a in answers]
        if [a.status for a in answers] == [200, 200] and bodies[0] == bodies[1] and wanted(bodies[0]):
            return bodies[0]  # type: ignore[no-any-return]
        sync_log = (deployment.workdir / "sync.log").read_text(encoding="utf-8")[-2000:]
        assert time.monotonic() < deadline, f"{bodies}\n{sync_log}"
        time.sleep(0.5)


def test_a_key_rotated_on_one_host_is_current_on_the_other_in_time(deployment: Deployment) -> None:
    before = json.loads(deployment.get("/.well-known/jwks.json", host=1).body)
    out = deployment.workdir / "keys" / "issuing-key-2.p8"
    said = deployment.flask("signing", "rotate-key", "--out", str(out), host=0)
    new_kid = said.split()[3].rstrip(";")
    started = time.monotonic()
    while True:  # every worker of both hosts answers the same set, with the new key current
        bodies = [deployment.get("/.well-known/jwks.json", host=host).body for host in (1, 0)]
        keys = json.loads(bodies[0])["keys"]
        current = [key["kid"] for key in keys if key["status"] == "current"]
        if current == [new_kid] and bodies[0] == bodies[1]:
            break
        assert time.monotonic() - started < KEY_PROPAGATION_SECONDS, bodies
        time.sleep(0.2)
    assert len(keys) == len(before["keys"]) + 1  # the old key stays published


def test_metrics_add_up_both_workers_of_a_host_and_stay_inside(deployment: Deployment) -> None:
    assert deployment.front_get("/metrics", source="127.0.0.24").status == 404  # nginx keeps it inside
    before = _wait_for_host_lines(deployment, "/healthz", 0, host=1)
    with ThreadPoolExecutor(max_workers=8) as pool:  # concurrent: both sync workers of host 1 answer some
        codes = list(pool.map(lambda _: deployment.get("/healthz", host=1).status, range(40)))
    assert codes == [200] * 40
    assert _wait_for_host_lines(deployment, "/healthz", before + 40, host=1) == before + 40
    # the host's gunicorn as it runs now (an earlier test may have restarted it: its metrics start afresh)
    lines = [
        line
        for line in deployment.host(1).access_lines()
        if line["path"] == "/healthz" and deployment.host_of_pid(line["pid"]) == 1
    ]
    logged, pids = len(lines), {line["pid"] for line in lines}
    assert deployment.get("/metrics", host=1).status == 403  # production: loopback is no proof
    token = deployment.env["REGISTRY_METRICS_TOKEN"]
    answer = deployment.get("/metrics", host=1, headers={"Authorization": f"Bearer {token}"})
    assert answer.status == 200
    families = {f.name: f for f in text_string_to_metric_families(answer.body.decode())}
    counted = sum(
        s.value
        for s in families["registry_request_duration_seconds"].samples
        if s.name == "registry_request_duration_seconds_count" and s.labels["route"] == "/healthz"
    )
    assert len(pids) == 2 and counted == logged  # one scrape adds up every worker's requests
    assert "registry_search_outbox_lag_seconds" in families and "registry_label_jobs" in families


def test_a_killed_host_leaves_the_other_answering(deployment: Deployment) -> None:
    deployment.stop_host(1, kill=True)
    try:
        codes = {deployment.front_get("/readyz", source="127.0.0.25").status for _ in range(6)}
        assert codes == {200}  # nginx's proxy_next_upstream sends each request to the live host
    finally:
        deployment.start_host(1)
    assert deployment.get("/readyz", host=1).status == 200


def test_several_workers_without_shared_limits_refuse_to_start(deployment: Deployment) -> None:
    env = deployment.host_env(1) | {
        "REGISTRY_RATELIMIT_STORAGE_URL": "",
        "REGISTRY_BIND": f"127.0.0.1:{free_port()}",
        "WEB_CONCURRENCY": "3",
    }
    done = run_line(".venv/bin/gunicorn -c deploy/gunicorn.conf.py", env)  # as the web unit starts it
    assert done.returncode != 0
    assert "refusing to start: 3 workers" in done.stderr and "REGISTRY_RATELIMIT_STORAGE_URL" in done.stderr
