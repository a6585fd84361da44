"""Hybrid search: Korean BM25 and dense cosine from Chroma, fused, as LangChain Documents.

A question with no Hangul has nothing for Korean BM25 to match as it stands: the names in
it that the lexicon knows (``retrieval.lexicon``: a built-in list, plus the English forms
the articles give in parentheses) are searched in their Korean forms instead, fused with
``english_fusion``, and are added to the text that is embedded (``dense_query``); with no
known name it is ranked on the dense side alone.

A follow-up question may bring ``focus``: the documents the previous answer came from.
Their chunks are searched among themselves too (so they are candidates however large the
index) and get ``focus_boost`` added to their fused score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from langchain_core.documents import Document

from assistant.models.embedder import Embedder
from assistant.retrieval.filters import Filters
from assistant.retrieval.fusion import Fusion, Hit, fuse
from assistant.retrieval.lexicon import Lexicon
from assistant.retrieval.source_names import SourceNames, scoped_name
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
    :param lexicon: English names → Korean, for questions without Hangul (None: none).
    :param english_fusion: the fusion of such a question's translated BM25 and dense
        rankings, unless the call brings its own; None: ``fusion``.
    :param focus_boost: added to the fused score (0..1) of a ``focus`` document's chunks;
        1.0 ranks every one of them above every other chunk.
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
        lexicon: Lexicon | None = None,
        english_fusion: Fusion | None = None,
        focus_boost: float = 1.0,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.analyzer = analyzer
        self.k = k
        self.fetch_k = fetch_k
        self.fusion = fusion or Fusion()
        self.lexicon = lexicon
        self.english_fusion = english_fusion
        self.focus_boost = focus_boost
        self._harvested: tuple[int, Lexicon, frozenset[str]] | None = None
        self.sources = SourceNames(store)

    def knows(self, query: str) -> bool:
        """Whether the query has a word worth searching for (see ``vocabulary``)."""
        return has_meaningful_words(query, self.analyzer, self.store.lexical())

    def translated(self, query: str) -> str:
        """The Korean forms of the names in a query without Hangul, space-separated (""
        for a Korean query, or when no name is known)."""
        if self.lexicon is None or has_hangul(query):
            return ""
        return " ".join(self._corpus_lexicon().translate(query))

    def dense_query(self, query: str) -> str:
        """The text to embed for ``query``: an English query with its names' Korean forms
        added (measured better on evals/english.jsonl, BENCHMARKS.md), else the query."""
        names = self.translated(query)
        return f"{query} {names}" if names else query

    def _corpus_lexicon(self) -> Lexicon:
        """The lexicon with the pairs the indexed articles give, grown when the index
        changes: at the first English question after a change, only documents not read
        before are read (a replica following a busy server re-reads nothing else). Pairs
        of documents deleted since stay until the process restarts; they only add Korean
        words BM25 then finds nowhere."""
        assert self.lexicon is not None
        generation = self.store.generation
        held = self._harvested
        if held is not None and held[0] == generation:
            return held[1]
        base, seen = (held[1], held[2]) if held is not None else (self.lexicon, frozenset())
        new = [d for d, _, _ in self.store.documents() if d not in seen]
        lexicon = base.harvest(self.store.document_text(d) or "" for d in new)
        self._harvested = (generation, lexicon, seen | frozenset(new))
        return lexicon

    def search(
        self,
        query: str,
        *,
        k: int | None = None,
        filters: Filters | None = None,
        query_vector: np.ndarray | None = None,
        fusion: Fusion | None = None,
        focus: Sequence[str] = (),
    ) -> list[Document]:
        """The top ``k`` chunks for ``query``, best first; metadata says where each is from.

        :param query_vector: the query's e5 vector, when the caller already has it.
        :param fusion: this request's fusion (weights), instead of the default.
        :param focus: doc ids to favour (a follow-up's previous answer), see module doc.
        :raises AmbiguousSource: a source filter's bare file name that two sources hold.
        """
        k = k or self.k
        filters = self.sources.resolve(filters or Filters())
        lexical_query = query if has_hangul(query) else self.translated(query)
        if lexical_query and not has_hangul(query):
            fusion = fusion or self.english_fusion
        fusion = fusion or self.fusion
        lexical = self.store.lexical()
        if query_vector is None:
            query_vector = self.embedder.embed_queries([self.dense_query(query)])[0]
        fetch = max(self.fetch_k, k)
        where = filters.chroma_where()
        dense = self.store.dense_search(query_vector, fetch, where)
        if focus:
            dense = _merged(
                dense, self.store.dense_search(query_vector, fetch, _within(where, focus))
            )
        bm25: list[tuple[str, float]] = []
        if lexical_query and fusion.bm25_weight > 0:
            lo, hi = filters.days()
            mask = lexical.mask(list(filters.sources), lo, hi)
            bm25 = lexical.search(self.analyzer.terms(lexical_query), fetch, mask)
        hits = _boosted(fuse(bm25, dense, fusion), focus, self.focus_boost)[:k]
        chunks = self.store.get_chunks([h.chunk_id for h in hits])
        # a chunk Chroma lists but the catalog does not (yet) is skipped
        return [_document(chunks[h.chunk_id], h) for h in hits if h.chunk_id in chunks]


def _within(where: dict[str, Any] | None, doc_ids: Sequence[str]) -> dict[str, Any]:
    """``where`` narrowed to the chunks of ``doc_ids``."""
    clause = {"doc_id": {"$in": list(doc_ids)}}
    return {"$and": [where, clause]} if where else clause


def _merged(a: list[tuple[str, float]], b: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """Two (chunk_id, cosine) lists as one, each chunk once, best first."""
    return sorted({**dict(b), **dict(a)}.items(), key=lambda p: -p[1])


def _boosted(hits: list[Hit], focus: Sequence[str], boost: float) -> list[Hit]:
    """``hits`` with ``boost`` added to those of the ``focus`` documents, re-ranked."""
    if not focus or not boost:
        return hits
    wanted = set(focus)
    out = [
        replace(h, score=h.score + boost) if h.chunk_id.rsplit("::", 1)[0] in wanted else h
        for h in hits
    ]
    return sorted(out, key=lambda h: -h.score)


def _document(c: StoredChunk, hit: Hit) -> Document:
    return Document(
        page_content=c.text,
        id=c.chunk_id,
        metadata={
            "doc_id": c.doc_id,
            "title": c.title,
            "source": scoped_name(c.doc_id, c.source),
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
