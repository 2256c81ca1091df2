"""Plumbing that every domain package may use and that uses none of them (issue 16): today the one rate
limiter (``core.ratelimit``), the Prometheus metrics (``core.metrics``) and the JSON logs
(``core.logs``)."""
