"""Search backends, chosen by ``SEARCH_URL``.

=====================================  ==========================================================
``""`` (empty)                          embedded SQLite FTS5 under ``<INSTANCE_PATH>/search``
``embedded:///abs/dir``                 embedded, index files in that directory
``null://``                             search off (``NullSearchBackend``)
``opensearch://…``, ``elasticsearch://…``  the cluster backends (``search.backends.opensearch`` /
                                        ``search.backends.elasticsearch``, issue 6)
=====================================  ==========================================================
"""

from __future__ import annotations

import importlib
import os
from urllib.parse import urlsplit

from search.backends.embedded import EmbeddedSearchBackend
from search.backends.null import NullSearchBackend
from search.errors import SearchError
from search.interfaces import SearchBackend

# scheme → (module, class) of backends that live in their own module and are imported on demand
CLUSTER_BACKENDS = {
    "opensearch": ("search.backends.opensearch", "OpenSearchBackend"),
    "opensearchs": ("search.backends.opensearch", "OpenSearchBackend"),
    "elasticsearch": ("search.backends.elasticsearch", "ElasticsearchBackend"),
    "elasticsearchs": ("search.backends.elasticsearch", "ElasticsearchBackend"),
}


class UnknownSearchBackend(SearchError):
    title = "Unknown search backend"
    code = "search.backend_unknown"


def create_backend(url: str, instance_path: str, env: str = "development") -> SearchBackend:
    """The backend named by ``url`` (see the module docstring)."""
    url = (url or "").strip()
    if not url:
        return EmbeddedSearchBackend(os.path.join(instance_path, "search"))
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("embedded", "sqlite", "fts5"):
        return EmbeddedSearchBackend(parts.path or os.path.join(instance_path, "search"))
    if scheme == "null":
        return NullSearchBackend(env=env)
    if scheme in CLUSTER_BACKENDS:
        module_name, class_name = CLUSTER_BACKENDS[scheme]
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            raise UnknownSearchBackend(f"the {scheme} backend is not installed ({module_name})") from exc
        backend: SearchBackend = getattr(module, class_name).from_url(url)
        return backend
    raise UnknownSearchBackend(
        f"SEARCH_URL scheme {scheme!r} is not one of embedded, null, opensearch, elasticsearch"
    )
