"""What ``make test`` runs: the whole suite twice, against the embedded defaults and against real servers.

    all:    Redis (REGISTRY_TEST_REDIS_URL; database 0 for pass 1, 1 for pass 2, 2 for pass 3), the shared
            rate-limit store
    pass 1: SQLite, with a real OpenSearch node (REGISTRY_TEST_OPENSEARCH_URL), when cluster tests
            exist or REGISTRY_TEST_CLUSTER=1 a 3-node cluster (REGISTRY_TEST_OPENSEARCH_CLUSTER_URLS), and
            an Elasticsearch 9 node (REGISTRY_TEST_ELASTICSEARCH_URL, tools/es_service.py); the proxy
            tests (tests/proxy/) start their own nginx (start_nginx) and gunicorn on a seeded SQLite file;
            the two-host tests (tests/hosts/) start their own PostgreSQL, Redis, two gunicorns and nginx
            with deploy/nginx/mib-registry.conf, and use the OpenSearch node
    pass 2: PostgreSQL 15 (REGISTRY_TEST_DATABASE_URL, the application's role; migrations run as the owner
            role of REGISTRY_TEST_DATABASE_OWNER_URL), `-m "not browser and not opensearch and not proxy"`,
            run *beside* pass 1 (one core each; its output is printed whole when it ends)
    pass 3: the quick pass on the newest supported Python (REGISTRY_TEST_QUICK_PYTHON, the interpreter of
            `make test`'s .venv-3.13): SQLite only, without servers, browser, proxy or slow tests
            (QUICK_MARKERS) and without the pages, the registry API and fuzzing (QUICK_IGNORED: pass 1
            runs them), also beside pass 1; without that variable it is skipped with a
            warning, and with CI=true that fails the run

Extra arguments go to pytest on both passes (``make test ARGS="-x -k label"``). Every server started here
is stopped at the end, also on failure, Ctrl-C or SIGTERM.

With CI=true a server that cannot start fails the run. Without it, a loud warning is printed, its variable
is left unset and the tests that need it skip themselves with a reason. A REGISTRY_TEST_* variable already
set in the environment is used as it is and nothing is started for it.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import services  # noqa: E402 - tools/ is not a package; this file runs as a script

REPO_ROOT = services.REPO_ROOT
SERVICE_VARIABLES = (
    "REGISTRY_TEST_DATABASE_URL",
    "REGISTRY_TEST_DATABASE_OWNER_URL",
    "REGISTRY_TEST_OPENSEARCH_URL",
    "REGISTRY_TEST_OPENSEARCH_CLUSTER_URLS",
    "REGISTRY_TEST_OPENSEARCH_CLUSTER_STATE",
    "REGISTRY_TEST_ELASTICSEARCH_URL",
    "REGISTRY_TEST_REDIS_URL",
)
CLUSTER_MARKER = "opensearch_cluster"
PROXY_MARKER = "proxy"  # nginx in front of gunicorn on their own SQLite file: once, in pass 1, is enough
HOSTS_MARKER = "hosts"  # the two-host deployment (tests/hosts): its own PostgreSQL; once, in pass 1
QUICK_PYTHON_VARIABLE = "REGISTRY_TEST_QUICK_PYTHON"
QUICK_MARKERS = (
    "not postgres and not opensearch and not opensearch_cluster and not browser and not proxy and not slow"
)
# pass 3 leaves out what pass 1 already runs on 3.11 and what depends least on the interpreter: the pages and
# the registry's HTTP API (Flask and Jinja over the same services) and the long fuzzing run. It keeps what
# touches the standard library's moving parts: sqlite3 (databases, scans, embedded search), cryptography,
# datetime, the transparency log, label rendering, spreadsheets and the tools' own tests.
QUICK_IGNORED = ("tests/web", "tests/registry", "tests/fuzz")
PYTEST_DURATION = re.compile(r"\bin \d+(\.\d+)?s\b")
PYTEST_OUTCOME = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected)")


@dataclass
class PassResult:
    label: str
    exit_code: int | None = None  # None: not run
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    note: str = ""

    @property
    def failed(self) -> bool:
        return self.exit_code not in (0, None)

    def describe(self) -> str:
        if self.exit_code is None:
            return f"{self.label}: not run ({self.note})"
        verdict = "passed" if not self.failed else "FAILED"
        counts = ", ".join(f"{n} {what}" for what, n in self.counts.items()) or "no test summary"
        extra = f"; {self.note}" if self.note else ""
        return f"{self.label}: {verdict} (exit {self.exit_code}) in {self.seconds:.0f}s: {counts}{extra}"


def is_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def header(text: str) -> None:
    print(f"\n== {text} ==", flush=True)


def warn(text: str) -> None:
    bar = "!" * 78
    print(f"\n{bar}\n!! WARNING: {text}\n{bar}\n", file=sys.stderr, flush=True)


def cluster_tests_wanted() -> bool:
    """REGISTRY_TEST_CLUSTER=1, or some test file uses the opensearch_cluster marker."""
    if os.environ.get("REGISTRY_TEST_CLUSTER", "").strip().lower() in ("1", "true", "yes"):
        return True
    for path in (REPO_ROOT / "tests").rglob("*.py"):
        try:
            if f"mark.{CLUSTER_MARKER}" in path.read_text(encoding="utf-8", errors="ignore"):
                return True
        except OSError:
            continue
    return False


class Services:
    """The servers this run started; stop_all() stops each one, whatever happened."""

    def __init__(self, *, ci: bool) -> None:
        self.ci = ci
        self.started: list[services.Service] = []
        self.problems: list[str] = []

    def start(self, what: str, starter: Callable[[], services.Service]) -> services.Service | None:
        """Start a server; None (with a warning) when it cannot start outside CI."""
        print(f"starting {what} ...", flush=True)
        try:
            service = starter()
        except services.ServiceError as exc:
            message = f"{what} could not start: {exc}"
            if self.ci:
                raise SystemExit(f"error: {message}\n(CI=true: the real servers are mandatory)") from exc
            self.problems.append(f"{what} did not start; tests needing it were skipped")
            warn(f"{message}\nThe tests that need it will skip themselves.")
            return None
        self.started.append(service)
        urls = ", ".join(hide_password(url) for url in service.urls)
        print(f"{what} up in {service.startup_seconds:.1f}s: {urls}", flush=True)
        return service

    def stop(self, service: services.Service) -> None:
        try:
            services.stop_service(service)
        except services.ServiceError as exc:
            warn(f"could not stop {service.name} cleanly: {exc}")
        if service in self.started:
            self.started.remove(service)

    def stop_all(self) -> None:
        for service in list(reversed(self.started)):
            self.stop(service)


def hide_password(url: str) -> str:
    """postgresql+psycopg://registry:secret@host/db -> postgresql+psycopg://registry:***@host/db"""
    return re.sub(r"(//[^:/@]+:)[^@]*@", r"\1***@", url)


def run_pytest(args: list[str], env: dict[str, str]) -> tuple[int, dict[str, int], float]:
    """Run pytest, echoing its output; its exit code, the closing summary's counts and the duration."""
    command = [sys.executable, "-m", "pytest", *args]
    print("$ " + shlex.join(command), flush=True)
    began = time.monotonic()
    tail = b""
    process = subprocess.Popen(  # noqa: S603 - our interpreter running pytest
        command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        assert process.stdout is not None
        while chunk := os.read(process.stdout.fileno(), 65536):  # as it comes: progress dots have no newline
            sys.stdout.buffer.write(chunk)
            sys.stdout.flush()
            tail = (tail + chunk)[-65536:]
        exit_code = process.wait()
    except KeyboardInterrupt:
        stop_pytest(process)
        raise
    finally:
        if process.stdout is not None:
            process.stdout.close()
    summaries = [
        line
        for line in tail.decode("utf-8", errors="replace").splitlines()
        if PYTEST_OUTCOME.search(line) and PYTEST_DURATION.search(line)
    ]
    last_summary = summaries[-1] if summaries else ""
    sys.stdout.flush()
    return exit_code, count_outcomes(last_summary), time.monotonic() - began


def start_pytest_in_background(
    args: list[str], env: dict[str, str], log: Path, python: str = sys.executable
) -> subprocess.Popen[bytes]:
    """Start pytest with its output going to ``log`` (printed whole when it ends: see ``finish_pytest``)."""
    command = [python, "-m", "pytest", *args]
    print("$ " + shlex.join(command) + "   (in the background; its output follows when it ends)", flush=True)
    with log.open("wb") as sink:
        return subprocess.Popen(  # noqa: S603 - our interpreter running pytest
            command, cwd=REPO_ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT
        )


def finish_pytest(
    process: subprocess.Popen[bytes], log: Path, began: float
) -> tuple[int, dict[str, int], float]:
    """Wait for a background pytest, print its output, and return what ``run_pytest`` returns."""
    try:
        exit_code = process.wait()
    except KeyboardInterrupt:
        stop_pytest(process)
        raise
    output = log.read_bytes()
    sys.stdout.buffer.write(output)
    sys.stdout.flush()
    summaries = [
        line
        for line in output[-65536:].decode("utf-8", errors="replace").splitlines()
        if PYTEST_OUTCOME.search(line) and PYTEST_DURATION.search(line)
    ]
    return exit_code, count_outcomes(summaries[-1] if summaries else ""), time.monotonic() - began


def stop_pytest(process: subprocess.Popen[bytes]) -> None:
    """After Ctrl-C pytest (same process group) is already stopping; after SIGTERM to us it is not."""
    for nudge, grace in ((None, 5), (signal.SIGINT, 15), (signal.SIGKILL, 10)):
        if nudge is not None and process.poll() is None:
            process.send_signal(nudge)
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def count_outcomes(summary_line: str) -> dict[str, int]:
    """The counts in pytest's closing line: "= 2 failed, 10 passed, 1 error in 3.2s =" → {...}."""
    counts: dict[str, int] = {}
    for number, what in PYTEST_OUTCOME.findall(summary_line):
        what = "errors" if what.startswith("error") else what
        counts[what] = counts.get(what, 0) + int(number)
    return counts


def clean_environment() -> tuple[dict[str, str], dict[str, str]]:
    """The environment without REGISTRY_TEST_* server variables, and those the caller had set."""
    env = dict(os.environ)
    preset = {name: env.pop(name) for name in SERVICE_VARIABLES if env.get(name)}
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env, preset


def run_sqlite_pass(
    args: list[str], pool: Services, base_env: dict[str, str], preset: dict[str, str]
) -> PassResult:
    result = PassResult(label="pass 1: SQLite")
    env = dict(base_env)
    search: list[services.Service] = []
    if "REGISTRY_TEST_OPENSEARCH_URL" in preset:
        env["REGISTRY_TEST_OPENSEARCH_URL"] = preset["REGISTRY_TEST_OPENSEARCH_URL"]
    else:
        node = pool.start(
            "OpenSearch 2.19 (1 node)", lambda: services.start_opensearch(name=f"test-os-{os.getpid()}")
        )
        if node is not None:
            search.append(node)
            env.update(services.test_environment(node))
    if "REGISTRY_TEST_OPENSEARCH_CLUSTER_URLS" in preset:
        for name in ("REGISTRY_TEST_OPENSEARCH_CLUSTER_URLS", "REGISTRY_TEST_OPENSEARCH_CLUSTER_STATE"):
            if name in preset:
                env[name] = preset[name]
    elif cluster_tests_wanted():
        cluster = pool.start(
            "OpenSearch 2.19 cluster (3 nodes)",
            lambda: services.start_opensearch(nodes=3, name=f"test-os3-{os.getpid()}"),
        )
        if cluster is not None:
            search.append(cluster)
            env.update(services.test_environment(cluster))
    if "REGISTRY_TEST_ELASTICSEARCH_URL" in preset:
        env["REGISTRY_TEST_ELASTICSEARCH_URL"] = preset["REGISTRY_TEST_ELASTICSEARCH_URL"]
    elif (Path(__file__).resolve().parent / "es_service.py").exists():
        import es_service  # tools/es_service.py (search engines): Elastic's integ-test distribution

        node = pool.start(
            "Elasticsearch 9 (1 node)",
            lambda: es_service.start_elasticsearch(name=f"test-es-{os.getpid()}"),
        )
        if node is not None:
            search.append(node)
            env.update(es_service.test_environment(node))
    described = (
        [f"OpenSearch at {env['REGISTRY_TEST_OPENSEARCH_URL']}"]
        if "REGISTRY_TEST_OPENSEARCH_URL" in env
        else []
    )
    if "REGISTRY_TEST_OPENSEARCH_CLUSTER_URLS" in env:
        described.append("a 3-node OpenSearch cluster")
    if "REGISTRY_TEST_ELASTICSEARCH_URL" in env:
        described.append(f"Elasticsearch at {env['REGISTRY_TEST_ELASTICSEARCH_URL']}")
    header("pass 1: SQLite" + (f", with {' and '.join(described)}" if described else ", no OpenSearch"))
    result.exit_code, result.counts, result.seconds = run_pytest(args, env)
    if result.exit_code == 5:
        result.note = "no tests were collected"
    for service in search:  # pass 2 does not use them: give their memory back
        pool.stop(service)
    return result


@dataclass
class BackgroundPass:
    """Pass 2 running beside pass 1 (the machine has two cores; each pass keeps about one busy)."""

    result: PassResult
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None
    began: float = 0.0

    def finish(self) -> PassResult:
        if self.process is not None and self.log is not None:
            header(self.result.label + " (ran beside pass 1)")
            result = self.result
            result.exit_code, result.counts, result.seconds = finish_pytest(
                self.process, self.log, self.began
            )
            if result.exit_code == 5:  # everything deselected is not a failure here
                result.exit_code, result.note = 0, "no tests selected"
            self.log.unlink(missing_ok=True)
            self.process = None
        return self.result

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            stop_pytest(self.process)


def start_postgres_pass(
    args: list[str], pool: Services, base_env: dict[str, str], preset: dict[str, str]
) -> BackgroundPass:
    pending = BackgroundPass(PassResult(label="pass 2: PostgreSQL 15"))
    result = pending.result
    env = dict(base_env)
    if "REGISTRY_TEST_REDIS_URL_PASS2" in env:  # its own Redis database: pass 1 empties its own
        env["REGISTRY_TEST_REDIS_URL"] = env.pop("REGISTRY_TEST_REDIS_URL_PASS2")
    if "REGISTRY_TEST_DATABASE_URL" in preset:
        env["REGISTRY_TEST_DATABASE_URL"] = preset["REGISTRY_TEST_DATABASE_URL"]
        if "REGISTRY_TEST_DATABASE_OWNER_URL" in preset:
            env["REGISTRY_TEST_DATABASE_OWNER_URL"] = preset["REGISTRY_TEST_DATABASE_OWNER_URL"]
    elif services.find_postgres_bindir() is None and not pool.ci:
        warn("PostgreSQL server binaries not found (apt-get install postgresql): pass 2 is skipped")
        pool.problems.append("PostgreSQL pass skipped: no server binaries")
        result.note = "PostgreSQL not installed"
        return pending
    else:
        database = pool.start("PostgreSQL 15", lambda: services.start_postgres(name=f"test-pg-{os.getpid()}"))
        if database is None:
            result.note = "PostgreSQL did not start"
            return pending
        env.update(services.test_environment(database))
    where = env["REGISTRY_TEST_DATABASE_URL"].rsplit("@", 1)[-1]
    header(f"pass 2: PostgreSQL 15 at {where}, started beside pass 1")
    pending.log = REPO_ROOT / "instance" / f"pass2-{os.getpid()}.log"
    pending.log.parent.mkdir(parents=True, exist_ok=True)
    pending.began = time.monotonic()
    pending.process = start_pytest_in_background(
        [
            "-p",
            "no:cacheprovider",
            "-m",
            f"not browser and not opensearch and not {PROXY_MARKER} and not {HOSTS_MARKER}",
            *args,
        ],
        env,
        pending.log,
    )
    return pending


def start_redis(pool: Services, base_env: dict[str, str], preset: dict[str, str]) -> None:
    """One Redis for every pass (the shared rate-limit store), a database each, as each pass empties its own:
    0 for pass 1, 1 for pass 2, 2 for pass 3 (those read REGISTRY_TEST_REDIS_URL_PASS2/3 into the variable)."""
    if "REGISTRY_TEST_REDIS_URL" in preset:
        base_env["REGISTRY_TEST_REDIS_URL"] = preset["REGISTRY_TEST_REDIS_URL"]
        return
    redis = pool.start("Redis", lambda: services.start_redis(name=f"test-redis-{os.getpid()}"))
    if redis is not None:
        base_env["REGISTRY_TEST_REDIS_URL"] = redis.url + "/0"
        base_env["REGISTRY_TEST_REDIS_URL_PASS2"] = redis.url + "/1"
        base_env["REGISTRY_TEST_REDIS_URL_PASS3"] = redis.url + "/2"


def start_quick_pass(args: list[str], pool: Services, base_env: dict[str, str]) -> BackgroundPass:
    """Pass 3: the suite's quick part on another Python (SQLite only), beside pass 1."""
    pending = BackgroundPass(PassResult(label="pass 3: quick, newest Python"))
    python = base_env.get(QUICK_PYTHON_VARIABLE, "").strip()
    if not python or not Path(python).exists():
        message = f"no Python 3.13 venv ({QUICK_PYTHON_VARIABLE} unset or missing): the quick pass is skipped"
        if pool.ci:
            raise SystemExit(f"error: {message}\n(CI=true: the suite must run on 3.13 too)")
        warn(message)
        pool.problems.append("quick pass on Python 3.13 skipped: no interpreter")
        pending.result.note = "no Python 3.13"
        return pending
    version = subprocess.run(  # noqa: S603 - the interpreter make test chose
        [python, "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    pending.result.label = f"pass 3: quick, Python {version or '?'}"
    env = {name: value for name, value in base_env.items() if name != QUICK_PYTHON_VARIABLE}
    if "REGISTRY_TEST_REDIS_URL_PASS3" in env:  # its own Redis database: pass 1 empties its own
        env["REGISTRY_TEST_REDIS_URL"] = env.pop("REGISTRY_TEST_REDIS_URL_PASS3")
    header(f"{pending.result.label} ({python}), SQLite only, started beside pass 1")
    pending.log = REPO_ROOT / "instance" / f"pass3-{os.getpid()}.log"
    pending.log.parent.mkdir(parents=True, exist_ok=True)
    pending.began = time.monotonic()
    pending.process = start_pytest_in_background(
        [
            "-p",
            "no:cacheprovider",
            "-m",
            QUICK_MARKERS,
            *(f"--ignore={path}" for path in QUICK_IGNORED),
            *args,
        ],
        env,
        pending.log,
        python=python,
    )
    return pending


def raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, raise_keyboard_interrupt)
    signal.signal(signal.SIGHUP, raise_keyboard_interrupt)
    ci = is_ci()
    pool = Services(ci=ci)
    base_env, preset = clean_environment()
    results: list[PassResult] = []
    interrupted = False
    postgres: BackgroundPass | None = None
    quick: BackgroundPass | None = None
    try:
        start_redis(pool, base_env, preset)
        postgres = start_postgres_pass(args, pool, base_env, preset)
        quick = start_quick_pass(args, pool, base_env)
        results.append(run_sqlite_pass(args, pool, base_env, preset))
        results.append(postgres.finish())
        results.append(quick.finish())
    except KeyboardInterrupt:
        interrupted = True
        print("\ninterrupted: stopping the servers", file=sys.stderr, flush=True)
    except SystemExit as exc:
        print(exc.code, file=sys.stderr, flush=True)
        results.append(PassResult(label="services", exit_code=1, note=str(exc.code).splitlines()[0]))
    finally:
        for background in (postgres, quick):
            if background is not None:
                background.stop()
        pool.stop_all()
    header("summary")
    for result in results:
        print(result.describe())
    for problem in pool.problems:
        print(f"warning: {problem}")
    totals = {"passed": 0, "failed": 0, "skipped": 0}
    for result in results:
        totals["passed"] += result.counts.get("passed", 0)
        totals["failed"] += result.counts.get("failed", 0) + result.counts.get("errors", 0)
        totals["skipped"] += result.counts.get("skipped", 0)
    print(
        f"total: {totals['passed']} passed, {totals['failed']} failed, {totals['skipped']} skipped",
        flush=True,
    )
    if interrupted:
        return 130
    return 1 if any(result.failed for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
