"""The check by SMS for feature phones (issue 23, part 4): "MIB <code>" → the verdict in one message.

``parsing`` reads the message, ``service`` gives the verdict a camera scan gets (``signing.verification``) and
records the scan, ``replies`` words it within one SMS (``encoding``), ``gateways`` receives and sends through an
aggregator (or the simulator), ``views`` holds the webhook and the pages, ``cli`` ``flask sms simulate``.  The
check codes themselves are ``signing.checkcodes`` (labels print them; signing never imports this package)."""

from __future__ import annotations

from typing import Any

from config import settings_of
from sms.cli import sms_cli
from sms.gateways import GatewaySettings, build_gateway
from sms.views import EXTENSION, api_bp, pages
from web.pages import register_pages

__all__ = ["init_app"]


def init_app(app: Any) -> None:
    settings = GatewaySettings.from_group(settings_of(app).sms)
    app.extensions[EXTENSION] = {"settings": settings, "gateway": build_gateway(settings)}
    if "sms" not in app.cli.commands:
        app.cli.add_command(sms_cli)
    if api_bp.name not in app.blueprints:
        app.register_blueprint(api_bp)
    register_pages(app, pages)
