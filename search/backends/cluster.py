"""What the OpenSearch and Elasticsearch backends share: the index behind an alias, bulk writes, reindex.

``ClusterSearchBackend`` implements ``SearchBackend`` over any client with the Elasticsearch 7-style
API (``search``, ``bulk``, ``count``, ``indices.*`` taking ``body=``), which both ``opensearch-py``
and the official ``elasticsearch`` 9.x client offer. A subclass names its client and sorts its
client's exceptions into ``SearchUnavailable`` (cannot reach / cannot answer now) and ``SearchError``.

Index lifecycle: the live index is ``<alias>-<UTC timestamp>`` behind the alias ``<alias>``. Writes
and reads go through the alias. ``reindex`` creates a new timestamped index (no replicas, no refresh
while loading), bulk-loads it, restores replicas and refresh, checks its count against the database,
then moves the alias in one atomic ``_aliases`` call and deletes all but ``KEEP_OLD_INDEXES`` older
indices. While a new index is being built and not yet behind the alias, ``is_reindexing`` is true in
every process (the state lives in the cluster, not in this object).

``SEARCH_URL``: ``<scheme>://[user:password@]host:port[,host:port…][/alias][?option=value…]`` where
the scheme ends in ``s`` for TLS. Options: ``refresh`` (``true`` default: a write is searchable when
it returns, like the embedded backend; ``wait_for`` waits for the next scheduled refresh instead;
``false`` leaves it to the engine's scheduled refresh: each second, or at the next search on an index
nobody searched for 30 s), ``replicas`` (``0-1`` default: one replica as soon as a second node
exists), ``shards`` (1), ``slices`` (2: OpenSearch searches a shard's segments in that many threads
at once; 0 = the cluster's default), ``timeout`` (seconds, 10), ``verify_certs`` (true), ``ca_certs`` (a path).
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote

import orjson

from search.backends import dsl
from search.errors import ReindexFailed, SearchError, SearchUnavailable
from search.interfaces import Document, DocumentSource, IndexInfo, SearchBackend, SearchResult, Suggestion
from search.matching import entity_matches
from search.queries import STOP_WORDS_ONLY, CatalogueQuery, QueryTerm, analyse_query_text
from search.text import has_bangla, unique

log = logging.getLogger(__name__)

DEFAULT_ALIAS = "registry-catalogue"
BULK_DOCUMENTS = 1000  # per bulk request of index_documents (a few MB)
REINDEX_BULK_DOCUMENTS = (
    2000  # per bulk request of a reindex (refresh off: larger requests, fewer round trips)
)
BULK_SENDERS = 3  # bulk requests in flight while the next is built (a small node's two cores, one queued)
KEEP_OLD_INDEXES = 1
REINDEX_STALE_SECONDS = 3600
ENTITY_CACHE_SECONDS = 30.0
_STAMP = "%Y%m%dt%H%M%S%f"


@dataclass
class ClusterSettings:
    """A parsed ``SEARCH_URL``."""

    scheme: str
    hosts: list[dict[str, Any]]
    alias: str = DEFAULT_ALIAS
    username: str | None = None
    password: str | None = None
    tls: bool = False
    refresh: str = "true"
    replicas: str = "0-1"
    shards: int = 1
    slices: int = 2
    timeout: float = 10.0
    verify_certs: bool = True
    ca_certs: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def urls(self) -> list[str]:
        proto = "https" if self.tls else "http"
        return [f"{proto}://{h['host']}:{h['port']}" for h in self.hosts]


def parse_cluster_url(url: str, default_port: int = 9200) -> ClusterSettings:
    """Split a cluster ``SEARCH_URL`` (several hosts allowed) into its parts; raise ``SearchError`` if bad."""
    scheme, sep, rest = url.partition("://")
    if not sep or not scheme:
        raise SearchError(f"SEARCH_URL {url!r} has no scheme")
    scheme = scheme.lower()
    tls = scheme.endswith("s") and scheme in ("opensearchs", "elasticsearchs")
    location, _, query = rest.partition("?")
    netloc, _, path = location.partition("/")
    username = password = None
    if "@" in netloc:
        userinfo, _, netloc = netloc.rpartition("@")
        user, _, pw = userinfo.partition(":")
        username, password = unquote(user), unquote(pw)
    hosts = []
    for item in filter(None, netloc.split(",")):
        host, sep, port = item.rpartition(":")
        if not sep or host.endswith(":") or item.endswith("]"):
            host, port = item, str(default_port)
        if not port.isdigit():
            raise SearchError(f"SEARCH_URL host {item!r} has a bad port")
        hosts.append({"host": host.strip("[]"), "port": int(port)})
    if not hosts:
        raise SearchError(f"SEARCH_URL {scheme}://… names no host")
    options = {k: v[-1] for k, v in parse_qs(query).items()}
    alias = unquote(path.strip("/")) or DEFAULT_ALIAS
    if not alias.replace("-", "").replace("_", "").isalnum() or alias != alias.lower():
        raise SearchError(f"index alias {alias!r} must be lower-case letters, digits, - and _")
    try:
        settings = ClusterSettings(
            scheme=scheme,
            hosts=hosts,
            alias=alias,
            username=username,
            password=password,
            tls=tls,
            refresh=options.pop("refresh", "true"),
            replicas=options.pop("replicas", "0-1"),
            shards=int(options.pop("shards", "1")),
            slices=int(options.pop("slices", "2")),
            timeout=float(options.pop("timeout", "10")),
            verify_certs=options.pop("verify_certs", "true").lower() not in ("0", "false", "no"),
            ca_certs=options.pop("ca_certs", None),
            extra=options,
        )
    except ValueError as exc:
        raise SearchError(f"SEARCH_URL has a bad option: {exc}") from exc
    if settings.refresh not in ("wait_for", "true", "false"):
        raise SearchError("SEARCH_URL refresh must be wait_for, true or false")
    if settings.shards < 1 or settings.slices < 0:
        raise SearchError("SEARCH_URL shards must be 1 or more and slices 0 or more")
    return settings


def _now() -> datetime:
    return datetime.now(UTC)


def _json_line(value: Any) -> bytes:
    """One bulk line, serialised by orjson (the clients' ``json`` took a sixth of a reindex's Python
    time). Numbers orjson refuses (integers beyond 64 bits in specifications) go through ``json``."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _index_lines(docs: Iterable[Document]) -> bytes:
    """The bulk request body that writes ``docs``: an action line and the engine document for each.

    Each engine document is serialised as soon as it is built and then dropped: holding a request's
    thousand built documents as dicts until it is sent made the cyclic garbage collector walk them
    again and again (building and serialising cost 0.049 ms a document that way, 0.030 ms this way).
    """
    lines: list[bytes] = []
    for doc in docs:
        lines.append(b'{"index":{"_id":"%d"}}' % int(doc["id"]))
        lines.append(_json_line(dsl.build_engine_document(doc)))
    lines.append(b"")
    return b"\n".join(lines)


def _delete_lines(ids: Iterable[int]) -> bytes:
    """The bulk request body that deletes the documents ``ids``."""
    return b"".join(b'{"delete":{"_id":"%d"}}\n' % i for i in ids)


class ClusterSearchBackend(SearchBackend):
    """A catalogue index on an OpenSearch or Elasticsearch cluster (see the module docstring)."""

    name = "cluster"
    default_port = 9200

    def __init__(self, settings: ClusterSettings, client: Any = None) -> None:
        self.settings = settings
        self.alias = settings.alias
        self._client = client
        self._client_lock = threading.Lock()
        self._ready = False
        self._analyzers: dict[str, str] | None = None
        self._entities: tuple[float, list[dict[str, Any]]] | None = None
        self._entities_lock = threading.Lock()
        self._known_words: dict[str, bool] = {}  # folded word → whether the index has it as typed
        self._known_words_at = 0.0

    @classmethod
    def from_url(cls, url: str) -> ClusterSearchBackend:
        return cls(parse_cluster_url(url, cls.default_port))

    # --- what a subclass provides ------------------------------------------------------------

    def create_client(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def translate_error(self, exc: Exception) -> SearchError | None:  # pragma: no cover - abstract
        """Our error for a client exception, or None when it is not the client's."""
        raise NotImplementedError

    def status_of(self, exc: Exception) -> int | None:  # pragma: no cover - abstract
        """The HTTP status of a client exception that carries one."""
        raise NotImplementedError

    def cluster_health(self, index: str | None = None, wait_for_status: str | None = None) -> dict[str, Any]:
        """``_cluster/health`` (waiting up to the server's 30 s for ``wait_for_status`` when given)."""
        raise NotImplementedError  # pragma: no cover - abstract

    def wait_for_yellow(self, index: str) -> None:
        health = self.cluster_health(index=index, wait_for_status="yellow")
        if health.get("timed_out"):
            raise SearchUnavailable(
                f"index {index} did not become available (cluster {health.get('status')})"
            )

    # --- plumbing ----------------------------------------------------------------------------

    @property
    def client(self) -> Any:
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    self._client = self.create_client()
        return self._client

    @contextlib.contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except SearchError:
            raise
        except Exception as exc:
            error = self.translate_error(exc)
            if error is None:
                raise
            error.detail = f"{doing}: {error.detail}"
            error.args = (error.detail,)
            raise error from exc

    @property
    def admin(self) -> Any:
        """The client with a long timeout, for index creation, settings, refresh and alias changes."""
        return self.client  # subclasses give a client with a longer timeout

    def _create_index(self, name: str, body: dict[str, Any]) -> None:
        """Create ``name``; a retried request that finds it already there (our own first try) is fine."""
        try:
            self.admin.indices.create(index=name, body=body)
        except Exception as exc:
            if self.status_of(exc) == 400 and "resource_already_exists" in str(exc):
                return
            raise

    def _new_index_name(self) -> str:
        return f"{self.alias}-{_now().strftime(_STAMP)}"

    def language_analyzers(self) -> dict[str, str]:
        """Field kind → analyzer: the engine's language analyzers, or ``standard`` for any it lacks.

        Elasticsearch's integ-test distribution has no ``analysis-common`` module, hence no
        ``english`` or ``bengali``; the folded ``x.*`` fields still match there (docs/search-engines.md).
        """
        if self._analyzers is None:
            found = {}
            for kind, analyzer in dsl.LANGUAGE_ANALYZERS.items():
                try:
                    self.client.indices.analyze(body={"analyzer": analyzer, "text": "test"})
                    found[kind] = analyzer
                except Exception as exc:
                    if self.status_of(exc) != 400:
                        raise
                    log.warning(
                        "search: the engine has no %s analyzer; using %s", analyzer, dsl.FALLBACK_ANALYZER
                    )
                    found[kind] = dsl.FALLBACK_ANALYZER
            self._analyzers = found
        return self._analyzers

    def engine_index_settings(self) -> dict[str, Any]:
        """Index settings only this engine (and version) understands, added to every new index."""
        return {}

    def _index_body(self, *, loading: bool = False) -> dict[str, Any]:
        analyzers = self.language_analyzers()
        if loading:
            body = dsl.build_index_body(
                shards=self.settings.shards, replicas=0, refresh_interval="-1", analyzers=analyzers
            )
        else:
            body = dsl.build_index_body(
                shards=self.settings.shards, replicas=self.settings.replicas, analyzers=analyzers
            )
        body["settings"]["index"].update(self.engine_index_settings())
        return body

    def _live_indices(self) -> list[str]:
        """Indices behind the alias (one, except during a manual repair)."""
        try:
            answer = self.client.indices.get_alias(name=self.alias)
        except Exception as exc:
            if self.status_of(exc) == 404:
                return []
            raise
        return sorted(dict(answer))

    def ensure_index(self) -> str:
        """The live index, created with its alias when there is none yet."""
        with self._errors("cannot prepare the search index"):
            live = self._live_indices()
            if live:
                self._check_mapping_version(live[-1])
                self._ready = True
                return live[-1]
            name = self._new_index_name()
            body = self._index_body()
            body["aliases"] = {self.alias: {}}
            try:
                self.admin.indices.create(index=name, body=body)
            except Exception as exc:
                if self.status_of(exc) != 400:
                    raise
                live = self._live_indices()  # another process created it at the same moment
                if not live:
                    raise
                name = live[-1]
            self.wait_for_yellow(name)
            self._ready = True
            return name

    def _check_mapping_version(self, name: str) -> None:
        """Refuse an index built for other queries (an older release): it would answer wrongly, not fail."""
        mapping = self.client.indices.get_mapping(index=name)
        meta = (next(iter(dict(mapping).values()), {}).get("mappings") or {}).get("_meta") or {}
        found = meta.get("mapping_version", 1)
        if found != dsl.MAPPING_VERSION:
            raise SearchUnavailable(
                f"the search index {name} has mapping version {found} and this release needs "
                f"{dsl.MAPPING_VERSION}: run `flask search reindex` (the catalogue waits; nothing is lost)"
            )

    def _ensure_ready(self) -> None:
        if not self._ready:
            self.ensure_index()

    def _refresh_param(self) -> Any:
        value = self.settings.refresh
        return {"wait_for": "wait_for", "true": "true", "false": "false"}[value]

    def _bulk(self, body: bytes, *, index: str, refresh: Any) -> None:
        """One bulk request (ndjson ``body``); raise on any item that failed (all items are idempotent,
        a retry is safe)."""
        if not body:
            return
        answer = self.client.bulk(body=body, index=index, refresh=refresh)
        if answer.get("errors"):
            failures = []
            for item in answer["items"]:
                result = next(iter(item.values()))
                status = int(result.get("status", 500))
                if status >= 300 and not (status == 404 and "delete" in item):
                    failures.append((status, result.get("error")))
            if failures:
                statuses = {s for s, _ in failures}
                message = f"{len(failures)} bulk item(s) failed, first: {failures[0][1]}"
                if statuses & {429, 503}:
                    raise SearchUnavailable(message)
                raise SearchError(message)

    def _bulk_concurrently(self, requests: Iterable[bytes], *, index: str, refresh: Any) -> None:
        """Send bulk requests, ``BULK_SENDERS`` at a time, each as soon as it is built, building the
        next while others are in flight.

        One bulk request keeps one of the node's write threads busy; with three in flight both
        write threads of a small node's two cores always have one, also while another is being
        answered and the next built (upserts: 4,300-4,800/s with two, 5,000-5,900/s with three, in
        alternating runs on this machine). The first failure is raised once every request sent has
        ended.
        """
        with ThreadPoolExecutor(max_workers=BULK_SENDERS, thread_name_prefix="bulk") as pool:
            in_flight: list[Future[None]] = []
            try:
                for body in requests:
                    in_flight.append(pool.submit(self._bulk, body, index=index, refresh=refresh))
                    while len(in_flight) > BULK_SENDERS:
                        in_flight.pop(0).result()
            finally:
                errors = []
                for future in in_flight:
                    try:
                        future.result()
                    except Exception as exc:  # noqa: BLE001 - re-raised below, after every request ended
                        errors.append(exc)
            if errors:
                raise errors[0]

    def _invalidate(self) -> None:
        with self._entities_lock:
            self._entities = None
            self._known_words = {}

    # --- writes ------------------------------------------------------------------------------

    def index_documents(self, docs: Iterable[Document]) -> int:
        batch = list(docs)
        if not batch:
            return 0
        self._ensure_ready()
        with self._errors("cannot write to the search index"):
            if len(batch) <= BULK_DOCUMENTS:  # one request (the outbox's batches): sent from this thread
                self._bulk(_index_lines(batch), index=self.alias, refresh=self._refresh_param())
            else:
                self._bulk_concurrently(
                    (
                        _index_lines(batch[start : start + BULK_DOCUMENTS])
                        for start in range(0, len(batch), BULK_DOCUMENTS)
                    ),
                    index=self.alias,
                    refresh=self._refresh_param(),
                )
        self._invalidate()
        return len(batch)

    def delete_documents(self, ids: Iterable[int]) -> int:
        wanted = sorted({int(i) for i in ids})
        if not wanted:
            return 0
        self._ensure_ready()
        with self._errors("cannot delete from the search index"):
            for start in range(0, len(wanted), BULK_DOCUMENTS):
                body = _delete_lines(wanted[start : start + BULK_DOCUMENTS])
                self._bulk(body, index=self.alias, refresh=self._refresh_param())
        self._invalidate()
        return len(wanted)

    # --- reads -------------------------------------------------------------------------------

    def _search(self, body: dict[str, Any], **params: Any) -> dict[str, Any]:
        answer = self.client.search(index=self.alias, body=body, **params)
        return dict(answer)

    def _msearch(self, bodies: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[dict[str, Any]]:
        """Several searches in one round trip (header, body); an error in any of them is raised."""
        lines: list[dict[str, Any]] = []
        for header, body in bodies:
            lines += [header, body]
        answers = list(self.client.msearch(index=self.alias, body=lines)["responses"])
        for answer in answers:
            if "error" in answer:
                status = int(answer.get("status") or 500)
                error = answer["error"]
                reason = error.get("reason") or error.get("type") if isinstance(error, dict) else str(error)
                if status in (404, 408, 429, 502, 503, 504):
                    raise SearchUnavailable(f"the engine answered {status}: {reason}")
                raise SearchError(f"the engine answered {status}: {reason}")
        return answers

    def _search_page(self, query: CatalogueQuery, terms: list[QueryTerm], any_term: bool) -> dict[str, Any]:
        """One round trip: the page of hits (top-k only, typo suggestions) and, cacheable, total + facets."""
        hits, counts = self._msearch(
            [
                (
                    {},
                    dsl.build_search_body(
                        query, terms, any_term=any_term, with_facets=False, count_total=False
                    ),
                ),
                ({"request_cache": True}, dsl.build_count_body(query, terms, any_term=any_term)),
            ]
        )
        hits["hits"]["total"] = counts["hits"]["total"]
        hits["aggregations"] = counts.get("aggregations")
        return hits

    def _plan_terms(self, terms: list[QueryTerm]) -> list[QueryTerm]:
        """Mark the words the index has as typed, which then need no prefix, skeleton or typo clauses.

        As in the embedded backend: those alternatives only widen the words that match nothing, and
        on a common word (every phone has "ফোন") they cost a pass over every document that has it.
        Answers are kept for ``ENTITY_CACHE_SECONDS`` and dropped by this process's writes; the
        lookup itself is one ``_msearch`` of size-0 term queries (request-cached by the engine).
        """
        words = unique(t.token for t in terms if not t.code)
        if not words:
            return terms
        with self._entities_lock:
            if (
                time.monotonic() - self._known_words_at > ENTITY_CACHE_SECONDS
                or len(self._known_words) > 10_000
            ):
                self._known_words, self._known_words_at = {}, time.monotonic()
            cached = dict(self._known_words)
        missing = [w for w in words if w not in cached]
        if missing:
            answers = self._msearch(
                [({"request_cache": True}, dsl.build_known_words_body(w)) for w in missing]
            )
            found = {w: bool(a["hits"]["total"]["value"]) for w, a in zip(missing, answers, strict=True)}
            cached.update(found)
            with self._entities_lock:
                self._known_words.update(found)
        return dsl.mark_known_terms(terms, {w for w in words if cached[w]})

    def search(self, query: CatalogueQuery) -> SearchResult:
        if query.stop_words_only:
            return SearchResult(hits=[], total=0, hint=STOP_WORDS_ONLY)
        terms = analyse_query_text(query.q)
        self._ensure_ready()
        with self._errors("the search index cannot answer"):
            terms = self._plan_terms(terms)
            response = self._search_page(query, terms, any_term=False)
            if not response["hits"]["total"]["value"] and len(terms) > 1:
                # nothing has every word: rank by how many (and how well) words match instead
                response = self._search_page(query, terms, any_term=True)
            corrections = dsl.read_corrections(
                response.get("suggest"), terms, [h["_source"] for h in response["hits"]["hits"]]
            )
            return dsl.read_search_response(query, response, terms, corrections)

    def scan(self, query: CatalogueQuery, batch: int = 1000) -> Iterator[Document]:
        if query.stop_words_only:
            return
        terms = analyse_query_text(query.q)
        self._ensure_ready()
        with self._errors("the search index cannot answer"):
            terms = self._plan_terms(terms)
            body = dsl.build_search_body(query, terms, with_facets=False, total_order=True)
            if not self._search({**body, "size": 0, "from": 0})["hits"]["total"]["value"] and len(terms) > 1:
                body = dsl.build_search_body(query, terms, any_term=True, with_facets=False, total_order=True)
        body.pop("from", None)
        body.pop("suggest", None)
        body["size"] = batch
        body["track_total_hits"] = False
        # the same shard copies for every page, so that scores (and so the order) do not change
        preference = f"scan-{id(body)}"
        after: list[Any] | None = None
        while True:
            page_body = dict(body)
            if after is not None:
                page_body["search_after"] = after
            with self._errors("the search index cannot answer"):
                hits = self._search(page_body, preference=preference)["hits"]["hits"]
            for hit in hits:
                yield hit["_source"]
            if len(hits) < batch:
                return
            after = hits[-1]["sort"]

    def get_documents(self, ids: Iterable[int]) -> list[Document]:
        wanted = [int(i) for i in ids]
        if not wanted:
            return []
        self._ensure_ready()
        with self._errors("the search index cannot answer"):
            answer = self.client.mget(
                index=self.alias, body={"ids": [str(i) for i in wanted]}, _source_excludes=dsl.DERIVED
            )
        found = {int(d["_id"]): d["_source"] for d in answer["docs"] if d.get("found")}
        return [found[i] for i in wanted if i in found]

    def _entity_suggestions(self) -> list[dict[str, Any]]:
        with self._entities_lock:
            if self._entities is not None and time.monotonic() - self._entities[0] < ENTITY_CACHE_SECONDS:
                return self._entities[1]
        entries = dsl.read_entities(self._search(dsl.build_entities_body(), request_cache="true"))
        with self._entities_lock:
            self._entities = (time.monotonic(), entries)
        return entries

    def suggest(self, prefix: str, limit: int = 10) -> list[Suggestion]:
        terms = [t for t in analyse_query_text(prefix, prefix_last=True) if t.token]
        if not terms:
            return []
        self._ensure_ready()
        with self._errors("the search index cannot answer"):
            out: list[Suggestion] = []
            bangla = any(has_bangla(t.token) for t in terms)
            matches = [e for e in self._entity_suggestions() if entity_matches(e, terms)]
            matches.sort(key=lambda e: (has_bangla(e["text"]) != bangla, -e["count"]))
            seen: set[tuple[str, str]] = set()
            for entry in matches:
                key = (entry["kind"], entry["value"])
                if key in seen:
                    continue
                seen.add(key)
                out.append(Suggestion(entry["text"], entry["kind"], entry["value"], entry["count"]))
                if len(out) >= max(1, limit // 2):
                    break
            response = self._search(dsl.build_suggest_body(terms, limit))
            out.extend(dsl.read_product_suggestions(response, bangla=bangla, limit=limit - len(out)))
            return out[:limit]

    # --- index management --------------------------------------------------------------------

    def count(self) -> int:
        self._ensure_ready()
        with self._errors("cannot count the search index"):
            return int(self.client.count(index=self.alias)["count"])

    def ping(self) -> bool:
        try:
            health = self.cluster_health()
        except Exception:  # noqa: BLE001 - ping never raises
            return False
        return health.get("status") in ("green", "yellow")

    def _index_created(self, name: str) -> datetime | None:
        try:
            stamp = name.rsplit("-", 1)[1]
            return datetime.strptime(stamp, _STAMP).replace(tzinfo=UTC)
        except (IndexError, ValueError):
            return None

    def info(self) -> IndexInfo:
        self._ensure_ready()
        with self._errors("cannot read the search index"):
            live = self._live_indices()
            if not live:
                raise SearchUnavailable(f"no index behind the alias {self.alias}; run `flask search reindex`")
            name = live[-1]
            stats = self.client.indices.stats(index=name, metric="docs,store")
            total = stats["indices"][name]["primaries"]
            health = self.cluster_health(index=name)
            return IndexInfo(
                name=name,
                created_at=self._index_created(name),
                documents=int(self.client.count(index=name)["count"]),  # stats count nested docs too
                extra={
                    "alias": self.alias,
                    "bytes": int(total["store"]["size_in_bytes"]),
                    "health": health.get("status"),
                    "nodes": health.get("number_of_nodes"),
                    "urls": self.settings.urls,
                    "analyzers": self.language_analyzers(),
                },
            )

    def _own_indices(self) -> list[str]:
        answer = self.client.indices.get(index=f"{self.alias}-*", expand_wildcards="open")
        return sorted(n for n in dict(answer) if self._index_created(n) is not None)

    def is_reindexing(self) -> bool:
        try:
            with self._errors("cannot list indices"):
                live = set(self._live_indices())
                cutoff = _now().timestamp() - REINDEX_STALE_SECONDS
                for name in self._own_indices():
                    created = self._index_created(name)
                    if name in live or created is None:
                        continue
                    newest_live = max(
                        (self._index_created(n) for n in live), default=None, key=lambda d: d or _now()
                    )
                    if created.timestamp() > cutoff and (newest_live is None or created > newest_live):
                        return True
        except SearchError:
            return False
        return False

    def reindex(self, source: DocumentSource, expected: Callable[[], int]) -> IndexInfo:
        name = self._new_index_name()
        with self._errors("reindex failed"):
            self._create_index(name, self._index_body(loading=True))
        try:
            loaded = 0
            with self._errors("reindex failed"):
                seen: set[int] = set()

                def requests() -> Iterator[bytes]:
                    pending: list[Document] = []
                    for docs in source():
                        for doc in docs:
                            doc_id = int(doc["id"])
                            if doc_id in seen:
                                continue
                            seen.add(doc_id)
                            pending.append(doc)
                            if len(pending) >= REINDEX_BULK_DOCUMENTS:
                                yield _index_lines(pending)
                                pending = []
                    if pending:
                        yield _index_lines(pending)

                self._bulk_concurrently(requests(), index=name, refresh="false")
                loaded = len(seen)
                live_settings = self._index_body()["settings"]["index"]
                replicas = ("auto_expand_replicas", "number_of_replicas")
                restored = {k: v for k, v in live_settings.items() if k in replicas}
                # None (not pinned by the live settings) puts the engine's default back
                restored["refresh_interval"] = live_settings.get("refresh_interval")
                self.admin.indices.put_settings(index=name, body={"index": restored})
                self.admin.indices.refresh(index=name)
                self.wait_for_yellow(name)
                indexed = int(self.client.count(index=name)["count"])
                wanted = expected()
                if not loaded == indexed == wanted:
                    raise ReindexFailed(
                        f"the new index holds {indexed} documents ({loaded} loaded) but the database has "
                        f"{wanted} public products; the live index was kept"
                    )
                live = self._live_indices()
                actions: list[dict[str, Any]] = [
                    {"remove": {"index": old, "alias": self.alias}} for old in live
                ]
                actions.append({"add": {"index": name, "alias": self.alias}})
                self.admin.indices.update_aliases(body={"actions": actions})
        except BaseException:
            with contextlib.suppress(Exception):
                self.admin.indices.delete(index=name)
            raise
        self._ready = True
        self._invalidate()
        self._prune(keep=name)
        return IndexInfo(name=name, created_at=self._index_created(name), documents=indexed)

    def _prune(self, keep: str) -> None:
        """Delete indices older than the live one, keeping ``KEEP_OLD_INDEXES`` for a rollback."""
        try:
            older = [n for n in self._own_indices() if n < keep]
            doomed = older[: max(0, len(older) - KEEP_OLD_INDEXES)]
            if doomed:
                self.admin.indices.delete(index=",".join(doomed))
        except Exception as exc:  # noqa: BLE001 - pruning is housekeeping; the reindex itself succeeded
            log.warning("search: could not prune old indices: %s", exc)

    def drop_all(self) -> None:
        """Delete the alias and every index of this backend (tests and `flask search` repair only)."""
        with self._errors("cannot delete the search indices"):
            names = self._own_indices()
            if names:
                self.admin.indices.delete(index=",".join(names))
        self._ready = False
        self._invalidate()

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()
            self._client = None
