"""Indexes written by an earlier version: sentence vectors kept in a vector collection of
their own are moved into the catalog once (``Store.upgrade``), for listed documents only,
and the old collection is dropped; the id-scheme check is in ``test_store``'s neighbours.

Run against the in-memory fake (``legacy``) and against Chroma in-process, with a
``NAME-sentences`` collection made as the old ``ChromaVectors`` made it.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import chromadb
import numpy as np
import pytest
from chromadb.config import Settings as ChromaSettings

from assistant.settings import Settings
from assistant.storage import vectors as vectors_module
from assistant.storage.catalog import SENTENCES_HERE, SENTENCES_KEY
from assistant.storage.store import Store
from assistant.storage.upgrades import move_sentence_vectors
from assistant.storage.vectors import ChromaVectors, VectorIndex
from tests.unit.storage.legacy import has_old_sentences, old_sentences, write_old_sentences
from tests.unit.storage.memory_vectors import Crash, MemoryVectors
from tests.unit.storage.samples import BUSAN, MISSILE, SEOUL, add_args, near

A = "/corpus/news/a.jsonl"
LISTED = old_sentences([SEOUL, BUSAN])  # the documents the catalog lists
STRAY = old_sentences([MISSILE])  # written by a run that never reached the catalog


@pytest.fixture(params=["memory", "chroma"])
def index(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> VectorIndex:
    if request.param == "memory":
        return MemoryVectors()  # pages of two
    monkeypatch.setattr(vectors_module, "PAGE", 2)  # several pages from Chroma too
    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    return ChromaVectors(client, f"t-{uuid.uuid4().hex[:8]}")


@pytest.fixture()
def store(tmp_path: Path, index: VectorIndex) -> Iterator[Store]:
    with Store(Settings(data_dir=tmp_path), vectors=index) as s:
        yield s


def _make_old(store: Store, index: VectorIndex, records: dict | None = None) -> None:
    """SEOUL and BUSAN listed, their sentence vectors (and MISSILE's) only in the old
    collection, and no mark: an index as the earlier version left it."""
    store.add(*add_args([SEOUL, BUSAN], A))
    with store.catalog._db as db:  # the earlier catalog had no sentence rows
        db.execute("DELETE FROM sentence_vectors")
        db.execute("DELETE FROM meta WHERE key=?", (SENTENCES_KEY,))
    assert store.sentence_vectors(list(LISTED)) == {}
    write_old_sentences(index, records if records is not None else {**LISTED, **STRAY})


def test_an_old_index_has_its_sentence_vectors_moved_once(store: Store, index: VectorIndex) -> None:
    _make_old(store, index)
    generation = store.generation
    assert store.upgrade() == len(LISTED) == 5
    got = store.sentence_vectors([*LISTED, *STRAY])
    assert set(got) == set(LISTED)  # the stray document's vectors stay behind …
    for sid, (vector, _) in LISTED.items():
        assert got[sid] == near(vector)
    assert not has_old_sentences(index)  # … and go with the old collection
    assert store.meta(SENTENCES_KEY) == SENTENCES_HERE
    assert store.generation == generation  # nothing a reader caches has changed
    assert index.chunk_count() == 3  # the chunks are untouched

    assert store.upgrade() == 0  # done: a second upgrade does nothing
    assert set(store.sentence_vectors(list(LISTED))) == set(LISTED)


def test_a_second_upgrade_does_not_look_at_a_collection_made_again(
    store: Store, index: VectorIndex
) -> None:
    _make_old(store, index)
    store.upgrade()
    write_old_sentences(
        index, {sid: (np.zeros(8, dtype=np.float32), m) for sid, (_, m) in LISTED.items()}
    )
    assert store.upgrade() == 0
    got = store.sentence_vectors(list(LISTED))
    assert all(np.any(v) for v in got.values())  # the moved vectors were not overwritten


def test_a_new_index_is_marked_and_nothing_moves(store: Store, index: VectorIndex) -> None:
    assert store.upgrade() == 0
    assert store.meta(SENTENCES_KEY) == SENTENCES_HERE and not has_old_sentences(index)
    store.add(*add_args([SEOUL], A))  # new writes put sentence vectors in the catalog
    assert store.upgrade() == 0 and len(store.sentence_vectors(list(old_sentences([SEOUL])))) == 3


def test_an_old_index_without_listed_documents_moves_nothing(
    tmp_path: Path, index: VectorIndex
) -> None:
    with Store(Settings(data_dir=tmp_path), vectors=index) as store:
        write_old_sentences(index, STRAY)
        assert store.upgrade() == 0
        assert store.sentence_vectors(list(STRAY)) == {} and not has_old_sentences(index)


def test_an_empty_old_collection_is_dropped(store: Store, index: VectorIndex) -> None:
    _make_old(store, index, records={})
    assert has_old_sentences(index)
    assert store.upgrade() == 0 and not has_old_sentences(index)


class CrashAfterOnePage(MemoryVectors):
    """The old collection becomes unreadable after its first page (the process dies)."""

    def __init__(self) -> None:
        super().__init__()
        self.crash = True

    def legacy_sentences(self):  # type: ignore[no-untyped-def]
        for n, page in enumerate(super().legacy_sentences()):
            if n == 1 and self.crash:
                raise Crash("legacy_sentences")
            yield page


def test_an_interrupted_upgrade_copies_again_next_time(tmp_path: Path) -> None:
    vectors = CrashAfterOnePage()
    with Store(Settings(data_dir=tmp_path), vectors=vectors) as store:
        _make_old(store, vectors)
        with pytest.raises(Crash):
            store.upgrade()
        assert len(store.sentence_vectors(list(LISTED))) <= 2  # one page, at most
        assert store.meta(SENTENCES_KEY) is None and vectors.legacy is not None
        vectors.crash = False
        assert store.upgrade() == 5
        assert set(store.sentence_vectors(list(LISTED))) == set(LISTED)
        assert vectors.legacy is None


def test_the_moved_vectors_survive_reopening(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    vectors = MemoryVectors()
    with Store(settings, vectors=vectors) as store:
        _make_old(store, vectors)
        store.upgrade()
    with Store(settings, vectors=MemoryVectors()) as again:
        assert set(again.sentence_vectors([*LISTED, *STRAY])) == set(LISTED)
        assert again.upgrade() == 0
    db = sqlite3.connect(settings.index_dir / "catalog.sqlite")
    try:
        assert db.execute("SELECT COUNT(*) FROM sentence_vectors").fetchone()[0] == 5
    finally:
        db.close()


def test_move_works_on_the_catalog_and_index_alone(store: Store, index: VectorIndex) -> None:
    _make_old(store, index)
    assert move_sentence_vectors(store.catalog, index) == 5
    assert move_sentence_vectors(store.catalog, index) == 0
