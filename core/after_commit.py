"""Work that may happen only once a transaction has committed, such as e-mail: queued on the session in
the caller's transaction, run after its COMMIT, forgotten on ROLLBACK (a decision rolled back mails nobody).

    NOTICE_MAIL = AfterCommit("registry.notices", "mail notice {kind} to company {manufacturer_id}")
    NOTICE_MAIL.add(session, {"kind": ..., ...})   # in the transaction
    NOTICE_MAIL.handle_with(mail_notice)           # once, at start-up (the package that knows the words)

A handler that fails is logged and the others still run: the change itself stands.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger("core.after_commit")
Message = dict[str, Any]
_queues: dict[str, AfterCommit] = {}


class AfterCommit:
    """One kind of after-commit work, named ``key`` in ``session.info``; ``failure`` describes a message in
    the log line written when its handler fails (``str.format`` over the message)."""

    def __init__(self, key: str, failure: str) -> None:
        if key in _queues:
            raise ValueError(f"an after-commit queue named {key!r} exists already")
        self.key = key
        self.failure = failure
        self._handler: Callable[[Message], None] | None = None
        _queues[key] = self

    def handle_with(self, handler: Callable[[Message], None]) -> None:
        self._handler = handler

    def add(self, session: Session, message: Message) -> None:
        session.info.setdefault(self.key, []).append(message)

    def _run(self, messages: list[Message]) -> None:
        if self._handler is None:
            return
        for message in messages:
            try:
                self._handler(message)
            except Exception:
                log.exception("could not %s", self.failure.format_map(_Lenient(message)))


class _Lenient(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    for key, queue in _queues.items():
        pending = session.info.pop(key, None)
        if pending:
            queue._run(pending)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    for key in _queues:
        session.info.pop(key, None)
