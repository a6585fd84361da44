"""The reader answerer on a stand-in reader (no model): which span it answers with, the
sentence it quotes, the headline it skips, and when it refuses. The committed reader
itself is tested in tests/integration/test_reader.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.answering.base import Answerer, AnswerRequest
from assistant.answering.passages import sentence_around
from assistant.answering.reading import ReaderAnswerer
from assistant.answering.short_answer import SharedReader
from assistant.settings import PROJECT_ROOT
from assistant.text.messages import Messages
from assistant.types import Answer
from tests.fakes.parts import passage

MESSAGES = Messages.load(PROJECT_ROOT / "prompts")
TEXT = "북한은 러시아에 병력 1만 5천 명을 보냈다.\n평양의 겨울은 춥다.\n러시아 대사가 숨졌다."


@dataclass(frozen=True)
class Read:
    start: int
    end: int
    text: str
    score: float
    null: float = 0.0

    @property
    def margin(self) -> float:
        return self.score - self.null


@dataclass
class StandIn:
    """Finds ``answer`` in each passage, scoring it ``scores[i]``; records the questions."""

    answer: str
    scores: Sequence[float]
    threshold: float = 1.0

    def __post_init__(self) -> None:
        self.questions: list[str] = []

    def read(self, question: str, passages: Sequence[str]) -> list[Read]:
        self.questions.append(question)
        out = []
        for text, score in zip(passages, self.scores, strict=True):
            at = text.find(self.answer)
            out.append(
                Read(at, at + len(self.answer), self.answer, score)
                if at >= 0
                else Read(0, 0, "", -9.0)
            )
        return out


def request(
    docs: list, question: str = "북한은 러시아에 병력을 몇 명 보냈나?", **kw: str
) -> AnswerRequest:
    return AnswerRequest(question, tuple(docs), np.zeros(4, dtype=np.float32), **kw)


def test_it_implements_the_protocol_and_loads_the_reader_once() -> None:
    made: list[StandIn] = []

    def load() -> StandIn:
        made.append(StandIn("1만 5천 명", [3.0]))
        return made[-1]

    a = ReaderAnswerer(SharedReader(load), MESSAGES)
    assert isinstance(a, Answerer) and not a.generative and made == []
    a.answer(request([passage("d1", TEXT, 1.0)]))
    a.answer(request([passage("d1", TEXT, 1.0)]))
    assert len(made) == 1


def test_the_best_span_is_the_short_answer_and_its_sentence_is_cited() -> None:
    docs = [passage("d1", TEXT, 1.0, start=100)]
    answer = ReaderAnswerer(lambda: StandIn("1만 5천 명", [3.0]), MESSAGES).answer(request(docs))
    assert not answer.refused and answer.short_answer == "1만 5천 명"
    [c] = answer.citations
    assert c.sentence == "북한은 러시아에 병력 1만 5천 명을 보냈다." and c.start == 100
    at = 100 + TEXT.index("1만 5천 명")
    assert c.highlight == (at, at + len("1만 5천 명"))
    assert answer.text == f"1만 5천 명 [1]\n{c.sentence} [1]"
    assert answer.relevance is not None and answer.relevance > 0.5


def test_the_passage_that_beats_no_answer_most_wins() -> None:
    docs = [passage("d1", TEXT, 1.0), passage("d2", "러시아 대사가 숨졌다.", 0.9)]
    reader = StandIn("러시아 대사", [1.5, 4.0])
    answer = ReaderAnswerer(lambda: reader, MESSAGES).answer(request(docs, "누가 숨졌나?"))
    assert [c.doc_id for c in answer.citations] == ["d2"]


def test_no_span_over_the_threshold_is_the_refusal() -> None:
    docs = [passage("d1", TEXT, 1.0)]
    reader = StandIn("1만 5천 명", [0.5], threshold=1.0)
    answer = ReaderAnswerer(lambda: reader, MESSAGES).answer(request(docs))
    assert answer.refused and answer.citations == ()
    assert answer.text == MESSAGES.get("refusal", "ko")
    forced = ReaderAnswerer(lambda: reader, MESSAGES, threshold=0.0).answer(request(docs))
    assert not forced.refused  # the setting overrides the card's threshold
    empty = ReaderAnswerer(lambda: reader, MESSAGES).answer(request([]))
    assert empty.refused


def test_a_span_in_a_headline_is_passed_over_for_the_next_passage() -> None:
    title = "러시아 대사 평양에서 숨져"
    opening = passage("d1", f"{title}\n러시아 대사가 평양에서 숨졌다.", 1.0)
    opening.metadata["title"] = title
    other = passage("d2", "평양 주재 러시아 대사가 숨졌다.", 0.8)
    reader = StandIn("러시아 대사", [5.0, 2.0])
    answer = ReaderAnswerer(lambda: reader, MESSAGES).answer(request([opening, other], "누가?"))
    assert [c.doc_id for c in answer.citations] == ["d2"]


def test_an_english_question_is_read_with_its_korean_forms() -> None:
    reader = StandIn("1만 5천 명", [3.0])
    a = ReaderAnswerer(lambda: reader, MESSAGES)
    answer = a.answer(
        request([passage("d1", TEXT, 1.0)], "How many troops?", language="en", translation="병력")
    )
    assert reader.questions == ["How many troops? 병력"]
    assert answer.short_answer == "1만 5천 명" and answer.text.startswith("1만 5천 명 [1]")


def test_a_span_across_two_sentences_cites_both() -> None:
    doc = passage("d1", TEXT, 1.0, start=10)
    lo = 10 + TEXT.index("보냈다.")
    hi = 10 + TEXT.index("춥다") + 2
    span = sentence_around(doc, lo, hi)
    assert (span.start, span.end) == (10, 10 + TEXT.index("\n러시아"))


def test_the_particle_that_ends_a_span_is_cut_and_the_highlight_follows() -> None:
    def morphemes(text: str) -> list[tuple[str, str, int, int]]:
        # stand-in for kiwi: "… 명" then the particle "을"
        return [(text[:-1], "NNB", 0, len(text) - 1), ("을", "JKO", len(text) - 1, len(text))]

    docs = [passage("d1", TEXT, 1.0)]
    a = ReaderAnswerer(lambda: StandIn("1만 5천 명을", [3.0]), MESSAGES, morphemes=morphemes)
    answer = a.answer(request(docs))
    assert answer.short_answer == "1만 5천 명"
    lo, hi = answer.citations[0].highlight
    assert TEXT[lo:hi] == "1만 5천 명"


class Fallback:
    """Records what it was asked, and answers with a fixed refusal-free Answer."""

    name = "extractive"
    generative = False

    def __init__(self) -> None:
        self.asked: list[str] = []

    def answer(self, request: AnswerRequest) -> Answer:
        self.asked.append(request.question)
        return Answer(request.question, "fallback", False)


def test_english_questions_and_follow_ups_go_to_the_fallback_the_rest_to_the_reader() -> None:
    reader, fallback = StandIn("1만 5천 명", [3.0]), Fallback()
    a = ReaderAnswerer(lambda: reader, MESSAGES, fallback=fallback)  # type: ignore[arg-type]
    docs = [passage("d1", TEXT, 1.0)]
    assert a.answer(request(docs, "How many troops did North Korea send?")).text == "fallback"
    follow = AnswerRequest("그건 몇 명이야?", tuple(docs), np.zeros(4), follow_up=True)
    assert a.answer(follow).text == "fallback"
    alone = a.answer(request(docs))
    assert alone.short_answer == "1만 5천 명" and reader.questions == [request(docs).question]
    assert fallback.asked == ["How many troops did North Korea send?", "그건 몇 명이야?"]
