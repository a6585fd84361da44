"""The SQLite catalog on a real file in tmp_path: schema, generations, files, documents,
chunks, and the rows BM25 is rebuilt from."""

from __future__ import annotations

import contextlib
import dataclasses
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from assistant.storage.catalog import Catalog
from assistant.storage.keys import unique_sentences
from tests.unit.storage.samples import BUSAN, MISSILE, SEOUL, add_args, near


def _insert(catalog: Catalog, docs, path: str, sha: str = "sha", seed: int = 0) -> np.ndarray:
    """List ``docs``; returns the sentence vectors given (in ``unique_sentences`` order)."""
    listed, _, sentence_vecs, terms, files = add_args(docs, path, sha, seed=seed)
    catalog.insert(listed, terms, files, sentence_vecs)
    return sentence_vecs


def _sentence_keys(docs) -> list[tuple[str, int]]:
    return [(a.doc_id, s.start) for a, cs in docs for s in unique_sentences(cs)]


def _stored_sentences(catalog: Catalog, docs) -> dict[tuple[str, int], np.ndarray]:
    return catalog.sentence_vectors(_sentence_keys(docs))


@pytest.fixture()
def catalog(tmp_path: Path):
    cat = Catalog(tmp_path / "catalog.sqlite")
    yield cat
    cat.close()


def test_schema_is_the_on_disk_format_of_existing_indexes(catalog: Catalog) -> None:
    def columns(table: str) -> list[str]:
        with contextlib.closing(sqlite3.connect(catalog.path)) as db:
            return [r[1] for r in db.execute(f"PRAGMA table_info({table})")]

    assert columns("meta") == ["key", "value"]
    assert columns("files") == ["path", "sha", "doc_ids"]
    assert columns("docs") == [
        "doc_id", "path", "hash", "title", "source", "url", "published", "metadata", "text",
    ]  # fmt: skip
    assert columns("chunks") == ["chunk_id", "doc_id", "idx", "start", "end", "sentences", "terms"]
    assert columns("sentence_vectors") == ["doc_id", "start", "vector"]


def test_rows_survive_reopening(tmp_path: Path) -> None:
    first = Catalog(tmp_path / "catalog.sqlite")
    _insert(first, [SEOUL, BUSAN], "/corpus/news/a.jsonl")
    generation = first.generation
    first.close()
    again = Catalog(tmp_path / "catalog.sqlite")
    assert again.counts() == (2, 3)
    assert again.generation == generation == 1
    again.close()


def test_every_write_bumps_the_generation_and_meta_does_not(catalog: Catalog) -> None:
    assert catalog.generation == 0
    _insert(catalog, [SEOUL], "/corpus/a.txt")
    assert catalog.generation == 1
    catalog.delete(["seoul"], ["/corpus/a.txt"])
    assert catalog.generation == 2
    catalog.delete([], ["/corpus/unknown.txt"])
    assert catalog.generation == 3
    catalog.set_meta({"embedding_model": "m", "embedding_dim": "8"})
    assert catalog.generation == 3 and catalog.meta("embedding_model") == "m"


def test_files_and_their_documents(catalog: Catalog) -> None:
    _insert(catalog, [SEOUL, BUSAN], "/corpus/news/a.jsonl", sha="abc")
    assert catalog.file_sha("/corpus/news/a.jsonl") == "abc"
    assert catalog.file_doc_ids("/corpus/news/a.jsonl") == ["seoul", "busan"]
    assert catalog.file_sha("/corpus/other.txt") is None
    assert catalog.file_doc_ids("/corpus/other.txt") == []
    hashes = catalog.doc_hashes(["seoul", "nope"])
    assert hashes == {"seoul": (SEOUL[0].content_hash, "/corpus/news/a.jsonl")}


def test_files_under_matches_folders_not_name_prefixes(catalog: Catalog) -> None:
    _insert(catalog, [SEOUL], "/corpus/news/a.txt")
    _insert(catalog, [BUSAN], "/corpus/newsletter/b.txt")
    _insert(catalog, [MISSILE], "/corpus/news")
    assert sorted(catalog.files_under([Path("/corpus/news")])) == [
        "/corpus/news",
        "/corpus/news/a.txt",
    ]
    assert len(catalog.files_under([Path("/corpus")])) == 3
    assert catalog.files_under([Path("/elsewhere")]) == []


def test_doc_hashes_past_one_batch(catalog: Catalog) -> None:
    _insert(catalog, [SEOUL], "/corpus/a.txt")
    ids = [f"x{i}" for i in range(1200)] + ["seoul"]
    assert list(catalog.doc_hashes(ids)) == ["seoul"]


def test_chunks_come_back_frozen_with_their_document(catalog: Catalog) -> None:
    _insert(catalog, [SEOUL], "/corpus/a.txt")
    got = catalog.get_chunks(["seoul#1", "seoul#0", "missing"])
    assert set(got) == {"seoul#0", "seoul#1"}
    chunk = got["seoul#1"]
    original = SEOUL[1][1]
    assert chunk.text == original.text and chunk.sentences == original.sentences
    assert (chunk.title, chunk.source, chunk.url, chunk.published) == (
        "seoul 제목",
        "news/a.txt",
        "https://example.com/seoul",
        "2026-01-04",
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        chunk.start = 0  # type: ignore[misc]


def test_delete_unlists_documents_chunks_and_files(catalog: Catalog) -> None:
    _insert(catalog, [SEOUL, BUSAN], "/corpus/a.jsonl")
    catalog.delete(["seoul"], ["/corpus/a.jsonl"])
    assert catalog.counts() == (1, 1)
    assert catalog.doc_ids() == {"busan"} and catalog.chunk_ids() == {"busan#0"}
    assert catalog.file_sha("/corpus/a.jsonl") is None
    assert catalog.document_text("seoul") is None
    assert catalog.document_text("busan") == BUSAN[0].text


def test_insert_replaces_a_document_with_the_same_id(catalog: Catalog) -> None:
    _insert(catalog, [SEOUL], "/corpus/a.txt", sha="one")
    second = _insert(catalog, [SEOUL], "/corpus/a.txt", sha="two", seed=10)
    assert catalog.counts() == (1, 2) and catalog.file_sha("/corpus/a.txt") == "two"
    got = _stored_sentences(catalog, [SEOUL])
    assert len(got) == 3
    for key, vector in zip(_sentence_keys([SEOUL]), second, strict=True):
        assert got[key] == near(vector)


def test_sentence_vectors_are_stored_once_each_as_float16(catalog: Catalog) -> None:
    given = _insert(catalog, [SEOUL, BUSAN, MISSILE], "/corpus/all.jsonl")
    keys = _sentence_keys([SEOUL, BUSAN, MISSILE])
    assert len(keys) == len(set(keys)) == len(given) == 7  # overlapping chunks share some
    got = catalog.sentence_vectors([*keys, ("seoul", 9999), ("nope", 0)])
    assert set(got) == set(keys)
    for key, vector in zip(keys, given, strict=True):
        assert got[key].dtype == np.float32 and got[key] == near(vector)
    assert catalog.sentence_vectors([]) == {}
    with contextlib.closing(sqlite3.connect(catalog.path)) as db:
        blob = db.execute("SELECT vector FROM sentence_vectors LIMIT 1").fetchone()[0]
    assert len(blob) == 2 * given.shape[1]  # float16


def test_sentence_vectors_survive_reopening_and_go_with_their_document(tmp_path: Path) -> None:
    first = Catalog(tmp_path / "catalog.sqlite")
    given = _insert(first, [SEOUL, BUSAN], "/corpus/a.jsonl")
    first.close()
    again = Catalog(tmp_path / "catalog.sqlite")
    try:
        got = _stored_sentences(again, [SEOUL, BUSAN])
        assert len(got) == 5
        for key, vector in zip(_sentence_keys([SEOUL, BUSAN]), given, strict=True):
            assert got[key] == near(vector)
        again.delete(["seoul"], [])
        assert _stored_sentences(again, [SEOUL]) == {}
        assert set(_stored_sentences(again, [BUSAN])) == set(_sentence_keys([BUSAN]))
    finally:
        again.close()


def test_sentence_vectors_can_be_added_without_a_new_generation(catalog: Catalog) -> None:
    _insert(catalog, [BUSAN], "/corpus/b.txt")
    generation = catalog.generation
    vector = np.arange(8, dtype=np.float32) / 8
    catalog.add_sentence_vectors([("busan", 0, vector)])
    assert catalog.generation == generation
    assert catalog.sentence_vectors([("busan", 0)])[("busan", 0)] == pytest.approx(vector)


def test_clear_empties_everything_but_the_generation(catalog: Catalog) -> None:
    catalog.set_meta({"embedding_model": "m"})
    _insert(catalog, [SEOUL, BUSAN], "/corpus/a.jsonl")
    catalog.clear()
    assert catalog.counts() == (0, 0)
    assert catalog.meta("embedding_model") is None
    assert catalog.files_under([Path("/")]) == []
    assert _stored_sentences(catalog, [SEOUL, BUSAN]) == {}
    assert catalog.generation == 2


def test_lexical_rows_by_chunk_id_whatever_the_insertion_order(catalog: Catalog) -> None:
    _insert(catalog, [MISSILE], "/corpus/c.txt")
    _insert(catalog, [SEOUL, BUSAN], "/corpus/ab.jsonl")
    rows = catalog.lexical_rows()
    assert rows.chunk_ids == ["busan#0", "missile#0", "seoul#0", "seoul#1"]
    assert rows.terms[1] == MISSILE[1][0].text.split()
    assert rows.sources == ["news/b.txt", "news/c.txt", "news/a.txt", "news/a.txt"]
    assert rows.days == [0, 20260106, 20260104, 20260104]


def test_documents_are_listed_by_source(catalog: Catalog) -> None:
    _insert(catalog, [MISSILE, BUSAN, SEOUL], "/corpus/all.jsonl")
    assert [d for d, _, _ in catalog.documents()] == ["seoul", "busan", "missile"]


def test_closed_catalog_refuses_queries(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "catalog.sqlite")
    cat.close()
    with pytest.raises(sqlite3.ProgrammingError):
        cat.counts()
