"""The append-only audit trail. There is deliberately no update or delete function here."""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context
from sqlalchemy.orm import Session

from core.models import AuditEvent, OutboxEntry, utcnow


def request_id() -> str | None:

    return g.get("request_id") if has_request_context() else None


def record_event(
    session: Session,
    *,
    actor: Any,
    action: str,
    target_type: str,
    target_id: Any,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    """Insert an audit event in ``session``'s transaction (committed with the change it describes).

    A plain INSERT, not an ORM object: events are never read back or changed in the transaction that
    writes them, and a busy registry writes one with every change. Pending changes are flushed first,
    so the event follows what it describes."""
    user = getattr(actor, "user", actor)
    session.execute(
        AUDIT_INSERT,
        {
            "occurred_at": utcnow(),
            "actor_id": getattr(user, "id", None),
            "actor": getattr(user, "email", None) or (actor if isinstance(actor, str) else "system"),
            "action": action,
            "target_type": target_type,
            "target_id": str(target_id),
            "before": before,
            "after": after,
            "reason": reason,
            "request_id": request_id(),
        },
    )


AUDIT_INSERT = AuditEvent.__table__.insert()


def enqueue_search_update(session: Session, entity_type: str, entity_id: int) -> None:
    """Write a search-outbox row in the caller's transaction; the search worker applies it later."""
    session.add(OutboxEntry(entity_type=entity_type, entity_id=entity_id))
