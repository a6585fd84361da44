"""What keeps the BM25 index small at a million chunks: document frequencies read off
the score matrix, one small code per chunk for its source, indexes saved before codes
still loading, and the catalog's rows sharing equal strings."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np

from assistant.storage.catalog import Catalog
from assistant.storage.lexical import LexicalIndex, LexicalRows
from tests.unit.storage.samples import BUSAN, MISSILE, SEOUL, add_args

TERMS = [
    ["북한", "미사일", "미사일", "발사"],  # a term twice in one chunk counts once
    [],  # a chunk without terms
    ["대통령", "정상", "회담", "대통령"],
    ["대통령", "미사일"],
]
SOURCES = ["a.txt", "b.txt", "a.txt", "c.txt"]


def _rows() -> LexicalRows:
    return LexicalRows(["c0", "c1", "c2", "c3"], TERMS, SOURCES, [20260104, 0, 20260106, 0])


def test_document_frequencies_are_counted_chunks() -> None:
    index = LexicalIndex.build(_rows(), generation=1, k1=1.2, b=0.75)
    assert index.df == dict(Counter(t for terms in TERMS for t in set(terms)))
    assert "" not in index.df
    assert index.idf("없는말") > index.idf("북한") > index.idf("미사일")


def test_sources_are_codes_into_names() -> None:
    index = LexicalIndex.build(_rows(), generation=1, k1=1.2, b=0.75)
    assert index.source_names == ["a.txt", "b.txt", "c.txt"]
    assert index.source_codes.dtype == np.int32 and index.source_codes.tolist() == [0, 1, 0, 2]
    assert index.sources.tolist() == SOURCES
    assert index.mask(sources=["a.txt", "c.txt"]).tolist() == [True, False, True, True]
    assert index.mask(sources=["unknown.txt"]).tolist() == [False] * 4
    got = index.search(["미사일"], 4, mask=index.mask(sources=["c.txt"]))
    assert [c for c, _ in got] == ["c3"]


def test_an_index_saved_before_codes_still_loads(tmp_path: Path) -> None:
    index = LexicalIndex.build(_rows(), generation=3, k1=1.2, b=0.75)
    index.save(tmp_path / "bm25")
    meta_path = tmp_path / "bm25" / "meta.json"
    meta = json.loads(meta_path.read_text("utf-8"))
    old = {k: v for k, v in meta.items() if k not in ("source_names", "source_codes")}
    old |= {"sources": SOURCES, "df": index.df}  # the earlier layout
    meta_path.write_text(json.dumps(old, ensure_ascii=False), "utf-8")
    loaded = LexicalIndex.load(tmp_path / "bm25")
    assert loaded is not None and loaded.generation == 3
    assert loaded.sources.tolist() == SOURCES and loaded.df == index.df
    assert loaded.search(["대통령"], 4) == index.search(["대통령"], 4)
    assert loaded.mask(sources=["a.txt"]).tolist() == index.mask(sources=["a.txt"]).tolist()


def test_source_codes_out_of_range_load_as_none(tmp_path: Path) -> None:
    LexicalIndex.build(_rows(), generation=1, k1=1.2, b=0.75).save(tmp_path / "bm25")
    meta_path = tmp_path / "bm25" / "meta.json"
    meta = json.loads(meta_path.read_text("utf-8"))
    meta["source_codes"][0] = 7
    meta_path.write_text(json.dumps(meta), "utf-8")
    assert LexicalIndex.load(tmp_path / "bm25") is None


def test_catalog_rows_share_equal_terms_and_sources(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path / "catalog.sqlite")
    try:
        listed, _, sentence_vecs, terms, files = add_args([SEOUL, BUSAN, MISSILE], "/c/a.jsonl")
        catalog.insert(listed, terms, files, sentence_vecs)
        rows = catalog.lexical_rows()
    finally:
        catalog.close()
    seen: dict[str, str] = {}
    for term in [t for chunk in rows.terms for t in chunk] + rows.sources:
        assert seen.setdefault(term, term) is term  # one object per distinct string
    assert len(rows.sources) == len(rows.chunk_ids) == len(rows.terms)
    chunks = [c for _, _, cs in listed for c in cs]
    by_id = {c.chunk_id: list(t) for c, t in zip(chunks, terms, strict=True)}
    assert rows.terms == [by_id[c] for c in rows.chunk_ids]
