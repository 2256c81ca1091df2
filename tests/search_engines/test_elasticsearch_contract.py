"""The same backend contract the embedded and OpenSearch backends pass, run against a real Elasticsearch 9.

The node is Elastic's integ-test distribution from Maven Central (tools/es_service.py), which lacks the
``english`` and ``bengali`` analyzers: the backend detects that and maps the language fields with
``standard``; everything in the contract is still expected to hold (docs/search-engines.md lists what
this run does and does not cover).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from search.backends.cluster import ClusterSearchBackend
from tests.search.test_backends import *  # noqa: F403 - the contract's tests, collected again here
from tests.search.test_backends import catalogue  # noqa: F401 - its fixture
from tests.search.test_relevance import test_relevance_floor  # noqa: F401 - the relevance floor too
from tests.search_engines.conftest import ELASTICSEARCH_URL, engine_backend, need, unique_alias

pytestmark = pytest.mark.opensearch  # runs where the engines run (pass 1 of tools/run_tests.py)


@pytest.fixture()
def backend() -> Iterator[ClusterSearchBackend]:
    """An empty index on Elasticsearch (overrides the parametrised fixture of tests/search)."""
    b = engine_backend(
        "elasticsearch", need(ELASTICSEARCH_URL, "REGISTRY_TEST_ELASTICSEARCH_URL"), unique_alias("t-es")
    )
    b.reindex(lambda: iter(()), lambda: 0)
    yield b
    b.drop_all()
    b.close()


def test_the_integ_test_distribution_lacks_the_language_analyzers(backend: ClusterSearchBackend) -> None:
    """Documents what this run cannot cover: if it ever fails, the distribution gained analysis-common."""
    assert backend.language_analyzers() == {"text_en": "standard", "text_bn": "standard"}
    assert backend.info().extra["analyzers"] == {"text_en": "standard", "text_bn": "standard"}
