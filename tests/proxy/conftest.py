"""A real nginx (Debian's package) on 127.0.0.1 in front of gunicorn, as a deployment runs it.

The app runs in production mode on a temporary SQLite database seeded with the CLI (``flask db upgrade``,
``flask registry seed-demo``, ``flask signing demo-labels``), with its rate limits and access log on. Each
arrangement is one gunicorn and one nginx: ``default`` is nginx's own Host handling (``proxy_pass`` alone:
gunicorn sees ``Host: 127.0.0.1:<port>`` and no X-Forwarded-For) with the app trusting no proxy;
``site`` is the site operators install, ``deploy/nginx/mib-registry.conf`` itself (TLS, its ``location``
blocks), with ``REGISTRY_TRUSTED_PROXY_HOPS=1``: only its ``CHANGE`` lines (upstream servers, certificate
paths) and its ``listen`` lines are replaced (:func:`site_for_test`, which the two-host test uses too).

Without nginx the tests skip with a reason; under ``CI=true`` (.ci/run installs nginx-light) they fail.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.util
import ipaddress
import json
import os
import re
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.client import HTTPConnection, HTTPSConnection
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID

from tests.needs import missing, need

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "deploy" / "nginx" / "mib-registry.conf"  # the nginx site operators install
PUBLIC_BASE_URL = "https://verify.example.test"  # never the address nginx or gunicorn answer on
VERIFY_LIMIT = 40  # per client and minute: above the demo labels each arrangement opens from one client
KEY_PASSPHRASE = "proxy-test-passphrase"


def load_services() -> ModuleType:
    """tools/services.py, a script rather than a package, loaded by path once."""
    name = "registry_tools_services"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / "services.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def site_for_test(
    site: str, *, upstreams: list[int], https_port: int, http_port: int, cert: Path, key: Path
) -> str:
    """deploy/nginx/mib-registry.conf with only its CHANGE and listen lines replaced (each must be found)."""
    servers = "\n".join(f"    server 127.0.0.1:{port} max_fails=3 fail_timeout=10s;" for port in upstreams)
    replacements = [
        (r"(?m)^\s*server [\d.]+:8000 [^\n]*\n(\s*server [\d.]+:8000 [^\n]*\n)*", servers + "\n", 1),
        (r"(?m)^\s*listen 80;", f"    listen 127.0.0.1:{http_port};", 1),
        (r"(?m)^\s*listen 443 ssl;", f"    listen 127.0.0.1:{https_port} ssl;", 1),
        (r"(?m)^\s*ssl_certificate \S+;", f"    ssl_certificate {cert};", 1),
        (r"(?m)^\s*ssl_certificate_key \S+;", f"    ssl_certificate_key {key};", 1),
    ]
    for pattern, replacement, expected in replacements:
        site, count = re.subn(pattern, replacement.replace("\\", "\\\\"), site)
        assert count == expected, f"{SITE.name}: {pattern!r} matched {count} times, not {expected}"
    return site


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and the public host name (the client trusts exactly it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "verify.example.test")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("verify.example.test"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "tls.crt", directory / "tls.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@dataclass
class Answer:
    status: int
    body: dict[str, Any]


@dataclass
class Arrangement:
    """nginx in front of gunicorn; ``get`` connects to nginx from a chosen loopback address."""

    name: str
    proxy_url: str
    app_url: str
    access_log: Path
    cafile: Path | None = None  # the site's certificate (https://), trusted by exactly this client

    def get(
        self,
        path: str,
        *,
        source: str = "127.0.0.1",
        headers: dict[str, str] | None = None,
        direct: bool = False,
    ) -> Answer:
        where = urlsplit(self.app_url if direct else self.proxy_url)
        connection: HTTPConnection
        if where.scheme == "https":
            context = ssl.create_default_context(cafile=str(self.cafile))
            connection = HTTPSConnection(
                where.hostname, where.port, timeout=30, source_address=(source, 0), context=context
            )
        else:
            connection = HTTPConnection(where.hostname, where.port, timeout=30, source_address=(source, 0))
        try:
            connection.request("GET", path, headers={"Accept": "application/json", **(headers or {})})
            response = connection.getresponse()
            raw = response.read()
            is_json = "json" in (response.getheader("Content-Type") or "")
            return Answer(response.status, json.loads(raw) if is_json and raw else {})
        finally:
            connection.close()


def app_environment(instance: Path) -> dict[str, str]:
    """The production-like settings every process of the arrangement shares (no REGISTRY_* of the caller)."""
    key_path = instance / "issuing-key.p8"
    if not key_path.exists():
        key_path.write_bytes(
            Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(KEY_PASSPHRASE.encode()),
            )
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    env.update(
        {
            "REGISTRY_ENV": "production",
            "REGISTRY_SECRET_KEY": secrets.token_urlsafe(48),  # production refuses a guessable one
            "REGISTRY_INSTANCE_PATH": str(instance),
            "REGISTRY_DATABASE_URL": f"sqlite:///{instance / 'registry.sqlite3'}",
            "REGISTRY_SIGNING_KEY_PATH": str(key_path),
            "REGISTRY_SIGNING_KEY_PASSPHRASE": KEY_PASSPHRASE,
            "REGISTRY_PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            "REGISTRY_SIGNING_RATELIMIT_VERIFY": f"{VERIFY_LIMIT}/minute",
            "REGISTRY_SEARCH_SYNC_THREAD": "false",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def flask(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(  # noqa: S603 - our interpreter running our CLI
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"flask {' '.join(args)}: {result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The seeded instance's environment and its demo labels, ``(expected verdict, URL)``."""
    need(load_services().find_nginx(), "nginx is not installed (apt-get install nginx-light)")
    instance = tmp_path_factory.mktemp("proxy-instance")
    env = app_environment(instance)
    flask(env, "db", "upgrade")
    # seed-demo refuses production (its accounts' passwords are published): seed the same files as development
    development = env | {"REGISTRY_ENV": "development"}
    flask(development, "registry", "seed-demo", "--products", "60", "--manufacturers", "6")
    flask(env, "signing", "demo-labels")
    lines = (instance / "demo-labels.txt").read_text(encoding="ascii").splitlines()
    return env, [(verdict, url) for verdict, url in (line.split(" ", 1) for line in lines)]


@contextlib.contextmanager
def running_gunicorn(env: dict[str, str], access_log: Path, *, hops: int) -> Iterator[str]:
    """gunicorn on 127.0.0.1 (one worker, so a client's rate-limit bucket is one bucket), stopped by its pid."""
    port = load_services().find_free_port()
    process = subprocess.Popen(  # noqa: S603 - our interpreter running gunicorn
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            str(access_log),
            "app:create_app()",
        ],
        cwd=ROOT,
        env=env | {"REGISTRY_TRUSTED_PROXY_HOPS": str(hops)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        else:
            stderr = process.stderr.read().decode(errors="replace") if process.poll() is not None else ""
            pytest.fail(f"gunicorn did not start on 127.0.0.1:{port}: {stderr[-2000:]}")
        yield f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()


@pytest.fixture(scope="session", params=["default", "site"])
def arrangement(
    request: pytest.FixtureRequest,
    seeded: tuple[dict[str, str], list[tuple[str, str]]],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Arrangement]:
    services = load_services()
    env, _labels = seeded
    site = request.param == "site"
    logs = tmp_path_factory.mktemp(f"proxy-{request.param}")
    with running_gunicorn(env, logs / "access.log", hops=1 if site else 0) as app_url:
        try:
            if site:
                nginx, cafile = start_site(services, app_url, logs, name=f"test-nginx-site-{os.getpid()}")
                proxy_url = f"https://127.0.0.1:{nginx.port}"
            else:
                nginx = services.start_nginx(app_url, name=f"test-nginx-default-{os.getpid()}")
                proxy_url, cafile = nginx.url, None
        except services.ServiceError as exc:
            missing(f"nginx could not start: {exc}")
        try:
            yield Arrangement(request.param, proxy_url, app_url, logs / "access.log", cafile)
        finally:
            services.stop_service(nginx)


def start_site(services: ModuleType, app_url: str, workdir: Path, *, name: str) -> tuple[Any, Path]:
    """nginx running deploy/nginx/mib-registry.conf in front of the one gunicorn at ``app_url``."""
    cert, key = make_certificate(workdir)
    site = SITE.read_text(encoding="utf-8")
    upstream = int(urlsplit(app_url).port or 0)

    def conf(nginx_dir: Path, port: int) -> str:
        for source in (cert, key):  # nginx runs as the service user: its own readable copies
            (nginx_dir / source.name).write_bytes(source.read_bytes())
        body = site_for_test(
            site,
            upstreams=[upstream],
            https_port=port,
            http_port=services.find_free_port(),
            cert=nginx_dir / cert.name,
            key=nginx_dir / key.name,
        )
        return services.nginx_main_conf(nginx_dir, body)

    return services.start_nginx_conf(conf, name=name), cert
