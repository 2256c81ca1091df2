"""Passwords (argon2id), API tokens (shown once, stored as SHA-256, scoped, expiring, revocable),
web sessions, and the current actor of a request."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from registry.errors import Forbidden, NotAuthenticated
from registry.models import ApiToken, Role, User

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile defaults
TOKEN_PREFIX = "mib"  # noqa: S105 - a public marker, not a secret
LOCKOUT_AFTER = 5
LOCKOUT_MINUTES = 15
ROLE_SCOPES = {
    Role.MANUFACTURER: {"read", "write"},
    Role.REVIEWER: {"read", "review"},
    Role.ADMIN: {"read", "write", "review", "admin"},
}


@functools.cache
def _dummy_hash() -> str:
    """A fixed hash checked when no user matches, so a login takes as long for an unknown address. Made on
    the first sign-in, not at import: argon2id costs about 0.3 s of CPU and 64 MiB, which every ``flask``
    command and every gunicorn worker paid at start-up."""
    return _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: User | None, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash if user else _dummy_hash(), password) and user is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


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


def authenticate_password(session: Session, email: str, password: str) -> User:
    """Check a password, with lockout after repeated failures. Never reveals whether the address exists."""
    now = datetime.now(UTC)
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is not None and user.locked_until is not None and user.locked_until > now:
        raise NotAuthenticated("too many failed sign-ins: try again later")
    if not check_password(user, password) or user is None or not user.is_active:
        if user is not None:
            user.failed_logins += 1
            if user.failed_logins >= LOCKOUT_AFTER:
                user.locked_until = now + timedelta(minutes=LOCKOUT_MINUTES)
                user.failed_logins = 0
            session.commit()
        raise NotAuthenticated("wrong email address or password")
    if user.failed_logins or user.locked_until:
        user.failed_logins = 0
        user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(
    session: Session, user: User, name: str, scopes: list[str] | None, days: int
) -> tuple[ApiToken, str]:
    """Create a token; the returned plaintext ``mib_<prefix>_<secret>`` is never stored."""
    allowed = ROLE_SCOPES[Role(user.role)]
    wanted = set(scopes) if scopes else set(allowed)
    if not wanted <= allowed:
        raise Forbidden(
            f"a {user.role} cannot hold the scopes {sorted(wanted - allowed)}",
            errors=[{"field": "scopes", "reason": f"allowed for your role: {sorted(allowed)}"}],
        )
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=prefix,
        secret_hash=_digest(secret),
        scopes=sorted(wanted),
        expires_at=datetime.now(UTC) + timedelta(days=days),
    )
    session.add(token)
    session.flush()
    return token, f"{TOKEN_PREFIX}_{prefix}_{secret}"


def actor_from_token(session: Session, plaintext: str) -> Actor:
    parts = plaintext.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        raise NotAuthenticated("the API token is malformed")
    token = session.scalar(
        select(ApiToken)
        .options(joinedload(ApiToken.user).joinedload(User.manufacturer))  # checked by most writes
        .where(ApiToken.prefix == parts[1])
    )
    if token is None or not hmac.compare_digest(token.secret_hash, _digest(parts[2])):
        raise NotAuthenticated("the API token is not valid")
    now = datetime.now(UTC)
    if token.revoked_at is not None:
        raise NotAuthenticated("the API token was revoked")
    if token.expires_at <= now:
        raise NotAuthenticated("the API token has expired")
    if not token.user.is_active:
        raise NotAuthenticated("the account is disabled")
    return Actor(token.user, frozenset(token.scopes), via="token")


def actor_from_user(user: User) -> Actor:
    return Actor(user, frozenset(ROLE_SCOPES[Role(user.role)]), via="session")


def current_actor() -> Actor:
    """The actor of the current Flask request (cached on ``g``)."""
    from flask import g

    from registry.db import lookups

    if "actor" in g:
        return g.actor
    # On SQLite the request's write transaction holds the one write lock: check the credential before.
    with lookups() as reader:
        g.actor = _actor_from_request(reader)
    return g.actor


def _actor_from_request(db: Session) -> Actor:
    from flask import request, session

    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, credential = header.partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            raise NotAuthenticated("use Authorization: Bearer <token>")
        return actor_from_token(db, credential.strip())
    if session.get("user_id"):
        user = db.get(User, session["user_id"])
        if user is not None and user.is_active and session.get("auth_epoch") == user.password_hash[-12:]:
            return actor_from_user(user)
    return ANONYMOUS
