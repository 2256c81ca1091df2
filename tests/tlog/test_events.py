"""Every trust-changing event reaches the log in the transaction that makes it, and nothing else does: one
test per kind of event, done the way a reviewer, a manufacturer or an operator does it."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from registry.models import Manufacturer
from signing.models import SignedRecordRow
from tests.factories import RECALL_WORDS, ProductFactory, licensed, make_party
from tlog.models import TlogEntry


def last_id(session: Any) -> int:
    return session.scalar(select(func.max(TlogEntry.id))) or 0


def events_since(session: Any, since: int) -> list[dict[str, Any]]:
    session.expire_all()
    rows = session.scalars(select(TlogEntry).where(TlogEntry.id > since).order_by(TlogEntry.id))
    return [json.loads(r.data) for r in rows]


def kinds_since(session: Any, since: int) -> list[str]:
    return [e["kind"] for e in events_since(session, since)]


def licensed_product(client: Any, session: Any) -> tuple[Any, Any, int]:
    """A product licensed through the API as a reviewer does it; (maker, reviewer, product id)."""
    maker = make_party(session)
    reviewer = make_party(session, "reviewer")
    product = ProductFactory(manufacturer_id=maker.manufacturer.id, status="submitted", category="laptops")
    session.commit()
    resp = client.post(f"/api/v1/products/{product.id}/approve", json={}, headers=reviewer.headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return maker, reviewer, product.id


def test_manufacturer_verified_suspended_reinstated(client: Any, session: Any) -> None:
    reviewer = make_party(session, "reviewer")
    maker = make_party(session, status="pending")
    session.commit()
    mid = maker.manufacturer.id
    since = last_id(session)
    for action in ("verify", "suspend", "reinstate"):
        body = {"reason": "checked the papers"} if action == "suspend" else {}
        resp = client.post(f"/api/v1/manufacturers/{mid}/{action}", json=body, headers=reviewer.headers)
        assert resp.status_code == 200, resp.get_data(as_text=True)
    events = [e for e in events_since(session, since) if e["kind"].startswith("manufacturer.")]
    assert [e["kind"] for e in events] == [
        "manufacturer.verified",
        "manufacturer.suspended",
        "manufacturer.reinstated",
    ]
    assert {e["manufacturer_id"] for e in events} == {mid}
    m = session.get(Manufacturer, mid)
    assert events[0]["legal_name_en"] == m.legal_name_en
    assert all("contact_email" not in e and "contact_phone" not in e for e in events)  # no personal data


def test_licence_granted_with_its_record_and_status_list(client: Any, session: Any) -> None:
    since = last_id(session)
    _maker, _reviewer, pid = licensed_product(client, session)
    events = [e for e in events_since(session, since) if not e["kind"].startswith(("key.", "manufacturer."))]
    kinds = [e["kind"] for e in events]
    assert kinds[0] == "licence.granted"
    assert "record.signed" in kinds and "status_list.published" in kinds
    record = next(e for e in events if e["kind"] == "record.signed")
    row = session.get(SignedRecordRow, record["record_id"])
    assert record["record_sha256"] == hashlib.sha256(row.document.encode()).hexdigest()
    assert record["product_id"] == pid and record["kid"] == row.kid
    granted = events[0]
    assert granted["product_id"] == pid and granted["licence_number"] and granted["valid_until"]


def test_licence_suspended_reinstated_revoked(client: Any, session: Any) -> None:
    _maker, reviewer, pid = licensed_product(client, session)
    since = last_id(session)
    for action in ("suspend", "reinstate", "revoke"):
        body = {} if action == "reinstate" else {"reason": "the factory audit failed"}
        resp = client.post(f"/api/v1/products/{pid}/{action}", json=body, headers=reviewer.headers)
        assert resp.status_code == 200, resp.get_data(as_text=True)
    licence_kinds = [k for k in kinds_since(session, since) if k.startswith("licence.")]
    assert licence_kinds == ["licence.suspended", "licence.reinstated", "licence.revoked"]


def test_licence_expired_by_the_daily_command(runner: Any, session: Any) -> None:
    maker = make_party(session)
    product = ProductFactory(
        manufacturer_id=maker.manufacturer.id, **licensed(date.today() - timedelta(days=4000))
    )
    session.commit()
    since = last_id(session)
    result = runner.invoke(args=["registry", "expire-licences"])
    assert "1 licences expired" in result.output
    events = events_since(session, since)
    expired = [e for e in events if e["kind"] == "licence.expired"]
    assert [e["product_id"] for e in expired] == [product.id]


def test_batch_issued_and_revoked(client: Any, session: Any) -> None:
    maker, _reviewer, pid = licensed_product(client, session)
    since = last_id(session)
    resp = client.post(f"/api/v1/products/{pid}/batches", json={"count": 10}, headers=maker.headers)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    batch = resp.get_json()
    resp = client.post(
        f"/api/v1/batches/{batch['id']}/status",
        json={"status": "revoked", "reason": "stolen"},
        headers=maker.headers,
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    events = [e for e in events_since(session, since) if e["kind"].startswith("batch.")]
    assert [e["kind"] for e in events] == ["batch.issued", "batch.revoked"]
    assert (
        events[0]["count"] == 10 and events[0]["batch_id"] == batch["id"] and events[0]["product_id"] == pid
    )


def test_unit_batch_and_product_recalls(client: Any, session: Any) -> None:
    maker, _reviewer, pid = licensed_product(client, session)
    batch = client.post(
        f"/api/v1/products/{pid}/batches", json={"count": 3}, headers=maker.headers
    ).get_json()
    url = (
        client.get(f"/api/v1/batches/{batch['id']}/urls", headers=maker.headers)
        .get_data(as_text=True)
        .split()[0]
    )
    since = last_id(session)
    resp = client.post("/api/v1/units/recall", json={"url": url, **RECALL_WORDS}, headers=maker.headers)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert (
        client.post(
            f"/api/v1/batches/{batch['id']}/recall", json=RECALL_WORDS, headers=maker.headers
        ).status_code
        == 201
    )
    assert (
        client.post(f"/api/v1/products/{pid}/recall", json=RECALL_WORDS, headers=maker.headers).status_code
        == 201
    )
    recalls = [e for e in events_since(session, since) if e["kind"].startswith("recall.")]
    assert [e["kind"] for e in recalls] == ["recall.unit", "recall.batch", "recall.product"]
    assert recalls[0]["serial"] and recalls[0]["reason_bn"] == RECALL_WORDS["reason_bn"]


def test_keys_registered_rotated_compromised(client: Any, session: Any, runner: Any) -> None:
    licensed_product(client, session)  # the first key is registered with the first signature
    old_kid = client.get("/.well-known/jwks.json").get_json()["keys"][0]["kid"]
    since = last_id(session)
    result = runner.invoke(args=["signing", "rotate-key"])
    assert result.exit_code == 0, result.output
    yesterday = (date.today() - timedelta(days=1)).isoformat() + "T00:00:00Z"
    result = runner.invoke(args=["signing", "compromise", "--after", yesterday, "--", old_kid])
    assert result.exit_code == 0, result.output
    keys = [e for e in events_since(session, since) if e["kind"].startswith("key.")]
    assert [e["kind"] for e in keys] == ["key.retired", "key.registered", "key.compromised"]
    assert keys[0]["kid"] == keys[2]["kid"] == old_kid and keys[2]["compromised_after"].startswith(
        yesterday[:10]
    )


def test_a_rolled_back_change_never_reaches_the_log(client: Any, session: Any) -> None:
    reviewer = make_party(session, "reviewer")
    maker = make_party(session, status="pending")
    session.commit()
    since = last_id(session)
    with session.begin_nested() as savepoint:
        session.get(Manufacturer, maker.manufacturer.id).status = "verified"
        session.flush()
        assert kinds_since(session, since) == ["manufacturer.verified"]  # appended with the change ...
        savepoint.rollback()
    assert kinds_since(session, since) == []  # ... and gone with it
    # a request refused after its checks changes nothing, in the log too
    resp = client.post(
        f"/api/v1/manufacturers/{maker.manufacturer.id}/reinstate", json={}, headers=reviewer.headers
    )
    assert resp.status_code == 409
    assert kinds_since(session, since) == []


def test_a_change_that_is_not_trust_relevant_is_not_logged(client: Any, session: Any) -> None:
    maker = make_party(session)
    session.commit()
    since = last_id(session)
    resp = client.patch(
        f"/api/v1/manufacturers/{maker.manufacturer.id}",
        json={"website": "https://example.com.bd"},
        headers=maker.headers | {"If-Match": '"1"'},
    )
    assert resp.status_code in (200, 412), resp.get_data(as_text=True)
    assert not [k for k in kinds_since(session, since) if k != "manufacturer.unverified"]
