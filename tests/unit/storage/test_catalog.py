"""The SQLite catalog on a real file in tmp_path: schema, generations, files, documents,
chunks, and the rows BM25 is rebuilt from."""

from __future__ import annotations

import contextlib
import dataclasses
import sqlite3
from pathlib import Path

import pytest

from assistant.storage.catalog import Catalog
from tests.unit.storage.samples import BUSAN, MISSILE, SEOUL, add_args


def _insert(catalog: Catalog, docs, path: str, sha: str = "sha") -> None:
    listed, _, _, terms, files = add_args(docs, path, sha)
    catalog.insert(listed, terms, files)


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
    _insert(catalog, [SEOUL], "/corpus/a.txt", sha="two")
    assert catalog.counts() == (1, 2) and catalog.file_sha("/corpus/a.txt") == "two"


def test_clear_empties_everything_but_the_generation(catalog: Catalog) -> None:
    catalog.set_meta({"embedding_model": "m"})
    _insert(catalog, [SEOUL, BUSAN], "/corpus/a.jsonl")
    catalog.clear()
    assert catalog.counts() == (0, 0)
    assert catalog.meta("embedding_model") is None
    assert catalog.files_under([Path("/")]) == []
    assert catalog.generation == 2


def test_lexical_rows_in_insertion_order_with_days(catalog: Catalog) -> None:
    _insert(catalog, [MISSILE], "/corpus/c.txt")
    _insert(catalog, [SEOUL, BUSAN], "/corpus/ab.jsonl")
    rows = catalog.lexical_rows()
    assert rows.chunk_ids == ["missile#0", "seoul#0", "seoul#1", "busan#0"]
    assert rows.terms[0] == MISSILE[1][0].text.split()
    assert rows.sources == ["news/c.txt", "news/a.txt", "news/a.txt", "news/b.txt"]
    assert rows.days == [20260106, 20260104, 20260104, 0]


def test_documents_are_listed_by_source(catalog: Catalog) -> None:
    _insert(catalog, [MISSILE, BUSAN, SEOUL], "/corpus/all.jsonl")
    assert [d for d, _, _ in catalog.documents()] == ["seoul", "busan", "missile"]


def test_closed_catalog_refuses_queries(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "catalog.sqlite")
    cat.close()
    with pytest.raises(sqlite3.ProgrammingError):
        cat.counts()
