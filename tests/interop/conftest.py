"""Fixtures of the resolver and passport tests: the application with the signing key forgotten before each
test (its row is rolled back with the test), a licensed product with a certificate and one without."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.factories import CertificateFactory, ProductFactory, licensed, make_party


@pytest.fixture()
def iapp(app: Any) -> Iterator[Any]:
    ext = app.extensions["signing"]
    ext.forget_keys()
    ext._ready = False
    yield app
    ext.forget_keys()
    ext._ready = False


@pytest.fixture()
def iclient(iapp: Any) -> Any:
    return iapp.test_client()


@pytest.fixture()
def maker(session: Any) -> Any:
    party = make_party(session)
    session.commit()
    return party


@pytest.fixture()
def reviewer(session: Any) -> Any:
    party = make_party(session, "reviewer")
    session.commit()
    return party


@pytest.fixture()
def product(iclient: Any, session: Any, maker: Any, reviewer: Any) -> Any:
    """Licensed through the workflow, so it has a signed record too."""
    p = ProductFactory(manufacturer_id=maker.manufacturer.id, category="laptops", status="submitted")
    p.certificates.append(CertificateFactory(manufacturer_id=maker.manufacturer.id))
    session.commit()
    resp = iclient.post(f"/api/v1/products/{p.id}/approve", json={}, headers=reviewer.headers)
    assert resp.status_code == 200, resp.get_json()
    session.refresh(p)
    return p


@pytest.fixture()
def bare_product(session: Any, maker: Any) -> Any:
    p = ProductFactory(manufacturer_id=maker.manufacturer.id, **licensed())
    session.commit()
    return p
