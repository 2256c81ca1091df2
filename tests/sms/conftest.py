"""The SMS tests run on the signing tests' application and fixtures (one rolled-back transaction per test)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tests.signing.conftest import _signing_app, sapp, sclient, ssession  # noqa: F401 - fixtures
from tests.signing.test_web import maker, product, reviewer  # noqa: F401 - fixtures

SECRET = "sms-inbound-test-secret-0123456789abcdef"


@pytest.fixture()
def gateway(sapp: Any, monkeypatch: Any) -> Any:  # noqa: F811
    """The simulator gateway, with an inbound secret set (the webhook refuses everything without one)."""
    from sms.gateways import SimulatorGateway

    wired = sapp.extensions["sms"]
    simulator = SimulatorGateway()
    monkeypatch.setitem(wired, "settings", replace(wired["settings"], inbound_secret=SECRET))
    monkeypatch.setitem(wired, "gateway", simulator)
    return simulator
