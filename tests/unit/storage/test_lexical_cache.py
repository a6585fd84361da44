"""The store's BM25 cache on a real catalog file: current, rebuilt, and served stale
while a replica's catalog moves (no model)."""

from __future__ import annotations

import time
from contextlib import nullcontext
from pathlib import Path

import pytest

from assistant.storage.catalog import Catalog
from assistant.storage.lexical_cache import LexicalCache
from tests.unit.storage.samples import BUSAN, MISSILE, SEOUL, add_args


@pytest.fixture()
def catalog(tmp_path: Path):
    cat = Catalog(tmp_path / "catalog.sqlite")
    listed, _, sentence_vecs, terms, files = add_args([SEOUL], "a.txt")
    cat.insert(listed, terms, files, sentence_vecs)
    yield cat
    cat.close()


def _cache(catalog: Catalog, tmp_path: Path, *, stale: bool) -> LexicalCache:
    return LexicalCache(
        lambda: catalog,
        tmp_path / "bm25",
        (1.2, 0.75),
        lambda: nullcontext(True),
        serve_stale=stale,
    )


def _add(catalog: Catalog, doc, path: str) -> None:
    listed, _, sentence_vecs, terms, files = add_args([doc], path)
    catalog.insert(listed, terms, files, sentence_vecs)


def test_the_index_follows_the_catalog_and_is_saved(catalog, tmp_path: Path) -> None:
    cache = _cache(catalog, tmp_path, stale=False)
    first = cache.get(0)
    assert set(first.chunk_ids) == catalog.chunk_ids() and cache.get(0) is first
    _add(catalog, BUSAN, "b.txt")
    second = cache.get(0)  # built before returning
    assert set(second.chunk_ids) == catalog.chunk_ids() and second is not first
    assert (tmp_path / "bm25").is_dir()
    assert set(_cache(catalog, tmp_path, stale=False).get(0).chunk_ids) == catalog.chunk_ids()


def test_a_replica_serves_the_old_index_while_the_new_one_is_built(catalog, tmp_path: Path) -> None:
    cache = _cache(catalog, tmp_path, stale=True)
    old = cache.get(0)  # the first index is built before returning
    _add(catalog, MISSILE, "m.txt")
    assert cache.get(0) is old  # stale, answered at once
    deadline = time.monotonic() + 30
    while set(cache.get(0).chunk_ids) != catalog.chunk_ids():
        assert time.monotonic() < deadline, "the background rebuild never landed"
        time.sleep(0.05)
    _add(catalog, BUSAN, "b.txt")
    assert set(cache.get(0, wait=True).chunk_ids) == catalog.chunk_ids()  # the end of an ingest
