"""A real nginx (Debian's package) on 127.0.0.1 in front of gunicorn, as a deployment runs it.

The app runs in production mode on a temporary SQLite database seeded with the CLI (``flask db upgrade``,
``flask registry seed-demo``, ``flask signing demo-labels``), with its rate limits and access log on. Each
arrangement is one gunicorn and one nginx: ``default`` is nginx's own Host handling (``proxy_pass`` alone:
gunicorn sees ``Host: 127.0.0.1:<port>`` and no X-Forwarded-For) with the app trusting no proxy;
``documented`` is the block of docs/operations.md with ``REGISTRY_TRUSTED_PROXY_HOPS=1``.

Without nginx the tests skip with a reason; under ``CI=true`` (.ci/run installs nginx-light) they fail.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.needs import missing, need

ROOT = Path(__file__).resolve().parents[2]
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

    def get(
        self,
        path: str,
        *,
        source: str = "127.0.0.1",
        headers: dict[str, str] | None = None,
        direct: bool = False,
    ) -> Answer:
        where = urlsplit(self.app_url if direct else self.proxy_url)
        connection = HTTPConnection(where.hostname, where.port, timeout=30, source_address=(source, 0))
        try:
            connection.request("GET", path, headers={"Accept": "application/json", **(headers or {})})
            response = connection.getresponse()
            return Answer(response.status, json.loads(response.read() or b"{}"))
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


@pytest.fixture(scope="session", params=["default", "documented"])
def arrangement(
    request: pytest.FixtureRequest,
    seeded: tuple[dict[str, str], list[tuple[str, str]]],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Arrangement]:
    services = load_services()
    env, _labels = seeded
    documented = request.param == "documented"
    logs = tmp_path_factory.mktemp(f"proxy-{request.param}")
    with running_gunicorn(env, logs / "access.log", hops=1 if documented else 0) as app_url:
        try:
            nginx = services.start_nginx(
                app_url, documented=documented, name=f"test-nginx-{request.param}-{os.getpid()}"
            )
        except services.ServiceError as exc:
            missing(f"nginx could not start: {exc}")
        try:
            yield Arrangement(request.param, nginx.url, app_url, logs / "access.log")
        finally:
            services.stop_service(nginx)
