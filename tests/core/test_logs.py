"""JSON log lines (core.logs): the application's lines carry the request id, gunicorn's access lines are
named fields."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from core.logs import AccessJsonFormatter, configure_logging


@pytest.fixture()
def json_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    configure_logging("json", stream=stream)
    try:
        yield stream
    finally:
        for handler in root.handlers[:]:
            if handler not in before:
                root.removeHandler(handler)
        root.setLevel(level)


def test_a_line_written_during_a_request_names_its_request_id(app: Any, json_lines: io.StringIO) -> None:
    with app.test_request_context("/healthz", headers={"X-Request-ID": "probe1234abcd"}):
        app.preprocess_request()  # the request hooks, which take the id the proxy sent
        logging.getLogger("registry.probe").warning("probe %s", "written")
    lines = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    probe_lines = [line for line in lines if line.get("logger") == "registry.probe"]
    assert probe_lines == [
        {
            "time": probe_lines[0]["time"],
            "level": "WARNING",
            "logger": "registry.probe",
            "message": "probe written",
            "request_id": "probe1234abcd",
        }
    ]
    logging.getLogger("registry.probe").warning("outside")
    assert json.loads(json_lines.getvalue().splitlines()[-1])["request_id"] is None


def test_gunicorn_access_records_become_named_fields() -> None:
    atoms = {
        "h": "203.0.113.9",
        "m": "GET",
        "U": "/01/09506000134352",
        "s": "200",
        "B": 812,
        "D": 2345,
        "a": "Phone",
        "{x-request-id}o": "abc123abc123",
        "p": "<4242>",
        "q": "s=secret-signature",
    }
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, "%(h)s", (atoms,), None)
    record.args = atoms  # as gunicorn's Logger.access passes them
    line = json.loads(AccessJsonFormatter("%(asctime)s", rename_fields={"asctime": "time"}).format(record))
    assert {k: v for k, v in line.items() if k != "time"} == {
        "remote_addr": "203.0.113.9",
        "method": "GET",
        "path": "/01/09506000134352",
        "status": 200,
        "bytes": 812,
        "duration_ms": 2.345,
        "user_agent": "Phone",
        "request_id": "abc123abc123",
        "pid": 4242,
    }
    assert "secret-signature" not in json.dumps(line)  # the query string stays out of the log
