"""A follow-up's focus documents: searched among themselves and boosted in the fusion."""

from __future__ import annotations

from assistant.retrieval.fusion import Hit
from assistant.retrieval.hybrid import _boosted, _merged, _within


def test_focus_chunks_are_boosted_above_the_others() -> None:
    hits = [Hit("a::0", 0.9), Hit("b::0", 0.8), Hit("b::1", 0.1), Hit("c::0", 0.05)]
    out = _boosted(hits, ["b"], 1.0)
    assert [h.chunk_id for h in out] == ["b::0", "b::1", "a::0", "c::0"]
    assert out[0].score == 1.8
    assert _boosted(hits, [], 1.0) == hits and _boosted(hits, ["b"], 0.0) == hits


def test_a_small_boost_only_breaks_near_ties() -> None:
    hits = [Hit("a::0", 0.9), Hit("b::0", 0.85), Hit("b::1", 0.2)]
    assert [h.chunk_id for h in _boosted(hits, ["b"], 0.1)] == ["b::0", "a::0", "b::1"]


def test_focus_narrows_the_dense_filter_and_merges_its_results() -> None:
    assert _within(None, ["d1"]) == {"doc_id": {"$in": ["d1"]}}
    where = {"source": {"$in": ["news"]}}
    assert _within(where, ["d1"]) == {"$and": [where, {"doc_id": {"$in": ["d1"]}}]}
    merged = _merged([("a::0", 0.9), ("b::0", 0.5)], [("b::0", 0.5), ("b::1", 0.4)])
    assert merged == [("a::0", 0.9), ("b::0", 0.5), ("b::1", 0.4)]
