"""Fixtures for the page tests: the application with search and the pages wired, a fresh catalogue index
per test, signed-in clients, and a CSRF-aware form poster."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import app_settings
from tests.web.pages import wire_pages


@pytest.fixture(scope="session")
def _app(instance_path: Path, database_url: str) -> Iterator[Any]:
    from app import create_app
    from core.migrate import upgrade_database

    app = wire_pages(create_app(app_settings(instance_path, database_url)))
    upgrade_database(app.extensions["core.db"])  # as the owner role
    yield app
    app.extensions["core.db"].dispose()


@pytest.fixture(autouse=True)
def _fresh_limits(app: Any) -> None:
    app.extensions["web.login_limiter"].reset()


@pytest.fixture()
def catalogue(app: Any, session: Any, tmp_path: Path) -> Iterator[Any]:
    """A fresh, empty embedded index for this test; ``catalogue.add(*products)`` indexes public ones."""
    from search.backends.embedded import EmbeddedSearchBackend
    from search.documents import build_product_documents

    backend = EmbeddedSearchBackend(tmp_path / "index")
    backend.reindex(lambda: iter(()), lambda: 0)
    previous = app.extensions.get("search")
    app.extensions["search"] = backend

    class Catalogue:
        def add(self, *products: Any) -> int:
            session.flush()
            docs, _ = build_product_documents(session, [p.id for p in products])
            return backend.index_documents(docs)

    yield Catalogue()
    app.extensions["search"] = previous
    backend.close()


@pytest.fixture()
def maker(session: Any) -> Any:
    from tests.factories import make_party

    return make_party(session)


@pytest.fixture()
def reviewer(session: Any) -> Any:
    from tests.factories import make_party

    return make_party(session, "reviewer")


@pytest.fixture()
def licensed_product(session: Any, maker: Any) -> Any:
    from tests.factories import CertificateFactory, ProductFactory, licensed

    cert = CertificateFactory(manufacturer_id=maker.manufacturer.id, scheme="BTRC")
    p = ProductFactory(manufacturer=maker.manufacturer, category="phones", **licensed())
    p.certificates = [cert]
    session.flush()
    return p
