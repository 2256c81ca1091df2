"""The aggregator adapter as the aggregator sees it: one form POST per reply to its send API, on a local HTTP
server standing in for the aggregator (no internet): api_key, senderid, number, message, and type ``text``
for English, ``unicode`` for Bangla; a refusal or silence is a ``GatewayError``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from config import settings_from
from sms.errors import GatewayError
from sms.gateways import GatewaySettings, HttpAggregatorGateway, read_inbound
from sms.replies import Reply


class Aggregator(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []
    status = 200

    def do_POST(self) -> None:  # noqa: N802 - the standard library's name
        length = int(self.headers["Content-Length"])
        body = self.rfile.read(length)
        type(self).received.append(
            {
                "path": self.path,
                "content_type": self.headers["Content-Type"],
                "form": {k: v[0] for k, v in parse_qs(body.decode("utf-8"), strict_parsing=True).items()},
            }
        )
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"response_code": 202, "success_message": "SMS submitted"}')

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the standard library's name
        return


@pytest.fixture()
def aggregator() -> Iterator[str]:
    Aggregator.received = []
    Aggregator.status = 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), Aggregator)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/smsapi"
    finally:
        server.shutdown()
        server.server_close()


def settings(url: str, **changes: Any) -> GatewaySettings:
    base = GatewaySettings.from_group(
        settings_from(
            {
                "SMS_GATEWAY": "http",
                "SMS_OUTBOUND_URL": url,
                "SMS_API_KEY": "key-123",
                "SMS_SENDER_ID": "26969",
                "SMS_INBOUND_SECRET": "s",
                "SMS_INBOUND_FROM_FIELDS": "from,msisdn",
                "SMS_INBOUND_TEXT_FIELDS": "text,message",
                "SMS_TIMEOUT_SECONDS": 2,
            }
        ).sms
    )
    return replace(base, **changes)


def test_english_goes_as_text_and_bangla_as_unicode(aggregator: str) -> None:
    gateway = HttpAggregatorGateway(settings(aggregator))
    gateway.send("8801711000001", Reply("MIB GENUINE: Ekota AA-100.", "en", "genuine"))
    gateway.send("8801711000001", Reply("আসল পণ্য: একতা এএ-১০০।", "bn", "genuine"))
    first, second = Aggregator.received
    assert first["path"] == "/smsapi"
    assert first["content_type"].startswith("application/x-www-form-urlencoded")
    assert first["form"] == {
        "api_key": "key-123",
        "senderid": "26969",
        "number": "8801711000001",
        "message": "MIB GENUINE: Ekota AA-100.",
        "type": "text",
    }
    assert second["form"]["type"] == "unicode" and second["form"]["message"] == "আসল পণ্য: একতা এএ-১০০।"


def test_a_refusal_or_no_answer_is_a_gateway_error(aggregator: str) -> None:
    Aggregator.status = 500
    with pytest.raises(GatewayError):
        HttpAggregatorGateway(settings(aggregator)).send("8801711000001", Reply("x", "en", "help"))
    with pytest.raises(GatewayError):  # nothing listens there
        HttpAggregatorGateway(settings("http://127.0.0.1:9/none")).send("1", Reply("x", "en", "help"))
    with pytest.raises(GatewayError, match="SMS_OUTBOUND_URL"):
        HttpAggregatorGateway(settings("")).send("1", Reply("x", "en", "help"))


def test_the_api_key_may_come_from_a_file(tmp_path: Path) -> None:
    key_file = tmp_path / "sms-api-key"
    key_file.write_text("from-a-file\n")
    loaded = GatewaySettings.from_group(
        settings_from({"SMS_API_KEY_PATH": str(key_file), "SMS_SERVICE_NUMBER": "26969"}).sms
    )
    assert loaded.api_key == "from-a-file" and loaded.sender_id == "26969"


def test_inbound_field_names_are_settings() -> None:
    configured = settings("https://sms.example.com.bd/api")
    message = read_inbound(configured, {"msisdn": "8801711000001", "message": "MIB 1234", "to": "26969"})
    assert (message.sender, message.text, message.to) == ("8801711000001", "MIB 1234", "26969")


def test_webhook_sends_the_reply_through_the_aggregator(aggregator: str, sapp: Any, monkeypatch: Any) -> None:
    """End to end: an inbound by token, the reply posted to the aggregator's API."""
    wired = sapp.extensions["sms"]
    configured = settings(aggregator, inbound_secret="token-abc")
    monkeypatch.setitem(wired, "settings", configured)
    monkeypatch.setitem(wired, "gateway", HttpAggregatorGateway(configured))
    resp = sapp.test_client().post(
        "/api/v1/sms/inbound?token=token-abc", data={"msisdn": "01711000001", "text": "এমআইবি"}
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json()["sent"] is True and resp.get_json()["gateway"] == "http"
    (posted,) = Aggregator.received
    assert posted["form"]["number"] == "8801711000001" and posted["form"]["type"] == "unicode"
    assert posted["form"]["message"] == resp.get_json()["reply"]
    Aggregator.status = 503
    failed = sapp.test_client().post(
        "/api/v1/sms/inbound?token=token-abc", data={"msisdn": "01711000001", "text": "MIB"}
    )
    assert (
        failed.status_code == 200 and failed.get_json()["sent"] is False
    )  # logged; the aggregator must not retry
