"""Accounts: passwords (argon2id, one policy for every path that sets one), issuing API tokens (shown once,
stored as SHA-256, scoped, expiring, revocable), starting and ending server-side web sessions. Who the
current request's actor is lives in ``core.auth``.

Sign-in limits and lockout live in ``registry.signin``."""

from __future__ import annotations

import functools
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import g, session
from sqlalchemy import update
from sqlalchemy.orm import Session

from core.auth import ROLE_SCOPES, SESSION_KEY, TOKEN_PREFIX, digest_secret, session_limits
from core.error_codes import coded
from core.errors import Forbidden
from core.models import ApiToken, Role, User, UserSession

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile defaults
PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 200
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


@functools.cache
def _dummy_hash() -> str:
    """A fixed hash checked when no user matches, so a login takes as long for an unknown address. Made on
    the first sign-in, not at import: argon2id costs about 0.3 s of CPU and 64 MiB, which every ``flask``
    command and every gunicorn worker paid at start-up."""
    return _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_problem(password: str, email: str = "") -> str | None:
    """Why ``password`` may not be used (English, as the API speaks), or ``None``: ``password_issue``'s words."""
    issue = password_issue(password, email)
    return None if issue is None else str(issue)


def password_issue(password: str, email: str = "") -> ValueError | None:
    """Why ``password`` may not be used, as an error carrying its code (``core.error_codes``), or ``None``. The
    one policy of every path that sets a password: the API, the pages, staff invitations, resets and ``flask
    registry create-user``. Length, no one repeated character, not a common password, not the e-mail address."""
    if len(password) < PASSWORD_MIN_LENGTH:
        n = PASSWORD_MIN_LENGTH
        return coded("password.too_short", f"the password needs at least {n} characters", n=n)
    if len(password) > PASSWORD_MAX_LENGTH:
        n = PASSWORD_MAX_LENGTH
        return coded("password.too_long", f"the password may have at most {n} characters", n=n)
    if len(set(password)) == 1:
        return coded("password.repeated", "the password must not be one character repeated")
    folded = password.strip().casefold()
    if folded in COMMON_PASSWORDS or folded.replace(" ", "") in COMMON_PASSWORDS:
        return coded("password.common", "the password is one of the most common passwords: choose another")
    address = email.strip().casefold()
    if address and (folded == address or folded == address.split("@", 1)[0]):
        return coded("password.email", "the password must not be your email address")
    return None


def needs_rehash(user: User) -> bool:
    return _hasher.check_needs_rehash(user.password_hash)


def check_password(user: User | None, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash if user else _dummy_hash(), password) and user is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


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
        secret_hash=digest_secret(secret),
        scopes=sorted(wanted),
        expires_at=datetime.now(UTC) + timedelta(days=days),
    )
    session.add(token)
    session.flush()
    return token, f"{TOKEN_PREFIX}_{prefix}_{secret}"


# ---------------------------------------------------------------- server-side sessions


def start_session(db: Session, user: User) -> None:
    """Sign ``user`` in on this browser: a new random session id (never the one from before sign-in) whose
    hash is stored. The caller commits."""
    now = datetime.now(UTC)
    session.clear()  # nothing from before sign-in survives, not even the CSRF token
    key = secrets.token_urlsafe(32)
    db.add(UserSession(user_id=user.id, key_hash=digest_secret(key), created_at=now, last_seen_at=now))
    # forget this user's sessions that ended or cannot be alive any more
    oldest = now - max(session_limits(user)[1], timedelta(hours=24))
    db.execute(
        UserSession.__table__.delete().where(
            UserSession.user_id == user.id,
            (UserSession.ended_at.is_not(None)) | (UserSession.created_at < oldest),
        )
    )
    session[SESSION_KEY] = key
    g.pop("actor", None)


def end_session(db: Session) -> None:
    """Sign this browser out: its session ends on the server too, so a copy of the cookie is worthless."""
    key = session.get(SESSION_KEY)
    if key:
        db.execute(
            update(UserSession)
            .where(UserSession.key_hash == digest_secret(key), UserSession.ended_at.is_(None))
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
