"""Typed settings: the only place that reads the environment.

One tree (:class:`Settings`, on pydantic-settings) with one group per package: ``settings.core``,
``settings.database``, ``settings.signing``, ... Each field keeps its flat name, the one operators write:
the environment variable ``REGISTRY_<NAME>`` (``REGISTRY_SIGNING_RATELIMIT_VERIFY``) or the key ``<NAME>``
in ``create_app(overrides)``. :func:`load_settings` reads them, validates every group and refuses
production with development defaults. The application keeps the tree in ``app.extensions["settings"]``
(:func:`settings_of`); each package's ``init_app`` takes its group from there and reads typed attributes.
Only Flask's own keys (SECRET_KEY, MAX_CONTENT_LENGTH, TESTING, SESSION_COOKIE_*) and unknown override names
(``extra``: Flask or extension keys such as SECRET_KEY_FALLBACKS) go into ``app.config``.
"""

from __future__ import annotations

import math
import os
import secrets
import string
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

PREFIX = "REGISTRY_"
EXTENSION = "settings"  # app.extensions[EXTENSION] holds the tree
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


def setting(default: Any, name: str, doc: str) -> Any:
    """A field whose flat name (environment ``REGISTRY_<name>``, override ``<name>``) is ``name``; ``doc``
    is the line docs/operations.md shows (tests/test_settings_tree.py checks every field is documented)."""
    return Field(default, alias=name, description=doc)


class Group(BaseModel):
    """One package's settings, read by their flat names. Attributes may be set on a running app (a test
    trying a smaller limit); each assignment is validated like the start-up value."""

    model_config = ConfigDict(
        populate_by_name=True, extra="forbid", validate_assignment=True, coerce_numbers_to_str=True
    )

    @classmethod
    def flat_name(cls, field: str) -> str:
        return str(cls.model_fields[field].alias)


def _at_least_one(cls: type[Group], value: int, info: Any) -> int:
    if value < 1:
        raise ValueError(f"{PREFIX}{cls.flat_name(info.field_name)} must be 1 or more, not {value}")
    return value


class CoreSettings(Group):
    """The application as a whole (app.py, core)."""

    env: str = setting("development", "ENV", "development, testing or production")
    secret_key: str = setting(
        DEV_SECRET_KEY, "SECRET_KEY", "signs sessions and links; random, 48+ characters"
    )
    instance_path: str = setting(str(ROOT / "instance"), "INSTANCE_PATH", "folder for local files and keys")
    public_base_url: str = setting(
        "http://127.0.0.1:5000",
        "PUBLIC_BASE_URL",
        "the address labels and mails point at (https:// in production)",
    )
    max_content_length: int = setting(16 * 1024 * 1024, "MAX_CONTENT_LENGTH", "largest request body, bytes")
    # reverse proxies in front of the app that set X-Forwarded-For/-Proto (docs/operations.md); 0: none, and
    # forwarded headers are ignored, so a client cannot choose the address its rate limits and scans use
    trusted_proxy_hops: int = setting(
        0, "TRUSTED_PROXY_HOPS", "reverse proxies in front of the app whose X-Forwarded-* are believed"
    )

    @field_validator("env")
    @classmethod
    def _env(cls, value: str) -> str:
        if value not in {"development", "testing", "production"}:
            raise ValueError(f"{PREFIX}ENV must be development, testing or production, not {value!r}")
        return value

    @field_validator("public_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{PREFIX}PUBLIC_BASE_URL must start with http:// or https://")
        return value

    @field_validator("trusted_proxy_hops")
    @classmethod
    def _hops(cls, value: int) -> int:
        if not 0 <= value <= MAX_PROXY_HOPS:
            raise ValueError(
                f"{PREFIX}TRUSTED_PROXY_HOPS is the number of reverse proxies in front of the app, 0 to "
                f"{MAX_PROXY_HOPS} (usually 1: nginx), not {value}"
            )
        return value

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def testing(self) -> bool:
        return self.env == "testing"


class DatabaseSettings(Group):
    """core.db."""

    url: str = setting("", "DATABASE_URL", "SQLAlchemy URL; empty: SQLite file under INSTANCE_PATH")
    # the owner role that `flask db upgrade` migrates with (PostgreSQL); empty: DATABASE_URL. Set it only
    # where migrations run, not in the service's environment (docs/operations.md, "Database roles")
    migration_url: str = setting(
        "", "DATABASE_MIGRATION_URL", "owner role for migrations; empty: DATABASE_URL"
    )


class LogSettings(Group):
    """core.logs."""

    format: str = setting("text", "LOG_FORMAT", "text, or json: one JSON object per line with the request id")

    @field_validator("format")
    @classmethod
    def _format(cls, value: str) -> str:
        if value not in {"text", "json"}:
            raise ValueError(f"{PREFIX}LOG_FORMAT must be text or json, not {value!r}")
        return value


class MetricsSettings(Group):
    """core.health (/metrics)."""

    token: str = setting(
        "", "METRICS_TOKEN", "Bearer token for /metrics (32+ characters); production answers 404 while empty"
    )


class RateLimitSettings(Group):
    """core.ratelimit, the one limiter: every limit, whichever package it guards (limits' syntax: 300/minute,
    10/hour, 10/5 minutes; empty switches a limit off)."""

    storage_url: str = setting(
        "", "RATELIMIT_STORAGE_URL", "empty: in memory; redis://... shared by every host"
    )
    verify: str = setting("300/minute", "SIGNING_RATELIMIT_VERIFY", "label verifications per client")
    report: str = setting("10/hour", "SIGNING_RATELIMIT_REPORT", "reports of suspected fakes per client")
    # sign-in attempts per client address on every sign-in path; also reset mails and report forms (each its
    # own count)
    login: str = setting(
        "10/5 minutes", "WEB_LOGIN_RATE_LIMIT", "sign-ins, reset mails, report forms per client"
    )
    tender_check: str = setting(
        "30/10 minutes",
        "PROCUREMENT_RATELIMIT_CHECK",
        "anonymous tender checks per client (CPU seconds each)",
    )
    sms_number: str = setting("20/day", "SMS_RATELIMIT_NUMBER", "checks by SMS per sending phone number")


class RegistrySettings(Group):
    """registry (and the portal and console pages over it)."""

    licence_years: int = setting(3, "LICENCE_YEARS", "years an approval is valid")
    max_evidence_bytes: int = setting(5 * 1024 * 1024, "MAX_EVIDENCE_BYTES", "largest evidence file, bytes")
    max_import_rows: int = setting(50_000, "MAX_IMPORT_ROWS", "most rows in one product import")
    token_default_days: int = setting(90, "TOKEN_DEFAULT_DAYS", "API token lifetime when none is asked")
    page_size_default: int = setting(
        20, "PAGE_SIZE_DEFAULT", "not read: the API fixes 20 per page (registry/schemas.py)"
    )
    page_size_max: int = setting(
        200, "PAGE_SIZE_MAX", "not read: the API fixes at most 200 (registry/schemas.py)"
    )


class SearchSettings(Group):
    """search."""

    url: str = setting(
        "", "SEARCH_URL", "OpenSearch cluster; empty: embedded SQLite FTS5 under INSTANCE_PATH"
    )
    sync_thread: bool = setting(True, "SEARCH_SYNC_THREAD", "drain the search outbox in a background thread")


class SigningSettings(Group):
    """signing: the issuing key, clone-detection rules (docs/formats.md), scans, status lists."""

    key_path: str = setting("", "SIGNING_KEY_PATH", "the issuing key; empty: an unsafe development key")
    key_passphrase: str = setting("", "SIGNING_KEY_PASSPHRASE", "passphrase of the issuing key")
    # values chosen on the simulated scan stream of bench/bench_clone_rules.py (docs/formats.md, "Copied labels")
    clone_max_devices: int = setting(
        6, "SIGNING_CLONE_MAX_DEVICES", "clients per serial before it is flagged ..."
    )
    clone_device_window_days: int = setting(
        14, "SIGNING_CLONE_DEVICE_WINDOW_DAYS", "... within this many days (0: ever)"
    )
    clone_window_hours: int = setting(
        2,
        "SIGNING_CLONE_WINDOW_HOURS",
        "two clients in different divisions within this many hours look copied",
    )
    # scans wait this long in each worker and are written in bulk; 0 writes each with its request;
    # -1: 100, or 0 under ENV=testing (docs/architecture.md, "Scans")
    scan_flush_ms: int = setting(-1, "SIGNING_SCAN_FLUSH_MS", "scan buffering, ms; 0: each with its request")
    status_ttl_hours: int = setting(24, "SIGNING_STATUS_TTL_HOURS", "validity of a published status list")
    ip_districts: str = setting(
        "", "SIGNING_IP_DISTRICTS", "CSV of cidr,district; empty: INSTANCE_PATH/ip-districts.csv if present"
    )


class LabelSettings(Group):
    """Label runs: small runs answer directly, larger ones become jobs."""

    direct_limit: int = setting(1000, "LABELS_DIRECT_LIMIT", "largest run answered directly")
    job_workers: int = setting(1, "LABELS_JOB_WORKERS", "job threads per web process; 0: only the CLI worker")
    job_ttl_seconds: int = setting(86400, "LABELS_JOB_TTL_SECONDS", "how long a finished job is kept")
    job_lease_seconds: int = setting(
        30, "LABELS_JOB_LEASE_SECONDS", "a silent worker's job is taken over after"
    )


class TlogSettings(Group):
    """tlog, the transparency log (docs/operations.md, "Transparency log")."""

    # the checkpoint key (encrypted PKCS#8 PEM; empty: an unsafe development key under INSTANCE_PATH, and in
    # production no checkpoint is signed)
    key_path: str = setting(
        "", "TLOG_KEY_PATH", "checkpoint key; empty: development key (none in production)"
    )
    key_passphrase: str = setting("", "TLOG_KEY_PASSPHRASE", "passphrase of the checkpoint key")
    origin: str = setting(
        "", "TLOG_ORIGIN", "checkpoint origin and key name; empty: <PUBLIC_BASE_URL host>/log"
    )
    integrate_thread: bool = setting(
        True, "TLOG_INTEGRATE_THREAD", "integrate and sign in a background thread"
    )
    integrate_ms: int = setting(2000, "TLOG_INTEGRATE_MS", "at most one checkpoint this often")
    witness_keys: str = setting(
        "", "TLOG_WITNESS_KEYS", "witnesses whose cosignatures are kept, comma-separated"
    )

    def witness_key_list(self) -> list[str]:
        return [k.strip() for k in self.witness_keys.split(",") if k.strip()]


class WebSettings(Group):
    """web pages."""

    reset_token_seconds: int = setting(3600, "WEB_RESET_TOKEN_SECONDS", "password-reset links expire after")


class SessionSettings(Group):
    """Sessions (docs/operations.md, "Sessions and sign-in"): the console is stricter than the portal."""

    console_idle_minutes: int = setting(15, "SESSION_CONSOLE_IDLE_MINUTES", "console: idle sign-out")
    console_max_hours: int = setting(8, "SESSION_CONSOLE_MAX_HOURS", "console: longest session")
    portal_idle_minutes: int = setting(30, "SESSION_PORTAL_IDLE_MINUTES", "portal: idle sign-out")
    portal_max_hours: int = setting(12, "SESSION_PORTAL_MAX_HOURS", "portal: longest session")

    _positive = field_validator("*")(classmethod(_at_least_one))


class SigninSettings(Group):
    """Sign-in throttling (registry.signin, core.ratelimit's signin-pair)."""

    pair_failures: int = setting(
        5, "SIGNIN_PAIR_FAILURES", "failures of one address on one account before ..."
    )
    pair_lock_minutes: int = setting(15, "SIGNIN_PAIR_LOCK_MINUTES", "... that pair waits this long")
    account_failures: int = setting(
        10, "SIGNIN_ACCOUNT_FAILURES", "failures on one account in the window before ..."
    )
    account_window_minutes: int = setting(15, "SIGNIN_ACCOUNT_WINDOW_MINUTES", "the account window")
    account_max_delay_seconds: int = setting(
        60, "SIGNIN_ACCOUNT_MAX_DELAY_SECONDS", "... new browsers wait 2, 4, ... up to this"
    )

    _positive = field_validator("*")(classmethod(_at_least_one))


class MailSettings(Group):
    """Outgoing mail (web.accounts)."""

    sender: str = setting("registry@localhost", "MAIL_FROM", "From: of every mail")
    resolver_contact: str = setting(
        "",
        "RESOLVER_CONTACT_EMAIL",
        "the contact /.well-known/gs1resolver publishes (interop); empty: MAIL_FROM",
    )


class StatsSettings(Group):
    """Statistics and open data (docs/operations.md, "Statistics and open data")."""

    cache_seconds: int = setting(
        600, "STATS_CACHE_SECONDS", "figures recomputed at most this often (0: always)"
    )
    # snapshots of earlier versions, for `flask blobs import-files`
    open_data_dir: str = setting(
        "",
        "OPEN_DATA_DIR",
        "open-data files of earlier versions, for flask blobs import-files; empty: INSTANCE_PATH/open-data",
    )


class SmsSettings(Group):
    """The check by SMS (sms/; docs/operations.md, "SMS check"; docs/formats.md, "Check codes")."""

    gateway: str = setting(
        "simulator",
        "SMS_GATEWAY",
        "simulator (replies only in the webhook's answer) or http (the aggregator)",
    )
    service_number: str = setting("", "SMS_SERVICE_NUMBER", "the number consumers send MIB <code> to")
    outbound_url: str = setting("", "SMS_OUTBOUND_URL", "the aggregator's send API (https:// in production)")
    api_key: str = setting("", "SMS_API_KEY", "the aggregator's API key, or ...")
    api_key_path: str = setting("", "SMS_API_KEY_PATH", "... a file holding it")
    sender_id: str = setting("", "SMS_SENDER_ID", "senderid of replies; empty: the service number")
    inbound_secret: str = setting(
        "", "SMS_INBOUND_SECRET", "HMAC key (or token) of the inbound webhook; empty: every inbound refused"
    )
    inbound_from_fields: str = setting(
        "from,msisdn,sender,mobile", "SMS_INBOUND_FROM_FIELDS", "the webhook's names for the sender"
    )
    inbound_text_fields: str = setting(
        "text,message,sms,body", "SMS_INBOUND_TEXT_FIELDS", "the webhook's names for the text"
    )
    inbound_max_skew_seconds: int = setting(
        300, "SMS_INBOUND_MAX_SKEW_SECONDS", "a signed inbound further from now is a replay: refused"
    )
    timeout_seconds: int = setting(5, "SMS_TIMEOUT_SECONDS", "for the aggregator's send API")

    @field_validator("gateway")
    @classmethod
    def _gateway(cls, value: str) -> str:
        if value not in {"simulator", "http"}:
            raise ValueError(f"{PREFIX}SMS_GATEWAY must be simulator or http, not {value!r}")
        return value


# the groups of the tree, in the order docs/operations.md lists them
GROUPS: dict[str, type[Group]] = {
    "core": CoreSettings,
    "database": DatabaseSettings,
    "logs": LogSettings,
    "metrics": MetricsSettings,
    "ratelimit": RateLimitSettings,
    "registry": RegistrySettings,
    "search": SearchSettings,
    "signing": SigningSettings,
    "labels": LabelSettings,
    "tlog": TlogSettings,
    "web": WebSettings,
    "sessions": SessionSettings,
    "signin": SigninSettings,
    "mail": MailSettings,
    "stats": StatsSettings,
    "sms": SmsSettings,
}
# flat name -> (group, field)
FLAT_NAMES: dict[str, tuple[str, str]] = {
    str(info.alias): (group, field)
    for group, model in GROUPS.items()
    for field, info in model.model_fields.items()
}

# what load_settings hands the source: (environment, overrides)
_INPUT: ContextVar[tuple[Mapping[str, str], Mapping[str, Any]] | None] = ContextVar("registry_settings_input")


class FlatNamesSource(PydanticBaseSettingsSource):
    """``REGISTRY_<NAME>`` variables and ``<NAME>`` overrides (overrides win), sorted into the groups; override
    names that are no setting go to ``extra``. Environment names stay flat: no nesting delimiter."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ builds the whole tree at once

    def __call__(self) -> dict[str, Any]:
        environ, overrides = _INPUT.get(None) or (os.environ, {})
        found = {name: environ[PREFIX + name] for name in FLAT_NAMES if PREFIX + name in environ}
        return nest(found | dict(overrides))


def nest(values: Mapping[str, Any]) -> dict[str, Any]:
    """Flat names → the tree's shape (``{"signing": {"scan_flush_ms": ...}}``); unknown names → ``extra``."""
    tree: dict[str, Any] = {}
    for name, value in values.items():
        if name in FLAT_NAMES:
            group, field = FLAT_NAMES[name]
            tree.setdefault(group, {})[field] = value
        else:
            tree.setdefault("extra", {})[name] = value
    return tree


class Settings(BaseSettings):
    """The whole tree; one group per package."""

    model_config = SettingsConfigDict(extra="forbid", validate_default=False)

    core: CoreSettings = Field(default_factory=CoreSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    logs: LogSettings = Field(default_factory=LogSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    ratelimit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    registry: RegistrySettings = Field(default_factory=RegistrySettings)
    search: SearchSettings = Field(default_factory=SearchSettings)
    signing: SigningSettings = Field(default_factory=SigningSettings)
    labels: LabelSettings = Field(default_factory=LabelSettings)
    tlog: TlogSettings = Field(default_factory=TlogSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    sessions: SessionSettings = Field(default_factory=SessionSettings)
    signin: SigninSettings = Field(default_factory=SigninSettings)
    mail: MailSettings = Field(default_factory=MailSettings)
    stats: StatsSettings = Field(default_factory=StatsSettings)
    sms: SmsSettings = Field(default_factory=SmsSettings)
    # override names that are no registry setting: Flask's or an extension's own keys, for app.config
    extra: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: Any, **_others: Any
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, FlatNamesSource(settings_cls))

    @property
    def is_production(self) -> bool:
        return self.core.is_production

    def database_url(self) -> str:
        if self.database.url:
            return self.database.url
        return f"sqlite:///{Path(self.core.instance_path) / 'registry.sqlite3'}"

    def instance_file(self, *parts: str) -> Path:
        return Path(self.core.instance_path).joinpath(*parts)

    def public_url(self, path: str = "") -> str:
        """PUBLIC_BASE_URL without its trailing slash, then ``path``."""
        return self.core.public_base_url.rstrip("/") + path

    def flat(self) -> Iterator[tuple[str, Any]]:
        """Every setting as (flat name, value), in the order of the groups."""
        for group in GROUPS:
            values = getattr(self, group)
            for field, info in type(values).model_fields.items():
                yield str(info.alias), getattr(values, field)

    def as_flask_config(self) -> dict[str, Any]:
        """The keys Flask and its extensions read from ``app.config``; registry code reads the tree."""
        values = dict(self.extra)
        values.update(
            SECRET_KEY=self.core.secret_key,
            MAX_CONTENT_LENGTH=self.core.max_content_length,
            TESTING=self.core.testing,
            SESSION_COOKIE_HTTPONLY=True,
            SESSION_COOKIE_SAMESITE="Lax",
            SESSION_COOKIE_SECURE=self.is_production,
        )
        return values


def settings_from(values: Mapping[str, Any]) -> Settings:
    """A tree from flat names and defaults only: no environment, no production refusals (tests, benches)."""
    return _build({}, values)


def settings_of(app: Any) -> Settings:
    """The tree of a Flask application (``settings_of(current_app)`` in a request)."""
    return app.extensions[EXTENSION]  # type: ignore[no-any-return]


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Build settings from defaults, then ``REGISTRY_*`` variables, then ``overrides`` (flat names); validate
    them. Raises :class:`ConfigError` naming the variable and the reason."""
    settings = _build(os.environ if environ is None else environ, overrides or {})
    validate_settings(settings)
    return settings


def _build(environ: Mapping[str, str], overrides: Mapping[str, Any]) -> Settings:
    token = _INPUT.set((environ, dict(overrides)))
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigError("; ".join(_explain(error) for error in exc.errors())) from None
    finally:
        _INPUT.reset(token)


def _explain(error: Any) -> str:
    """One pydantic error as an operator reads it: ``REGISTRY_LICENCE_YEARS must be a whole number, not 'x'``."""
    loc = [str(part) for part in error["loc"]]
    group_name, field = (loc + ["", ""])[:2]
    group = GROUPS.get(group_name)
    name = group.flat_name(field) if group and field in group.model_fields else ".".join(loc)
    kind, value = error["type"], error.get("input")
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind.startswith("int_"):
        return f"{PREFIX}{name} must be a whole number, not {value!r}"
    if kind.startswith("bool_"):
        return f"{PREFIX}{name} must be true or false, not {value!r}"
    return f"{PREFIX}{name}: {error['msg']}"


def validate_settings(settings: Settings) -> None:
    """What no single field can say: production refuses development defaults (every reason at once)."""
    if not settings.is_production:
        return
    problems = []
    secret_problem = secret_key_problem(settings.core.secret_key)
    if secret_problem:
        problems.append(
            f"{PREFIX}SECRET_KEY {secret_problem}; generate one with "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    if not settings.database.url:
        problems.append(f"{PREFIX}DATABASE_URL must name the production database")
    if not settings.signing.key_path:
        problems.append(
            f"{PREFIX}SIGNING_KEY_PATH must name the issuing key (the development key is refused)"
        )
    if not settings.core.public_base_url.startswith("https://"):
        problems.append(f"{PREFIX}PUBLIC_BASE_URL must be an https:// address in production")
    token = settings.metrics.token
    if token and len(token) < MIN_METRICS_TOKEN_LENGTH:
        problems.append(
            f"{PREFIX}METRICS_TOKEN must be at least {MIN_METRICS_TOKEN_LENGTH} random characters "
            "(python -c 'import secrets; print(secrets.token_urlsafe(32))'), or empty to switch /metrics off"
        )
    sms = settings.sms
    if sms.gateway == "http" and not (sms.outbound_url.startswith("https://") and sms.inbound_secret):
        problems.append(
            f"{PREFIX}SMS_GATEWAY=http needs an https:// {PREFIX}SMS_OUTBOUND_URL and {PREFIX}SMS_INBOUND_SECRET"
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
    "GROUPS",
    "FLAT_NAMES",
    "settings_of",
    "settings_from",
]
