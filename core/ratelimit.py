"""The one rate limiter (issues 16 and 17): every limit in the service is counted here, on ``limits``.

One syntax for every limit, ``limits``' own: ``"300/minute"``, ``"10/hour"``, ``"10/5 minutes"``,
``"10 per 5 minutes"``; an empty setting switches that limit off. The limits and the settings that hold them:

=============== ================================ ===================================================
name            setting                          counts, per client (:func:`client_id`: IPv4 address or IPv6 /64)
=============== ================================ ===================================================
``verify``      ``SIGNING_RATELIMIT_VERIFY``     label verifications (page and ``/api/v1/verify``)
``report``      ``SIGNING_RATELIMIT_REPORT``     fake reports through the API
``signin``      ``WEB_LOGIN_RATE_LIMIT``         sign-in attempts on every path
``password-     ``WEB_LOGIN_RATE_LIMIT``         password-reset mails asked for (the form)
reset``
``report-form`` ``WEB_LOGIN_RATE_LIMIT``         fake reports filed through the page
``signin-pair`` ``SIGNIN_PAIR_FAILURES`` per      failed sign-ins of one address on one account
                ``SIGNIN_PAIR_LOCK_MINUTES``
``tender-      ``PROCUREMENT_RATELIMIT_CHECK``  anonymous tender compliance checks (signed-in officers and
check``                                          token holders are not limited)
=============== ================================ ===================================================

Counting is a moving window (a hit is forgotten exactly one period after it happened). Storage is
``RATELIMIT_STORAGE_URL``: empty or ``memory://`` keeps counts in this process (the embedded default, one
process); ``redis://host:port/db`` shares them between every worker and every host. Production refuses
per-process storage when gunicorn runs more than one worker (:func:`check_worker_storage`, called from
``gunicorn.conf.py``). When the shared store cannot be reached a request is let through and the failure is
logged and counted (``registry_ratelimit_storage_errors_total``): an outage of Redis must not stop
verification.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import threading
import time
from typing import Any

from flask import current_app, request
from limits import RateLimitItem, RateLimitItemPerMinute, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from config import RateLimitSettings, Settings, settings_of
from core import metrics

log = logging.getLogger("registry.ratelimit")

# limit name -> the field of the settings group ``ratelimit`` that holds it (the flat names are in the table
# above; signin-pair is built from two numbers of the group ``signin``, see limit_item)
LIMIT_SETTINGS: dict[str, str] = {
    "verify": "verify",
    "report": "report",
    "signin": "login",
    "password-reset": "login",
    "report-form": "login",
    "tender-check": "tender_check",
}
SHARED_SCHEMES = ("redis://", "rediss://", "redis+unix://", "redis+sentinel://", "redis+cluster://")
EXTENSION = "core.ratelimit"


class RateLimitSyntaxError(ValueError):
    """A limit setting is not in ``limits``' syntax."""


class RateLimitSettingsError(ValueError):
    """The limit settings are wrong: the service must not start (raised by :func:`init_app`)."""


@functools.lru_cache(maxsize=64)
def parse_limit(text: str) -> RateLimitItem | None:
    """``"300/minute"`` → the limit; ``""`` → None (no limit). Raises :class:`RateLimitSyntaxError`."""
    text = str(text).strip()
    if not text:
        return None
    try:
        return parse(text)
    except ValueError as exc:
        raise RateLimitSyntaxError(
            f"a rate limit looks like 300/minute, 10/hour or 10/5 minutes, not {text!r}"
        ) from exc


def limit_problems(limits: RateLimitSettings) -> list[str]:
    """Each limit setting that does not parse, with the reason (for the start-up check)."""
    problems = []
    for field in dict.fromkeys(LIMIT_SETTINGS.values()):
        try:
            parse_limit(getattr(limits, field))
        except RateLimitSyntaxError as exc:
            problems.append(f"{limits.flat_name(field)}: {exc}")
    storage = limits.storage_url
    if storage and not storage.startswith(("memory://", *SHARED_SCHEMES)):
        problems.append(f"RATELIMIT_STORAGE_URL must be empty, memory:// or redis://..., not {storage!r}")
    return problems


def is_shared(storage_url: str) -> bool:
    return storage_url.startswith(SHARED_SCHEMES)


def check_worker_storage(workers: int, *, production: bool, storage_url: str) -> str | None:
    """Why this server must not start (several workers each counting on their own in production), or None."""
    if production and workers > 1 and not is_shared(storage_url):
        return (
            f"refusing to start: {workers} workers would each count rate limits on their own "
            f"(REGISTRY_RATELIMIT_STORAGE_URL is {storage_url or 'empty'!r}); set it to the shared "
            'Redis, e.g. redis://127.0.0.1:6379/0, or run one worker (docs/operations.md, "Rate limits")'
        )
    return None


class SweepingMemoryStorage(MemoryStorage):
    """``limits``' in-memory storage without its expiry timer. That timer walks every key every 10 ms while
    hits arrive, each pass a new thread; with one key per client (a verification service sees thousands) it
    cost about 3 ms of CPU per verification under gunicorn (bench/results/hot_paths_verify.json). Here the
    expired entries are swept in the caller's thread at most once every ``SWEEP_SECONDS``: counting is
    unchanged (a window is always read against the clock), only memory waits a little longer."""

    SWEEP_SECONDS = 5.0

    def __init__(self) -> None:
        super().__init__()
        self.timer.cancel()  # started by the parent's __init__; never needed here
        self._next_sweep = time.monotonic() + self.SWEEP_SECONDS
        self._sweep_lock = threading.Lock()

    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 - the parent's private hook, by its name
        now = time.monotonic()
        if now < self._next_sweep or not self._sweep_lock.acquire(blocking=False):
            return
        try:
            self._next_sweep = now + self.SWEEP_SECONDS
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]
        finally:
            self._sweep_lock.release()


class RateLimiter:
    """Counts hits per (limit name, client key) in one storage; answers how long a refused client waits."""

    def __init__(self, storage_url: str = "") -> None:
        self.storage_url = storage_url or "memory://"
        self.storage: Storage = (
            SweepingMemoryStorage()
            if self.storage_url == "memory://"
            else storage_from_string(self.storage_url, wrap_exceptions=True)
        )
        self.strategy = MovingWindowRateLimiter(self.storage)

    @property
    def shared(self) -> bool:
        return is_shared(self.storage_url)

    def hit(self, name: str, item: RateLimitItem | None, *key: str) -> float | None:
        """Count one hit of ``key`` on limit ``name``: None when allowed, else the seconds to wait."""
        if item is None:
            return None
        try:
            if self.strategy.hit(item, name, *key):
                return None
            reset_at = self.strategy.get_window_stats(item, name, *key).reset_time
        except StorageError:
            self._storage_failed(name)
            return None
        metrics.RATELIMIT_REFUSALS.labels(limit=name).inc()
        return max(1.0, reset_at - time.time())

    def is_full(self, name: str, item: RateLimitItem | None, *key: str) -> bool:
        """Whether ``key`` has used up limit ``name`` (without counting a hit)."""
        if item is None:
            return False
        try:
            return not self.strategy.test(item, name, *key)
        except StorageError:
            self._storage_failed(name)
            return False

    def forget(self, name: str, item: RateLimitItem | None, *key: str) -> None:
        if item is None:
            return
        try:
            self.strategy.clear(item, name, *key)
        except StorageError:
            self._storage_failed(name)

    def reset(self) -> None:
        """Forget every count (tests)."""
        self.storage.reset()

    def _storage_failed(self, name: str) -> None:
        metrics.RATELIMIT_STORAGE_ERRORS.inc()
        log.warning(
            "rate-limit storage %s unreachable: limit %r not applied", self.storage_url, name, exc_info=True
        )


def limit_item(settings: Settings, name: str) -> RateLimitItem | None:
    """The configured limit ``name`` (read at call time, so a changed setting takes effect at once)."""
    if name == "signin-pair":
        return _pair_item(settings.signin.pair_failures, settings.signin.pair_lock_minutes)
    return parse_limit(getattr(settings.ratelimit, LIMIT_SETTINGS[name]))


@functools.lru_cache(maxsize=8)
def _pair_item(failures: int, minutes: int) -> RateLimitItem:
    return RateLimitItemPerMinute(failures, minutes)


def init_app(app: Any, limits: RateLimitSettings) -> None:
    problems = limit_problems(limits)
    if problems:
        raise RateLimitSettingsError("invalid rate limits: " + "; ".join(problems))
    app.extensions[EXTENSION] = RateLimiter(limits.storage_url)


def rate_limiter(app: Any = None) -> RateLimiter:
    if app is None:
        app = current_app
    return app.extensions[EXTENSION]  # type: ignore[no-any-return]


def client_key(ip: str) -> str:
    """The part of a client's address that identifies one client: an IPv4 address, or an IPv6 /64 (one
    subscriber's network, whose addresses a single device can rotate through at will). IPv4-mapped IPv6
    addresses count as their IPv4 address; anything that is not an address is kept as it is."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6 and address.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address.ipv4_mapped or address) if address.version == 6 else str(address)


def client_id() -> str:
    """In a request: the key every per-client limit counts on, ``client_key`` of the client's address as
    ProxyFix resolved it (``TRUSTED_PROXY_HOPS``)."""
    return client_key(request.remote_addr or "unknown")


def hit_limit(name: str, key: str) -> float | None:
    """In a request: count a hit of ``key`` on the configured limit ``name``; the seconds to wait or None."""
    return rate_limiter(current_app).hit(name, limit_item(settings_of(current_app), name), key)


__all__ = [
    "LIMIT_SETTINGS",
    "RateLimitSettingsError",
    "RateLimitSyntaxError",
    "RateLimiter",
    "check_worker_storage",
    "client_id",
    "client_key",
    "hit_limit",
    "init_app",
    "is_shared",
    "limit_item",
    "limit_problems",
    "parse_limit",
    "rate_limiter",
]
