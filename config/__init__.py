"""Typed settings: the only place that reads the environment.

Every setting can be given as an environment variable with the prefix ``REGISTRY_``
(``REGISTRY_DATABASE_URL``) or through ``create_app(overrides)``. Settings are validated
at start-up; production refuses to start with development defaults.
"""

from __future__ import annotations

import math
import os
import secrets
import string
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

PREFIX = "REGISTRY_"
ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "development-only-secret-key"  # noqa: S105 - refused in production below
MAX_PROXY_HOPS = 5  # more proxies in a row than this is a mistyped setting, not a deployment
MIN_SECRET_LENGTH = 32
MIN_METRICS_TOKEN_LENGTH = 32  # a bearer token a scraper keeps: long enough that guessing is hopeless
MIN_SECRET_BITS = 128  # estimated by estimate_secret_bits; generate_secret() gives about 350
# a stretch of this many characters seen twice is a pattern (by chance: about 1 in 10^7 in 64 hex digits)
SECRET_REPEAT_SPAN = 8
# character classes and how many characters each offers (non-ASCII counted as 128 more)
SECRET_CLASSES = (
    (frozenset(string.ascii_lowercase), 26),
    (frozenset(string.ascii_uppercase), 26),
    (frozenset(string.digits), 10),
    (frozenset(string.punctuation + " "), 33),
)


class ConfigError(Exception):
    """A setting is missing or invalid; the service must not start."""


@dataclass(frozen=True)
class Settings:
    ENV: str = "development"
    SECRET_KEY: str = DEV_SECRET_KEY
    INSTANCE_PATH: str = str(ROOT / "instance")
    DATABASE_URL: str = ""  # empty: SQLite file under INSTANCE_PATH
    # the owner role that `flask db upgrade` migrates with (PostgreSQL); empty: DATABASE_URL. Set it only
    # where migrations run, not in the service's environment (docs/operations.md, "Database roles")
    DATABASE_MIGRATION_URL: str = ""
    SEARCH_URL: str = ""  # empty: embedded SQLite FTS5 index under INSTANCE_PATH
    SEARCH_SYNC_THREAD: bool = True  # drain the search outbox in a background thread
    SIGNING_KEY_PATH: str = ""  # empty: an unsafe development key under INSTANCE_PATH
    SIGNING_KEY_PASSPHRASE: str = ""
    PUBLIC_BASE_URL: str = "http://127.0.0.1:5000"
    LICENCE_YEARS: int = 3
    MAX_CONTENT_LENGTH: int = 16 * 1024 * 1024
    MAX_EVIDENCE_BYTES: int = 5 * 1024 * 1024
    MAX_IMPORT_ROWS: int = 50_000
    TOKEN_DEFAULT_DAYS: int = 90
    PAGE_SIZE_DEFAULT: int = 20
    PAGE_SIZE_MAX: int = 200
    RATELIMIT_STORAGE_URL: str = ""  # empty: in memory; redis://... shared by every worker and host
    LOG_FORMAT: str = (
        "text"  # json: one JSON object per line with the request id (core.logs; deploy/ sets it)
    )
    # /metrics: "Bearer <token>"; development also answers loopback. Production: token only, 404 while empty
    METRICS_TOKEN: str = ""
    # reverse proxies in front of the app that set X-Forwarded-For/-Proto (docs/operations.md); 0: none, and
    # forwarded headers are ignored, so a client cannot choose the address its rate limits and scans use
    TRUSTED_PROXY_HOPS: int = 0
    # signing: public verification limits and clone-detection rules (docs/formats.md)
    SIGNING_RATELIMIT_VERIFY: str = "300/minute"  # per client
    SIGNING_RATELIMIT_REPORT: str = "10/hour"  # consumer reports of suspected fakes, per client
    PROCUREMENT_RATELIMIT_CHECK: str = (
        "30/10 minutes"  # anonymous tender checks per client (seconds of CPU each)
    )
    # values chosen on the simulated scan stream of bench/bench_clone_rules.py (docs/formats.md, "Copied labels")
    SIGNING_CLONE_MAX_DEVICES: int = 6  # distinct clients (addresses) per serial before it is flagged ...
    SIGNING_CLONE_DEVICE_WINDOW_DAYS: int = 14  # ... within this many days (0: ever)
    SIGNING_CLONE_WINDOW_HOURS: int = 2  # two clients in districts of different divisions within this window
    # scans wait this long in each worker and are written in bulk; 0 writes each with its request;
    # -1: 100, or 0 under ENV=testing (docs/architecture.md, "Scans")
    SIGNING_SCAN_FLUSH_MS: int = -1
    SIGNING_STATUS_TTL_HOURS: int = 24  # validity of a published status list
    SIGNING_IP_DISTRICTS: str = ""  # CSV of cidr,district; empty: INSTANCE_PATH/ip-districts.csv if present
    # labels: small runs answer directly, larger ones become jobs
    LABELS_DIRECT_LIMIT: int = 1000
    LABELS_JOB_WORKERS: int = 1  # worker threads per web process; 0: only `flask labels worker` runs jobs
    LABELS_JOB_TTL_SECONDS: int = 86400
    LABELS_JOB_LEASE_SECONDS: int = 30  # a job whose worker is silent this long is taken over by another
    # transparency log (docs/operations.md, "Transparency log"): the checkpoint key (encrypted PKCS#8 PEM;
    # empty: an unsafe development key under INSTANCE_PATH, and in production no checkpoint is signed)
    TLOG_KEY_PATH: str = ""
    TLOG_KEY_PASSPHRASE: str = ""
    TLOG_ORIGIN: str = ""  # the checkpoint's first line and the key name; empty: <PUBLIC_BASE_URL host>/log
    TLOG_INTEGRATE_THREAD: bool = True  # integrate and sign in a background thread (never under ENV=testing)
    TLOG_INTEGRATE_MS: int = 2000  # at most one checkpoint this often
    TLOG_WITNESS_KEYS: str = ""  # witnesses whose cosignatures are kept: note verifier keys, comma-separated
    # web pages
    # sign-in attempts per client address on every sign-in path; also reset mails and report forms (each its own
    # count). Every limit is written in limits' syntax: 300/minute, 10/hour, 10/5 minutes (core.ratelimit)
    WEB_LOGIN_RATE_LIMIT: str = "10/5 minutes"
    # sessions and sign-in (docs/operations.md, "Sessions and sign-in"): the console (reviewers, admins) is
    # stricter than the portal (manufacturers)
    SESSION_CONSOLE_IDLE_MINUTES: int = 15
    SESSION_CONSOLE_MAX_HOURS: int = 8
    SESSION_PORTAL_IDLE_MINUTES: int = 30
    SESSION_PORTAL_MAX_HOURS: int = 12
    SIGNIN_PAIR_FAILURES: int = 5  # failures of one address on one account before that pair waits ...
    SIGNIN_PAIR_LOCK_MINUTES: int = 15  # ... this long (other addresses are not affected)
    SIGNIN_ACCOUNT_FAILURES: int = 10  # failures on one account from anywhere in the window below before ...
    SIGNIN_ACCOUNT_WINDOW_MINUTES: int = 15
    SIGNIN_ACCOUNT_MAX_DELAY_SECONDS: int = 60  # ... browsers new to the account wait 2, 4, ... up to this
    WEB_RESET_TOKEN_SECONDS: int = 3600
    MAIL_FROM: str = "registry@localhost"
    # statistics and open data (docs/operations.md, "Statistics and open data")
    STATS_CACHE_SECONDS: int = 600  # figures are recomputed at most this often per worker (0: every request)
    OPEN_DATA_DIR: str = (
        ""  # snapshots of earlier versions, for `flask blobs import-files`; empty: INSTANCE_PATH/open-data
    )
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.ENV == "production"

    def database_url(self) -> str:
        if self.DATABASE_URL:
            return self.DATABASE_URL
        return f"sqlite:///{Path(self.INSTANCE_PATH) / 'registry.sqlite3'}"

    def as_flask_config(self) -> dict[str, Any]:
        values = {k: v for k, v in asdict(self).items() if k != "extra"}
        values.update(self.extra)
        values["DATABASE_URL"] = self.database_url()
        values["TESTING"] = self.ENV == "testing"
        values["SESSION_COOKIE_HTTPONLY"] = True
        values["SESSION_COOKIE_SAMESITE"] = "Lax"
        values["SESSION_COOKIE_SECURE"] = self.is_production
        return values


def _coerce(name: str, raw: Any, default: Any) -> Any:
    if isinstance(default, bool):
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{PREFIX}{name} must be true or false, not {raw!r}")
    if isinstance(default, int):
        try:
            return int(raw)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{PREFIX}{name} must be a whole number, not {raw!r}") from exc
    return str(raw)


def load_settings(overrides: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Build settings from defaults, then ``REGISTRY_*`` variables, then ``overrides``; validate them."""
    env = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    known = {f.name: f for f in fields(Settings) if f.name != "extra"}
    values: dict[str, Any] = {}
    for name, f in known.items():
        default = f.default
        if name in overrides:
            values[name] = _coerce(name, overrides.pop(name), default)
        elif PREFIX + name in env:
            values[name] = _coerce(name, env[PREFIX + name], default)
    settings = Settings(**values, extra=overrides)
    validate_settings(settings)
    return settings


def validate_settings(settings: Settings) -> None:
    if settings.ENV not in {"development", "testing", "production"}:
        raise ConfigError(f"{PREFIX}ENV must be development, testing or production, not {settings.ENV!r}")
    if settings.LOG_FORMAT not in {"text", "json"}:
        raise ConfigError(f"{PREFIX}LOG_FORMAT must be text or json, not {settings.LOG_FORMAT!r}")
    if not settings.PUBLIC_BASE_URL.startswith(("http://", "https://")):
        raise ConfigError(f"{PREFIX}PUBLIC_BASE_URL must start with http:// or https://")
    if not 0 <= settings.TRUSTED_PROXY_HOPS <= MAX_PROXY_HOPS:
        raise ConfigError(
            f"{PREFIX}TRUSTED_PROXY_HOPS is the number of reverse proxies in front of the app, 0 to "
            f"{MAX_PROXY_HOPS} (usually 1: nginx), not {settings.TRUSTED_PROXY_HOPS}"
        )
    for name in (
        "SESSION_CONSOLE_IDLE_MINUTES",
        "SESSION_CONSOLE_MAX_HOURS",
        "SESSION_PORTAL_IDLE_MINUTES",
        "SESSION_PORTAL_MAX_HOURS",
        "SIGNIN_PAIR_FAILURES",
        "SIGNIN_PAIR_LOCK_MINUTES",
        "SIGNIN_ACCOUNT_FAILURES",
        "SIGNIN_ACCOUNT_WINDOW_MINUTES",
        "SIGNIN_ACCOUNT_MAX_DELAY_SECONDS",
    ):
        if getattr(settings, name) < 1:
            raise ConfigError(f"{PREFIX}{name} must be 1 or more, not {getattr(settings, name)}")
    if settings.is_production:
        problems = []
        secret_problem = secret_key_problem(settings.SECRET_KEY)
        if secret_problem:
            problems.append(
                f"{PREFIX}SECRET_KEY {secret_problem}; generate one with "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        if not settings.DATABASE_URL:
            problems.append(f"{PREFIX}DATABASE_URL must name the production database")
        if not settings.SIGNING_KEY_PATH:
            problems.append(
                f"{PREFIX}SIGNING_KEY_PATH must name the issuing key (the development key is refused)"
            )
        if not settings.PUBLIC_BASE_URL.startswith("https://"):
            problems.append(f"{PREFIX}PUBLIC_BASE_URL must be an https:// address in production")
        if settings.METRICS_TOKEN and len(settings.METRICS_TOKEN) < MIN_METRICS_TOKEN_LENGTH:
            problems.append(
                f"{PREFIX}METRICS_TOKEN must be at least {MIN_METRICS_TOKEN_LENGTH} random characters "
                "(python -c 'import secrets; print(secrets.token_urlsafe(32))'), or empty to switch /metrics off"
            )
        if problems:
            raise ConfigError("refusing to start in production: " + "; ".join(problems))


def secret_key_problem(secret: str) -> str | None:
    """Why ``secret`` is too weak to sign sessions in production, or None.

    Refused: the development default, fewer than 32 characters, a stretch of 8 characters that occurs twice,
    or fewer than 128 bits by :func:`estimate_secret_bits`. The estimate cannot see dictionary words, and it
    is pessimistic: 32 random hex digits (exactly 128 bits) usually score below 128 and are refused, so give
    48 or more, or a ``secrets.token_urlsafe(48)`` (about 350 bits)."""
    if secret in ("", DEV_SECRET_KEY):
        return "must be set to a random value (the development default is refused)"
    if len(secret) < MIN_SECRET_LENGTH:
        return f"must be at least {MIN_SECRET_LENGTH} random characters, not {len(secret)}"
    span = SECRET_REPEAT_SPAN
    stretches = [secret[i : i + span] for i in range(len(secret) - span + 1)]
    if len(set(stretches)) < len(stretches):
        return "repeats a pattern; it must be random"
    bits = estimate_secret_bits(secret)
    if bits < MIN_SECRET_BITS:
        return f"is too guessable (about {bits:.0f} bits of entropy, at least {MIN_SECRET_BITS} needed)"
    return None


def estimate_secret_bits(secret: str) -> float:
    """A pessimistic estimate of ``secret``'s entropy in bits: its length times the least of

    - log2 of the size of the character classes it draws from (lower case, upper case, digits, symbols),
      which charges a small alphabet;
    - the Shannon entropy of its own character frequencies, which charges repeats and skew (``x`` * 40: 0);
    - the Shannon entropy of the steps between neighbouring characters, which charges runs (``abcdef…``: ~0).

    Both Shannon terms carry the Miller-Madow correction, as a short sample shows fewer symbols than it has."""
    if len(secret) < 2:
        return 0.0
    pool = sum(size for chars, size in SECRET_CLASSES if not chars.isdisjoint(secret))
    pool += 128 if not secret.isascii() else 0
    steps = [ord(b) - ord(a) for a, b in zip(secret, secret[1:], strict=False)]
    per_character = min(math.log2(pool), _shannon_bits(secret), _shannon_bits(steps))
    return len(secret) * per_character


def _shannon_bits(symbols: Sequence[object]) -> float:
    n = len(symbols)
    counts = Counter(symbols).values()
    entropy = -sum(c / n * math.log2(c / n) for c in counts)
    return entropy + (len(counts) - 1) / (2 * n * math.log(2))


def generate_secret() -> str:
    return secrets.token_urlsafe(48)


__all__ = [
    "ConfigError",
    "Settings",
    "load_settings",
    "validate_settings",
    "generate_secret",
    "estimate_secret_bits",
    "secret_key_problem",
    "ROOT",
]
