"""Prometheus metrics (``GET /metrics``, text format), correct with several gunicorn workers.

Under gunicorn, ``gunicorn.conf.py`` sets ``PROMETHEUS_MULTIPROC_DIR`` before the application is imported:
each worker then writes its counters to memory-mapped files there and a scrape, answered by any worker,
adds them up (prometheus-client's multiprocess mode; the directory is emptied when the server starts and a
dead worker's live gauges are dropped in ``child_exit``). Without the variable (``make run``, tests) the
process's own registry answers.

What a scrape shows (docs/operations.md, "What to watch"):

- ``registry_request_duration_seconds{method,route,status}``: latency by route (the URL rule, not the path,
  so label URLs do not make one series per serial);
- ``registry_verdicts_total{verdict}``: verification answers by kind (genuine, not_genuine, suspended, ...);
- ``registry_scans_written_total`` and ``registry_scan_buffer_size`` (scans waiting in workers' memory);
- ``registry_search_outbox_pending`` and ``registry_search_outbox_lag_seconds`` (age of the oldest change
  not yet in the search index), ``registry_label_jobs_queued{status}`` (job queue depth): read from the
  database at scrape time through the gauges the domain packages register with :func:`register_scrape_gauge`;
- ``registry_ratelimit_refusals_total{limit}`` and ``registry_ratelimit_storage_errors_total``.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

log = logging.getLogger("registry.metrics")

MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUEST_LATENCY = Histogram(
    "registry_request_duration_seconds",
    "Time to answer a request, by route (URL rule), method and status",
    ["method", "route", "status"],
    buckets=LATENCY_BUCKETS,
)
VERDICTS = Counter("registry_verdicts", "Label verification answers by verdict", ["verdict"])
SCANS_WRITTEN = Counter("registry_scans_written", "Scans written to the database")
SCAN_BUFFER = Gauge(
    "registry_scan_buffer_size", "Scans waiting in workers' memory to be written", multiprocess_mode="livesum"
)
RATELIMIT_REFUSALS = Counter("registry_ratelimit_refusals", "Requests refused by a rate limit", ["limit"])
RATELIMIT_STORAGE_ERRORS = Counter(
    "registry_ratelimit_storage_errors", "Rate-limit checks let through because the shared store failed"
)

# name -> (help, read) where read(app) returns {label value or "": value}
ScrapeReader = Callable[[Any], dict[str, float]]
_scrape_gauges: dict[str, tuple[str, str, ScrapeReader]] = {}


def register_scrape_gauge(name: str, documentation: str, read: ScrapeReader, *, label: str = "") -> None:
    """A gauge computed when ``/metrics`` is scraped (from the database: the same for every worker)."""
    _scrape_gauges[name] = (documentation, label, read)


class _ScrapeCollector(Collector):
    def __init__(self, app: Any) -> None:
        self.app = app

    def collect(self) -> Iterable[GaugeMetricFamily]:
        for name, (documentation, label, read) in sorted(_scrape_gauges.items()):
            try:
                values = read(self.app)
            except Exception:  # a scrape reports what it can; the failure goes to the log
                log.warning("metrics: %s could not be read", name, exc_info=True)
                continue
            family = GaugeMetricFamily(name, documentation, labels=[label] if label else None)
            for key, value in sorted(values.items()):
                family.add_metric([key] if label else [], value)
            yield family


def is_multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROC_VARIABLE))


def render_metrics(app: Any) -> tuple[bytes, str]:
    """The text exposition of every worker's metrics plus the scrape-time gauges, and its content type."""
    registry = CollectorRegistry()
    if is_multiprocess():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessRegistry())
    registry.register(_ScrapeCollector(app))
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _ProcessRegistry(Collector):
    """This process's default registry, as a collector of a fresh one (so scrape gauges are not global)."""

    def collect(self) -> Iterable[Any]:
        return REGISTRY.collect()


def mark_worker_dead(pid: int) -> None:
    """gunicorn's ``child_exit``: drop the live gauges of a worker that is gone."""
    if is_multiprocess():
        multiprocess.mark_process_dead(pid)


def init_app(app: Any) -> None:
    """Time every request by its URL rule (``<unmatched>`` for a 404 outside every rule)."""

    @app.before_request
    def _start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response: Any) -> Any:
        started = g.get("metrics_started")
        if started is not None:
            rule = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
            REQUEST_LATENCY.labels(
                method=request.method, route=rule, status=str(response.status_code)
            ).observe(time.perf_counter() - started)
        return response


def may_scrape(
    remote_addr: str | None, authorization: str | None, token: str, *, trust_loopback: bool = True
) -> bool:
    """Who may read ``/metrics``: anyone presenting ``Authorization: Bearer <METRICS_TOKEN>``, and with
    ``trust_loopback`` (development) a loopback client too. Production never trusts an address: behind a
    proxy whose hops are not counted (``TRUSTED_PROXY_HOPS=0``) every client looks like loopback."""
    if token and authorization and hmac.compare_digest(authorization.encode(), f"Bearer {token}".encode()):
        return True
    if not trust_loopback:
        return False
    try:
        return bool(remote_addr) and ipaddress.ip_address(remote_addr or "").is_loopback
    except ValueError:
        return False


__all__ = [
    "MULTIPROC_VARIABLE",
    "RATELIMIT_REFUSALS",
    "RATELIMIT_STORAGE_ERRORS",
    "REQUEST_LATENCY",
    "SCANS_WRITTEN",
    "SCAN_BUFFER",
    "VERDICTS",
    "is_multiprocess",
    "init_app",
    "mark_worker_dead",
    "may_scrape",
    "register_scrape_gauge",
    "render_metrics",
]
