"""Hybrid search: Korean BM25 and dense cosine from Chroma, fused, as LangChain Documents.

A question with no Hangul has nothing for Korean BM25 to match, so it is ranked on the
dense side alone.
"""

from __future__ import annotations

import numpy as np
from langchain_core.documents import Document

from assistant.models.embedder import Embedder
from assistant.retrieval.filters import Filters
from assistant.retrieval.fusion import Fusion, Hit, fuse
from assistant.retrieval.vocabulary import has_meaningful_words
from assistant.storage.store import Store, StoredChunk
from assistant.text.korean import KoreanAnalyzer, has_hangul


class HybridSearch:
    """The retrieval service; the LangChain retriever is a thin wrapper over it.

    :param store: the index (BM25, Chroma, catalog).
    :param embedder: embeds the query when no vector is given.
    :param analyzer: kiwi, for the query's BM25 terms.
    :param k: results returned by default.
    :param fetch_k: candidates taken from each side before fusing.
    :param fusion: the default fusion; ``search`` may be given another per call.
    """

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        analyzer: KoreanAnalyzer,
        *,
        k: int = 5,
        fetch_k: int = 40,
        fusion: Fusion | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.analyzer = analyzer
        self.k = k
        self.fetch_k = fetch_k
        self.fusion = fusion or Fusion()

    def knows(self, query: str) -> bool:
        """Whether the query has a word worth searching for (see ``vocabulary``)."""
        return has_meaningful_words(query, self.analyzer, self.store.lexical())

    def search(
        self,
        query: str,
        *,
        k: int | None = None,
        filters: Filters | None = None,
        query_vector: np.ndarray | None = None,
        fusion: Fusion | None = None,
    ) -> list[Document]:
        """The top ``k`` chunks for ``query``, best first; metadata says where each is from.

        :param query_vector: the query's e5 vector, when the caller already has it.
        :param fusion: this request's fusion (weights), instead of the default.
        """
        k = k or self.k
        filters = filters or Filters()
        fusion = fusion or self.fusion
        lexical = self.store.lexical()
        if query_vector is None:
            query_vector = self.embedder.embed_queries([query])[0]
        fetch = max(self.fetch_k, k)
        dense = self.store.dense_search(query_vector, fetch, filters.chroma_where())
        bm25: list[tuple[str, float]] = []
        if has_hangul(query) and fusion.bm25_weight > 0:
            lo, hi = filters.days()
            mask = lexical.mask(list(filters.sources), lo, hi)
            bm25 = lexical.search(self.analyzer.terms(query), fetch, mask)
        hits = fuse(bm25, dense, fusion)[:k]
        chunks = self.store.get_chunks([h.chunk_id for h in hits])
        # a chunk Chroma lists but the catalog does not (yet) is skipped
        return [_document(chunks[h.chunk_id], h) for h in hits if h.chunk_id in chunks]


def _document(c: StoredChunk, hit: Hit) -> Document:
    return Document(
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
