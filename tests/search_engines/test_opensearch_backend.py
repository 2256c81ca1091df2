"""What the OpenSearch backend does beyond the shared backend contract (tests/search runs that against it):
the engines' language analyzers, the index lifecycle behind the alias, errors when the engine is gone."""

from __future__ import annotations

import threading
import time
from datetime import date
from typing import Any

import pytest

from bench.relevance.dataset import catalogue_documents
from search.backends.cluster import ClusterSearchBackend
from search.backends.opensearch import OpenSearchBackend
from search.errors import ReindexFailed, SearchError, SearchUnavailable
from search.queries import parse_catalogue_query
from tests.search_engines.conftest import OPENSEARCH_URL, engine_backend, make_doc

pytestmark = pytest.mark.opensearch
TODAY = date(2026, 6, 1)


def find(backend: Any, **args: str) -> Any:
    return backend.search(parse_catalogue_query({k: [v] for k, v in args.items()}, TODAY))


def names(result: Any) -> list[str]:
    return [h.document["name_en"] for h in result.hits]


def test_the_mapping_uses_the_engines_language_analyzers(opensearch: ClusterSearchBackend) -> None:
    live = opensearch.ensure_index()
    properties = opensearch.client.indices.get_mapping(index=live)[live]["mappings"]["properties"]
    assert properties["name_bn"] == {"type": "text", "analyzer": "bengali", "index_options": "freqs"}
    assert properties["name_en"] == {"type": "text", "analyzer": "english", "index_options": "freqs"}
    assert properties["category"]["type"] == "keyword"
    assert properties["certificates"] == {"type": "object", "enabled": False}  # in _source only
    assert properties["x"]["properties"]["certs"]["properties"]["BTRC"]["type"] == "date_range"


def index_settings(backend: ClusterSearchBackend, name: str) -> dict[str, Any]:
    answer = backend.client.indices.get_settings(index=name, flat_settings=True)
    return dict(answer[name]["settings"])


def test_searches_run_over_segments_concurrently_unless_slices_is_0(opensearch: ClusterSearchBackend) -> None:
    docs, _ = catalogue_documents()
    live = opensearch.reindex(lambda: iter([docs[:10]]), lambda: 10).name
    settings = index_settings(opensearch, live)
    assert settings["index.search.concurrent_segment_search.mode"] == "all"
    assert settings["index.search.concurrent.max_slice_count"] == "2"
    assert [h.document["id"] for h in find(opensearch, q=docs[3]["gtin"]).hits] == [docs[3]["id"]]

    off = engine_backend("opensearch", OPENSEARCH_URL, opensearch.alias + "-off", slices="0")
    try:
        settings = index_settings(off, off.ensure_index())
        assert "index.search.concurrent_segment_search.mode" not in settings
    finally:
        off.drop_all()
        off.close()


def test_bangla_and_english_inflections_find_the_product(opensearch: ClusterSearchBackend) -> None:
    opensearch.index_documents(
        [
            make_doc(1, name_en="Shikkha 14 Laptop", name_bn="শিক্ষা ১৪ ল্যাপটপ"),
            make_doc(2, name_en="Dorpon Smart TV", name_bn="দর্পণ স্মার্ট টিভি"),
        ]
    )
    # the bengali analyzer's stemmer: a plural with -গুলো finds the singular name
    assert [h.document["id"] for h in find(opensearch, q="ল্যাপটপগুলো").hits] == [1]
    # the english analyzer's stemmer
    assert [h.document["id"] for h in find(opensearch, q="laptops").hits] == [1]


def test_documents_come_back_as_indexed(opensearch: ClusterSearchBackend) -> None:
    docs, _ = catalogue_documents()
    opensearch.index_documents(docs[:20])
    by_id = {d["id"]: d for d in docs[:20]}
    for hit in find(opensearch, per_page="20").hits:
        assert hit.document == by_id[hit.document["id"]]  # derived fields stay out of _source


def test_any_json_in_specifications_is_written_and_returned(opensearch: ClusterSearchBackend) -> None:
    specs = {"imei_block": 2**70, "bands": ["n78", 3.5], "ঘনত্ব": {"ppi": 401}}  # > 64-bit integer, Bangla key
    opensearch.index_documents([make_doc(1, name_en="Shikkha Tab", specifications=specs), make_doc(2)])
    (hit,) = find(opensearch, q="shikkha").hits
    assert hit.document["specifications"] == specs


def test_reindex_swaps_the_alias_and_prunes_old_indices(opensearch: ClusterSearchBackend) -> None:
    docs, _ = catalogue_documents()
    names_seen = []
    for size in (10, 20, 30):
        info = opensearch.reindex(lambda size=size: iter([docs[:size]]), lambda size=size: size)
        names_seen.append(info.name)
        assert opensearch.count() == size
    assert len(set(names_seen)) == 3
    indices = sorted(opensearch.client.indices.get(index=f"{opensearch.alias}-*"))
    assert indices == names_seen[1:]  # the live one and one older, for a rollback
    assert list(opensearch.client.indices.get_alias(name=opensearch.alias)) == [names_seen[-1]]
    assert opensearch.info().name == names_seen[-1] and opensearch.info().documents == 30


def test_with_refresh_false_the_next_search_finds_a_write_also_after_a_reindex_and_on_an_idle_index(
    opensearch: ClusterSearchBackend,
) -> None:
    """``refresh=false`` leaves a write to the engine's scheduled refresh; a reindex must not leave that
    off, and an index nobody searched lately (the engine skips its refreshes then) must still show it."""
    docs, _ = catalogue_documents()
    lazy = engine_backend("opensearch", OPENSEARCH_URL, opensearch.alias, refresh="false")
    try:
        live = lazy.reindex(lambda: iter([docs[:10]]), lambda: 10).name
        # the engine's own default, so that a shard nobody searches skips its refreshes while loaded
        assert "index.refresh_interval" not in index_settings(lazy, live)
        lazy.index_documents([docs[10]])
        deadline = time.monotonic() + 10
        while not find(lazy, q=docs[10]["gtin"]).hits and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [h.document["id"] for h in find(lazy, q=docs[10]["gtin"]).hits] == [docs[10]["id"]]

        lazy.client.indices.put_settings(index=live, body={"index": {"search.idle.after": "1s"}})
        time.sleep(2.5)  # idle: no search for longer than search.idle.after
        lazy.index_documents([docs[11]])
        time.sleep(2.5)  # scheduled refreshes are skipped now
        assert [h.document["id"] for h in find(lazy, q=docs[11]["gtin"]).hits] == [docs[11]["id"]]

        waiting = engine_backend("opensearch", OPENSEARCH_URL, opensearch.alias, refresh="wait_for")
        try:
            time.sleep(2.5)  # idle again: a write that waits for a refresh must still get one
            began = time.monotonic()
            waiting.index_documents([docs[12]])
            assert time.monotonic() - began < 5
            assert [h.document["id"] for h in find(lazy, q=docs[12]["gtin"]).hits] == [docs[12]["id"]]
        finally:
            waiting.close()
    finally:
        lazy.close()


def test_a_reindex_whose_count_is_off_leaves_the_live_index(opensearch: ClusterSearchBackend) -> None:
    docs, _ = catalogue_documents()
    live = opensearch.reindex(lambda: iter([docs[:10]]), lambda: 10)
    with pytest.raises(ReindexFailed):
        opensearch.reindex(lambda: iter([docs[:25]]), lambda: 26)
    assert opensearch.info().name == live.name and opensearch.count() == 10
    assert sorted(opensearch.client.indices.get(index=f"{opensearch.alias}-*")) == [live.name]


def test_a_reindex_is_visible_to_other_processes_while_it_loads(opensearch: ClusterSearchBackend) -> None:
    docs, _ = catalogue_documents()
    opensearch.reindex(lambda: iter([docs[:5]]), lambda: 5)
    other = OpenSearchBackend(opensearch.settings)  # another worker, same cluster
    seen: list[bool] = []

    def source() -> Any:
        yield docs[:50]
        seen.append(other.is_reindexing())
        yield docs[50:100]

    assert not other.is_reindexing()
    opensearch.reindex(source, lambda: 100)
    assert seen == [True]
    assert not other.is_reindexing()
    other.close()


def test_concurrent_writers_lose_nothing(opensearch: ClusterSearchBackend) -> None:
    docs, _ = catalogue_documents()
    opensearch.ensure_index()
    errors: list[BaseException] = []

    def write(part: list[dict[str, Any]]) -> None:
        try:
            for start in range(0, len(part), 7):
                opensearch.index_documents(part[start : start + 7])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(docs[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert opensearch.count() == len(docs)


def test_a_document_the_engine_rejects_is_a_search_error(opensearch: ClusterSearchBackend) -> None:
    with pytest.raises(SearchError) as caught:
        opensearch.index_documents([make_doc(1), make_doc(2, local_value_addition="not a number")])
    assert not isinstance(caught.value, SearchUnavailable) and caught.value.status_code == 500
    assert "1 bulk item(s) failed" in caught.value.detail
    assert opensearch.count() == 1  # the good one is in; the outbox retries the batch idempotently


def test_an_index_built_by_an_older_release_is_refused_until_reindexed(
    opensearch: ClusterSearchBackend,
) -> None:
    """Queries rely on the mapping's fields: an old index would answer wrongly (an empty catalogue), so
    it answers 503 with what to do, and a reindex puts things right."""
    body = opensearch._index_body()
    body["mappings"]["_meta"]["mapping_version"] = 1
    body["aliases"] = {opensearch.alias: {}}
    old = opensearch._new_index_name()
    opensearch.client.indices.create(index=old, body=body)
    fresh = engine_backend("opensearch", OPENSEARCH_URL, opensearch.alias)  # a worker of the new release
    try:
        with pytest.raises(SearchUnavailable, match="flask search reindex"):
            find(fresh, q="laptop")
        docs = [make_doc(1, name_en="Shikkha 14 Laptop", name_bn="শিক্ষা ১৪ ল্যাপটপ")]
        fresh.reindex(lambda: iter([docs]), expected=lambda: 1)
        assert names(find(fresh, q="laptop")) == ["Shikkha 14 Laptop"]
    finally:
        fresh.close()
