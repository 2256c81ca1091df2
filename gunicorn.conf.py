"""gunicorn reads this file from the directory it starts in (its default ``-c ./gunicorn.conf.py``).

With ``--preload`` the master imports the application once and the workers share its memory pages
copy-on-write (issue 21: 118 MB RSS, 84 MB PSS per worker without it). Two things still make every worker
build, or copy, memory the master could have shared:

* work each worker did on its first requests: SQLAlchemy configuring its mappers and compiling the hot
  statements, Jinja compiling templates, Babel loading catalogues. The
  master does it once (``warm_up``: read-only requests that write nothing, then its database connections are
  closed so that no connection crosses the fork); measured, a worker's private memory after a verification,
  a product list and the JWKS fell from 28 MB to 13 MB;
* the cyclic garbage collector writing into the header of every object it tracks: the master's objects are
  frozen before each fork (Python's documented ``gc.freeze`` use); each worker still collects what it creates.
"""

import gc

# Read-only requests that touch what most requests need, in both languages; none writes (no scan, no audit
# row, no outbox row) and none opens the search index (its connection would cross the fork).
WARM_UP_REQUESTS = (
    ("/.well-known/jwks.json", "en"),
    ("/api/v1/products?per_page=1", "en"),
    ("/", "en"),
    ("/", "bn"),
)


def warm_up(app):
    """The warm-up requests' statuses."""
    client = app.test_client()
    statuses = []
    for path, language in WARM_UP_REQUESTS:
        response = client.get(path, headers={"Accept-Language": language})
        statuses.append(response.status_code)
        response.close()
    app.extensions["core.db"].dispose()
    return statuses


def when_ready(server):
    """In the master, after it loaded the application and before the first fork (``--preload`` only)."""
    if server.cfg.preload_app:
        warm_up(server.app.wsgi())


def pre_fork(server, worker):  # noqa: ARG001 - gunicorn's hook signature
    gc.collect()
    gc.freeze()


# ---- several workers and hosts (issue 17; deploy/gunicorn.conf.py builds on this file) ------------------------
# Only what every gunicorn start needs; deploy/ adds bind, workers, timeouts and logs. Imports of the project
# sit inside the hooks: this file is read before the application, from the repository root.
import os  # noqa: E402 - kept beside the hooks that need it
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # core/ and config/, before the app loads

# prometheus-client's multiprocess mode must be chosen before the application creates its metrics: every
# worker writes its counters into files here and any worker's /metrics adds them up (core.metrics).
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="registry-metrics-")

if os.environ.get("REGISTRY_LOG_FORMAT") == "json":
    from core.logs import gunicorn_logconfig  # noqa: E402

    logconfig_dict = gunicorn_logconfig()


def on_starting(server):
    """Refuse per-process rate-limit counts with several workers in production (core.ratelimit), and start
    the metrics with an empty directory (files of a previous run would be added up again)."""
    from config import ConfigError, load_settings
    from core.ratelimit import check_worker_storage

    try:
        settings = load_settings()
    except ConfigError as exc:
        server.log.error("%s", exc)
        sys.exit(1)
    reason = check_worker_storage(
        server.cfg.workers, production=settings.is_production, storage_url=settings.ratelimit.storage_url
    )
    if reason:
        server.log.error("%s", reason)
        sys.exit(1)
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    for entry in os.listdir(directory):
        if entry.endswith(".db"):
            os.unlink(os.path.join(directory, entry))


def child_exit(server, worker):  # noqa: ARG001 - gunicorn's hook signature
    """A worker is gone: its live gauges (scan buffer) stop counting."""
    from core.metrics import mark_worker_dead

    mark_worker_dead(worker.pid)


def on_exit(server):  # noqa: ARG001
    """Remove the metrics directory this file made (one given by the operator is left alone)."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    if os.path.basename(directory).startswith("registry-metrics-"):
        shutil.rmtree(directory, ignore_errors=True)
