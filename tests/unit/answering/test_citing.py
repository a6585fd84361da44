"""Citations of quoted sentences: one per passage, numbered in quoting order (no model)."""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.documents import Document

from assistant.answering.citing import cite_by_passage
from assistant.types import Span
from tests.fakes.parts import passage


@dataclass(frozen=True)
class Quote:
    span: Span
    doc: Document
    score: float
    text: str


def quotes(doc: Document, *indexes: int) -> list[Quote]:
    out = []
    for i in indexes:
        start, end = doc.metadata["sentences"][i]
        base = doc.metadata["start"]
        out.append(
            Quote(Span(start, end), doc, 1.0 - i / 10, doc.page_content[start - base : end - base])
        )
    return out


def test_a_passage_quoted_twice_is_cited_once_over_both_sentences() -> None:
    one = passage("d1", "첫 문장이다.\n둘째 문장이다.", 1.0, start=10)
    two = passage("d2", "다른 기사다.", 0.5)
    chosen = [*quotes(one, 0, 1), *quotes(two, 0)]
    citations, parts = cite_by_passage(chosen)
    assert [c.number for c in citations] == [1, 2]
    assert (citations[0].start, citations[0].end) == (10, 10 + len("첫 문장이다.\n둘째 문장이다."))
    assert parts == ["첫 문장이다.", "둘째 문장이다. [1]", "다른 기사다. [2]"]


def test_numbers_follow_the_quoting_order_not_the_ranking() -> None:
    one = passage("d1", "첫 문장이다.", 1.0)
    two = passage("d2", "다른 기사다.", 0.5)
    citations, parts = cite_by_passage([*quotes(two, 0), *quotes(one, 0)])
    assert [c.doc_id for c in citations] == ["d2", "d1"]
    assert parts == ["다른 기사다. [1]", "첫 문장이다. [2]"]
