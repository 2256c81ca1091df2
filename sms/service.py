"""A check by SMS, from the inbound message to the reply: read the code, count the number's checks on the one
limiter, find the unit, give the verdict a camera scan of its label gets, record the scan (channel ``sms``,
the number's keyed hash as the client) and word the reply."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app

from core.db import get_db
from core.ratelimit import hit_limit
from signing.extension import SigningExtension
from signing.verification import ScanContext, outcome_to_dict, verify_issued_unit
from sms.parsing import parse_message
from sms.replies import Reply, compose_reply, reply_kind

__all__ = ["InboundMessage", "SMS_DEVICE_CLASS", "check_message", "normalise_number"]

SMS_DEVICE_CLASS = "sms"  # what a scan by SMS records as its device class: the channel


@dataclass(frozen=True)
class InboundMessage:
    """One message as a gateway received it."""

    sender: str
    text: str
    to: str = ""


def normalise_number(number: str) -> str:
    """A Bangladeshi mobile number in one spelling (``8801711000000``), whatever the gateway sent:
    ``+880 1711-000000``, ``01711000000``, ``8801711000000``.  Other numbers: their digits."""
    digits = "".join(
        char for char in number.translate(str.maketrans("০১২৩৪৫৬৭৮৯", "0123456789")) if char.isdigit()
    )
    if len(digits) == 11 and digits.startswith("01"):
        return "88" + digits
    if len(digits) == 15 and digits.startswith("00880"):
        return digits[2:]
    return digits


def sms_context(number: str) -> ScanContext:
    """The scan context of a check by SMS: the number stands where a camera scan has the client's address
    (``signing.verification.hash_device`` keys and truncates it: the number itself is never stored)."""
    return ScanContext(ip=f"sms:{normalise_number(number)}", user_agent="", channel=SMS_DEVICE_CLASS)


def check_message(message: InboundMessage, *, now: datetime | None = None) -> Reply:
    """The reply to ``message`` (in a request or an application context)."""
    parsed = parse_message(message.text)
    number = normalise_number(message.sender)
    ext: SigningExtension = current_app.extensions["signing"]
    client = sms_context(number)
    wait = hit_limit("sms", client.ip)
    if wait is not None:
        return compose_reply("limited", parsed.language, minutes=max(1, math.ceil(wait / 60)))
    if parsed.kind != "code":
        return compose_reply(parsed.kind, parsed.language, code=parsed.code)
    moment = now or datetime.now(UTC)
    ext.ready()
    scans = ext.scans
    assert scans is not None
    session = get_db().session(write=scans.needs_write_session)
    try:
        issued = ext.check_codes(session).find(session, parsed.code)
        if issued is None:
            body = {"verdict": "not_genuine"}
        else:
            outcome = verify_issued_unit(
                session,
                ext.settings.public_host,
                issued.batch,
                issued.serial,
                now=moment,
                cache=ext.catalogue,
            )
            scans.record(session, outcome, client, now=moment)
            body = outcome_to_dict(outcome, today=moment.date(), cache=ext.catalogue)
        if scans.needs_write_session:
            session.commit()
    finally:
        session.close()
    return compose_reply(reply_kind(body), parsed.language, body=body, code=parsed.code)
