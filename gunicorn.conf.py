"""gunicorn reads this file from the directory it starts in (its default ``-c ./gunicorn.conf.py``).

With ``--preload`` the master imports the application once and the workers share its memory pages
copy-on-write, but the cyclic garbage collector writes into every tracked object's header on each full
collection, so a worker soon owns private copies of nearly every page (issue 21: 118 MB RSS, 84 MB PSS
per worker). Freezing the master's objects before each fork keeps the collector off them; the worker
still collects everything it creates itself (Python's documented ``gc.freeze`` use)."""

import gc


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
        server.cfg.workers, production=settings.is_production, storage_url=settings.RATELIMIT_STORAGE_URL
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
