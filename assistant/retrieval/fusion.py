"""Fusing the BM25 and the dense ranking into one.

The default is a weighted sum of min-max normalised scores; plain reciprocal-rank fusion
lost to it on KorQuAD (BENCHMARKS.md) but stays selectable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class Fusion:
    """How two rankings become one; a request may bring its own (the browser's sliders)."""

    method: Literal["weighted", "rrf"] = "weighted"
    bm25_weight: float = 0.5
    dense_weight: float = 0.5
    rrf_k: int = 60


@dataclass(frozen=True, slots=True)
class Hit:
    """A fused result; the raw scores stay for display and debugging."""

    chunk_id: str
    score: float
    bm25: float = 0.0
    dense: float = 0.0


def minmax(scores: dict[str, float]) -> dict[str, float]:
    """Scores mapped onto 0..1 (all 1.0 when they are equal)."""
    if not scores:
        return {}
    lo, hi = min(scores.values()), max(scores.values())
    if hi - lo < 1e-9:
        return dict.fromkeys(scores, 1.0)
    return {k: (v - lo) / (hi - lo) for k, v in scores.items()}


def fuse(
    bm25: list[tuple[str, float]], dense: list[tuple[str, float]], fusion: Fusion
) -> list[Hit]:
    """One ranking from two lists of (chunk_id, score), best first, ties broken stably."""
    raw_b, raw_d = dict(bm25), dict(dense)
    if fusion.method == "rrf":
        fused: dict[str, float] = {}
        for weight, ranking in ((fusion.bm25_weight, bm25), (fusion.dense_weight, dense)):
            for rank, (cid, _) in enumerate(ranking, start=1):
                fused[cid] = fused.get(cid, 0.0) + weight / (fusion.rrf_k + rank)
    else:
        nb, nd = minmax(raw_b), minmax(raw_d)
        wb, wd = fusion.bm25_weight, fusion.dense_weight
        total = (wb if nb else 0.0) + (wd if nd else 0.0) or 1.0
        fused = {
            cid: (wb * nb.get(cid, 0.0) + wd * nd.get(cid, 0.0)) / total
            for cid in raw_b.keys() | raw_d.keys()
        }
    hits = [Hit(c, s, raw_b.get(c, 0.0), raw_d.get(c, 0.0)) for c, s in fused.items()]
    hits.sort(key=lambda h: (-h.score, -h.dense, h.chunk_id))
    return hits
