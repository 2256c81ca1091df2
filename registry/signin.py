"""Sign-in that resists guessing without becoming a lockout weapon (docs/operations.md, "Sessions and sign-in").

Every sign-in path (the web form, ``POST /api/v1/session``, HTTP Basic on ``POST /api/v1/tokens``) goes
through :func:`sign_in`, which applies three limits:

1. **per address**: at most ``WEB_LOGIN_RATE_LIMIT`` attempts (any account, right or wrong) from one client
   address; beyond it a 429 that says nothing about any account;
2. **per address and account**: after ``SIGNIN_PAIR_FAILURES`` failures of one address on one account that
   pair is not checked for ``SIGNIN_PAIR_LOCK_MINUTES``; the account's owner at another address is not
   affected, so 50 anonymous failures cannot keep anyone out;
3. **per account**, against guessing spread over many addresses: after ``SIGNIN_ACCOUNT_FAILURES`` failures
   in ``SIGNIN_ACCOUNT_WINDOW_MINUTES`` a browser that never signed in to the account waits 2, 4, 8 …
   up to ``SIGNIN_ACCOUNT_MAX_DELAY_SECONDS`` seconds after each failure before it is checked again. A
   browser that signed in to the account before carries a signed device cookie and skips this delay
   (OWASP's "device cookies"), so an attack on the account does not lock its owner out either.

Unknown, wrong, disabled and waiting accounts get one and the same answer, and each costs one argon2
verification. Limits 1 and 2 are counted by the one rate limiter (``core.ratelimit``: limits ``signin`` and
``signin-pair``; shared by every worker and host when ``RATELIMIT_STORAGE_URL`` names Redis); limit 3 is kept
on the user row.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from config import SigninSettings, settings_of
from core.errors import NotAuthenticated, TooManyRequests, ValidationFailed
from core.models import User
from core.ratelimit import client_key, limit_item, rate_limiter
from registry.accounts import (
    check_password,
    end_all_sessions,
    hash_password,
    needs_rehash,
    password_issue,
    revoke_all_tokens,
)

# The one answer to a failed sign-in, whatever the reason (the pages show their own translation of it).
SIGN_IN_FAILED = (
    "wrong email address or password (after repeated failures, wait a minute before trying again)"
)
DEVICE_COOKIE = "mib_device"
DEVICE_SALT = "registry.signin-device"
DEVICE_DAYS = 180


def _pair_key(address: str, email: str, user: User | None) -> tuple[str, str, str]:
    """Limit 2's key: the address, the account, and a digest of the account's password hash, so that a
    new password (``clear_failures``) starts every address's count on the account again."""
    generation = (
        hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16] if user is not None else "-"
    )
    return address, email, generation


def _now() -> datetime:
    return datetime.now(UTC)


def _device_serializer() -> URLSafeTimedSerializer:

    return URLSafeTimedSerializer(settings_of(current_app).core.secret_key, salt=DEVICE_SALT)


def device_cookie_value(user: User) -> str:
    return _device_serializer().dumps(user.id)


def is_known_device(cookie: str | None, user: User) -> bool:
    if not cookie:
        return False
    try:
        return bool(_device_serializer().loads(cookie, max_age=DEVICE_DAYS * 86400) == user.id)
    except BadSignature:
        return False


def remember_device(response: Any, user: User) -> Any:
    """Set the device cookie on ``response`` after a successful sign-in (it holds no secret of the user)."""

    response.set_cookie(
        DEVICE_COOKIE,
        device_cookie_value(user),
        max_age=DEVICE_DAYS * 86400,
        httponly=True,
        secure=settings_of(current_app).is_production,  # as Flask's session cookie (config.as_flask_config)
        samesite="Lax",
    )
    return response


def sign_in(db: Session, email: str, password: str, *, address: str, device: str | None = None) -> User:
    """The user whose password this is, or ``NotAuthenticated(SIGN_IN_FAILED)`` (``TooManyRequests`` when
    ``address`` is over its limit). Commits the failure counts of a known account. The limits count per client:
    an IPv4 address or an IPv6 /64 (``client_key``), as every other limit does."""

    address = client_key(address)
    settings = settings_of(current_app)
    limiter = rate_limiter()
    retry = limiter.hit("signin", limit_item(settings, "signin"), address)
    if retry:
        exc = TooManyRequests("too many sign-in attempts from your address: wait a few minutes")
        exc.retry_after = retry  # type: ignore[attr-defined]
        raise exc
    key = email.strip().lower()[:254]
    user = db.scalar(select(User).where(User.email == key)) if key else None
    pair, pair_limit = _pair_key(address, key, user), limit_item(settings, "signin-pair")
    now = _now()
    waiting = limiter.is_full("signin-pair", pair_limit, *pair) or (
        user is not None
        and user.locked_until is not None
        and user.locked_until > now
        and not is_known_device(device, user)
    )
    correct = check_password(user, password)  # always: a waiting or unknown account costs the same time
    if waiting or not correct or user is None or not user.is_active:
        if not waiting:
            limiter.hit("signin-pair", pair_limit, *pair)
            if user is not None:
                _count_failure(user, now, settings.signin)
                db.commit()
        raise NotAuthenticated(SIGN_IN_FAILED)
    limiter.forget("signin-pair", pair_limit, *pair)
    if needs_rehash(user):
        user.password_hash = hash_password(password)
    return user


def _count_failure(user: User, now: datetime, rules: SigninSettings) -> None:
    window = timedelta(minutes=rules.account_window_minutes)
    if user.last_failed_login_at is None or now - user.last_failed_login_at > window:
        user.failed_logins = 0
    user.failed_logins += 1
    user.last_failed_login_at = now
    over = user.failed_logins - rules.account_failures
    if over >= 0:
        delay = min(2 ** min(over + 1, 16), rules.account_max_delay_seconds)
        user.locked_until = now + timedelta(seconds=delay)


def clear_failures(user: User) -> None:
    """After a password reset: the account's own failure counts start again (and its address pairs', as
    their key holds a digest of the password hash that changed)."""
    user.failed_logins = 0
    user.locked_until = None
    user.last_failed_login_at = None


def set_password(db: Session, user: User, password: str) -> None:
    """Change ``user``'s password (after the policy check): every session and API token of the user ends,
    and the sign-in failure counts start again. Raises ``ValidationFailed`` naming the field ``password``."""
    issue = password_issue(password, user.email)
    if issue is not None:
        raise ValidationFailed.from_exception("password", issue)
    user.password_hash = hash_password(password)
    clear_failures(user)
    end_all_sessions(db, user)
    revoke_all_tokens(db, user)
