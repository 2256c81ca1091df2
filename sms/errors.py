"""SMS errors. One root; each carries the HTTP status and title ``app.py`` renders as problem+json."""

from __future__ import annotations

from core.errors import ProblemError


class SmsError(ProblemError):
    """Root of the sms package's errors (problem+json through ``app.py``)."""

    status_code = 400
    title = "Bad request"
    slug = "sms"
    code = "sms.invalid"


class InboundNotAuthenticated(SmsError):
    """An inbound message without a valid signature or token: nothing is read, nothing is answered."""

    status_code = 403
    title = "The inbound message is not authenticated"
    slug = "sms-inbound-auth"
    code = "sms.inbound_auth"


class InboundNotConfigured(SmsError):
    """No inbound secret is set: every inbound is refused (a refusal, not an outage: 403)."""

    status_code = 403
    title = "The SMS check is not configured"
    slug = "sms-not-configured"
    code = "sms.not_configured"


class InboundMessageInvalid(SmsError):
    status_code = 422
    title = "The inbound message is not valid"
    slug = "sms-inbound"
    code = "sms.inbound"


class GatewayError(SmsError):
    """The aggregator did not take the reply (logged; the webhook still answers with the reply)."""

    status_code = 502
    title = "The SMS gateway did not accept the reply"
    slug = "sms-gateway"
    code = "sms.gateway"
