"""The BM25 index on hand-written morphemes (no analyzer): search, filters, idf, and
saving and loading, including damaged and interrupted saves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.storage.lexical import LexicalIndex, LexicalRows

TERMS = [
    ["북한", "4", "일", "극초음속", "미사일", "시험", "발사"],
    ["시진핑", "주석", "이재명", "대통령", "베이징", "정상", "회담"],
    ["푸틴", "대통령", "김정은", "위원장", "새해", "메시지"],
]


def _rows() -> LexicalRows:
    return LexicalRows(
        chunk_ids=["c0", "c1", "c2"],
        terms=TERMS,
        sources=["a.txt", "b.txt", "a.txt"],
        days=[20260104, 20260106, 0],
    )


def _index(generation: int = 1) -> LexicalIndex:
    return LexicalIndex.build(_rows(), generation=generation, k1=0.5, b=0.3)


def test_search_ranks_the_matching_chunk_first() -> None:
    hits = _index().search(["극초음속", "미사일", "발사"], k=3)
    assert [c for c, _ in hits] == ["c0"] and hits[0][1] > 0
    shared = _index().search(["대통령"], k=3)
    assert sorted(c for c, _ in shared) == ["c1", "c2"]  # zero scores are left out
    assert _index().search([], k=3) == []
    assert _index().search(["없는말"], k=3) == []


def test_k_larger_than_the_corpus() -> None:
    assert len(_index().search(["대통령", "미사일"], k=50)) == 3


def test_masks_by_source_and_date() -> None:
    index = _index()
    assert index.mask() is None
    assert index.mask(sources=["a.txt"]).tolist() == [True, False, True]
    assert index.mask(day_from=20260105).tolist() == [False, True, False]
    assert index.mask(day_to=20260105).tolist() == [True, False, False]  # unknown date excluded
    assert index.search(["정상", "회담"], k=3, mask=np.array([True, False, True])) == []
    assert index.search(["대통령"], k=3, mask=index.mask(sources=["a.txt"]))[0][0] == "c2"


def test_unseen_terms_weigh_most() -> None:
    index = _index()
    assert index.idf("사상자") > index.idf("미사일") > index.idf("대통령") > 0
    assert index.df["대통령"] == 2


def test_save_load_roundtrip_keeps_generation_and_parameters(tmp_path: Path) -> None:
    index = _index(generation=7)
    index.save(tmp_path / "bm25")
    loaded = LexicalIndex.load(tmp_path / "bm25")
    assert loaded is not None
    assert (loaded.generation, loaded.params, loaded.chunk_ids) == (7, (0.5, 0.3), index.chunk_ids)
    assert loaded.search(["새해", "메시지"], 2) == index.search(["새해", "메시지"], 2)
    assert loaded.mask(day_from=20260105).tolist() == [False, True, False]
    assert loaded.df == index.df
    assert not (tmp_path / "bm25.tmp").exists() and not (tmp_path / "bm25.old").exists()


def test_save_replaces_an_older_index_and_a_stale_temporary(tmp_path: Path) -> None:
    _index(generation=1).save(tmp_path / "bm25")
    (tmp_path / "bm25.tmp").mkdir()  # left by a save that crashed
    (tmp_path / "bm25.tmp" / "junk").write_text("x", "utf-8")
    LexicalIndex.build(LexicalRows(["z"], [["하나"]], ["z.txt"], [0]), 2, 1.2, 0.75).save(
        tmp_path / "bm25"
    )
    loaded = LexicalIndex.load(tmp_path / "bm25")
    assert loaded is not None and (loaded.generation, loaded.chunk_ids) == (2, ["z"])
    assert loaded.params == (1.2, 0.75)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bm25"]


@pytest.mark.parametrize("part", ["meta.json", "bm25/vocab.index.json", "bm25/params.index.json"])
def test_damaged_index_loads_as_none(tmp_path: Path, part: str) -> None:
    _index().save(tmp_path / "bm25")
    (tmp_path / "bm25" / part).write_text("{", "utf-8")
    assert LexicalIndex.load(tmp_path / "bm25") is None


def test_missing_pieces_load_as_none(tmp_path: Path) -> None:
    assert LexicalIndex.load(tmp_path / "missing") is None
    _index().save(tmp_path / "bm25")
    (tmp_path / "bm25" / "bm25" / "vocab.index.json").unlink()
    assert LexicalIndex.load(tmp_path / "bm25") is None


def test_empty_index_saves_and_loads(tmp_path: Path) -> None:
    index = LexicalIndex.build(LexicalRows([], [], [], []), generation=0, k1=0.5, b=0.3)
    assert len(index) == 0 and index.search(["북한"], 5) == []
    index.save(tmp_path / "bm25")
    loaded = LexicalIndex.load(tmp_path / "bm25")
    assert loaded is not None and len(loaded) == 0 and loaded.search(["북한"], 5) == []
