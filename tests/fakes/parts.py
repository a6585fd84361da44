"""Fakes for the chain's and the answerers' parts: embedder, search, store, answerer."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding

from assistant.answering.base import AnswerRequest
from assistant.errors import StoreUnavailable
from assistant.types import Answer

DIM = 16


class FakeEmbedder:
    """Replaces the e5 ``Embedder``: LangChain's deterministic fake vectors, L2-normalised."""

    def __init__(self) -> None:
        self._fake = DeterministicFakeEmbedding(size=DIM)
        self.queries: list[str] = []

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        self.queries.extend(texts)
        vectors = np.array([self._fake.embed_query(t) for t in texts], dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def passage(doc_id: str, text: str, score: float, start: int = 0) -> Document:
    """A retrieved chunk as HybridSearch returns it; each line of ``text`` is a sentence."""
    sentences, offset = [], start
    for line in text.split("\n"):
        sentences.append([offset, offset + len(line)])
        offset += len(line) + 1
    return Document(
        page_content=text,
        id=f"{doc_id}::0",
        metadata={
            "doc_id": doc_id,
            "title": f"title {doc_id}",
            "source": f"{doc_id}.txt",
            "url": None,
            "published": None,
            "chunk_id": f"{doc_id}::0",
            "start": start,
            "end": offset - 1,
            "sentences": sentences,
            "score": score,
            "bm25": 0.0,
            "dense": score,
        },
    )


@dataclass
class FakeSearch:
    """Replaces ``HybridSearch``: returns ``ranking`` (cut to k, a call's ``focus``
    documents first) and records each call."""

    ranking: list[Document]
    fail: bool = False
    calls: list[dict[str, Any]] = field(default_factory=list)

    def knows(self, query: str) -> bool:
        """As the real search: nothing to search for without a letter or a digit."""
        return any(ch.isalnum() for ch in query)

    def dense_query(self, query: str) -> str:
        """As the real search for a query it knows no English words of: the query."""
        return query

    def translated(self, query: str) -> str:
        """As the real search for a query it knows no English words of: nothing."""
        return ""

    def search(self, query: str, **kwargs: Any) -> list[Document]:
        self.calls.append({"query": query, **kwargs})
        if self.fail:
            raise StoreUnavailable("Cannot reach the Chroma server at http://127.0.0.1:1")
        focus = kwargs.get("focus") or ()
        # as the real search with focus_boost 1.0: the focus documents' chunks first
        ranked = sorted(self.ranking, key=lambda d: d.metadata["doc_id"] not in focus)
        return ranked[: kwargs.get("k") or 5]


@dataclass
class ScriptedAnswerer:
    """Implements the ``Answerer`` protocol: yields ``deltas``, then an Answer quoting doc 1.

    ``condensed`` is what ``condense`` returns (``generative`` answerers only); a
    ``condense_error`` is raised from it instead.
    """

    name: str = "scripted"
    generative: bool = False
    deltas: tuple[str, ...] = ()
    condensed: str = ""
    condense_error: Exception | None = None
    requests: list[AnswerRequest] = field(default_factory=list)
    condensed_calls: list[tuple[str, Sequence[tuple[str, str]]]] = field(default_factory=list)
    closed: bool = False

    def condense(self, question: str, history: Sequence[tuple[str, str]], language: str) -> str:
        self.condensed_calls.append((question, history))
        if self.condense_error is not None:
            raise self.condense_error
        return self.condensed

    def stream(self, request: AnswerRequest) -> Iterator[str | Answer]:
        self.requests.append(request)
        yield from self.deltas
        yield Answer(
            request.question,
            "".join(self.deltas) or f"answer from {request.documents[0].metadata['doc_id']}",
            False,
            language=request.language,
            documents=request.documents,
            answerer=self.name,
        )

    def answer(self, request: AnswerRequest) -> Answer:
        *_, final = self.stream(request)
        assert isinstance(final, Answer)
        return final

    def warm(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


class FakeLexical:
    """Replaces the BM25 index for idf weights: listed terms are common, the rest rare."""

    def __init__(self, common: dict[str, float] | None = None) -> None:
        self.common = common or {}

    def idf(self, term: str) -> float:
        return self.common.get(term, 3.0)


class FakeStore:
    """Replaces ``Store`` for the answerers: idf weights and stored sentence vectors."""

    def __init__(self, vectors: dict[str, np.ndarray] | None = None) -> None:
        self.vectors = vectors or {}
        self._lexical = FakeLexical()

    def lexical(self) -> FakeLexical:
        return self._lexical

    def sentence_vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        return {i: self.vectors[i] for i in ids if i in self.vectors}
