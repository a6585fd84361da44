"""Fusion arithmetic: weighted min-max and reciprocal-rank, ties, one side empty."""

from __future__ import annotations

import pytest

from assistant.retrieval.fusion import Fusion, fuse, minmax


def test_weighted_fusion_normalises_each_side() -> None:
    bm25 = [("a", 12.0), ("b", 6.0), ("c", 0.0)]
    dense = [("b", 0.90), ("c", 0.85), ("d", 0.80)]
    hits = fuse(bm25, dense, Fusion())
    scores = {h.chunk_id: round(h.score, 3) for h in hits}
    assert scores == {"b": 0.75, "a": 0.5, "c": 0.25, "d": 0.0}
    assert [h.chunk_id for h in hits] == ["b", "a", "c", "d"]
    assert hits[0].bm25 == 6.0 and hits[0].dense == 0.90


def test_weighted_fusion_with_one_side_empty_uses_the_other_fully() -> None:
    hits = fuse([], [("x", 0.9), ("y", 0.7)], Fusion())
    assert [(h.chunk_id, h.score) for h in hits] == [("x", 1.0), ("y", 0.0)]


def test_rrf_fusion() -> None:
    hits = fuse(
        [("a", 3.0), ("b", 2.0)],
        [("b", 0.9), ("a", 0.8)],
        Fusion("rrf", bm25_weight=1.0, dense_weight=1.0, rrf_k=60),
    )
    assert {h.chunk_id for h in hits} == {"a", "b"}
    assert hits[0].score == pytest.approx(1 / 61 + 1 / 62)


def test_weights_of_a_request_change_the_order() -> None:
    bm25 = [("lexical", 10.0), ("both", 5.0), ("none", 0.0)]
    dense = [("dense", 0.9), ("both", 0.8), ("none", 0.1)]
    dense_only = fuse(bm25, dense, Fusion(bm25_weight=0.0, dense_weight=1.0))
    bm25_only = fuse(bm25, dense, Fusion(bm25_weight=1.0, dense_weight=0.0))
    assert dense_only[0].chunk_id == "dense" and bm25_only[0].chunk_id == "lexical"


def test_minmax_of_equal_scores_is_all_ones() -> None:
    assert minmax({"a": 2.0, "b": 2.0}) == {"a": 1.0, "b": 1.0}
    assert minmax({}) == {}
