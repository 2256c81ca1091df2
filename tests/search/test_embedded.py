"""Embedded-backend specifics: two processes (here, two backend objects) share one index directory."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from search.backends.embedded import EmbeddedSearchBackend
from search.queries import parse_catalogue_query
from tests.search.conftest import make_doc

TODAY = date(2026, 6, 1)


def facet(backend: EmbeddedSearchBackend, name: str) -> dict[str, int]:
    result = backend.search(parse_catalogue_query({"facets": [name]}, TODAY))
    return {c.value: c.count for c in result.facets[name]}


def test_a_reader_sees_another_writers_changes(tmp_path: Path) -> None:
    writer = EmbeddedSearchBackend(tmp_path)  # the sync worker's process
    reader = EmbeddedSearchBackend(tmp_path)  # a web process
    writer.index_documents([make_doc(i, category="phones") for i in range(1, 6)])
    assert facet(reader, "category") == {"phones": 5}
    writer.index_documents([make_doc(3, category="laptops")])
    writer.delete_documents([5])
    assert facet(reader, "category") == {"phones": 3, "laptops": 1}
    filtered = reader.search(parse_catalogue_query({"category": ["laptops"]}, TODAY))
    assert [h.document["id"] for h in filtered.hits] == [3]


def test_a_reader_follows_a_reindex_done_elsewhere(tmp_path: Path) -> None:
    writer = EmbeddedSearchBackend(tmp_path)
    reader = EmbeddedSearchBackend(tmp_path)
    writer.index_documents([make_doc(1), make_doc(2)])
    assert reader.count() == 2
    old = writer.info().name
    writer.reindex(lambda: iter([[make_doc(7, district="khulna")]]), lambda: 1)
    assert reader.count() == 1
    assert facet(reader, "district") == {"khulna": 1}
    assert reader.info().name != old


def test_the_change_log_is_bounded_and_readers_behind_it_rebuild(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import search.backends.embedded as embedded

    writer = EmbeddedSearchBackend(tmp_path)
    reader = EmbeddedSearchBackend(tmp_path)
    writer.index_documents([make_doc(1)])
    assert facet(reader, "district") == {"dhaka": 1}
    monkeypatch.setattr(embedded, "CHANGE_LOG_KEEP", 2)
    for i in range(2, 8):
        writer.index_documents([make_doc(i, district="sylhet")])
    rows = writer._conn().execute("SELECT count(*) FROM changes").fetchone()[0]
    assert rows <= 3
    assert facet(reader, "district") == {"sylhet": 6, "dhaka": 1}


def test_old_index_files_are_pruned_but_one_is_kept(tmp_path: Path) -> None:
    backend = EmbeddedSearchBackend(tmp_path)
    for n in range(4):
        backend.reindex(lambda n=n: iter([[make_doc(n + 1)]]), lambda: 1)
    assert len(list(tmp_path.glob("catalogue-*.sqlite3"))) == 2
