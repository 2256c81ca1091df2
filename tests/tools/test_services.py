"""The throwaway servers of tools/services.py: each starts, answers on 127.0.0.1, and stops leaving nothing.

The servers handed to the suite by `make test` (REGISTRY_TEST_* variables) are checked too, when set.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import subprocess
import sys
import urllib.request
from pathlib import Path
from types import ModuleType

import pytest

TOOLS = Path(__file__).resolve().parents[2] / "tools"


def load_tool(name: str) -> ModuleType:
    """tools/ is a folder of scripts, not a package: load one by path (once per test session)."""
    module_name = f"registry_tools_{name}"
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(module_name, TOOLS / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    return sys.modules[module_name]


services = load_tool("services")


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """State files of this test's servers live apart from any other run's."""
    path = tmp_path / "state"
    monkeypatch.setenv("REGISTRY_SERVICES_STATE_DIR", str(path))
    return path


def unique_name(kind: str) -> str:
    return f"pytest-{kind}-{secrets.token_hex(3)}"


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - http://127.0.0.1 only
        return json.loads(response.read().decode("utf-8"))


def post_json(url: str, body: object, method: str = "POST", content_type: str = "application/json") -> dict:
    data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": content_type})  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return json.loads(response.read().decode("utf-8"))


def assert_left_nothing(service) -> None:
    for pid in service.pids:
        assert not Path(f"/proc/{pid}").exists() or services.read_process_start(pid) is None, (
            f"pid {pid} lives"
        )
    assert not Path(service.workdir).exists(), "the temp dir was not removed"
    assert not service.state_path.exists(), "the state file was not removed"


def http_url(search_url: str) -> str:
    return search_url.replace("opensearch://", "http://", 1)


# ---------------------------------------------------------------- without servers


def test_stopping_an_unknown_service_says_so(state_dir: Path) -> None:
    with pytest.raises(services.ServiceError, match="no service recorded"):
        services.stop_service("never-started")


def test_status_with_nothing_started_lists_nothing(
    state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert services.main(["status"]) == 0
    assert "no services recorded" in capsys.readouterr().out


def test_stop_finds_a_node_restarted_by_another_process(state_dir: Path, tmp_path: Path) -> None:
    """run_tests holds the handle it started with; a test restarted a node since: that node must stop too."""
    workdir = tmp_path / "work"
    workdir.mkdir()
    # stands in for a restarted server that spawned a child of its own (as Elasticsearch's launcher does)
    restarted = subprocess.Popen(
        ["sh", "-c", "sleep 300 & echo $!; wait"],  # noqa: S607
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert restarted.stdout is not None
    grandchild = int(restarted.stdout.readline())
    try:

        def node(pid: int, started_at: int) -> object:
            return services.Node(pid, started_at, str(workdir), [9201], [9301], str(workdir / "log"), [])

        handle = services.Service(
            kind="opensearch",
            name="restarted",
            workdir=str(workdir),
            urls=["http://127.0.0.1:9201"],
            nodes=[node(2**22 + 1, 1)],  # the JVM first started, long gone
        )
        recorded = services.Service(**{**handle.__dict__, "nodes": [node(restarted.pid, 0)]})
        recorded.nodes[0].started_at = services.read_process_start(restarted.pid)
        services.save_service(recorded)

        services.stop_service(handle)

        assert restarted.wait(timeout=30) is not None
        assert services.read_process_start(grandchild) is None, "the server's child outlived it"
        assert not workdir.exists()
        assert not recorded.state_path.exists()
    finally:
        if restarted.poll() is None:
            os.killpg(restarted.pid, 9)
            restarted.wait()
        restarted.stdout.close()


def test_test_environment_uses_the_search_layer_scheme(state_dir: Path) -> None:
    node = services.Service(
        kind="opensearch", name="x", workdir="/nonexistent", urls=["http://127.0.0.1:9201"]
    )
    assert services.test_environment(node) == {"REGISTRY_TEST_OPENSEARCH_URL": "opensearch://127.0.0.1:9201"}
    cluster = services.Service(
        kind="opensearch", name="c", workdir="/nonexistent", urls=[f"http://127.0.0.1:{p}" for p in (1, 2, 3)]
    )
    variables = services.test_environment(cluster)
    assert variables["REGISTRY_TEST_OPENSEARCH_CLUSTER_URLS"].split(",") == [
        "opensearch://127.0.0.1:1",
        "opensearch://127.0.0.1:2",
        "opensearch://127.0.0.1:3",
    ]
    assert variables["REGISTRY_TEST_OPENSEARCH_CLUSTER_STATE"] == str(state_dir / "c.json")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "===== 2 failed, 310 passed, 4 skipped, 1 error in 41.20s =====",
            {"failed": 2, "passed": 310, "skipped": 4, "errors": 1},
        ),
        ("12 passed, 3 deselected in 0.52s", {"passed": 12, "deselected": 3}),
        ("============ no tests ran in 0.01s ============", {}),
    ],
)
def test_run_tests_reads_pytest_closing_line(line: str, expected: dict[str, int]) -> None:
    assert load_tool("run_tests").count_outcomes(line) == expected


def test_run_tests_hides_the_database_password_in_what_it_prints() -> None:
    hide = load_tool("run_tests").hide_password
    assert hide("postgresql+psycopg://registry:s3-cr_et@127.0.0.1:5555/registry_test") == (
        "postgresql+psycopg://registry:***@127.0.0.1:5555/registry_test"
    )
    assert hide("http://127.0.0.1:9201") == "http://127.0.0.1:9201"


# ---------------------------------------------------------------- PostgreSQL


@pytest.mark.postgres
def test_postgres_starts_answers_on_loopback_and_stops_without_leftovers(state_dir: Path) -> None:
    if services.find_postgres_bindir() is None:
        pytest.skip("PostgreSQL server binaries are not installed (apt-get install postgresql)")
    import psycopg

    name = unique_name("pg")
    service = services.start_postgres(name=name)
    try:
        assert service.url.startswith("postgresql+psycopg://registry:")
        assert service.url.endswith(f"@127.0.0.1:{service.port}/registry_test")
        assert services.read_service(name) == service
        with pytest.raises(services.ServiceError, match="already running"):
            services.start_postgres(name=name)
        with psycopg.connect(service.url.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
            version, database, listen, fsync = conn.execute(
                "SELECT current_setting('server_version_num'), current_database(),"
                " current_setting('listen_addresses'), current_setting('fsync')"
            ).fetchone()
        assert int(version) // 10000 == 15
        assert (database, listen, fsync) == ("registry_test", "127.0.0.1", "off")
    finally:
        services.stop_service(name)
    assert_left_nothing(service)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(service.url.replace("postgresql+psycopg://", "postgresql://", 1), connect_timeout=3)


@pytest.mark.postgres
def test_the_suites_postgres_answers() -> None:
    url = os.environ.get("REGISTRY_TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("REGISTRY_TEST_DATABASE_URL is not a PostgreSQL URL (pass 2 of `make test` sets it)")
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


# ---------------------------------------------------------------- OpenSearch


@pytest.mark.opensearch
@pytest.mark.slow
def test_opensearch_node_starts_answers_and_stops_without_leftovers(state_dir: Path) -> None:
    name = unique_name("os")
    service = services.start_opensearch(name=name)
    try:
        (url,) = service.urls
        assert url.startswith("http://127.0.0.1:")
        root = get_json(url + "/")
        assert root["version"]["distribution"] == "opensearch"
        assert root["version"]["number"] == "2.19.1"
        health = get_json(url + "/_cluster/health")
        assert health["status"] in ("green", "yellow")
        assert health["number_of_nodes"] == 1
        tokens = post_json(url + "/_analyze", {"analyzer": "bengali", "text": "বাংলাদেশে তৈরি"})["tokens"]
        assert [token["token"] for token in tokens] == ["বাংলাদেস", "তৈর"]
    finally:
        services.stop_service(name)
    assert_left_nothing(service)


@pytest.mark.opensearch
@pytest.mark.slow
def test_three_node_cluster_keeps_answering_with_a_node_down(state_dir: Path) -> None:
    name = unique_name("os3")
    service = services.start_opensearch(nodes=3, name=name)
    try:
        first, second, third = service.urls
        assert get_json(first + "/_cluster/health")["number_of_nodes"] == 3
        post_json(
            first + "/products",
            {"settings": {"number_of_shards": 3, "number_of_replicas": 1}},
            method="PUT",
        )
        bulk = "".join(f'{{"index":{{"_id":"{i}"}}}}\n{{"n":{i}}}\n' for i in range(200))
        assert not post_json(
            first + "/products/_bulk?refresh=true", bulk, content_type="application/x-ndjson"
        )["errors"]
        get_json(first + "/_cluster/health?wait_for_status=green&timeout=60s")

        services.stop_node(name, 1, kill=True)  # a crash, not a clean shutdown
        assert get_json(first + "/products/_count")["count"] == 200
        assert (
            get_json(third + "/products/_search?size=0&track_total_hits=true")["hits"]["total"]["value"]
            == 200
        )

        services.start_node(name, 1)
        health = get_json(second + "/_cluster/health?wait_for_status=green&timeout=90s")
        assert (health["status"], health["number_of_nodes"]) == ("green", 3)
        assert get_json(second + "/products/_count")["count"] == 200
    finally:
        latest = services.read_service(name) or service  # the restarted node has a new pid
        services.stop_service(name)
    assert_left_nothing(latest)


@pytest.mark.opensearch
def test_the_suites_opensearch_answers() -> None:
    url = os.environ.get("REGISTRY_TEST_OPENSEARCH_URL", "")
    if not url:
        pytest.skip("REGISTRY_TEST_OPENSEARCH_URL is not set (`make test` starts OpenSearch and sets it)")
    health = get_json(http_url(url) + "/_cluster/health")
    assert health["status"] in ("green", "yellow")
