"""Per-client rate limits for public verification and reports: in memory by default, Redis when configured.

A limit is written ``"<count>/<second|minute|hour|day>"``.  Fixed windows: simple, and good enough to stop a
script from hammering the verifier or flooding reports.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Protocol

from signing.errors import SigningError

__all__ = [
    "MemoryRateLimiter",
    "RateLimited",
    "RateLimiter",
    "RedisRateLimiter",
    "build_rate_limiter",
    "parse_limit",
]

_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


class RateLimited(SigningError):
    status_code = 429
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, errors=[{"field": "client", "reason": "rate limit exceeded"}])
        self.retry_after = retry_after


def parse_limit(text: str) -> tuple[int, int]:
    """``"120/minute"`` → (120, 60)."""
    count, _, unit = text.partition("/")
    try:
        return int(count), _UNITS[unit.strip().rstrip("s")]
    except (ValueError, KeyError) as exc:
        raise SigningError(f"a rate limit looks like 120/minute, not {text!r}") from exc


class RateLimiter(Protocol):
    def hit(self, bucket: str, client: str, limit: tuple[int, int]) -> None: ...


class MemoryRateLimiter:
    """Fixed windows in this process's memory (each gunicorn worker counts on its own)."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str, int], int] = {}
        self._max_keys = max_keys

    def hit(self, bucket: str, client: str, limit: tuple[int, int]) -> None:
        count, period = limit
        now = time.time()
        window = int(now // period)
        key = (bucket, client, window)
        with self._lock:
            if len(self._counts) >= self._max_keys:
                self._counts = {k: v for k, v in self._counts.items() if k[2] >= window}
            seen = self._counts.get(key, 0) + 1
            self._counts[key] = seen
        if seen > count:
            retry = int((window + 1) * period - now) + 1
            raise RateLimited(
                f"more than {count} requests per {period} s from this client", retry_after=retry
            )


class RedisRateLimiter:
    """Fixed windows shared by every worker through Redis (``INCR`` + ``EXPIRE``)."""

    def __init__(self, url: str) -> None:
        # lazy: redis loads only when RATELIMIT_STORAGE_URL names it
        try:
            import redis  # type: ignore[import-not-found, unused-ignore]
        except ImportError as exc:
            raise SigningError(
                "RATELIMIT_STORAGE_URL names Redis, but the redis package is not installed"
            ) from exc
        self._client: Any = redis.Redis.from_url(url)

    def hit(self, bucket: str, client: str, limit: tuple[int, int]) -> None:
        count, period = limit
        now = time.time()
        window = int(now // period)
        key = f"ratelimit:{bucket}:{client}:{window}"
        pipe = self._client.pipeline()
        pipe.incr(key)
        pipe.expire(key, period + 1)
        seen = int(pipe.execute()[0])
        if seen > count:
            retry = int((window + 1) * period - now) + 1
            raise RateLimited(
                f"more than {count} requests per {period} s from this client", retry_after=retry
            )


def build_rate_limiter(storage_url: str) -> RateLimiter:
    if storage_url.startswith(("redis://", "rediss://", "unix://")):
        return RedisRateLimiter(storage_url)
    if storage_url and not storage_url.startswith("memory"):
        raise SigningError(
            f"unsupported rate-limit storage {storage_url!r}: use redis://... or leave it empty"
        )
    return MemoryRateLimiter()
