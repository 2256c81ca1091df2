"""Start and stop a throwaway Elasticsearch 9 node for the test suite (stdlib only).

Elastic's download site is unreachable from CI, so the node is Elastic's reduced "integ-test-zip"
distribution from Maven Central (``tools/elasticsearch/pom.xml`` fetches and unpacks it). It needs
Java 21 or newer (the machine's Temurin 25; ``REGISTRY_ES_JAVA_HOME`` overrides) and refuses to run
as root, so when we are root it runs as the same unprivileged user as OpenSearch.

What that distribution is: the server core plus the modules ``transport-netty4``, ``x-pack-core``,
``x-pack-security`` and ``apm``. It has no ``analysis-common`` (so no ``english``/``bengali``
analyzers, no ``stemmer``, ``edge_ngram`` or ``mapping`` filters), no ``mapper-extras``
(``search_as_you_type``), no ``painless`` and no ``reindex`` module. Security is switched off here
(plain HTTP on 127.0.0.1). See docs/search-engines.md for what the tests cover against it.

    python tools/es_service.py fetch     # Maven, once: prints the distribution and the JDK it will use
    python tools/es_service.py start     # prints REGISTRY_TEST_ELASTICSEARCH_URL's value
    python tools/es_service.py stop

Importable: ``start_elasticsearch()`` returns a ``services.Service`` (``kind="elasticsearch"``) that
``services.stop_service()`` stops; ``test_environment(service)`` gives the variable for the tests.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
import urllib.error
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import services  # noqa: E402 - tools/ is not a package

ES_POM = services.REPO_ROOT / "tools" / "elasticsearch" / "pom.xml"
ES_DIST = services.REPO_ROOT / "tools" / "elasticsearch" / "target" / "dist"
JAVA_HOMES = ("/usr/lib/jvm/temurin-25-jdk-amd64", "/usr/lib/jvm/temurin-25-jdk-arm64")


def find_java_home() -> str:
    """A JDK 21+ for Elasticsearch 9 (REGISTRY_ES_JAVA_HOME overrides)."""
    override = os.environ.get("REGISTRY_ES_JAVA_HOME")
    candidates = [override] if override else []
    candidates += list(JAVA_HOMES) + sorted(str(p) for p in Path("/usr/lib/jvm").glob("temurin-2*-jdk-*"))
    for home in candidates:
        if home and os.access(Path(home) / "bin" / "java", os.X_OK):
            return home
    raise services.ServiceError(
        "no Java 21+ for Elasticsearch 9 (install Temurin 25 or set REGISTRY_ES_JAVA_HOME)"
    )


def fetch_elasticsearch(*, timeout: float = 900.0) -> Path:
    """The unpacked distribution's home, running Maven once if needed."""
    homes = sorted(ES_DIST.glob("elasticsearch-*"))
    if homes:
        return homes[-1]
    mvn = shutil.which("mvn")
    if mvn is None:
        raise services.ServiceError("Maven (mvn) not found: it fetches Elasticsearch (apt-get install maven)")
    print(f"fetching Elasticsearch with Maven into {ES_DIST} ...", file=sys.stderr, flush=True)
    result = subprocess.run(  # noqa: S603 - fixed argument list
        [mvn, "-B", "-q", "-f", str(ES_POM), "package"],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    homes = sorted(ES_DIST.glob("elasticsearch-*"))
    if result.returncode != 0 or not homes:
        raise services.ServiceError(
            f"mvn package failed (exit {result.returncode}):\n{result.stdout[-3000:]}{result.stderr[-2000:]}"
        )
    return homes[-1]


def _elasticsearch_yml(*, http_port: int, transport_port: int, workdir: Path, cluster_name: str) -> str:
    return "\n".join(
        [
            "# written by tools/es_service.py for a throwaway test node",
            f"cluster.name: {cluster_name}",
            "node.name: registry-test-es",
            "network.host: 127.0.0.1",
            f"http.port: {http_port}",
            f"transport.port: {transport_port}",
            "discovery.type: single-node",
            f"path.data: {workdir / 'data'}",
            f"path.logs: {workdir / 'logs'}",
            "xpack.security.enabled: false",
            "cluster.routing.allocation.disk.threshold_enabled: false",
            "action.destructive_requires_name: false",
            "",
        ]
    )


def start_elasticsearch(
    *, name: str = "elasticsearch", heap: str = "512m", timeout: float = 240.0
) -> services.Service:
    """Start one Elasticsearch node on 127.0.0.1 and wait until it answers with health green or yellow."""
    services._refuse_running(name)  # noqa: SLF001 - same state files as tools/services.py
    began = time.monotonic()
    java_home = find_java_home()
    home = fetch_elasticsearch()
    account = services.ensure_service_user()
    workdir = services._make_workdir("registry-es-", account)  # noqa: SLF001
    service = services.Service(
        kind="elasticsearch",
        name=name,
        workdir=str(workdir),
        urls=[],
        heap=heap,
        cluster_name=f"registry-test-es-{os.getpid()}",
    )
    try:
        if account is not None and not services._world_readable(home / "lib"):  # noqa: SLF001
            shutil.copytree(home, workdir / "home", symlinks=True)
            home = workdir / "home"
        config = workdir / "config"
        shutil.copytree(home / "config", config)
        for sub in ("data", "logs", "tmp"):
            (workdir / sub).mkdir()
        http_port, transport_port = services.find_free_port(), services.find_free_port()
        (config / "elasticsearch.yml").write_text(
            _elasticsearch_yml(
                http_port=http_port,
                transport_port=transport_port,
                workdir=workdir,
                cluster_name=service.cluster_name,
            ),
            encoding="utf-8",
        )
        (config / "jvm.options.d" / "heap.options").write_text(f"-Xms{heap}\n-Xmx{heap}\n", encoding="utf-8")
        services._chown_tree(workdir, account)  # noqa: SLF001
        log_path = workdir / "logs" / "console.log"
        env = {
            "PATH": "/usr/bin:/bin",
            "LC_ALL": "C.UTF-8",
            "HOME": str(workdir),
            "ES_JAVA_HOME": java_home,
            "ES_PATH_CONF": str(config),
            "ES_TMPDIR": str(workdir / "tmp"),
        }
        command = [str(home / "bin" / "elasticsearch")]
        with open(log_path, "wb") as log:
            if account is not None:
                os.chown(log_path, account.pw_uid, account.pw_gid)
            process = subprocess.Popen(  # noqa: S603
                command,
                cwd=workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=env,
                **services._user_kwargs(account),  # noqa: SLF001
            )
        services._children[process.pid] = process  # noqa: SLF001
        started_at = None
        for _ in range(50):
            started_at = services.read_process_start(process.pid)
            if started_at is not None or process.poll() is not None:
                break
            time.sleep(0.02)
        node = services.Node(
            pid=process.pid,
            started_at=started_at or 0,
            base_path=str(workdir),
            http_ports=[http_port],
            transport_ports=[transport_port],
            log_path=str(log_path),
            command=command,
        )
        service.nodes.append(node)
        service.pid, service.started_at, service.port = node.pid, node.started_at, http_port
        service.urls = [f"http://127.0.0.1:{http_port}"]
        services.save_service(service)
        _wait_for_health(service, time.monotonic() + timeout)
        service.startup_seconds = round(time.monotonic() - began, 2)
        services.save_service(service)
        return service
    except BaseException:
        services._stop_opensearch(service)  # noqa: SLF001 - terminates the nodes, removes the workdir
        service.state_path.unlink(missing_ok=True)
        raise


def _wait_for_health(service: services.Service, deadline: float) -> dict:
    node = service.nodes[0]
    last = "no answer"
    while time.monotonic() < deadline:
        if not services.is_running(node.pid, node.started_at):
            raise services.ServiceError(
                f"Elasticsearch exited during start-up:\n{services._tail(node.log_path, 40)}"
            )  # noqa: SLF001
        try:
            health = services.http_get_json(
                service.url + "/_cluster/health?wait_for_status=yellow&timeout=2s"
            )
            if health.get("status") in ("green", "yellow"):
                return health
            last = str(health)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            last = str(exc)
        time.sleep(0.5)
    raise services.ServiceError(
        f"Elasticsearch not healthy in time ({last}):\n{services._tail(node.log_path, 40)}"
    )  # noqa: SLF001


def test_environment(service: services.Service) -> dict[str, str]:
    """The REGISTRY_TEST_* variable the tests read (the search layer's ``elasticsearch://`` scheme)."""
    return {"REGISTRY_TEST_ELASTICSEARCH_URL": service.url.replace("http://", "elasticsearch://", 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A throwaway Elasticsearch 9 node for the tests.")
    parser.add_argument("action", choices=["fetch", "start", "stop"])
    parser.add_argument("--name", default="elasticsearch")
    parser.add_argument("--heap", default="512m")
    parser.add_argument("--timeout", type=float, default=240.0)
    parser.add_argument("--shell", action="store_true", help="print an `export REGISTRY_TEST_...=` line")
    args = parser.parse_args(argv)
    try:
        if args.action == "fetch":
            home = fetch_elasticsearch()
            print(f"{home.name} (Java: {find_java_home()})")
            return 0
        if args.action == "stop":
            services.stop_service(args.name)
            print(f"stopped {args.name}", file=sys.stderr)
            return 0
        service = start_elasticsearch(name=args.name, heap=args.heap, timeout=args.timeout)
        print(
            f"started {service.name} in {service.startup_seconds:.1f}s (pid {service.pid}); "
            f"stop with: python tools/es_service.py stop --name {service.name}",
            file=sys.stderr,
        )
        ((variable, value),) = test_environment(service).items()
        print(f"export {variable}='{value}'" if args.shell else value)
        return 0
    except services.ServiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
