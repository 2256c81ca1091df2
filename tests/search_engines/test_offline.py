"""The cluster backends without an engine: SEARCH_URL parsing, and an engine that is not there."""

from __future__ import annotations

import json
import socket
import threading
from datetime import date
from typing import Any

import pytest

from search.backends import cluster
from search.backends.cluster import parse_cluster_url
from search.backends.elasticsearch import ElasticsearchBackend
from search.backends.opensearch import OpenSearchBackend
from search.errors import SearchError, SearchUnavailable
from search.queries import parse_catalogue_query
from tests.search_engines.conftest import make_doc

TODAY = date(2026, 6, 1)


def free_port() -> int:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("backend_class", [OpenSearchBackend, ElasticsearchBackend])
def test_an_engine_that_is_not_there_is_unavailable(backend_class: Any) -> None:
    scheme = backend_class.name
    backend = backend_class.from_url(f"{scheme}://127.0.0.1:{free_port()}/nowhere?timeout=2")
    assert backend.ping() is False
    with pytest.raises(SearchUnavailable) as caught:
        backend.search(parse_catalogue_query({"q": ["router"]}, TODAY))
    assert caught.value.status_code == 503 and caught.value.__cause__ is not None
    with pytest.raises(SearchUnavailable):
        backend.index_documents([make_doc(1)])


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "opensearch://127.0.0.1:9200",
            {"hosts": [("127.0.0.1", 9200)], "alias": "registry-catalogue", "tls": False, "slices": 2},
        ),
        (
            "opensearchs://reg%40ops:p%3Ass@search.example.gov.bd:443/catalogue?replicas=1&refresh=false&slices=4",
            {
                "hosts": [("search.example.gov.bd", 443)],
                "alias": "catalogue",
                "tls": True,
                "username": "reg@ops",
                "password": "p:ss",
                "replicas": "1",
                "refresh": "false",
                "slices": 4,
            },
        ),
        (
            "elasticsearch://a:9201,b:9202,c/cat",
            {"hosts": [("a", 9201), ("b", 9202), ("c", 9200)], "alias": "cat", "tls": False},
        ),
    ],
)
def test_search_urls(url: str, expected: dict[str, Any]) -> None:
    settings = parse_cluster_url(url)
    assert [(h["host"], h["port"]) for h in settings.hosts] == expected.pop("hosts")
    for key, value in expected.items():
        assert getattr(settings, key) == value


@pytest.mark.parametrize(
    "url",
    [
        "opensearch://",
        "opensearch://h:port",
        "opensearch://h:9200/Bad_Alias",
        "opensearch://h/a?refresh=sometimes",
        "opensearch://h/a?slices=-1",
        "opensearch://h/a?slices=two",
        "opensearch://h/a?shards=0",
    ],
)
def test_bad_search_urls(url: str) -> None:
    with pytest.raises(SearchError):
        parse_cluster_url(url)


class RecordingIndices:
    """One live index behind the alias, built by this release (so the backend starts writing at once)."""

    def get_alias(self, name: str) -> dict[str, Any]:
        return {"c-1": {"aliases": {name: {}}}}

    def get_mapping(self, index: str) -> dict[str, Any]:
        return {index: {"mappings": {"_meta": {"mapping_version": cluster.dsl.MAPPING_VERSION}}}}


class RecordingClient:
    """A client whose bulk requests are recorded (bodies parsed back) and all succeed."""

    def __init__(self) -> None:
        self.requests: list[list[dict[str, Any]]] = []
        self.first_sent = threading.Event()
        self.lock = threading.Lock()
        self.indices = RecordingIndices()

    def bulk(self, body: bytes, index: str, refresh: Any) -> dict[str, Any]:
        with self.lock:
            self.requests.append([json.loads(line) for line in body.splitlines() if line])
        self.first_sent.set()
        return {"errors": False, "items": []}


def test_a_large_write_sends_its_first_request_before_building_the_rest(monkeypatch: Any) -> None:
    """Bulk requests go out as they are built, so the engine works while Python builds the next one."""
    client = RecordingClient()
    backend = OpenSearchBackend(parse_cluster_url("opensearch://127.0.0.1:9200/c"), client=client)
    build = cluster.dsl.build_engine_document
    waited_for_first: list[bool] = []

    def building(doc: dict[str, Any]) -> dict[str, Any]:
        if doc["id"] == cluster.BULK_DOCUMENTS + 1:  # the first document of the second request
            waited_for_first.append(client.first_sent.wait(timeout=10))
        return build(doc)

    monkeypatch.setattr(cluster.dsl, "build_engine_document", building)
    docs = [make_doc(i, specifications={"serial": 2**70}) for i in range(1, 2 * cluster.BULK_DOCUMENTS + 2)]
    assert backend.index_documents(docs) == len(docs)

    assert waited_for_first == [True]
    assert sorted(len(r) for r in client.requests) == [
        2,
        2 * cluster.BULK_DOCUMENTS,
        2 * cluster.BULK_DOCUMENTS,
    ]
    written = [op for request in client.requests for op in request]
    actions, bodies = written[0::2], written[1::2]
    assert sorted(int(a["index"]["_id"]) for a in actions) == [d["id"] for d in docs]
    assert all(b["specifications"] == {"serial": 2**70} and b["x"]["id"] == b["id"] for b in bodies)


def test_deletes_are_bulk_delete_lines() -> None:
    client = RecordingClient()
    backend = OpenSearchBackend(parse_cluster_url("opensearch://127.0.0.1:9200/c"), client=client)
    assert backend.delete_documents([3, 1, 3]) == 2
    assert client.requests == [[{"delete": {"_id": "1"}}, {"delete": {"_id": "3"}}]]
