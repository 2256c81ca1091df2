"""SEARCH_URL picks the backend; search switched off is visible, never silent."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from search.backends import UnknownSearchBackend, create_backend
from search.backends.embedded import EmbeddedSearchBackend
from search.backends.null import NullSearchBackend
from search.queries import parse_catalogue_query


def test_empty_url_is_the_embedded_index_under_the_instance_path(tmp_path: Path) -> None:
    backend = create_backend("", str(tmp_path))
    assert isinstance(backend, EmbeddedSearchBackend)
    assert backend.directory == tmp_path / "search"
    assert backend.count() == 0  # created on first use
    assert backend.pointer_path.exists()


def test_null_backend_warns_outside_development_and_finds_nothing(tmp_path: Path) -> None:
    with pytest.warns(RuntimeWarning, match="switched off"):
        backend = create_backend("null://", str(tmp_path), env="production")
    assert isinstance(backend, NullSearchBackend)
    assert backend.index_documents([{"id": 1}]) == 1
    result = backend.search(parse_catalogue_query({}, date(2026, 6, 1)))
    assert result.total == 0 and result.hits == []
    assert backend.suggest("any") == []


def test_null_backend_is_quiet_in_development(tmp_path: Path) -> None:
    assert isinstance(create_backend("null://", str(tmp_path), env="development"), NullSearchBackend)


def test_an_unknown_scheme_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnknownSearchBackend, match="solr"):
        create_backend("solr://localhost", str(tmp_path))
