"""The Store front over a real SQLite catalog and an in-memory vector index: write order,
what a crash between steps leaves and how ``reconcile`` repairs it, ``clear``,
generations, the BM25 index's staleness check, and closing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from assistant.errors import IndexMismatch
from assistant.settings import Settings
from assistant.storage.keys import sentence_id, unique_sentences
from assistant.storage.store import Store
from tests.unit.storage.memory_vectors import Crash, MemoryVectors
from tests.unit.storage.samples import BUSAN, MISSILE, SEOUL, Doc, add_args, near

A = "/corpus/news/a.jsonl"


@pytest.fixture()
def vectors() -> MemoryVectors:
    return MemoryVectors()


@pytest.fixture()
def store(tmp_path: Path, vectors: MemoryVectors):
    with Store(Settings(data_dir=tmp_path), vectors=vectors) as s:
        yield s


def _spy_catalog(store: Store, log: list[str], fail_on: str | None = None) -> None:
    """Log (or crash at) the catalog's writes, in the same list as the vector index's."""
    for name in ("delete", "insert", "clear"):
        real = getattr(store.catalog, name)

        def wrapper(*args, _name=name, _real=real, **kwargs):
            if _name == fail_on:
                raise Crash(_name)
            log.append(f"catalog.{_name}")
            return _real(*args, **kwargs)

        setattr(store.catalog, name, wrapper)


def _consistent(store: Store, vectors: MemoryVectors) -> None:
    assert set(vectors.chunks) == store.catalog.chunk_ids()


def _sentence_ids(docs: list[Doc]) -> list[str]:
    """Every sentence's id, in the order their vectors are given to ``add``."""
    return [sentence_id(a.doc_id, s) for a, cs in docs for s in unique_sentences(cs)]


def _sentences(store: Store, docs: list[Doc]) -> dict[str, np.ndarray]:
    """The stored sentence vectors of ``docs``."""
    return store.sentence_vectors(_sentence_ids(docs))


def test_writes_go_catalog_delete_vectors_delete_upsert_catalog_insert(
    store: Store, vectors: MemoryVectors
) -> None:
    _spy_catalog(store, vectors.log)
    store.forget(["seoul"], [A])
    store.add(*add_args([SEOUL], A))
    assert vectors.log == [
        "catalog.delete",
        "vectors.delete_documents",
        "vectors.add",
        "catalog.insert",
    ]
    vectors.log.clear()
    store.forget([], [])  # nothing to do: nothing written
    assert vectors.log == []


def test_added_documents_are_readable(store: Store, vectors: MemoryVectors) -> None:
    store.add(*add_args([SEOUL, BUSAN], A, sha="abc"))
    assert store.counts() == (2, 3) and vectors.chunk_count() == 3
    assert len(_sentences(store, [SEOUL, BUSAN])) == 5  # seoul's middle one is in both chunks
    assert store.sentence_vectors([]) == {}
    assert store.file_sha(A) == "abc" and store.file_doc_ids(A) == ["seoul", "busan"]
    assert store.files_under([Path("/corpus")]) == [A]
    assert store.doc_hashes(["busan"]) == {"busan": (BUSAN[0].content_hash, A)}
    assert store.get_chunks(["seoul#1"])["seoul#1"].text == SEOUL[1][1].text
    assert store.document_text("busan") == BUSAN[0].text
    assert sorted(d for d, _, _ in store.documents()) == ["busan", "seoul"]
    key = sentence_id("seoul", SEOUL[1][0].sentences[1])
    got = store.sentence_vectors([key, "nope@0"])
    assert list(got) == [key] and got[key].shape == (8,) and got[key].dtype == np.float32


def test_dense_search_passes_the_filter_through(store: Store, vectors: MemoryVectors) -> None:
    args = add_args([SEOUL, MISSILE], A)
    store.add(*args)
    target = args[1][2]  # missile#0's own vector
    assert store.dense_search(target, k=1)[0][0] == "missile#0"
    where = {"source": {"$in": ["news/a.txt"]}}
    hits = store.dense_search(target, k=5, where=where)
    assert vectors.last_where == where and {c for c, _ in hits} == {"seoul#0", "seoul#1"}


def test_mismatched_vectors_are_refused_before_anything_is_written(
    store: Store, vectors: MemoryVectors
) -> None:
    docs, chunk_vecs, sentence_vecs, terms, files = add_args([SEOUL], A)
    with pytest.raises(ValueError, match="sentence vectors"):
        store.add(docs, chunk_vecs, sentence_vecs[:-1], terms, files)
    with pytest.raises(ValueError, match="term lists"):
        store.add(docs, chunk_vecs, sentence_vecs, terms[:-1], files)
    assert vectors.log == [] and store.counts() == (0, 0) and store.generation == 0


def test_a_crash_before_the_catalog_insert_leaves_only_unlisted_vectors(
    store: Store, vectors: MemoryVectors
) -> None:
    store.add(*add_args([BUSAN], "/corpus/b.txt"))
    _spy_catalog(store, vectors.log, fail_on="insert")
    with pytest.raises(Crash):
        store.add(*add_args([SEOUL], A))
    assert vectors.chunk_count() == 3  # the vectors landed …
    assert store.counts() == (1, 1) and store.file_sha(A) is None  # … the catalog never knew
    assert _sentences(store, [SEOUL]) == {}  # … nor of its sentence vectors
    assert store.reconcile() == 1  # one stray document
    assert set(vectors.chunks) == {"busan#0"}
    assert set(_sentences(store, [SEOUL, BUSAN])) == set(_sentence_ids([BUSAN]))


def test_a_crash_after_the_catalog_delete_is_repaired(store: Store, vectors: MemoryVectors) -> None:
    store.add(*add_args([SEOUL, BUSAN], A))
    vectors.fail_on = "delete_documents"
    with pytest.raises(Crash):
        store.forget(["seoul"], [A])
    assert store.counts() == (1, 1) and vectors.chunk_count() == 3
    vectors.fail_on = None
    assert store.reconcile() == 1
    _consistent(store, vectors)


def test_a_crash_in_the_upsert_leaves_the_catalog_untouched(
    store: Store, vectors: MemoryVectors
) -> None:
    vectors.fail_on = "add"
    with pytest.raises(Crash):
        store.add(*add_args([SEOUL], A))
    assert store.counts() == (0, 0) and store.generation == 0 and store.file_sha(A) is None


def test_reconcile_drops_chunks_a_listed_document_no_longer_has(
    store: Store, vectors: MemoryVectors
) -> None:
    store.add(*add_args([SEOUL], A))
    leftover, meta = vectors.chunks["seoul#1"]
    vectors.chunks["seoul#9"] = (leftover, {**meta, "chunk_id": "seoul#9"})
    sentences = _sentences(store, [SEOUL])
    assert len(sentences) == 3
    assert store.reconcile() == 1
    assert set(vectors.chunks) == {"seoul#0", "seoul#1"}
    after = _sentences(store, [SEOUL])  # a listed document keeps its sentence vectors
    assert set(after) == set(sentences)
    assert all(np.array_equal(after[k], v) for k, v in sentences.items())
    assert store.reconcile() == 0  # consistent: nothing more to do


def test_reconcile_with_nothing_stray_deletes_nothing(store: Store, vectors: MemoryVectors) -> None:
    store.add(*add_args([SEOUL, BUSAN], A))
    vectors.log.clear()
    assert store.reconcile() == 0 and vectors.log == []


def test_clear_unlists_first_and_keeps_the_generation_counting(
    store: Store, vectors: MemoryVectors
) -> None:
    store.check_model("m", 8)
    store.add(*add_args([SEOUL, BUSAN], A))
    assert len(store.lexical()) == 3
    _spy_catalog(store, vectors.log)
    vectors.log.clear()
    store.clear()
    assert vectors.log == ["catalog.clear", "vectors.clear"]
    assert store.counts() == (0, 0) and vectors.chunk_count() == 0
    assert _sentences(store, [SEOUL, BUSAN]) == {}
    assert store.meta("embedding_model") is None and store.generation == 2
    assert len(store.lexical()) == 0


def test_a_crash_inside_clear_is_repaired_by_reconcile(
    store: Store, vectors: MemoryVectors
) -> None:
    store.add(*add_args([SEOUL], A))
    vectors.fail_on = "clear"
    with pytest.raises(Crash):
        store.clear()
    assert store.counts() == (0, 0)
    vectors.fail_on = None
    assert store.reconcile() == 1 and vectors.chunk_count() == 0


def test_each_write_bumps_the_generation(store: Store) -> None:
    store.check_model("m", 8)
    assert store.generation == 0
    store.add(*add_args([SEOUL], A))
    store.forget(["seoul"], [A])
    store.forget([], ["/corpus/gone.txt"])
    assert store.generation == 3


def test_check_model_records_the_first_and_refuses_another(store: Store) -> None:
    store.check_model("e5", 8)
    store.check_model("e5", 8)
    assert (store.meta("embedding_model"), store.meta("embedding_dim")) == ("e5", "8")
    with pytest.raises(IndexMismatch, match="ingest --rebuild"):
        store.check_model("other", 8)
    with pytest.raises(IndexMismatch, match="'e5'"):
        store.check_model("e5", 16)


def test_lexical_is_cached_until_the_catalog_changes(store: Store) -> None:
    store.add(*add_args([SEOUL], A))
    first = store.lexical()
    assert first is store.lexical() and first.generation == store.generation
    assert (store.folder / "bm25" / "meta.json").exists()
    store.add(*add_args([BUSAN], "/corpus/b.txt"))
    second = store.lexical()
    assert second is not first and len(second) == 3
    assert second.search(["불꽃축제에"], 3)[0][0] == "busan#0"


def test_a_saved_index_is_reused_only_at_the_same_generation_and_parameters(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path)
    with Store(settings, vectors=MemoryVectors()) as store:
        store.add(*add_args([SEOUL], A))
        store.lexical()
        stamp = (store.folder / "bm25" / "meta.json").stat().st_mtime_ns
    with Store(settings, vectors=MemoryVectors()) as again:
        assert len(again.lexical()) == 2
        assert (again.folder / "bm25" / "meta.json").stat().st_mtime_ns == stamp  # loaded
    other = settings.model_copy(update={"bm25_k1": 1.2, "bm25_b": 0.75})
    with Store(other, vectors=MemoryVectors()) as tuned:
        assert tuned.lexical().params == (1.2, 0.75)
    with Store(settings, vectors=MemoryVectors()) as store:
        store.catalog.set_meta({"generation": "41"})  # written by another process
        assert store.lexical().generation == 41 and len(store.lexical()) == 2


def test_close_releases_the_catalog_and_the_vectors(tmp_path: Path) -> None:
    vectors = MemoryVectors()
    with Store(Settings(data_dir=tmp_path), vectors=vectors) as store:
        store.add(*add_args([SEOUL], A))
    assert vectors.closed
    with pytest.raises(sqlite3.ProgrammingError):
        store.counts()
    store.close()  # a second close is harmless


def test_the_catalog_file_is_where_existing_indexes_keep_it(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, collection="news")
    with Store(settings, vectors=MemoryVectors()) as store:
        store.add(*add_args([SEOUL], A))
    db = sqlite3.connect(tmp_path / "index" / "news" / "catalog.sqlite")
    assert db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0] == 2
    db.close()


def test_vectors_and_their_order_reach_the_index(store: Store, vectors: MemoryVectors) -> None:
    args = add_args([SEOUL], A, seed=5)
    store.add(*args)
    np.testing.assert_array_equal(vectors.chunks["seoul#1"][0], args[1][1])
    got = _sentences(store, [SEOUL])
    ids = _sentence_ids([SEOUL])
    assert ids[0] == sentence_id("seoul", SEOUL[1][0].sentences[0]) and set(got) == set(ids)
    for key, vector in zip(ids, args[2], strict=True):
        assert got[key] == near(vector)
