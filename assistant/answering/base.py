"""The Answerer protocol: what every answerer takes, what it yields, and the shared pieces.

An answerer gets an ``AnswerRequest`` (the question, the ranked passages it may quote,
the question's vector) and streams: zero or more text deltas, then exactly one
``Answer``, always last. The extractive answerer yields the Answer alone; an LLM
answerer yields its tokens first. ``answer`` is the same, without the deltas.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
from langchain_core.documents import Document

from assistant.text.messages import Messages
from assistant.types import Answer, Citation


@dataclass(frozen=True, slots=True)
class AnswerRequest:
    """One question for an answerer.

    :param question: the question as asked.
    :param documents: the passages it may quote, best first; citation [n] is documents[n-1].
    :param query_vector: the e5 vector of the text that was searched.
    :param language: "ko" or "en": the language of the fixed phrases.
    :param standalone: an LLM's standalone rewrite of a follow-up, when there is one.
    :param error: why the LLM server already failed on this request (no second try).
    :param translation: the Korean forms of an English question's words that retrieval
        searched (``HybridSearch.translated``; "" for a Korean question).
    :param follow_up: the question leans on the previous turn ("그건 누가 발표했어?"), so
        its passages come from the documents the previous answer quoted.
    """

    question: str
    documents: tuple[Document, ...]
    query_vector: np.ndarray
    language: str = "ko"
    standalone: str | None = None
    error: str | None = None
    translation: str = ""
    follow_up: bool = False


@runtime_checkable
class Answerer(Protocol):
    """What the chain needs of an answerer; the extractive and LLM answerers implement it."""

    name: str
    generative: bool  # writes its own text (and so can rewrite follow-ups)

    def condense(self, question: str, history: Sequence[tuple[str, str]], language: str) -> str:
        """A follow-up rewritten as a standalone question, or "" to keep the heuristic."""
        ...

    def stream(self, request: AnswerRequest) -> Iterator[str | Answer]:
        """Text deltas as they are written, then exactly one ``Answer``."""
        ...

    def answer(self, request: AnswerRequest) -> Answer:
        """The final ``Answer`` alone."""
        ...

    def warm(self) -> None:
        """Load what the first question would otherwise wait for (a local model)."""
        ...

    def close(self) -> None:
        """Release what it started (servers, clients); the answerer is not used after."""
        ...


def final_answer(parts: Iterator[str | Answer]) -> Answer:
    """The ``Answer`` that ends a stream (the deltas before it are dropped)."""
    final = None
    for part in parts:
        if isinstance(part, Answer):
            final = part
    if final is None:
        raise RuntimeError("the answerer's stream ended without an Answer")
    return final


def refusal(
    question: str, messages: Messages, language: str, docs: Sequence[Document], **extra: Any
) -> Answer:
    """The "the articles don't say" answer, in the question's language."""
    return Answer(
        question,
        messages.get("refusal", language),
        True,
        status="refused",
        language=language,
        documents=tuple(docs),
        **extra,
    )


def cite(number: int, doc: Document, start: int, end: int, score: float) -> Citation:
    """Citation ``number`` of the sentence at document offsets start..end of ``doc``'s chunk."""
    m = doc.metadata
    base = m["start"]
    return Citation(
        number=number,
        doc_id=m["doc_id"],
        title=m["title"],
        source=m["source"],
        text=doc.page_content,
        start=start,
        end=end,
        score=score,
        sentence=doc.page_content[start - base : end - base],
        chunk_id=m["chunk_id"],
        chunk_start=base,
        url=m.get("url"),
        published=m.get("published"),
    )
