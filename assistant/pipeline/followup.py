"""Follow-up questions: when a question leans on the turn before, and which articles that
turn's answer came from.

History reaches the chain as (question, answer text) pairs from every client (CLI, web,
API, evaluation), so the previous answer's articles are found from its text: the answer
quotes sentences, each followed by its citation marker ``[n]``, and the chunks that hold
those sentences word for word are the previous answer's documents. A refusal or a written
(LLM) answer quotes nothing verbatim and so names no document.
"""

from __future__ import annotations

import re
from typing import Protocol

from langchain_core.documents import Document

from assistant.pipeline.options import History
from assistant.text.korean import KoreanAnalyzer

_MARKER = re.compile(r"\s*\[\d+\]\s*")


class Searcher(Protocol):
    """The part of ``HybridSearch`` this module uses."""

    def search(self, query: str, *, k: int | None = None) -> list[Document]: ...


def is_follow_up(question: str, history: History, analyzer: KoreanAnalyzer) -> bool:
    """True when there is an earlier turn and the question names no subject of its own
    (a pronoun or demonstrative, or almost no content words: ``analyzer.anaphoric``)."""
    return bool(history) and analyzer.anaphoric(question)


def quoted_sentences(answer: str) -> list[str]:
    """The sentences of ``answer`` that a citation marker follows, in order."""
    parts = _MARKER.split(answer)
    return [p.strip() for p in parts[:-1] if p.strip()]


def cited_documents(answer: str, search: Searcher, k: int = 5) -> list[str]:
    """Doc ids of the chunks that hold the answer's quoted sentences word for word, in
    the order of the sentences; [] when it quotes none (found by searching its own text)."""
    sentences = quoted_sentences(answer)
    if not sentences:
        return []
    chunks = search.search(" ".join(sentences), k=k)
    found: list[str] = []
    for sentence in sentences:
        holder = next((c for c in chunks if sentence in c.page_content), None)
        if holder is not None and holder.metadata["doc_id"] not in found:
            found.append(holder.metadata["doc_id"])
    return found
