"""Two reviewers deciding at once: exactly one wins. The audit trail lists who did what
(tests/registry/test_audit_guard.py: nobody can rewrite it)."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select, text

from core.models import AuditEvent
from registry.factories import bind_factories
from tests.conftest import app_settings, as_owner
from tests.factories import ProductFactory, make_party


@pytest.fixture()
def committed_app(tmp_path: Path, database_url: str, _app):
    """An app whose requests really commit (no wrapping transaction), for concurrency tests.

    On PostgreSQL it gets a schema of its own, dropped afterwards, so its committed rows never reach
    the other tests' database."""
    from sqlalchemy import create_engine

    from app import create_app
    from core.migrate import upgrade_database

    schema = None
    if database_url.startswith("postgresql"):
        schema = f"race_{uuid.uuid4().hex[:8]}"
        admin = create_engine(as_owner(database_url))  # only the owner creates schemas
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        sep = "&" if "?" in database_url else "?"
        url = f"{database_url}{sep}options=-csearch_path%3D{schema}"
    else:
        url = f"sqlite:///{tmp_path / 'race.sqlite3'}"
    app = create_app(app_settings(tmp_path, url))
    upgrade_database(app.extensions["core.db"])
    yield app
    app.extensions["core.db"].dispose()
    if schema:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def test_concurrent_decisions_exactly_one_wins(committed_app):
    db = committed_app.extensions["core.db"]
    s = db.session()
    bind_factories(s)
    suffix = uuid.uuid4().int % 10**8
    maker = make_party(s, bin=f"77{suffix:011d}")
    reviewers = [make_party(s, "reviewer") for _ in range(6)]
    from registry.factories import demo_gtin

    product = ProductFactory(  # a category that requires no certificate: the race is the point here
        manufacturer_id=maker.manufacturer.id,
        category="laptops",
        status="submitted",
        gtin=demo_gtin(suffix + 10**9),
    )
    s.commit()
    pid = product.id
    s.close()

    barrier = threading.Barrier(len(reviewers))
    results: list[int] = []

    def decide(party, action):
        client = committed_app.test_client()
        barrier.wait()
        body = {"reason": "not compliant"} if action == "reject" else {}
        results.append(
            client.post(f"/api/v1/products/{pid}/{action}", json=body, headers=party.headers).status_code
        )

    threads = [
        threading.Thread(target=decide, args=(r, "approve" if i % 2 else "reject"))
        for i, r in enumerate(reviewers)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results).count(200) == 1, results
    assert all(code in (409, 412) for code in results if code != 200), results
    s = db.session()
    decisions = s.scalars(
        select(AuditEvent.action).where(AuditEvent.target_type == "product", AuditEvent.target_id == str(pid))
    ).all()
    assert len(decisions) == 1
    s.close()


def test_one_gtin_raced_by_several_creators_is_registered_once(committed_app):
    """The GTIN check runs before the write lock; the unique constraint decides the race (409 gtin)."""
    from registry.factories import demo_gtin
    from registry.models import Product

    db = committed_app.extensions["core.db"]
    s = db.session()
    bind_factories(s)
    suffix = uuid.uuid4().int % 10**8
    maker = make_party(s, bin=f"78{suffix:011d}", brand="Race")
    s.commit()
    s.close()
    gtin = demo_gtin(suffix + 2 * 10**9)
    body = {
        "name_en": "Raced router",
        "name_bn": "রাউটার",
        "brand": "Race",
        "model_number": "R-1",
        "category": "network-equipment",
        "gtin": gtin,
        "local_value_addition": 40,
        "lva_basis": "assembly",
    }
    barrier = threading.Barrier(6)
    answers: list[tuple[int, dict]] = []

    def create():
        client = committed_app.test_client()
        barrier.wait()
        resp = client.post("/api/v1/products", json=body, headers=maker.headers)
        answers.append((resp.status_code, resp.get_json()))

    threads = [threading.Thread(target=create) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(code for code, _ in answers)
    assert codes == [201, 409, 409, 409, 409, 409], answers
    assert all(doc["errors"][0]["field"] == "gtin" for code, doc in answers if code == 409), answers
    s = db.session()
    ids = s.scalars(select(Product.id).where(Product.gtin == gtin)).all()
    created = s.scalars(select(AuditEvent.target_id).where(AuditEvent.action == "product.created")).all()
    s.close()
    assert len(ids) == 1 and created.count(str(ids[0])) == 1


def test_audit_trail_is_listed_for_reviewers_only(client, session):
    maker, reviewer = make_party(session, brand="Padma"), make_party(session, "reviewer")
    session.commit()
    from tests.registry.test_workflow import PRODUCT

    pid = client.post("/api/v1/products", json=PRODUCT, headers=maker.headers).get_json()["id"]
    assert client.get("/api/v1/audit", headers=maker.headers).status_code == 403
    resp = client.get(f"/api/v1/audit?target_type=product&target_id={pid}", headers=reviewer.headers)
    items = resp.get_json()["items"]
    assert [i["action"] for i in items] == ["product.created"]
    assert items[0]["actor"] == maker.user.email and items[0]["after"]["gtin"] == "05901234123457"
