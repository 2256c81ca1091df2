"""The Elasticsearch backend (``SEARCH_URL=elasticsearch://host:9200/alias``, ``elasticsearchs://`` for TLS).

Index and query logic are shared with OpenSearch (``search.backends.cluster``, ``search.backends.dsl``);
this module makes the official ``elasticsearch`` 9.x client and sorts its errors: no connection, a
timeout, an overloaded or red cluster, or a missing index → ``SearchUnavailable`` (HTTP 503); anything
else → ``SearchError``. The 9.x client talks to Elasticsearch 9 servers only (it sends
``compatible-with=9``).
"""

from __future__ import annotations

from typing import Any

from search.backends.cluster import ClusterSearchBackend
from search.errors import SearchError, SearchUnavailable

UNAVAILABLE_STATUSES = frozenset({404, 408, 429, 502, 503, 504})
ADMIN_TIMEOUT = 120.0  # seconds: creating an index or moving an alias waits for the cluster state


class ElasticsearchBackend(ClusterSearchBackend):
    """Catalogue search on an Elasticsearch 9 cluster."""

    name = "elasticsearch"

    @property
    def admin(self) -> Any:
        return self.client.options(request_timeout=ADMIN_TIMEOUT)

    def create_client(self) -> Any:
        # lazy: the engine's client loads only when this backend is configured
        from elasticsearch import Elasticsearch

        s = self.settings
        options: dict[str, Any] = {
            "hosts": s.urls,
            "request_timeout": s.timeout,
            "max_retries": 2,
            "retry_on_timeout": True,
        }
        if s.tls:
            options["verify_certs"] = s.verify_certs
            if s.ca_certs:
                options["ca_certs"] = s.ca_certs
        if s.username is not None:
            options["basic_auth"] = (s.username, s.password or "")
        return Elasticsearch(**options)

    def cluster_health(self, index: str | None = None, wait_for_status: str | None = None) -> dict[str, Any]:
        client = self.client.options(request_timeout=40 if wait_for_status else 5)
        if wait_for_status:
            return dict(client.cluster.health(index=index, wait_for_status=wait_for_status))
        return dict(client.cluster.health(index=index))

    def status_of(self, exc: Exception) -> int | None:
        # lazy: the engine's client loads only when this backend is configured
        from elasticsearch import ApiError

        if isinstance(exc, ApiError):
            return int(exc.meta.status)
        return None

    def translate_error(self, exc: Exception) -> SearchError | None:
        # lazy: the engine's client loads only when this backend is configured
        from elastic_transport import ConnectionError as TransportConnectionError
        from elastic_transport import ConnectionTimeout, TransportError
        from elasticsearch import ApiError

        if isinstance(exc, TransportConnectionError | ConnectionTimeout):
            return SearchUnavailable(f"Elasticsearch cannot be reached ({type(exc).__name__}: {exc.message})")
        if isinstance(exc, ApiError):
            status = int(exc.meta.status)
            reason = _reason(exc.body) or exc.message
            if status in UNAVAILABLE_STATUSES:
                return SearchUnavailable(f"Elasticsearch answered {status}: {reason}")
            return SearchError(f"Elasticsearch answered {status}: {reason}")
        if isinstance(exc, TransportError):
            return SearchUnavailable(f"Elasticsearch transport error: {exc.message}")
        return None


def _reason(body: Any) -> str:
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            causes = error.get("root_cause") or [error]
            return str(causes[0].get("reason") or error.get("type") or "")
        if error:
            return str(error)
    return ""
