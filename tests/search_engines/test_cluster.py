"""A 3-node OpenSearch cluster with one replica: one node fails mid-way, the catalogue keeps answering in
full, writes go on or come back, and once the node returns the cluster is whole and nothing is missing."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import pytest

from bench.relevance.dataset import catalogue_documents
from search.backends.cluster import ClusterSearchBackend
from search.errors import SearchUnavailable
from search.queries import parse_catalogue_query
from tests.search_engines.conftest import (
    CLUSTER_URLS,
    cluster_service,
    engine_backend,
    services_module,
    unique_alias,
)

pytestmark = [pytest.mark.opensearch, pytest.mark.opensearch_cluster, pytest.mark.slow]
TODAY = date(2026, 6, 1)
QUERIES: tuple[dict[str, list[str]], ...] = (
    {},
    {"q": ["smartphone"]},
    {"q": ["ল্যাপটপ"]},
    {"q": ["routr"]},
    {"q": ["mobail fon"]},
    {"district": ["dhaka"], "sort": ["lva"]},
    {"certificate": ["BTRC"], "per_page": ["100"]},
)


def snapshot(backend: ClusterSearchBackend) -> list[tuple[int, list[int], dict[str, Any]]]:
    """What a catalogue client sees for the fixed queries: totals, hit ids in order, facet counts."""
    out = []
    for args in QUERIES:
        result = backend.search(parse_catalogue_query(args, TODAY))
        facets = {k: [(f.value, f.count) for f in v] for k, v in result.facets.items()}
        out.append((result.total, [h.document["id"] for h in result.hits], facets))
    return out


def primary_node_index(backend: ClusterSearchBackend, service: Any) -> int:
    """Which of the service's nodes holds the primary shard of the live index."""
    live = backend.info().name
    shards = backend.client.cat.shards(index=live, format="json", h="prirep,state,id")
    primary_id = next(s["id"] for s in shards if s["prirep"] == "p")
    nodes = backend.client.nodes.info(node_id=primary_id, metric="http")["nodes"]
    address = nodes[primary_id]["http"]["publish_address"]
    port = int(address.rsplit(":", 1)[1])
    return next(i for i, node in enumerate(service.nodes) if port in node.http_ports)


def wait_for_green(backend: ClusterSearchBackend, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    health: dict[str, Any] = {}
    while time.monotonic() < deadline:
        health = backend.cluster_health(index=backend.alias, wait_for_status="green")
        if health.get("status") == "green":
            return health
    raise AssertionError(f"the cluster did not get green again: {health}")


def test_a_node_fails_and_comes_back(request: Any) -> None:
    services = services_module()
    service = cluster_service()
    backend = engine_backend("opensearch", CLUSTER_URLS, unique_alias("t-cluster"), replicas="1", timeout="5")
    request.addfinalizer(backend.close)
    request.addfinalizer(backend.drop_all)
    docs, _ = catalogue_documents()
    first, second = docs[:200], docs[200:]
    backend.reindex(lambda: iter([first]), lambda: len(first))
    assert wait_for_green(backend)["number_of_nodes"] == 3
    live = backend.info().name
    settings = backend.client.indices.get_settings(index=live)[live]["settings"]["index"]
    assert settings["number_of_replicas"] == "1"
    before = snapshot(backend)

    # the node holding the primary dies (SIGKILL: no goodbye to the cluster)
    victim = primary_node_index(backend, service)
    services.stop_node(service, victim, kill=True)
    try:
        # reads: every query answers in full, the same as before, from the surviving copies
        assert snapshot(backend) == before
        # writes: go on once the replica is promoted; while it is being promoted they may be refused as
        # unavailable (the outbox retries those), never half-applied or failed otherwise
        written = 0
        deadline = time.monotonic() + 90
        while written < len(second) and time.monotonic() < deadline:
            try:
                written += backend.index_documents(second[written : written + 25])
            except SearchUnavailable:
                time.sleep(1)
        assert written == len(second), "writes did not resume while a node was down"
        assert backend.count() == len(docs)
        assert backend.cluster_health()["number_of_nodes"] == 2
    finally:
        services.start_node(service, victim)

    health = wait_for_green(backend)
    assert health["number_of_nodes"] == 3 and health["unassigned_shards"] == 0
    backend.index_documents(docs[:10])  # writes after the return
    assert backend.count() == len(docs)
    ids = [d["id"] for d in backend.scan(parse_catalogue_query({"sort": ["name"]}, TODAY))]
    assert sorted(ids) == sorted(d["id"] for d in docs)
