"""HTTP for the check by SMS: the aggregator's inbound webhook, the public page that explains the service, and
the simulator page (development and tests only: the gateway ``simulator``, never in production)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from flask_babel import gettext as _

from config import settings_of
from core.api import PUBLIC, api
from core.errors import ProblemError
from core.validators import read_text_field
from sms.errors import GatewayError, InboundMessageInvalid
from sms.gateways import Gateway, GatewaySettings, authenticate_inbound, now_seconds, read_inbound
from sms.service import InboundMessage, check_message, normalise_number
from web.guards import public_page
from web.helpers import register_error_pages

log = logging.getLogger("registry.sms")

api_bp = Blueprint("sms_api", __name__, url_prefix="/api/v1")
pages = Blueprint("sms_pages", __name__)
register_error_pages(pages)

EXTENSION = "sms"

_INBOUND_SCHEMA = {
    "type": "object",
    "description": (
        "One inbound SMS as the aggregator forwards it, as JSON or a form; the field names are settings "
        "(SMS_INBOUND_FROM_FIELDS, SMS_INBOUND_TEXT_FIELDS). Authenticated by X-MIB-Timestamp and "
        "X-MIB-Signature (sha256=HMAC-SHA256 of '<timestamp>.<body>' under SMS_INBOUND_SECRET), or by the "
        "secret as X-MIB-Token or ?token="
    ),
    "required": ["from", "text"],
    "properties": {
        "from": {"type": "string", "maxLength": 32, "description": "the sender's number"},
        "to": {"type": "string", "maxLength": 32, "description": "the service number"},
        "text": {"type": "string", "maxLength": 1000, "description": "MIB <code>, also as 'message'"},
    },
}


def gateway_settings() -> GatewaySettings:
    settings: GatewaySettings = current_app.extensions[EXTENSION]["settings"]
    return settings


def gateway() -> Gateway:
    found: Gateway = current_app.extensions[EXTENSION]["gateway"]
    return found


def reply_json(number: str, message: InboundMessage) -> dict[str, Any]:
    """Check ``message``, send the reply through the gateway and describe it (the webhook's answer)."""
    reply = check_message(message)
    sent = True
    try:
        gateway().send(number, reply)
    except GatewayError as exc:
        sent = False
        log.warning("sms reply not sent: %s", exc.detail)
    return {
        "to": number,
        "reply": reply.text,
        "language": reply.language,
        "encoding": reply.encoding,
        "length": reply.length,
        "kind": reply.kind,
        "gateway": gateway().name,
        "sent": sent,
    }


@api.describe(
    api_bp,
    "/sms/inbound",
    "POST",
    summary="An inbound SMS from the aggregator (MIB <code>): checks it and sends the one-message reply",
    tags=["sms"],
    scope=PUBLIC,  # authenticated by the gateway's signature or token, not by an API token
    body=_INBOUND_SCHEMA,
)
@api_bp.post("/sms/inbound")
def inbound() -> Any:
    raw = request.get_data(cache=True)
    authenticate_inbound(gateway_settings(), request.headers, request.args, raw, now=now_seconds())
    if request.is_json:
        fields = request.get_json(silent=True)
        if not isinstance(fields, dict):
            raise InboundMessageInvalid(
                "the body must be a JSON object", errors=[{"field": "body", "reason": "type"}]
            )
    else:
        fields = request.form.to_dict()
    message = read_inbound(gateway_settings(), fields)
    return jsonify(reply_json(normalise_number(message.sender), message))


@pages.get("/sms")
@public_page
def sms_page() -> Any:
    settings = settings_of(current_app)
    return render_template(
        "sms/about.html",
        number=settings.sms.service_number,
        limit=settings.ratelimit.sms_number,
        simulator=simulator_enabled(),
    )


def simulator_enabled() -> bool:
    return gateway().name == "simulator" and not settings_of(current_app).is_production


@pages.route("/sms/simulate", methods=["GET", "POST"])
@public_page
def simulate_page() -> Any:
    """Send a message as if from a phone and see the reply (the simulator gateway only)."""
    if not simulator_enabled():
        abort(404)
    result = None
    error = None
    form = request.form
    if request.method == "POST":
        try:
            sender = read_text_field(form, "from", single_line=True)
            text = read_text_field(form, "text", single_line=True)
            message = read_inbound(gateway_settings(), {"from": sender, "text": text})
            result = reply_json(normalise_number(message.sender), message)
        except ProblemError as exc:  # the sender or the text cannot be read: said on the page
            error = exc.detail
    return render_template(
        "sms/simulate.html",
        result=result,
        error=error,
        form=form,
        title=_("SMS check simulator"),
    )
