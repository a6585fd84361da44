"""Hybrid retrieval: Korean BM25 and dense cosine, fused into one ranking.

The fusion is a weighted sum of min-max normalised scores; plain reciprocal-rank fusion
lost to it on KorQuAD (facts file and BENCHMARKS.md), but stays selectable. A question
with no Hangul has nothing for Korean BM25 to match, so it is ranked on the dense side.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.models.embeddings import Embedder
from assistant.storage.store import Store, day_number
from assistant.text.korean import KoreanAnalyzer, has_hangul


@dataclass(frozen=True, slots=True)
class Filters:
    """Metadata filters: source files, and an inclusive published-date range."""

    sources: tuple[str, ...] = ()
    published_from: date | None = None
    published_to: date | None = None

    def days(self) -> tuple[int | None, int | None]:
        lo = day_number(self.published_from.isoformat()) if self.published_from else None
        hi = day_number(self.published_to.isoformat()) if self.published_to else None
        return lo, hi

    def chroma_where(self) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        if self.sources:
            clauses.append({"source": {"$in": list(self.sources)}})
        lo, hi = self.days()
        if lo is not None:
            clauses.append({"published_day": {"$gte": lo}})
        if hi is not None:
            clauses.append({"published_day": {"$lte": hi}})
            clauses.append({"published_day": {"$gt": 0}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


@dataclass(slots=True)
class Hit:
    chunk_id: str
    score: float
    bm25: float = 0.0
    dense: float = 0.0


def _minmax(scores: dict[str, float]) -> dict[str, float]:
    if not scores:
        return {}
    lo, hi = min(scores.values()), max(scores.values())
    if hi - lo < 1e-9:
        return dict.fromkeys(scores, 1.0)
    return {k: (v - lo) / (hi - lo) for k, v in scores.items()}


def fuse(
    bm25: list[tuple[str, float]],
    dense: list[tuple[str, float]],
    *,
    method: str,
    bm25_weight: float,
    dense_weight: float,
    rrf_k: int = 60,
) -> list[Hit]:
    """One ranking from two; each Hit keeps the raw scores for display and debugging."""
    raw_b, raw_d = dict(bm25), dict(dense)
    if method == "rrf":
        fused: dict[str, float] = {}
        for weight, ranking in ((bm25_weight, bm25), (dense_weight, dense)):
            for rank, (cid, _) in enumerate(ranking, start=1):
                fused[cid] = fused.get(cid, 0.0) + weight / (rrf_k + rank)
    else:
        nb, nd = _minmax(raw_b), _minmax(raw_d)
        total = (bm25_weight if nb else 0.0) + (dense_weight if nd else 0.0) or 1.0
        fused = {
            cid: (bm25_weight * nb.get(cid, 0.0) + dense_weight * nd.get(cid, 0.0)) / total
            for cid in raw_b.keys() | raw_d.keys()
        }
    hits = [Hit(c, s, raw_b.get(c, 0.0), raw_d.get(c, 0.0)) for c, s in fused.items()]
    hits.sort(key=lambda h: (-h.score, -h.dense, h.chunk_id))
    return hits


class HybridSearch:
    """The retrieval service; the LangChain retriever below is a thin wrapper over it."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        analyzer: KoreanAnalyzer,
        *,
        k: int = 5,
        fetch_k: int = 40,
        fusion: str = "weighted",
        bm25_weight: float = 0.5,
        dense_weight: float = 0.5,
        rrf_k: int = 60,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.analyzer = analyzer
        self.k = k
        self.fetch_k = fetch_k
        self.fusion = fusion
        self.bm25_weight = bm25_weight
        self.dense_weight = dense_weight
        self.rrf_k = rrf_k

    def search(
        self,
        query: str,
        *,
        k: int | None = None,
        filters: Filters | None = None,
        query_vector: np.ndarray | None = None,
    ) -> list[Document]:
        k = k or self.k
        filters = filters or Filters()
        lexical = self.store.lexical()
        if query_vector is None:
            query_vector = self.embedder.embed_queries([query])[0]
        fetch = max(self.fetch_k, k)
        dense = self.store.dense_search(query_vector, fetch, filters.chroma_where())
        bm25_weight = self.bm25_weight
        bm25: list[tuple[str, float]] = []
        if has_hangul(query) and bm25_weight > 0:
            lo, hi = filters.days()
            mask = lexical.mask(list(filters.sources), lo, hi)
            bm25 = lexical.search(self.analyzer.terms(query), fetch, mask)
        hits = fuse(
            bm25,
            dense,
            method=self.fusion,
            bm25_weight=bm25_weight,
            dense_weight=self.dense_weight,
            rrf_k=self.rrf_k,
        )[:k]
        chunks = self.store.get_chunks([h.chunk_id for h in hits])
        docs = []
        for hit in hits:
            c = chunks.get(hit.chunk_id)
            if c is None:  # listed by Chroma but not (yet) by the catalog
                continue
            docs.append(
                Document(
                    page_content=c.text,
                    id=c.chunk_id,
                    metadata={
                        "doc_id": c.doc_id,
                        "title": c.title,
                        "source": c.source,
                        "url": c.url,
                        "published": c.published,
                        "chunk_id": c.chunk_id,
                        "start": c.start,
                        "end": c.end,
                        "sentences": [[s.start, s.end] for s in c.sentences],
                        "score": round(hit.score, 4),
                        "bm25": round(hit.bm25, 4),
                        "dense": round(hit.dense, 4),
                    },
                )
            )
        return docs


class NewsRetriever(BaseRetriever):
    """LangChain retriever over the hybrid search; ``k`` and ``filters`` can be overridden."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    search: HybridSearch
    k: int | None = None
    filters: Filters | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return self.search.search(query, k=self.k, filters=self.filters)
