"""gunicorn for an application host (systemd: deploy/systemd/mib-registry-web.service).

It runs the repository's ``gunicorn.conf.py`` first (preload and memory settings, metrics directory, the
refusal of per-process rate limits with several workers, JSON logs) and adds what a deployment needs.
Environment: ``REGISTRY_BIND`` (default ``127.0.0.1:8000``; the host's private address when nginx runs on
another machine), ``WEB_CONCURRENCY`` (workers, default 2 × cores + 1, at most 8), and the ``REGISTRY_*``
settings from ``/etc/mib-registry/registry.env``.
"""

import os
import runpy

_repository_config = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "gunicorn.conf.py"
)
globals().update({k: v for k, v in runpy.run_path(_repository_config).items() if not k.startswith("__")})

wsgi_app = "app:create_app()"
chdir = os.path.dirname(_repository_config)
bind = os.environ.get("REGISTRY_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * (os.cpu_count() or 1) + 1, 8)))
preload_app = True
timeout = 60  # a worker silent this long is killed and replaced
graceful_timeout = 30  # SIGTERM: finish requests and write the buffered scans (docs/architecture.md, "Scans")
keepalive = 5  # nginx keeps connections to the upstream open (keepalive 32)
max_requests = 20000  # recycle workers now and then, with jitter so they do not restart together
max_requests_jitter = 2000
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = "127.0.0.1"  # the application's ProxyFix reads X-Forwarded-For, not gunicorn
