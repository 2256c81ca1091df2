"""Passwords (argon2id, one policy for every path that sets one), API tokens (shown once, stored as SHA-256,
scoped, expiring, revocable), server-side web sessions, and the current actor of a request.

Sign-in limits and lockout live in ``registry.signin``."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from registry.errors import Forbidden, NotAuthenticated
from registry.models import ApiToken, Role, User, UserSession

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile defaults
TOKEN_PREFIX = "mib"  # noqa: S105 - a public marker, not a secret
PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 200
TOUCH_SECONDS = 60  # last_used_at / last_seen_at are written at most once a minute per token or session
# Common passwords long enough to pass the length rule (compared without case); NIST SP 800-63B asks for
# such a list instead of composition rules.
COMMON_PASSWORDS = frozenset(
    """
    123456789012 1234567890123 12345678901234 123456789abc 1234567890qwerty 1q2w3e4r5t6y 1q2w3e4r5t6y7u8i
    1qaz2wsx3edc 1qaz2wsx3edc4rfv 1234qwerasdf 12345qwert12345 123qweasdzxc 147258369000 741852963000
    abc123456789 abcdefghijkl abcdefghijklm abcd12345678 abcdef123456 aa123456789012 asdfghjkl123
    qwertyuiop12 qwertyuiop123 qwerty123456 qwertyuiopasdf qwertyuiopasdfghjkl qazwsxedcrfv qweasdzxc123
    password1234 password12345 password123456 passwordpassword password@123 password@1234 p@ssw0rd1234
    p@ssword1234 passw0rd1234 mypassword123 newpassword123 changeme1234 changeme123456 welcome12345
    welcome@1234 welcome123456 letmein12345 iloveyou1234 iloveyou123456 administrator administrator1
    admin1234567 admin@123456 adminadmin123 football1234 baseball1234 sunshine1234 princess1234
    monkey123456 dragon123456 starwars1234 trustno12345 superman1234 batman123456 whatever1234
    bangladesh123 bangladesh1234 bangladesh@123 dhaka1234567 iloveyoubangladesh joybangla1971 sonarbangla71
    madeinbangladesh madeinbangladesh1 registry1234 computer1234 internet1234 samsung12345 nokia1234567
    correcthorsebatterystaple
    """.split()  # noqa: SIM905 - a word list reads better as words
)
ROLE_SCOPES = {
    Role.MANUFACTURER: {"read", "write"},
    Role.REVIEWER: {"read", "review"},
    Role.ADMIN: {"read", "write", "review", "admin", "procure"},
    # a procurement officer: shortlists and signed compliance statements (procurement/), nothing else
    Role.OFFICER: {"read", "procure"},
}


@functools.cache
def _dummy_hash() -> str:
    """A fixed hash checked when no user matches, so a login takes as long for an unknown address. Made on
    the first sign-in, not at import: argon2id costs about 0.3 s of CPU and 64 MiB, which every ``flask``
    command and every gunicorn worker paid at start-up."""
    return _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_problem(password: str, email: str = "") -> str | None:
    """Why ``password`` may not be used (English, as the API speaks), or ``None``. The one policy of every
    path that sets a password: the API, the pages, staff invitations, resets and ``flask registry
    create-user``. Length, no one repeated character, not a common password, not the e-mail address."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"the password needs at least {PASSWORD_MIN_LENGTH} characters"
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"the password may have at most {PASSWORD_MAX_LENGTH} characters"
    if len(set(password)) == 1:
        return "the password must not be one character repeated"
    folded = password.strip().casefold()
    if folded in COMMON_PASSWORDS or folded.replace(" ", "") in COMMON_PASSWORDS:
        return "the password is one of the most common passwords: choose another"
    address = email.strip().casefold()
    if address and (folded == address or folded == address.split("@", 1)[0]):
        return "the password must not be your email address"
    return None


def needs_rehash(user: User) -> bool:
    return _hasher.check_needs_rehash(user.password_hash)


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
    if token.last_used_at is None or now - token.last_used_at >= timedelta(seconds=TOUCH_SECONDS):
        _touch(ApiToken, token.id, "last_used_at", now)
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
    key = session.get(SESSION_KEY)
    if key:
        row = db.scalar(
            select(UserSession).options(joinedload(UserSession.user)).where(UserSession.key_hash == _digest(key))
        )
        if row is not None and row.ended_at is None and row.user.is_active:
            now = datetime.now(UTC)
            idle, longest = session_limits(row.user)
            if now - row.created_at < longest and now - row.last_seen_at < idle:
                if now - row.last_seen_at >= timedelta(seconds=TOUCH_SECONDS):
                    _touch(UserSession, row.id, "last_seen_at", now)
                return actor_from_user(row.user)
    return ANONYMOUS


# ---------------------------------------------------------------- server-side sessions

SESSION_KEY = "sid"  # the cookie's only credential: a random id; the database keeps its SHA-256


def session_limits(user: User) -> tuple[timedelta, timedelta]:
    """The idle timeout and the absolute lifetime of ``user``'s sessions: the console's (reviewers, admins)
    are shorter than the portal's (manufacturers)."""
    from flask import current_app

    c = current_app.config
    if user.role in (Role.REVIEWER, Role.ADMIN):
        return (timedelta(minutes=c["SESSION_CONSOLE_IDLE_MINUTES"]), timedelta(hours=c["SESSION_CONSOLE_MAX_HOURS"]))
    return (timedelta(minutes=c["SESSION_PORTAL_IDLE_MINUTES"]), timedelta(hours=c["SESSION_PORTAL_MAX_HOURS"]))


def start_session(db: Session, user: User) -> None:
    """Sign ``user`` in on this browser: a new random session id (never the one from before sign-in) whose
    hash is stored. The caller commits."""
    from flask import g, session

    now = datetime.now(UTC)
    session.clear()  # nothing from before sign-in survives, not even the CSRF token
    key = secrets.token_urlsafe(32)
    db.add(UserSession(user_id=user.id, key_hash=_digest(key), created_at=now, last_seen_at=now))
    # forget this user's sessions that ended or cannot be alive any more
    oldest = now - max(session_limits(user)[1], timedelta(hours=24))
    db.execute(
        UserSession.__table__.delete().where(
            UserSession.user_id == user.id, (UserSession.ended_at.is_not(None)) | (UserSession.created_at < oldest)
        )
    )
    session[SESSION_KEY] = key
    g.pop("actor", None)


def end_session(db: Session) -> None:
    """Sign this browser out: its session ends on the server too, so a copy of the cookie is worthless."""
    from flask import g, session

    key = session.get(SESSION_KEY)
    if key:
        db.execute(
            update(UserSession)
            .where(UserSession.key_hash == _digest(key), UserSession.ended_at.is_(None))
            .values(ended_at=datetime.now(UTC))
        )
    session.clear()
    g.pop("actor", None)


def end_all_sessions(db: Session, user: User) -> int:
    result = db.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=datetime.now(UTC))
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def revoke_all_tokens(db: Session, user: User) -> int:
    result = db.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def set_password(db: Session, user: User, password: str) -> None:
    """Change ``user``'s password (after the policy check): every session and API token of the user ends,
    and the sign-in failure counts start again. Raises ``ValidationFailed`` naming the field ``password``."""
    from registry.errors import ValidationFailed
    from registry.signin import clear_failures

    problem = password_problem(password, user.email)
    if problem:
        raise ValidationFailed.field("password", problem)
    user.password_hash = hash_password(password)
    clear_failures(user)
    end_all_sessions(db, user)
    revoke_all_tokens(db, user)


def _touch(model: Any, row_id: int, column: str, now: datetime) -> None:
    """Note a last-seen time to write when the request is over (``write_touches``)."""
    from flask import g, has_app_context

    if has_app_context():
        g.setdefault("pending_touches", []).append((model, row_id, column, now))


def write_touches(_exc: BaseException | None = None) -> None:
    """Teardown: write the noted last-seen times in a short transaction of their own, after the request's own
    session has ended (on SQLite its writer holds the one write lock). A failure is logged, never raised."""
    import logging

    from flask import g

    from registry.db import get_db

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
