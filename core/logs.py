"""JSON log lines with the request id (python-json-logger on stdlib logging), for the service and gunicorn.

``REGISTRY_LOG_FORMAT=json`` (deploy/ sets it) makes every line one JSON object:

- application lines: ``time``, ``level``, ``logger``, ``message``, ``request_id`` (the id the response's
  ``X-Request-ID`` and every problem+json carry; ``null`` outside a request), ``exc_info`` when there is one;
- gunicorn's access lines (``gunicorn.conf.py`` installs :func:`gunicorn_logconfig`): ``remote_addr`` (the
  client as ProxyFix resolved it), ``method``, ``path``, ``status``, ``bytes``, ``duration_ms``,
  ``user_agent``, ``request_id``, ``pid`` (the worker); the query string is left out (it carries label signatures, and reset links
  are already redacted from the path).

``text`` (the default) leaves logging as it was: plain lines, gunicorn's combined access format.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from flask import g, has_request_context
from pythonjsonlogger.json import JsonFormatter

FORMATS = ("text", "json")
APP_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"
RENAMED = {"asctime": "time", "levelname": "level", "name": "logger"}


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (``None`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id") if has_request_context() else None
        return True


class AccessJsonFormatter(JsonFormatter):
    """gunicorn's access record (``args`` holds its atoms) as named fields instead of the combined line."""

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        atoms = record.args if isinstance(record.args, dict) else None
        if atoms is None:
            return
        log_data.pop("message", None)
        log_data.update(
            {
                "remote_addr": atoms.get("h"),
                "method": atoms.get("m"),
                "path": atoms.get("U"),
                "status": _number(atoms.get("s")),
                "bytes": _number(atoms.get("B")),
                "duration_ms": round(int(atoms.get("D") or 0) / 1000, 3),
                "user_agent": atoms.get("a"),
                "request_id": atoms.get("{x-request-id}o"),
                "pid": _number(str(atoms.get("p", "")).strip("<>")),
            }
        )


def _number(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def json_formatter() -> JsonFormatter:
    return JsonFormatter(APP_FIELDS, rename_fields=RENAMED)


def configure_logging(log_format: str, *, stream: Any = None) -> None:
    """With ``json``: one JSON handler on the root logger (gunicorn's own loggers have theirs)."""
    if log_format != "json":
        return
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "registry_json", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.registry_json = True  # type: ignore[attr-defined]
    handler.setFormatter(json_formatter())
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    if root.level == logging.WARNING or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)


def gunicorn_logconfig() -> dict[str, Any]:
    """gunicorn's ``logconfig_dict`` for JSON: its error log and access log to stderr/stdout as JSON."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": APP_FIELDS,
                "rename_fields": RENAMED,
            },
            "access": {"()": "core.logs.AccessJsonFormatter", "fmt": "%(asctime)s", "rename_fields": RENAMED},
        },
        "handlers": {
            "error": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
            "access": {"class": "logging.StreamHandler", "formatter": "access", "stream": "ext://sys.stdout"},
        },
        # the application's own JSON handler (configure_logging) serves the root logger
        "root": {"level": "INFO", "handlers": []},
        "loggers": {
            "gunicorn.error": {"handlers": ["error"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        },
    }


__all__ = ["FORMATS", "AccessJsonFormatter", "RequestIdFilter", "configure_logging", "gunicorn_logconfig"]
