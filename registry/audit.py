"""The append-only audit trail. There is deliberately no update or delete function here."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from registry.models import AuditEvent, OutboxEntry


def request_id() -> str | None:
    from flask import g, has_request_context

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
) -> AuditEvent:
    """Add an audit event to ``session`` (committed with the change it describes)."""
    user = getattr(actor, "user", actor)
    event = AuditEvent(
        actor_id=getattr(user, "id", None),
        actor=getattr(user, "email", None) or (actor if isinstance(actor, str) else "system"),
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        before=before,
        after=after,
        reason=reason,
        request_id=request_id(),
    )
    session.add(event)
    return event


def enqueue_search_update(session: Session, entity_type: str, entity_id: int) -> None:
    """Write a search-outbox row in the caller's transaction; the search worker applies it later."""
    session.add(OutboxEntry(entity_type=entity_type, entity_id=entity_id))
