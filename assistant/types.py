"""The data that flows between stages: spans, articles, chunks, answers and citations.

All are frozen dataclasses, so a stage can hand its output on without the next one
changing it behind its back; a changed copy is made with ``dataclasses.replace``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from langchain_core.documents import Document


@dataclass(frozen=True, slots=True)
class Span:
    """A sentence as character offsets into the text it was split from."""

    start: int
    end: int


# Bumped whenever the same text would be cut into different sentences or chunks (2: quotes
# and brackets kept whole, issue 13). It is part of every document's content hash and of
# every file's recorded digest, so the next ingest chunks documents indexed by an earlier
# version again instead of keeping their old sentence spans.
CHUNKING_VERSION = 2


@dataclass(frozen=True, slots=True)
class Article:
    """One document as indexed: ``text`` is what offsets and citations refer to."""

    doc_id: str
    title: str
    text: str
    source: str
    url: str | None = None
    published: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        """A digest of everything a reader sees and of ``CHUNKING_VERSION``; an unchanged
        hash is not embedded again."""
        payload = json.dumps(
            [self.title, self.text, self.url, self.published, self.metadata, CHUNKING_VERSION],
            ensure_ascii=False,
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class Chunk:
    """Whole sentences of one article within a token budget, with their offsets."""

    chunk_id: str
    doc_id: str
    index: int
    text: str
    start: int
    end: int
    sentences: tuple[Span, ...]  # offsets in the article, in order

    @property
    def sentence_texts(self) -> list[str]:
        """The chunk's sentences as text, in order."""
        return [self.text[s.start - self.start : s.end - self.start] for s in self.sentences]


@dataclass(frozen=True, slots=True)
class Citation:
    """A quoted sentence and where it stands: its chunk and its offsets in the document."""

    number: int
    doc_id: str
    title: str
    source: str
    text: str  # the chunk the sentence was found in
    start: int  # the cited sentence, as offsets in the document
    end: int
    score: float
    sentence: str
    chunk_id: str
    chunk_start: int
    url: str | None = None
    published: str | None = None
    # The short answer inside ``sentence``, as offsets in the document (None: no span).
    highlight: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """What a question gets: the reply text, its citations, and how it was reached.

    ``status`` is one of answered, refused, invalid (empty or too long), error (the
    index could not be reached). ``documents`` are the ranked passages, of which the
    answerer read the first ``k``.
    """

    question: str
    text: str
    refused: bool
    citations: tuple[Citation, ...] = ()
    status: str = "answered"  # answered | refused | invalid | error
    language: str = "ko"
    documents: tuple[Document, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    answerer: str = "extractive"
    # The span that answers a name/number/date/place/short-phrase question, as found in
    # the first citation's sentence ("" when the question asks for more than a span).
    short_answer: str = ""
    # The extractive answerer's 0..1 estimate that its best sentence answers the question
    # (answering.relevance), refused or not; None when no such check ran.
    relevance: float | None = None
    # Generated answers only: each sentence's verdict (answering.verification) and the
    # model call (first-token time, tokens, tokens/s, raw text, error).
    verification: tuple[dict[str, Any], ...] = ()
    generation: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (the CLI's ``--json`` and the browser's API)."""
        extra: dict[str, Any] = {}
        if self.verification or self.generation:
            extra = {"verification": list(self.verification), "generation": self.generation}
        return {
            "question": self.question,
            "answer": self.text,
            "short_answer": self.short_answer,
            "relevance": self.relevance,
            "refused": self.refused,
            "status": self.status,
            "language": self.language,
            "answerer": self.answerer,
            "citations": [asdict(c) for c in self.citations],
            "retrieved": [
                {k: d.metadata.get(k) for k in ("doc_id", "title", "source", "chunk_id", "score")}
                for d in self.documents
            ],
            "timings_ms": {k: round(v * 1000, 1) for k, v in self.timings.items()},
            **extra,
        }


@dataclass(frozen=True, slots=True)
class StoredChunk:
    """A chunk as the catalog returns it, with its document's fields and whole text."""

    chunk_id: str
    doc_id: str
    index: int
    start: int
    end: int
    sentences: tuple[Span, ...]  # offsets in the document, in order
    title: str
    source: str
    url: str | None
    published: str | None
    doc_text: str

    @property
    def text(self) -> str:
        """The chunk's own text, cut from the document by its offsets."""
        return self.doc_text[self.start : self.end]
