"""Consumer reports of suspected fakes move open → investigating → closed (and back when new facts come), each
move with a note, by the product's manufacturer or a reviewer; every move is an audit event, which is also the
report's history."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import record_event
from core.errors import ValidationFailed
from core.models import AuditEvent
from registry.errors import IllegalTransition

REPORT_MOVES = {
    "open": ("investigating", "closed"),
    "investigating": ("closed", "open"),
    "closed": ("investigating",),
}
REPORT_STATUS_LABELS = {"open": _l("open"), "investigating": _l("investigating"), "closed": _l("closed")}


def move_report(session: Session, actor: Any, report: Any, status: str, note: str) -> None:
    """Set ``report.status`` to ``status`` with ``note`` (required), audited; the caller commits."""
    note = (note or "").strip()
    if status not in REPORT_MOVES.get(report.status or "open", ()):
        raise IllegalTransition(
            f"a report that is {report.status} cannot become {status}",
            errors=[{"field": "status", "reason": f"cannot become {status}"}],
        )
    if not note:
        raise ValidationFailed.field("note", "say what was found or done")
    if len(note) > 2000:
        raise ValidationFailed.field("note", "at most 2000 characters")
    before = report.status or "open"
    report.status = status
    session.flush()
    record_event(
        session,
        actor=actor,
        action="report.status",
        target_type="report",
        target_id=report.id,
        before={"status": before},
        after={"status": status},
        reason=note,
    )


def report_histories(session: Session, report_ids: list[int]) -> dict[int, list[AuditEvent]]:
    """Each report's moves, oldest first."""
    out: dict[int, list[AuditEvent]] = {i: [] for i in report_ids}
    if not report_ids:
        return out
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.target_type == "report", AuditEvent.target_id.in_([str(i) for i in report_ids]))
        .order_by(AuditEvent.id)
    )
    for e in events:
        out[int(e.target_id)].append(e)
    return out
