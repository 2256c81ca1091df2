"""Two application hosts behind nginx, as production runs them (issue 17), on loopback.

One PostgreSQL (its own throwaway cluster), the OpenSearch node of ``make test`` (its own alias), one Redis,
two gunicorns started with ``deploy/gunicorn.conf.py`` (two workers each, separate instance folders and
ports), one ``flask search sync --watch``, and nginx running ``deploy/nginx/mib-registry.conf`` itself: only
its ``CHANGE`` lines (upstream servers, certificate paths) and its ``listen`` lines are replaced, checked
one by one. The set-up is the README's production walk-through, run command by command
(:func:`walkthrough`), with this harness's values for the settings it exports.

Hooks for more cases (h6: files and jobs across hosts): ``deployment.host(i).url`` reaches one host directly,
``deployment.get(path, host=i)`` / ``deployment.front_get(path)`` send requests, ``deployment.flask(...)`` runs
a command as an operator would on host 0, ``deployment.stop_host(i, kill=True)`` / ``start_host(i)`` take a
host down (SIGKILL to its process group, as a lost machine) and bring it back.

Without nginx, Redis, PostgreSQL or OpenSearch the tests skip with a reason; with ``CI=true`` they fail.
"""

from __future__ import annotations

import base64
import contextlib
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
from dataclasses import dataclass, field
from http.client import HTTPConnection, HTTPSConnection
from pathlib import Path
from typing import Any

import pytest

from tests.needs import need
from tests.proxy.conftest import SITE, load_services, make_certificate, site_for_test

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
BIN = Path(sys.executable).parent
OPENSEARCH_URL = os.environ.get("REGISTRY_TEST_OPENSEARCH_URL", "")
PUBLIC_BASE_URL = "https://verify.example.test"
SERVER_NAME = "verify.mib.gov.bd"
VERIFY_LIMIT = 12  # per client and minute, counted in Redis for both hosts
# a label job whose worker stops is taken over after this many seconds without a heartbeat (production: 30)
JOB_LEASE_SECONDS = 5
ADMIN_PASSWORD = "two-hosts admin passphrase, 2026"  # noqa: S105 - a test account on a throwaway database
WALKTHROUGH_MARK = "<!-- production-walkthrough"


@dataclass
class Walkthrough:
    exported: list[str]  # the settings it exports, each of which this harness gives a value
    setup: list[str]  # run once, in order
    serve: list[str]  # gunicorn (on every host) and the outbox sync (once)


def walkthrough(readme: Path = README) -> Walkthrough:
    """The commands of the README's production block, in order."""
    text = readme.read_text(encoding="utf-8")
    start = text.index(WALKTHROUGH_MARK)
    block = text[text.index("```sh\n", start) + 6 : text.index("```", text.index("```sh\n", start) + 6)]
    exported: list[str] = []
    setup: list[str] = []
    serve: list[str] = []
    serving = False
    for line in block.splitlines():
        if line.startswith("export "):
            exported += re.findall(r"\b(REGISTRY_[A-Z_]+)=", line)
        elif line.startswith("# 3. serve"):
            serving = True
        elif line.startswith(".venv/bin/"):
            (serve if serving else setup).append(line)
    return Walkthrough(exported, setup, serve)


def run_line(line: str, env: dict[str, str], *, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """One command of the walk-through, as a shell runs it from the repository, with this interpreter."""
    command = line.replace(".venv/bin/", f"{BIN}/", 1)
    return subprocess.run(  # noqa: S603 - the README's own command line
        ["/bin/bash", "-c", command],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Host:
    index: int
    port: int
    instance: Path
    access_log: Path
    error_log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def access_lines(self) -> list[dict[str, Any]]:
        """gunicorn's JSON access lines of this host so far."""
        lines = []
        for line in self.access_log.read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if "status" in record and "path" in record:
                    lines.append(record)
        return lines


@dataclass
class Deployment:
    env: dict[str, str]
    hosts: list[Host]
    front_port: int
    cafile: Path
    workdir: Path
    walk: Walkthrough
    others: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def host(self, index: int) -> Host:
        return self.hosts[index]

    def host_env(self, index: int) -> dict[str, str]:
        host = self.hosts[index]
        return self.env | {
            "REGISTRY_INSTANCE_PATH": str(host.instance),
            "REGISTRY_BIND": f"127.0.0.1:{host.port}",
            "WEB_CONCURRENCY": "2",
        }

    def flask(self, *args: str, host: int = 0, stdin: str = "") -> str:
        line = ".venv/bin/flask --app app " + " ".join(_quote(a) for a in args)
        done = run_line(line, self.host_env(host), stdin=stdin)
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def front_get(
        self, path: str, *, source: str = "127.0.0.1", headers: dict[str, str] | None = None
    ) -> Answer:
        context = ssl.create_default_context(cafile=str(self.cafile))
        connection = HTTPSConnection(
            "127.0.0.1", self.front_port, context=context, timeout=60, source_address=(source, 0)
        )
        return _exchange(connection, path, headers)

    def get(self, path: str, *, host: int, headers: dict[str, str] | None = None) -> Answer:
        connection = HTTPConnection("127.0.0.1", self.hosts[host].port, timeout=60)
        return _exchange(connection, path, headers)

    def post(self, path: str, body: Any, *, host: int, headers: dict[str, str] | None = None) -> Answer:
        connection = HTTPConnection("127.0.0.1", self.hosts[host].port, timeout=60)
        sent = {"Content-Type": "application/json", **(headers or {})}
        return _exchange(connection, path, sent, method="POST", body=json.dumps(body).encode())

    def send(
        self, method: str, path: str, body: bytes, *, host: int, headers: dict[str, str] | None = None
    ) -> Answer:
        """Any method with a raw body (an upload), straight to one host."""
        connection = HTTPConnection("127.0.0.1", self.hosts[host].port, timeout=60)
        return _exchange(connection, path, headers, method=method, body=body)

    def token(self, email: str, password: str, *, host: int = 0) -> dict[str, str]:
        """An API token for the account, as the Authorization header that carries it."""
        basic = base64.b64encode(f"{email}:{password}".encode()).decode()
        answer = self.post(
            "/api/v1/tokens", {"name": "two-hosts"}, host=host, headers={"Authorization": f"Basic {basic}"}
        )
        assert answer.status == 201, answer.body
        return {"Authorization": f"Bearer {answer.json()['token']}"}

    def demo_account(self, role: str) -> tuple[str, str]:
        """(email, password) of a seed-demo account (the ``catalogue`` fixture seeds them on host 0)."""
        for line in (
            (self.hosts[0].instance / "demo-credentials.txt").read_text(encoding="utf-8").splitlines()
        ):
            fields = line.split()
            if len(fields) == 3 and fields[0] == role:
                return fields[1], fields[2]
        raise AssertionError(f"no demo account {role}")

    def host_of_pid(self, pid: int) -> int | None:
        """Which host's process group a process belongs to (a gunicorn worker's pid), or None."""
        try:
            group = os.getpgid(pid)
        except ProcessLookupError:
            return None
        return next((h.index for h in self.hosts if h.process is not None and h.process.pid == group), None)

    def start_host(self, index: int) -> None:
        host = self.hosts[index]
        line = next(line for line in self.walk.serve if "gunicorn" in line)
        host.process = _start_line(line, self.host_env(index), host.access_log, host.error_log)
        _wait_ready(f"{host.url}/readyz", host.process, host.error_log)

    def stop_host(self, index: int, *, kill: bool = False) -> None:
        """SIGTERM (an orderly stop) or SIGKILL to the host's whole process group (a lost machine)."""
        host = self.hosts[index]
        if host.process is not None:
            _end_group(host.process, signal.SIGKILL if kill else signal.SIGTERM)
            host.process = None


def _quote(arg: str) -> str:
    return arg if re.fullmatch(r"[\w@%+=:,./-]+", arg) else "'" + arg.replace("'", "'\\''") + "'"


def _exchange(
    connection: HTTPConnection,
    path: str,
    headers: dict[str, str] | None,
    *,
    method: str = "GET",
    body: bytes | None = None,
) -> Answer:
    try:
        connection.request(method, path, body=body, headers={"Accept": "application/json", **(headers or {})})
        response = connection.getresponse()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


def _start_line(line: str, env: dict[str, str], out: Path, err: Path) -> subprocess.Popen[bytes]:
    command = line.replace(".venv/bin/", f"{BIN}/", 1)
    with out.open("ab") as stdout, err.open("ab") as stderr:
        return subprocess.Popen(  # noqa: S603 - the README's own command line
            ["/bin/bash", "-c", f"exec {command}"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )


def _end_group(process: subprocess.Popen[bytes], how: signal.Signals) -> None:
    """Signal the process group this harness started (its leader is ``process``), then reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, how)
    try:
        process.wait(timeout=45)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)
    deadline = time.monotonic() + 15  # workers of a killed master: wait until none is left in the group
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    where = url.split("/")[2]
    host, port = where.split(":")
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{url}: the process exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError):
            connection = HTTPConnection(host, int(port), timeout=5)
            answer = _exchange(connection, "/" + url.split("/", 3)[3], None)
            if answer.status == 200:
                return
        time.sleep(0.25)
    pytest.fail(f"{url} was not ready within {timeout:.0f}s:\n{log.read_text()[-3000:]}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    services = load_services()
    need(OPENSEARCH_URL, "REGISTRY_TEST_OPENSEARCH_URL is not set (make test starts OpenSearch)")
    need(services.find_nginx(), "nginx is not installed (apt-get install nginx-light)")
    need(services.find_redis(), "redis-server is not installed (apt-get install redis-server)")
    need(services.find_postgres_bindir(), "PostgreSQL is not installed (apt-get install postgresql)")
    workdir = tmp_path_factory.mktemp("two-hosts")
    walk = walkthrough()
    started: list[Any] = []
    deployment: Deployment | None = None
    try:
        postgres = services.start_postgres(name=f"hosts-pg-{os.getpid()}")
        started.append(postgres)
        redis = services.start_redis(name=f"hosts-redis-{os.getpid()}")
        started.append(redis)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("REGISTRY_", "PROMETHEUS_"))}
        settings = {
            "REGISTRY_ENV": "production",
            "REGISTRY_SECRET_KEY": secrets.token_urlsafe(48),
            "REGISTRY_DATABASE_URL": postgres.url,
            "REGISTRY_DATABASE_MIGRATION_URL": postgres.owner_url,
            "REGISTRY_SEARCH_URL": f"{OPENSEARCH_URL.rstrip('/')}/two-hosts-{os.getpid()}",
            "REGISTRY_SIGNING_KEY_PATH": str(workdir / "keys" / "issuing-key.p8"),
            "REGISTRY_SIGNING_KEY_PASSPHRASE": secrets.token_urlsafe(24),
            "REGISTRY_PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            "REGISTRY_RATELIMIT_STORAGE_URL": f"{redis.url}/0",
            "REGISTRY_TRUSTED_PROXY_HOPS": "1",
            "REGISTRY_SEARCH_SYNC_THREAD": "false",
            "REGISTRY_LOG_FORMAT": "json",
            "REGISTRY_METRICS_TOKEN": secrets.token_urlsafe(32),
        }
        assert sorted(settings) == sorted(set(walk.exported)), (
            "the harness sets what the walk-through exports"
        )
        env |= settings | {
            "REGISTRY_SIGNING_RATELIMIT_VERIFY": f"{VERIFY_LIMIT}/minute",
            "REGISTRY_LABELS_JOB_LEASE_SECONDS": str(JOB_LEASE_SECONDS),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        hosts = []
        for index in range(2):
            instance = workdir / f"host{index}"
            instance.mkdir()
            hosts.append(
                Host(index, free_port(), instance, instance / "gunicorn.out", instance / "gunicorn.err")
            )
        deployment = Deployment(env, hosts, 0, workdir / "tls.crt", workdir, walk)
        for line in walk.setup:  # first key, schema, first admin, first reindex: on host 0 as the operator
            done = run_line(line, deployment.host_env(0), stdin=f"{ADMIN_PASSWORD}\n{ADMIN_PASSWORD}\n")
            assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
        for index in range(2):
            deployment.start_host(index)
        sync_line = next(line for line in walk.serve if "search sync" in line)
        sync_log = workdir / "sync.log"
        deployment.others.append(_start_line(sync_line, deployment.host_env(0), sync_log, sync_log))
        cert, key = make_certificate(workdir)
        site = SITE.read_text(encoding="utf-8")

        def nginx_conf(nginx_dir: Path, port: int) -> str:
            for source in (cert, key):  # nginx runs as the service user: its own readable copies
                (nginx_dir / source.name).write_bytes(source.read_bytes())
            body = site_for_test(
                site,
                upstreams=[h.port for h in hosts],
                https_port=port,
                http_port=free_port(),
                cert=nginx_dir / cert.name,
                key=nginx_dir / key.name,
            )
            return services.nginx_main_conf(nginx_dir, body)

        nginx = services.start_nginx_conf(nginx_conf, name=f"hosts-nginx-{os.getpid()}")
        started.append(nginx)
        deployment.front_port = nginx.port
        yield deployment
    finally:
        if deployment is not None:
            for index in range(len(deployment.hosts)):
                deployment.stop_host(index)
            for process in deployment.others:
                _end_group(process, signal.SIGTERM)
        for service in reversed(started):
            with contextlib.suppress(Exception):
                services.stop_service(service)


@pytest.fixture(scope="session")
def catalogue(deployment: Deployment) -> None:
    """Licensed products in the deployment's database: seeded as development (seed-demo refuses production:
    its accounts' passwords are published), then indexed by a reindex, as after any bulk load."""
    env = deployment.host_env(0) | {"REGISTRY_ENV": "development"}
    done = run_line(".venv/bin/flask --app app registry seed-demo --products 60 --manufacturers 6", env)
    assert done.returncode == 0, done.stdout + done.stderr
    deployment.flask("search", "reindex")
