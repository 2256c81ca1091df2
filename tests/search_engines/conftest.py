"""Fixtures for tests against real engines: OpenSearch (one node, a 3-node cluster, a node of our own to
stop and start) and Elasticsearch (the integ-test distribution from Maven Central).

Engines come from the test command (``tools/run_tests.py`` starts them with ``tools/services.py`` /
``tools/es_service.py`` and exports their URLs):

``REGISTRY_TEST_OPENSEARCH_URL``           one node, ``http://127.0.0.1:PORT`` (or ``opensearch://…``)
``REGISTRY_TEST_OPENSEARCH_CLUSTER_URLS``  three nodes, comma-separated, one JVM each
``REGISTRY_TEST_ELASTICSEARCH_URL``        one Elasticsearch 9 node

Unset → the tests skip and say so; with ``CI=true`` an engine that was asked for but cannot be
reached or started fails instead.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from search.backends.cluster import ClusterSearchBackend
from tests.needs import missing
from tests.search.conftest import _search_app, fresh_db, make_doc  # noqa: F401 - shared fixtures and documents

ROOT = Path(__file__).resolve().parents[2]
OPENSEARCH_URL = os.environ.get("REGISTRY_TEST_OPENSEARCH_URL", "")
CLUSTER_URLS = os.environ.get("REGISTRY_TEST_OPENSEARCH_CLUSTER_URLS", "")
ELASTICSEARCH_URL = os.environ.get("REGISTRY_TEST_ELASTICSEARCH_URL", "")


def as_search_url(url: str, scheme: str, alias: str, **options: str) -> str:
    """``http://h:p[,http://h2:p2]`` (what the service tools print) as a ``SEARCH_URL`` with an alias."""
    hosts = []
    for item in url.split(","):
        item = item.strip().rstrip("/")
        for prefix in ("http://", "https://", "opensearch://", "elasticsearch://"):
            item = item.removeprefix(prefix)
        hosts.append(item.split("/", 1)[0])
    query = "&".join(f"{k}={v}" for k, v in options.items())
    return f"{scheme}://{','.join(hosts)}/{alias}" + (f"?{query}" if query else "")


def unique_alias(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def services_module() -> Any:
    """``tools/services.py`` (infra's), imported by path."""
    tools = str(ROOT / "tools")
    if tools not in sys.path:
        sys.path.insert(0, tools)
    import services  # type: ignore[import-not-found]

    return services


def need(url: str, variable: str) -> str:
    if not url:
        pytest.skip(f"{variable} is not set (the test command starts the engine and sets it)")
    return url


def engine_backend(kind: str, url: str, alias: str, **options: str) -> ClusterSearchBackend:
    from search.backends import create_backend

    backend = create_backend(as_search_url(url, kind, alias, **options), "/nonexistent")
    assert isinstance(backend, ClusterSearchBackend)
    deadline = time.monotonic() + 60  # a loaded CI machine can be slow to answer a fresh node
    while not backend.ping() and time.monotonic() < deadline:
        time.sleep(1)
    if not backend.ping():
        missing(f"{kind} at {url} does not answer within 60 s")
    return backend


@pytest.fixture()
def opensearch(request: Any) -> Iterator[ClusterSearchBackend]:
    """A fresh, empty catalogue alias of its own on the single OpenSearch node."""
    backend = engine_backend(
        "opensearch", need(OPENSEARCH_URL, "REGISTRY_TEST_OPENSEARCH_URL"), unique_alias("t-os")
    )
    yield backend
    backend.drop_all()
    backend.close()


@pytest.fixture()
def elasticsearch() -> Iterator[ClusterSearchBackend]:
    backend = engine_backend(
        "elasticsearch", need(ELASTICSEARCH_URL, "REGISTRY_TEST_ELASTICSEARCH_URL"), unique_alias("t-es")
    )
    yield backend
    backend.drop_all()
    backend.close()


def pytest_configure(config: Any) -> None:
    # tools/run_tests.py starts the 3-node cluster when a test file uses this marker
    config.addinivalue_line("markers", "opensearch_cluster: needs the 3-node OpenSearch cluster")


def cluster_service() -> Any:
    """The running 3-node cluster (from its state file) so that a test can stop and start one node."""
    urls = need(CLUSTER_URLS, "REGISTRY_TEST_OPENSEARCH_CLUSTER_URLS")
    services = services_module()
    state = os.environ.get("REGISTRY_TEST_OPENSEARCH_CLUSTER_STATE", "")
    service = services.read_service(state) if state else None
    if service is None:
        wanted = {u.strip().split("://", 1)[-1] for u in urls.split(",")}
        for candidate in services.list_services():
            if {u.split("://", 1)[-1] for u in candidate.urls} == wanted:
                service = candidate
    if service is None:
        pytest.skip(
            "the cluster's state file is unknown (REGISTRY_TEST_OPENSEARCH_CLUSTER_STATE): cannot stop a node"
        )
    return service


@pytest.fixture(scope="module")
def own_opensearch_node() -> Iterator[Any]:
    """A single OpenSearch node of this module's own, to stop and start (the shared node stays up)."""
    need(OPENSEARCH_URL, "REGISTRY_TEST_OPENSEARCH_URL")
    services = services_module()
    try:
        service = services.start_opensearch(name=f"test-os-faults-{os.getpid()}", heap="512m")
    except services.ServiceError as exc:
        missing(f"could not start an OpenSearch node for the fault tests: {exc}")
    try:
        yield service
    finally:
        services.stop_service(service.name)
