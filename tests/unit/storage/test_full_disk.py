"""A full disk: every way SQLite, Chroma and the OS say so becomes one ``StoreFull`` that
names DATA_DIR, and a batch that meets it leaves the index as it was before the batch.

The SQLite cases hit a real "database or disk is full" (``PRAGMA max_page_count`` caps the
file, which SQLite reports exactly as a full disk). Chroma's errors are its own texts,
raised by a fake (the real thing on a real full disk is in
``tests/integration/test_store_processes.py``); ENOSPC from a vector write is simulated
at the write call.
"""

from __future__ import annotations

import errno
import sqlite3
from collections import namedtuple
from pathlib import Path

import pytest

from assistant.errors import IndexDamaged, StoreFull, StoreReadOnly
from assistant.settings import Settings
from assistant.storage import faults as faults_module
from assistant.storage.faults import Faults
from assistant.storage.keys import sentence_id, unique_sentences
from assistant.storage.store import Store
from tests.unit.storage.memory_vectors import MemoryVectors
from tests.unit.storage.samples import BUSAN, MISSILE, SEOUL, add_args

A, B = "/corpus/a.txt", "/corpus/b.txt"
COMPACTION = "Error in compaction: Failed to apply logs to the metadata segment"
Usage = namedtuple("Usage", "total used free")


class InternalError(Exception):
    """Stands for ``chromadb.errors.InternalError`` (matched by text, as Chroma's are)."""


@pytest.fixture()
def faults(tmp_path: Path) -> Faults:
    return Faults.of(Settings(data_dir=tmp_path))


def _real_sqlite_full(tmp_path: Path) -> sqlite3.OperationalError:
    db = sqlite3.connect(tmp_path / "tiny.sqlite")
    db.execute("CREATE TABLE t (x TEXT)")
    db.execute("PRAGMA max_page_count = 3")
    try:
        with db:
            db.execute("INSERT INTO t VALUES (?)", ("x" * 100_000,))
    except sqlite3.OperationalError as exc:
        return exc
    finally:
        db.close()
    raise AssertionError("the insert fitted")


@pytest.mark.parametrize(
    "make",
    [
        lambda tmp: OSError(errno.ENOSPC, "No space left on device"),
        _real_sqlite_full,
        lambda tmp: InternalError(
            "Query error: Database error: error returned from database: (code: 13) "
            "database or disk is full"
        ),
    ],
    ids=["ENOSPC", "sqlite", "chroma-sqlite"],
)
def test_every_full_disk_error_names_data_dir(faults: Faults, tmp_path: Path, make) -> None:
    exc = make(tmp_path)
    mapped = faults.explain(exc, source="chroma")
    assert isinstance(mapped, StoreFull)
    assert f"The disk holding DATA_DIR ({tmp_path}) is full" in str(mapped)


def test_chroma_compaction_error_is_a_full_disk_only_when_space_is_low(
    faults: Faults, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(faults_module.shutil, "disk_usage", lambda p: Usage(10**9, 10**9, 300))
    assert isinstance(faults.explain(InternalError(COMPACTION), source="chroma"), StoreFull)
    monkeypatch.setattr(faults_module.shutil, "disk_usage", lambda p: Usage(10**12, 0, 10**11))
    assert faults.explain(InternalError(COMPACTION), source="chroma") is None


def test_other_failures_are_named_for_what_they_are(faults: Faults, tmp_path: Path) -> None:
    damaged = faults.explain(
        InternalError("error returned from database: (code: 11) database disk image is malformed"),
        source="chroma",
    )
    assert isinstance(damaged, IndexDamaged)
    assert str(tmp_path / "chroma" / "chroma.sqlite3") in str(damaged)
    assert isinstance(faults.explain(OSError(errno.EROFS, "ro")), StoreReadOnly)
    assert faults.explain(ValueError("Expected where to have exactly one operator")) is None


class FullAfterWriting(MemoryVectors):
    """Chroma on a full disk: the records reach its log, then compaction fails. They are
    applied once space is freed, so the upsert half-happened."""

    def add(self, docs, chunk_vectors):  # type: ignore[no-untyped-def]
        super().add(docs, chunk_vectors)
        raise OSError(errno.ENOSPC, "No space left on device")


ALL_SENTENCES = [
    sentence_id(a.doc_id, s) for a, cs in (SEOUL, BUSAN, MISSILE) for s in unique_sentences(cs)
]


def _state(store: Store, vectors: MemoryVectors) -> tuple:
    sentences = set(store.sentence_vectors(ALL_SENTENCES))
    return store.counts(), store.catalog.chunk_ids(), set(vectors.chunks), sentences


def test_a_full_disk_in_the_vector_upsert_leaves_the_index_as_before(tmp_path: Path) -> None:
    vectors = FullAfterWriting()
    with Store(Settings(data_dir=tmp_path), vectors=vectors) as store:
        MemoryVectors.add(vectors, *_vector_args([BUSAN]))
        store.catalog.insert(*_catalog_args([BUSAN], B))
        before = _state(store, vectors)
        assert len(before[3]) == 2  # busan's sentence vectors
        generation = store.generation
        with pytest.raises(StoreFull, match="DATA_DIR"):
            store.add(*add_args([SEOUL, MISSILE], A))
        assert store.counts() == before[0] and store.generation == generation
        assert store.file_sha(A) is None  # the file is redone by the next ingest
        assert store.reconcile() == 2  # the half-written documents go
        assert _state(store, vectors) == before


def test_a_full_disk_in_the_catalog_insert_leaves_the_index_as_before(tmp_path: Path) -> None:
    vectors = MemoryVectors()
    with Store(Settings(data_dir=tmp_path), vectors=vectors) as store:
        store.add(*add_args([BUSAN], B))
        before = _state(store, vectors)
        assert len(before[3]) == 2  # busan's sentence vectors
        generation = store.generation
        db = store.catalog._db  # cap the file where it is: the next insert does not fit
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(StoreFull, match="is full") as info:
            store.add(*_padded(add_args([SEOUL, MISSILE], A)))
        assert isinstance(info.value.__cause__, sqlite3.OperationalError)
        assert store.counts() == before[0] and store.generation == generation
        assert store.reconcile() == 2
        assert _state(store, vectors) == before
        db.execute("PRAGMA max_page_count = 1073741823")  # space freed: the batch goes in
        store.add(*add_args([SEOUL, MISSILE], A))
        assert store.counts() == (3, 4)
        assert set(store.sentence_vectors(ALL_SENTENCES)) == set(ALL_SENTENCES)


def _vector_args(docs):  # type: ignore[no-untyped-def]
    listed, chunk_vecs, _, _, _ = add_args(docs, B)
    return [(a, cs) for a, _, cs in listed], chunk_vecs


def _catalog_args(docs, path):  # type: ignore[no-untyped-def]
    listed, _, sentence_vecs, terms, files = add_args(docs, path)
    return listed, terms, files, sentence_vecs


def _padded(args):  # type: ignore[no-untyped-def]
    """The same batch with long term lists, so the catalog rows need new pages."""
    listed, chunk_vecs, sentence_vecs, terms, files = args
    return listed, chunk_vecs, sentence_vecs, [t * 2000 for t in terms], files


def test_a_write_is_refused_before_it_starts_when_less_than_the_reserve_is_free(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vectors = MemoryVectors()
    settings = Settings(data_dir=tmp_path, min_free_disk_mb=64)
    with Store(settings, vectors=vectors) as store:
        store.add(*add_args([BUSAN], B))
        vectors.log.clear()
        free = 10 * 2**20
        monkeypatch.setattr(faults_module.shutil, "disk_usage", lambda p: Usage(10**9, 0, free))
        with pytest.raises(StoreFull, match=r"is full \(10\.0 MB free; writes stop below 64 MB\)"):
            store.add(*add_args([SEOUL], A))
        assert vectors.log == [] and store.counts() == (1, 1)
