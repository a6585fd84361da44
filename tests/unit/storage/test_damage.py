"""Damaged index files: a catalog cut short is named with what to run, a BM25 index that
disagrees with the catalog is rebuilt instead of ending every search in ``IndexError``,
and ``reset_index`` (``ingest --rebuild``) starts over whatever state the files are in.

The catalog and BM25 tests use in-memory vectors; ``reset_index`` opens the embedded
Chroma store in tmp_path itself, as it must (it is the vector index being repaired).
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from assistant.errors import IndexDamaged
from assistant.settings import Settings
from assistant.storage.catalog import Catalog
from assistant.storage.lexical import LexicalIndex
from assistant.storage.repair import reset_index
from assistant.storage.store import Store
from assistant.storage.vectors import ChromaVectors
from tests.unit.storage.memory_vectors import MemoryVectors
from tests.unit.storage.samples import BUSAN, MISSILE, SEOUL, add_args, make_doc

A = "/corpus/a.txt"


def _filled(settings: Settings, vectors=None, files: int = 40) -> None:  # type: ignore[no-untyped-def]
    """``files`` files of 3 documents (4 chunks each) and the BM25 files; 40 make a catalog
    of many pages."""
    with Store(settings, vectors=vectors or MemoryVectors()) as store:
        for i in range(files):
            docs = [
                make_doc(f"{a.doc_id}{i}", [a.text[s.start : s.end] for s in _spans(cs)])
                for a, cs in (SEOUL, BUSAN, MISSILE)
            ]
            store.add(*add_args(docs, f"/corpus/{i}.txt", seed=i))
        store.lexical()


def _spans(chunks):  # type: ignore[no-untyped-def]
    return list(dict.fromkeys(s for c in chunks for s in c.sentences))


def _truncate(path: Path, keep: float = 0.5) -> None:
    os.truncate(path, int(path.stat().st_size * keep))


def test_a_truncated_catalog_is_named_with_what_to_run(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    _filled(settings)
    catalog = settings.index_dir / "catalog.sqlite"
    _truncate(catalog)
    with pytest.raises(sqlite3.DatabaseError, match="malformed"):  # what SQLite alone says
        sqlite3.connect(catalog).execute("SELECT COUNT(*) FROM chunks").fetchone()
    with pytest.raises(IndexDamaged) as info:
        Store(settings, vectors=MemoryVectors())
    message = str(info.value)
    assert str(catalog) in message and "cut short" in message
    assert "assistant ingest --rebuild" in message


def test_a_file_that_is_no_sqlite_database_is_named(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    path.write_bytes(b"\x00" * 4096)
    with pytest.raises(IndexDamaged, match="not a SQLite database"):
        Catalog(path)


def _meta(settings: Settings) -> Path:
    return settings.index_dir / "bm25" / "meta.json"


def test_bm25_ids_cut_short_are_rebuilt_not_an_index_error(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    _filled(settings)
    meta = json.loads(_meta(settings).read_text(encoding="utf-8"))
    meta["chunk_ids"] = meta["chunk_ids"][:10]  # same generation: only the ids are cut
    _meta(settings).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    with Store(settings, vectors=MemoryVectors()) as store:
        index = store.lexical()
        assert len(index) == store.counts()[1] == 160
        assert index.search(["미사일을"], 200)  # every hit maps to an id
    repaired = LexicalIndex.load(settings.index_dir / "bm25")
    assert repaired is not None and len(repaired) == 160  # and the file is fixed


def test_bm25_of_other_chunks_at_the_same_generation_is_rebuilt(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    _filled(settings)
    with Store(settings, vectors=MemoryVectors()) as store:
        wrong = LexicalIndex.build(
            Catalog(tmp_path / "other.sqlite").lexical_rows(),  # whole, but empty
            store.generation,
            settings.bm25_k1,
            settings.bm25_b,
        )
        wrong.save(settings.index_dir / "bm25")
    with Store(settings, vectors=MemoryVectors()) as store:
        assert len(store.lexical()) == 160


def _chroma_settings(tmp_path: Path) -> Settings:
    settings = Settings(data_dir=tmp_path)
    vectors = ChromaVectors.connect(settings)
    _filled(settings, vectors, files=4)
    return settings


def test_reset_starts_over_with_catalog_bm25_and_chroma_all_damaged(tmp_path: Path) -> None:
    settings = _chroma_settings(tmp_path)
    _truncate(settings.index_dir / "catalog.sqlite")
    _meta(settings).write_text('{"chunk_ids": ["a"', encoding="utf-8")
    _truncate(tmp_path / "chroma" / "chroma.sqlite3", 0.3)
    with pytest.raises(IndexDamaged, match=r"chroma\.sqlite3"):
        Store(settings)
    notes = reset_index(settings)
    assert any("deleted the damaged catalog" in n for n in notes)
    assert any("set the damaged Chroma store aside" in n for n in notes)
    assert [p.name.startswith("chroma.damaged-") for p in tmp_path.glob("chroma.*")] == [True]
    assert not (settings.index_dir / "bm25").exists()
    with Store(settings) as store:
        assert store.counts() == (0, 0) and store.vectors.chunk_count() == 0
        store.add(*add_args([SEOUL], A))
        assert store.lexical().search(["버스"], 1)[0][0] == "seoul#0"


def test_reset_of_a_sound_index_empties_it_and_keeps_the_generation_counting(
    tmp_path: Path,
) -> None:
    settings = _chroma_settings(tmp_path)
    with Store(settings) as store:
        generation = store.generation
        assert list(store.sentence_vectors(["seoul0@0", "nope@0"])) == ["seoul0@0"]
    assert reset_index(settings) == []
    with Store(settings) as store:
        assert store.counts() == (0, 0) and store.vectors.chunk_count() == 0
        assert store.sentence_vectors(["seoul0@0"]) == {}  # the catalog's rows went too
        assert store.generation == generation + 1
    assert list(tmp_path.glob("chroma.*")) == []
