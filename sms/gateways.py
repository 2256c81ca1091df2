"""SMS gateways: what reads an inbound message from the webhook and sends the reply.

``Gateway`` is the interface; ``HttpAggregatorGateway`` speaks the HTTP shape of Bangladeshi SMS aggregators
(docs/operations.md, "SMS check"): the aggregator POSTs each inbound message to our webhook as a form or JSON
(``from``, ``to``, ``text`` or ``message``; the names are settings), and takes replies on its send API as a
form POST of ``api_key``, ``senderid``, ``number``, ``message`` and ``type`` (``text`` for GSM-7, ``unicode``
for Bangla).  ``SimulatorGateway`` keeps the replies in memory: for tests, ``make run`` and
``flask sms simulate``.

Every inbound is authenticated before it is read (:func:`authenticate_inbound`): an HMAC-SHA256 signature of
the timestamp and the body under ``SMS_INBOUND_SECRET`` (``X-MIB-Timestamp``, ``X-MIB-Signature: sha256=<hex>``;
a timestamp more than ``SMS_INBOUND_MAX_SKEW_SECONDS`` away is a replay), or, for an aggregator that can only
call a fixed address, the secret itself as ``X-MIB-Token`` or ``?token=``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from config import SmsSettings
from core.validators import check_text
from sms.errors import GatewayError, InboundMessageInvalid, InboundNotAuthenticated, InboundNotConfigured
from sms.replies import Reply
from sms.service import InboundMessage

log = logging.getLogger("registry.sms")

__all__ = [
    "Gateway",
    "GatewaySettings",
    "HttpAggregatorGateway",
    "SimulatorGateway",
    "authenticate_inbound",
    "build_gateway",
    "read_inbound",
    "sign_inbound",
]

MAX_TEXT = 1000  # a concatenated SMS is at most a few hundred characters; anything longer is not a message
MAX_NUMBER = 32


@dataclass(frozen=True)
class GatewaySettings:
    kind: str
    outbound_url: str
    api_key: str
    sender_id: str
    inbound_secret: str
    from_fields: tuple[str, ...]
    text_fields: tuple[str, ...]
    max_skew_seconds: int
    timeout_seconds: float

    @classmethod
    def from_group(cls, sms: SmsSettings) -> GatewaySettings:
        """From the settings tree's group ``sms`` (the API key read from its file when one is named)."""
        key = sms.api_key
        if sms.api_key_path and not key:
            with open(sms.api_key_path, encoding="utf-8") as file:
                key = file.read().strip()

        def names(value: str) -> tuple[str, ...]:
            return tuple(name.strip() for name in value.split(",") if name.strip())

        return cls(
            kind=sms.gateway,
            outbound_url=sms.outbound_url,
            api_key=key,
            sender_id=sms.sender_id or sms.service_number,
            inbound_secret=sms.inbound_secret,
            from_fields=names(sms.inbound_from_fields) or ("from",),
            text_fields=names(sms.inbound_text_fields) or ("text",),
            max_skew_seconds=sms.inbound_max_skew_seconds,
            timeout_seconds=float(sms.timeout_seconds),
        )


class Gateway(Protocol):
    """Where a reply goes: the webhook reads the inbound message (:func:`read_inbound`, the field names being
    settings), ``sms.service.check_message`` makes the reply, and the gateway's ``send`` delivers it.  Another
    aggregator's send API is another class with this method."""

    name: str

    def send(self, number: str, reply: Reply) -> None: ...


def sign_inbound(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-MIB-Signature`` value of an inbound message (what the aggregator, or a test, computes)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def authenticate_inbound(
    settings: GatewaySettings, headers: Mapping[str, str], args: Mapping[str, str], body: bytes, *, now: float
) -> None:
    """Raise unless the inbound carries a valid signature (or the shared token); with no secret configured,
    every inbound is refused."""
    secret = settings.inbound_secret
    if not secret:
        raise InboundNotConfigured("no SMS_INBOUND_SECRET is set: inbound messages are refused")
    signature = headers.get("X-MIB-Signature", "")
    if signature:
        timestamp = headers.get("X-MIB-Timestamp", "")
        if not timestamp.isdecimal() or abs(now - int(timestamp)) > settings.max_skew_seconds:
            raise InboundNotAuthenticated(
                "X-MIB-Timestamp is missing or too far from now (a replayed message?)",
                errors=[{"field": "X-MIB-Timestamp", "reason": "stale or missing"}],
            )
        if not hmac.compare_digest(signature, sign_inbound(secret, timestamp, body)):
            raise InboundNotAuthenticated(
                "X-MIB-Signature does not match", errors=[{"field": "X-MIB-Signature", "reason": "mismatch"}]
            )
        return
    token = headers.get("X-MIB-Token", "") or args.get("token", "")
    if token and hmac.compare_digest(token.encode(), secret.encode()):
        return
    raise InboundNotAuthenticated(
        "send X-MIB-Signature and X-MIB-Timestamp, or the shared token",
        errors=[{"field": "X-MIB-Signature", "reason": "missing" if not token else "mismatch"}],
    )


def read_inbound(settings: GatewaySettings, fields: Mapping[str, Any]) -> InboundMessage:
    """The message in a webhook's form or JSON fields (the first present of each configured name)."""

    def first(names: tuple[str, ...], field: str, limit: int) -> str:
        for name in names:
            value = fields.get(name)
            if value is not None and value != "":
                if not isinstance(value, str | int):
                    raise InboundMessageInvalid(
                        f"{name} must be text", errors=[{"field": name, "reason": "type"}]
                    )
                value = str(value)
                problem = "" if len(value) <= limit else f"longer than {limit} characters"
                try:
                    check_text(value)
                except ValueError as exc:
                    problem = str(exc)
                if problem:
                    raise InboundMessageInvalid(
                        f"{name}: {problem}", errors=[{"field": name, "reason": problem}]
                    )
                return value
        raise InboundMessageInvalid(
            f"{field} is missing (looked for {', '.join(names)})",
            errors=[{"field": names[0], "reason": "missing"}],
        )

    sender = first(settings.from_fields, "the sender", MAX_NUMBER)
    if not any(char.isdigit() for char in sender):
        raise InboundMessageInvalid(
            "the sender is not a phone number",
            errors=[{"field": settings.from_fields[0], "reason": "not a number"}],
        )
    text = (
        first(settings.text_fields, "the text", MAX_TEXT)
        if any(fields.get(n) for n in settings.text_fields)
        else ""
    )
    to = fields.get("to")
    return InboundMessage(
        sender=sender, text=text, to=str(to)[:MAX_NUMBER] if isinstance(to, str | int) else ""
    )


class HttpAggregatorGateway:
    """Replies through the aggregator's HTTP send API (one form POST per reply)."""

    name = "http"

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings

    def request_for(self, number: str, reply: Reply) -> urllib.request.Request:
        form = {
            "api_key": self.settings.api_key,
            "senderid": self.settings.sender_id,
            "number": number,
            "message": reply.text,
            "type": "unicode" if reply.encoding == "ucs2" else "text",
        }
        return urllib.request.Request(  # noqa: S310 - the configured https:// address (checked in production)
            self.settings.outbound_url,
            data=urllib.parse.urlencode(form).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
            method="POST",
        )

    def send(self, number: str, reply: Reply) -> None:
        if not self.settings.outbound_url:
            raise GatewayError("no SMS_OUTBOUND_URL is set")
        try:
            with urllib.request.urlopen(  # noqa: S310 - see request_for
                self.request_for(number, reply), timeout=self.settings.timeout_seconds
            ) as response:
                response.read(4096)
        except urllib.error.HTTPError as exc:
            exc.close()
            raise GatewayError(f"the aggregator answered {exc.code}") from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise GatewayError(f"the aggregator refused or did not answer: {exc}") from exc


class SimulatorGateway:
    """Keeps the last replies in memory instead of sending them."""

    name = "simulator"

    def __init__(self, keep: int = 100) -> None:
        self.sent: deque[tuple[str, Reply]] = deque(maxlen=keep)

    def send(self, number: str, reply: Reply) -> None:
        self.sent.append((number, reply))


def build_gateway(settings: GatewaySettings) -> Gateway:
    return HttpAggregatorGateway(settings) if settings.kind == "http" else SimulatorGateway()


def now_seconds() -> float:
    return time.time()
