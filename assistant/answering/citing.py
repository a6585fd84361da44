"""Citations of quoted sentences: one per passage, numbered in quoting order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from langchain_core.documents import Document

from assistant.answering.base import cite
from assistant.types import Citation, Span


class Quoted(Protocol):
    """A sentence chosen for quoting (``extractive.ScoredSentence``)."""

    @property
    def span(self) -> Span: ...
    @property
    def doc(self) -> Document: ...
    @property
    def score(self) -> float: ...
    @property
    def text(self) -> str: ...


def cite_by_passage(chosen: Sequence[Quoted]) -> tuple[list[Citation], list[str]]:
    """One citation per passage (chunk) for the quoted sentences, numbered in quoting
    order; a passage quoted twice is cited once, its range spanning both sentences.

    :returns: the citations, and each sentence's text with its passage's marker (a run of
        sentences from one passage carries the marker once, after the last).
    """
    numbers: dict[str, int] = {}
    ranges: dict[str, tuple[Quoted, int, int]] = {}
    for s in chosen:
        key = s.doc.metadata["chunk_id"]
        numbers.setdefault(key, len(numbers) + 1)
        lead, lo, hi = ranges.get(key, (s, s.span.start, s.span.end))
        ranges[key] = (lead, min(lo, s.span.start), max(hi, s.span.end))
    citations = [
        cite(numbers[key], lead.doc, lo, hi, round(lead.score, 4))
        for key, (lead, lo, hi) in ranges.items()
    ]
    parts: list[str] = []
    for i, s in enumerate(chosen):
        key = s.doc.metadata["chunk_id"]
        last = i + 1 == len(chosen) or chosen[i + 1].doc.metadata["chunk_id"] != key
        parts.append(f"{s.text} [{numbers[key]}]" if last else s.text)
    return citations, parts
