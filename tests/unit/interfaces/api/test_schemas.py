"""The HTTP answer schema carries the short answer, its highlight and the relevance."""

from __future__ import annotations

from assistant.interfaces.api.schemas import AnswerOut
from assistant.types import Answer, Citation


def citation(highlight: tuple[int, int] | None) -> Citation:
    return Citation(
        number=1, doc_id="d", title="t", source="s.txt", text="북한은 1만 5천 명을 보냈다.",
        start=0, end=16, score=1.0, sentence="북한은 1만 5천 명을 보냈다.", chunk_id="c",
        chunk_start=0, highlight=highlight,
    )  # fmt: skip


def test_the_short_answer_and_its_highlight_are_serialised() -> None:
    answer = Answer("몇 명?", "1만 5천 명 [1]\n…", False, (citation((4, 11)),),
                    short_answer="1만 5천 명", relevance=0.9)  # fmt: skip
    out = AnswerOut.of(answer).model_dump()
    assert out["short_answer"] == "1만 5천 명" and out["relevance"] == 0.9
    assert out["citations"][0]["highlight"] == (4, 11)


def test_no_short_answer_is_an_empty_string_and_no_highlight() -> None:
    out = AnswerOut.of(Answer("왜?", "…", False, (citation(None),))).model_dump()
    assert out["short_answer"] == "" and out["citations"][0]["highlight"] is None
