"""The end-of-run summary of what ran against which real search engine (CI's log shows it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.conftest import SINGLE_NODE, engine_outcomes, pytest_terminal_summary


@dataclass
class Report:
    nodeid: str
    keywords: dict[str, int] = field(default_factory=dict)


@dataclass
class Reporter:
    stats: dict[str, list[Any]]
    lines: list[str] = field(default_factory=list)

    def section(self, title: str) -> None:
        self.lines.append(f"== {title} ==")

    def write_line(self, line: str) -> None:
        self.lines.append(line)


def test_each_engine_is_counted_once_a_test_by_its_worst_outcome() -> None:
    contract = "tests/search/test_backends.py::test_search[opensearch]"
    stats = {
        "passed": [
            Report(contract, {"opensearch": 1}),
            Report("tests/search/test_backends.py::test_search[embedded]"),
            Report(
                "tests/search_engines/test_cluster.py::test_a_node_fails_and_comes_back", {"opensearch": 1}
            ),
            Report("tests/search_engines/test_elasticsearch_contract.py::test_a", {"opensearch": 1}),
            Report("tests/search_engines/test_elasticsearch_contract.py::test_b", {"opensearch": 1}),
        ],
        # the Elasticsearch test that passed its call and then failed its teardown counts as an error
        "error": [Report("tests/search_engines/test_elasticsearch_contract.py::test_b", {"opensearch": 1})],
        "skipped": [Report("tests/search_engines/test_faults.py::test_the_engine_dies", {"opensearch": 1})],
    }
    reporter = Reporter(stats)
    pytest_terminal_summary(reporter, 0, None)
    assert reporter.lines == [
        "== real search engines ==",
        f"{SINGLE_NODE}: 1 passed",
        "OpenSearch 3-node cluster, one node stopped and restarted: 1 passed",
        "OpenSearch node stopped while the outbox drains: 1 skipped",
        "Elasticsearch 9 (integ-test distribution): 1 error, 1 passed",
    ]


def test_a_run_without_engine_tests_prints_nothing() -> None:
    stats = {"passed": [Report("tests/registry/test_workflow.py::test_review")]}
    reporter = Reporter(stats)
    pytest_terminal_summary(reporter, 0, None)
    assert engine_outcomes(stats) == {} and reporter.lines == []
