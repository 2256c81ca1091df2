"""The OpenSearch backend (``SEARCH_URL=opensearch://host:9200/alias``, ``opensearchs://`` for TLS).

All of the index and query logic is shared with Elasticsearch (``search.backends.cluster`` and
``search.backends.dsl``); this module only makes the ``opensearch-py`` client and sorts its errors:
no connection, a timeout, an overloaded or red cluster, or a missing index → ``SearchUnavailable``
(HTTP 503); anything else → ``SearchError``.
"""

from __future__ import annotations

from typing import Any

from search.backends.cluster import ClusterSearchBackend
from search.errors import SearchError, SearchUnavailable

UNAVAILABLE_STATUSES = frozenset({404, 408, 429, 502, 503, 504})
ADMIN_TIMEOUT = 120.0  # seconds: creating an index or moving an alias waits for the cluster state
CONCURRENT_SEARCH_SINCE = (2, 17)  # the index setting search.concurrent_segment_search.mode


class OpenSearchBackend(ClusterSearchBackend):
    """Catalogue search on an OpenSearch 2.x cluster."""

    name = "opensearch"
    _admin: Any = None
    _engine_version: tuple[int, ...] | None = None

    @property
    def admin(self) -> Any:
        if self._admin is None:
            self._admin = self.create_client(timeout=ADMIN_TIMEOUT)
        return self._admin

    def create_client(self, timeout: float | None = None) -> Any:
        # lazy: the engine's client loads only when this backend is configured
        from opensearchpy import OpenSearch

        s = self.settings
        options: dict[str, Any] = {
            "hosts": s.hosts,
            "use_ssl": s.tls,
            "verify_certs": s.verify_certs if s.tls else False,
            "ssl_show_warn": s.tls and not s.verify_certs,
            "timeout": timeout or s.timeout,
            "max_retries": 2,
            "retry_on_timeout": True,
            "http_compress": False,
        }
        if s.ca_certs:
            options["ca_certs"] = s.ca_certs
        if s.username is not None:
            options["http_auth"] = (s.username, s.password or "")
        return OpenSearch(**options)

    def engine_index_settings(self) -> dict[str, Any]:
        """Concurrent segment search: one query's segments searched in ``slices`` threads at once.

        On a 1,000,000-product index the slowest searches (a common word matching a fifth of the
        catalogue) score every match; split over a small node's two cores the bench's p95 went from
        27 to 21-23 ms (docs/search-engines.md). ``slices=0`` leaves the cluster's default.
        """
        if self.settings.slices < 1 or self._version() < CONCURRENT_SEARCH_SINCE:
            return {}
        return {
            "search.concurrent_segment_search.mode": "all",
            "search.concurrent.max_slice_count": self.settings.slices,
        }

    def _version(self) -> tuple[int, ...]:
        """The engine's major and minor version, asked once (every new index's body needs it)."""
        if self._engine_version is None:
            number = str(self.admin.info()["version"]["number"])
            self._engine_version = tuple(
                int(part) for part in number.split("-")[0].split(".")[:2] if part.isdigit()
            )
        return self._engine_version

    def cluster_health(self, index: str | None = None, wait_for_status: str | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"request_timeout": 40 if wait_for_status else 5}
        if wait_for_status:
            params["wait_for_status"] = wait_for_status
        return dict(self.admin.cluster.health(index=index, **params))

    def close(self) -> None:
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        super().close()

    def status_of(self, exc: Exception) -> int | None:
        # lazy: the engine's client loads only when this backend is configured
        from opensearchpy.exceptions import TransportError

        if isinstance(exc, TransportError) and isinstance(exc.status_code, int):
            return exc.status_code
        return None

    def translate_error(self, exc: Exception) -> SearchError | None:
        # lazy: the engine's client loads only when this backend is configured
        from opensearchpy.exceptions import ConnectionError as ClientConnectionError
        from opensearchpy.exceptions import OpenSearchException, TransportError

        if isinstance(exc, ClientConnectionError):  # also ConnectionTimeout and SSLError
            return SearchUnavailable(f"OpenSearch cannot be reached ({type(exc).__name__}: {exc.error})")
        if isinstance(exc, TransportError):
            status = exc.status_code if isinstance(exc.status_code, int) else 0
            reason = _reason(exc.info) or exc.error
            if status in UNAVAILABLE_STATUSES:
                return SearchUnavailable(f"OpenSearch answered {status}: {reason}")
            return SearchError(f"OpenSearch answered {status}: {reason}")
        if isinstance(exc, OpenSearchException):
            return SearchError(f"OpenSearch client error: {exc}")
        return None


def _reason(info: Any) -> str:
    """The root cause's reason of an error answer, if it has one."""
    if isinstance(info, dict):
        error = info.get("error")
        if isinstance(error, dict):
            causes = error.get("root_cause") or [error]
            return str(causes[0].get("reason") or error.get("type") or "")
        if error:
            return str(error)
    return ""
