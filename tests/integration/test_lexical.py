"""The BM25 index: search, filters, idf, and persistence."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.storage.lexical import LexicalIndex, LexicalRows
from assistant.text.korean import shared_analyzer

TEXTS = [
    "북한은 4일 극초음속 미사일을 시험 발사했다.",
    "시진핑 주석과 이재명 대통령이 베이징에서 정상회담을 열었다.",
    "푸틴 대통령이 김정은 위원장에게 새해 메시지를 보냈다.",
]


def _rows() -> LexicalRows:
    a = shared_analyzer()
    return LexicalRows(
        chunk_ids=["c0", "c1", "c2"],
        terms=[a.terms(t) for t in TEXTS],
        sources=["a.txt", "b.txt", "a.txt"],
        days=[20260104, 20260106, 0],
    )


def test_search_ranks_the_matching_chunk_first() -> None:
    index = LexicalIndex.build(_rows(), generation=1, k1=0.5, b=0.3)
    hits = index.search(shared_analyzer().terms("극초음속 미사일 발사"), k=3)
    assert hits[0][0] == "c0" and hits[0][1] > 0
    assert all(score > 0 for _, score in hits)
    assert index.search([], k=3) == []


def test_masks_by_source_and_date() -> None:
    index = LexicalIndex.build(_rows(), generation=1, k1=0.5, b=0.3)
    assert index.mask() is None
    assert index.mask(sources=["a.txt"]).tolist() == [True, False, True]
    assert index.mask(day_from=20260105).tolist() == [False, True, False]
    assert index.mask(day_to=20260105).tolist() == [True, False, False]  # unknown date excluded
    terms = shared_analyzer().terms("정상회담")
    assert index.search(terms, k=3, mask=np.array([True, False, True])) == []


def test_unseen_terms_weigh_most() -> None:
    index = LexicalIndex.build(_rows(), generation=1, k1=0.5, b=0.3)
    assert index.idf("사상자") > index.idf("대통령") > 0


def test_save_load_roundtrip_keeps_generation_and_parameters(tmp_path: Path) -> None:
    index = LexicalIndex.build(_rows(), generation=7, k1=0.5, b=0.3)
    index.save(tmp_path / "bm25")
    loaded = LexicalIndex.load(tmp_path / "bm25")
    assert loaded is not None
    assert (loaded.generation, loaded.params, loaded.chunk_ids) == (7, (0.5, 0.3), index.chunk_ids)
    terms = shared_analyzer().terms("새해 메시지")
    assert loaded.search(terms, 2) == index.search(terms, 2)
    assert not (tmp_path / "bm25.tmp").exists() and not (tmp_path / "bm25.old").exists()


def test_damaged_index_loads_as_none(tmp_path: Path) -> None:
    LexicalIndex.build(_rows(), generation=1, k1=0.5, b=0.3).save(tmp_path / "bm25")
    (tmp_path / "bm25" / "meta.json").write_text("{", "utf-8")
    assert LexicalIndex.load(tmp_path / "bm25") is None
    assert LexicalIndex.load(tmp_path / "missing") is None


def test_empty_index() -> None:
    index = LexicalIndex.build(LexicalRows([], [], [], []), generation=0, k1=0.5, b=0.3)
    assert len(index) == 0 and index.search(["북한"], 5) == []
