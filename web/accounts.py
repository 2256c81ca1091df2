"""Password reset by e-mail without revealing which addresses have accounts.

A reset link carries a signed, expiring token naming the user and a fingerprint of the current
password hash, so it works once: after the password changes the fingerprint no longer matches. A new
password ends every session of the user and revokes the user's API tokens (``registry.signin.set_password``).

The token is in one request only: the link's page keeps it in the session cookie and redirects to
``/password/reset``; :class:`RedactResetLinks` replaces it in that request's access-log line (gunicorn's
``%(r)s``, ``%(U)s``). Mail is written to ``<INSTANCE_PATH>/outbox/*.eml`` and logged; a real mail relay
can be plugged in later.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from flask import current_app, render_template, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from config import settings_of
from core.audit import record_event
from core.models import User
from registry import signin
from registry.accounts import check_password

log = logging.getLogger("registry.web")
SALT = "web.password-reset"
INVITATION_SALT = "web.staff-invitation"
INVITATION_SECONDS = 7 * 24 * 3600  # a new colleague may not read mail the same hour
RESET_SESSION_KEY = "reset_token"
RESET_LINK = re.compile(r"^(/password/reset/)[^/?#\s]+")


def _serializer(salt: str = SALT) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings_of(current_app).core.secret_key, salt=salt)


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make_reset_token(user: User, *, invitation: bool = False) -> str:
    return _serializer(INVITATION_SALT if invitation else SALT).dumps({"u": user.id, "f": _fingerprint(user)})


def _load_token(token: str) -> Any:
    """A reset token (valid ``WEB_RESET_TOKEN_SECONDS``) or an invitation (valid a week); ``None`` if neither."""
    for salt, max_age in (
        (SALT, settings_of(current_app).web.reset_token_seconds),
        (INVITATION_SALT, INVITATION_SECONDS),
    ):
        try:
            return _serializer(salt).loads(token, max_age=max_age)
        except (SignatureExpired, BadSignature):
            continue
    return None


def user_for_reset_token(session: Session, token: str) -> User | None:
    """The user a valid, unexpired, unused reset or invitation token names; ``None`` otherwise."""
    data = _load_token(token)
    if not isinstance(data, dict):
        return None
    user = session.get(User, data.get("u"))
    if (
        user is None
        or not user.is_active
        or not secrets.compare_digest(_fingerprint(user), str(data.get("f")))
    ):
        return None
    return user


def send_reset_link(session: Session, email: str) -> None:
    """Mail a reset link if ``email`` has an active account; do the same work either way."""
    address = email.strip().lower()[:254]
    user = session.scalar(select(User).where(User.email == address)) if address else None
    if user is None or not user.is_active:
        check_password(None, "x")  # spend the time a real reset would take
        log.info("password reset asked for an address without an account")
        return
    # Built on PUBLIC_BASE_URL, never on the request's Host header (which an attacker could choose).
    base = settings_of(current_app).public_url()
    link = base + url_for("web_public.reset_link", token=make_reset_token(user))
    body = render_template(
        "mail/reset.txt", user=user, link=link, minutes=settings_of(current_app).web.reset_token_seconds // 60
    )
    deliver_mail(user.email, "Password reset / পাসওয়ার্ড রিসেট", body)


def send_invitation(user: User, inviter: User, company: str) -> None:
    """Mail a new staff account the link to choose its own password (it works once, for a week)."""
    base = settings_of(current_app).public_url()
    link = base + url_for("web_public.reset_link", token=make_reset_token(user, invitation=True))
    body = render_template(
        "mail/invite.txt",
        user=user,
        inviter=inviter,
        company=company,
        link=link,
        days=INVITATION_SECONDS // 86400,
    )
    deliver_mail(user.email, "Your registry account / আপনার রেজিস্ট্রি অ্যাকাউন্ট", body)


def set_password(session: Session, user: User, password: str) -> None:
    """Set a new password by the one policy (``ValidationFailed`` on the field ``password``); every session and
    API token of the user ends."""
    signin.set_password(session, user, password)
    record_event(
        session,
        actor=user,
        action="user.password_reset",
        target_type="user",
        target_id=user.id,
        after={"sessions_ended": True, "tokens_revoked": True},
    )


class RedactResetLinks:
    """WSGI middleware: after the application answered, the reset token in the request's path is replaced in the
    values an access log prints (gunicorn reads ``RAW_URI`` and ``PATH_INFO`` when it writes the line)."""

    KEYS = ("RAW_URI", "REQUEST_URI", "PATH_INFO")

    def __init__(self, wsgi_app: Any) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        try:
            return self.wsgi_app(environ, start_response)
        finally:
            for key in self.KEYS:
                value = environ.get(key)
                if isinstance(value, str) and value.startswith("/password/reset/"):
                    environ[key] = RESET_LINK.sub(r"\1[redacted]", value)


def deliver_mail(to: str, subject: str, body: str) -> Path:
    """Write the message to the outbox folder (development and tests) and log where it went."""
    msg = EmailMessage()
    msg["From"] = settings_of(current_app).mail.sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
    msg.set_content(body)
    outbox = settings_of(current_app).instance_file("outbox")
    outbox.mkdir(parents=True, exist_ok=True)
    # Microseconds in the name keep the outbox in sending order (read_outbox sorts by name).
    path = outbox / f"{datetime.now(UTC):%Y%m%dT%H%M%S.%f}-{secrets.token_hex(4)}.eml"
    path.write_bytes(bytes(msg))
    log.info("mail to %s written to %s", to, path)
    return path


def read_outbox(instance_path: str) -> list[Any]:
    """The messages in the outbox, oldest first (for tests and the demo)."""

    folder = Path(instance_path) / "outbox"
    return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(folder.glob("*.eml"))]
