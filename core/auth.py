"""Who is making a request: the current actor from an API token (``Authorization: Bearer``) or a server-side
browser session, the scopes each role may hold, and the last-seen times written after the request.

Issuing tokens, passwords and signing in and out are the accounts side (``registry.accounts``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app, g, has_app_context, request, session
from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from config import settings_of
from core.db import get_db, lookups
from core.errors import Forbidden, NotAuthenticated
from core.models import ApiToken, Role, User, UserSession

TOKEN_PREFIX = "mib"  # noqa: S105 - a public marker, not a secret
TOUCH_SECONDS = 60  # last_used_at / last_seen_at are written at most once a minute per token or session
ROLE_SCOPES = {
    Role.MANUFACTURER: {"read", "write"},
    Role.REVIEWER: {"read", "review"},
    Role.ADMIN: {"read", "write", "review", "admin", "procure"},
    # a procurement officer: shortlists and signed compliance statements (procurement/), nothing else
    Role.OFFICER: {"read", "procure"},
}
SESSION_KEY = "sid"  # the cookie's only credential: a random id; the database keeps its SHA-256


@dataclass(frozen=True)
class Actor:
    """Who is making a request, and what the credential allows."""

    user: User | None
    scopes: frozenset[str] = field(default_factory=frozenset)
    via: str = "anonymous"

    @property
    def label(self) -> str:
        return self.user.email if self.user else "anonymous"

    @property
    def role(self) -> str | None:
        return self.user.role if self.user else None

    def require(self, *, roles: tuple[str, ...] = (), scope: str | None = None) -> User:
        if self.user is None:
            raise NotAuthenticated("sign in or send an API token: Authorization: Bearer <token>")
        if roles and self.user.role not in roles:
            raise Forbidden(f"this needs the role {' or '.join(roles)}; you are {self.user.role}")
        if scope and scope not in self.scopes:
            raise Forbidden(f"this token lacks the scope {scope!r}")
        return self.user

    def require_any(self, scopes: tuple[str, ...]) -> User:
        """Signed in, with at least one of ``scopes`` (the declared scope of an API operation)."""
        user = self.require()
        if not any(scope in self.scopes for scope in scopes):
            raise Forbidden(f"this token lacks the scope {' or '.join(repr(s) for s in scopes)}")
        return user

    def is_staff_of(self, manufacturer_id: int) -> bool:
        return bool(
            self.user and self.user.role == Role.MANUFACTURER and self.user.manufacturer_id == manufacturer_id
        )

    @property
    def is_reviewer(self) -> bool:
        return bool(self.user and self.user.role in (Role.REVIEWER, Role.ADMIN))


ANONYMOUS = Actor(None)


def digest_secret(secret: str) -> str:
    """The SHA-256 the database keeps of a token's secret or a session id."""
    return hashlib.sha256(secret.encode()).hexdigest()


def actor_from_token(session: Session, plaintext: str) -> Actor:
    parts = plaintext.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        raise NotAuthenticated("the API token is malformed")
    token = session.scalar(
        select(ApiToken)
        .options(joinedload(ApiToken.user).joinedload(User.manufacturer))  # checked by most writes
        .where(ApiToken.prefix == parts[1])
    )
    if token is None or not hmac.compare_digest(token.secret_hash, digest_secret(parts[2])):
        raise NotAuthenticated("the API token is not valid")
    now = datetime.now(UTC)
    if token.revoked_at is not None:
        raise NotAuthenticated("the API token was revoked")
    if token.expires_at <= now:
        raise NotAuthenticated("the API token has expired")
    if not token.user.is_active:
        raise NotAuthenticated("the account is disabled")
    if token.last_used_at is None or now - token.last_used_at >= timedelta(seconds=TOUCH_SECONDS):
        _touch(ApiToken, token.id, "last_used_at", now)
    return Actor(token.user, frozenset(token.scopes), via="token")


def actor_from_user(user: User) -> Actor:
    return Actor(user, frozenset(ROLE_SCOPES[Role(user.role)]), via="session")


def current_actor() -> Actor:
    """The actor of the current Flask request (cached on ``g``)."""
    if "actor" in g:
        return g.actor
    # On SQLite the request's write transaction holds the one write lock: check the credential before.
    with lookups() as reader:
        g.actor = _actor_from_request(reader)
    return g.actor


def _actor_from_request(db: Session) -> Actor:
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, credential = header.partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            raise NotAuthenticated("use Authorization: Bearer <token>")
        return actor_from_token(db, credential.strip())
    key = session.get(SESSION_KEY)
    if key:
        row = db.scalar(
            select(UserSession)
            .options(joinedload(UserSession.user))
            .where(UserSession.key_hash == digest_secret(key))
        )
        if row is not None and row.ended_at is None and row.user.is_active:
            now = datetime.now(UTC)
            idle, longest = session_limits(row.user)
            if now - row.created_at < longest and now - row.last_seen_at < idle:
                if now - row.last_seen_at >= timedelta(seconds=TOUCH_SECONDS):
                    _touch(UserSession, row.id, "last_seen_at", now)
                return actor_from_user(row.user)
    return ANONYMOUS


def session_limits(user: User) -> tuple[timedelta, timedelta]:
    """The idle timeout and the absolute lifetime of ``user``'s sessions: the console's (reviewers, admins)
    are shorter than the portal's (manufacturers)."""
    limits = settings_of(current_app).sessions
    if user.role in (Role.REVIEWER, Role.ADMIN):
        return timedelta(minutes=limits.console_idle_minutes), timedelta(hours=limits.console_max_hours)
    return timedelta(minutes=limits.portal_idle_minutes), timedelta(hours=limits.portal_max_hours)


def _touch(model: Any, row_id: int, column: str, now: datetime) -> None:
    """Note a last-seen time to write when the request is over (``write_touches``)."""
    if has_app_context():
        g.setdefault("pending_touches", []).append((model, row_id, column, now))


def write_touches(_exc: BaseException | None = None) -> None:
    """Teardown: write the noted last-seen times in a short transaction of their own, after the request's own
    session has ended (on SQLite its writer holds the one write lock). A failure is logged, never raised."""
    pending = g.pop("pending_touches", None)
    if not pending:
        return
    try:
        with get_db().session(write=True) as writer:
            for model, row_id, column, now in pending:
                writer.execute(update(model).where(model.id == row_id).values({column: now}))
            writer.commit()
    except Exception:  # a last-seen time is not worth a failed request
        logging.getLogger("registry").warning("could not write last-seen times", exc_info=True)
