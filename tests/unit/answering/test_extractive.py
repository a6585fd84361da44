"""The extractive answerer on a fake store (no model, no Chroma): which sentence it quotes,
how it cites, the short answer it starts with, and when it refuses. Calibration on the real
index is in bench/calibrate_answerer.py and integration."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.answering.base import Answerer, AnswerRequest, final_answer
from assistant.answering.extractive import ExtractiveAnswerer
from assistant.answering.relevance import read_relevance
from assistant.answering.scoring import READER_RELEVANCE_MODEL, READER_RELEVANCE_THRESHOLD
from assistant.settings import PROJECT_ROOT
from assistant.storage.store import sentence_id
from assistant.text.korean import KoreanAnalyzer
from assistant.text.messages import Messages
from assistant.types import Answer, Span
from tests.fakes.parts import DIM, FakeStore, passage
from tests.unit.answering.test_short_answer import Read

MESSAGES = Messages.load(PROJECT_ROOT / "prompts")
TEXT = "북한은 러시아에 병력 1만 5천 명을 보냈다.\n평양의 겨울은 춥다.\n러시아 대사가 숨졌다."


def unit(i: int) -> np.ndarray:
    v = np.zeros(DIM, dtype=np.float32)
    v[i] = 1.0
    return v


def answerer(analyzer: KoreanAnalyzer, **kwargs: float) -> tuple[ExtractiveAnswerer, list]:
    doc = passage("d1", TEXT, 1.0, start=100)
    spans = [Span(s, e) for s, e in doc.metadata["sentences"]]
    # the question's vector is unit(0): sentence 0 is close, the others are not
    close = 0.93 * unit(0) + np.sqrt(1 - 0.93**2) * unit(1)
    vectors = {sentence_id("d1", spans[0]): close}
    vectors.update({sentence_id("d1", s): unit(2) for s in spans[1:]})
    store = FakeStore(vectors)
    return ExtractiveAnswerer(store, analyzer, MESSAGES, **kwargs), [doc]  # type: ignore[arg-type]


def ask(a: ExtractiveAnswerer, docs: list, question: str) -> Answer:
    return a.answer(AnswerRequest(question, tuple(docs), unit(0), "ko"))


def test_it_implements_the_answerer_protocol(analyzer: KoreanAnalyzer) -> None:
    a, docs = answerer(analyzer)
    assert isinstance(a, Answerer) and not a.generative
    request = AnswerRequest("북한은 러시아에 병력을 몇 명 보냈나?", tuple(docs), unit(0))
    parts = list(a.stream(request))
    assert len(parts) == 1 and parts[0] == final_answer(iter(parts)) == a.answer(request)
    assert a.condense("그는?", [("q", "a")], "ko") == ""


def test_best_sentence_is_quoted_with_its_exact_offsets(analyzer: KoreanAnalyzer) -> None:
    a, docs = answerer(analyzer, threshold=0.0, margin=0.0)
    answer = ask(a, docs, "북한은 러시아에 병력을 몇 명 보냈나?")
    assert not answer.refused and answer.answerer == "extractive"
    [c] = answer.citations
    assert c.sentence == "북한은 러시아에 병력 1만 5천 명을 보냈다."
    assert (c.start, c.end) == (100, 100 + len(c.sentence)) and c.chunk_start == 100
    assert answer.text.endswith(f"\n{c.sentence} [1]")


def test_the_reply_starts_with_the_short_answer_highlighted_in_its_sentence(
    analyzer: KoreanAnalyzer,
) -> None:
    a, docs = answerer(analyzer, threshold=0.0, margin=0.0)
    answer = ask(a, docs, "북한은 러시아에 병력을 몇 명 보냈나?")
    [c] = answer.citations
    assert answer.short_answer == "1만 5천 명"
    assert answer.text == f"1만 5천 명 [1]\n{c.sentence} [1]"
    assert c.highlight is not None
    start, end = c.highlight
    assert c.start <= start < end <= c.end
    assert c.text[start - c.chunk_start : end - c.chunk_start] == "1만 5천 명"


def test_no_short_answer_for_a_question_that_asks_how(analyzer: KoreanAnalyzer) -> None:
    a, docs = answerer(analyzer, threshold=0.0, margin=0.0)
    answer = ask(a, docs, "북한은 러시아에 병력을 어떻게 보냈나?")
    assert not answer.refused and answer.short_answer == ""
    assert answer.citations[0].highlight is None
    assert answer.text == f"{answer.citations[0].sentence} [1]"


def test_nothing_relevant_is_refused_in_the_question_language(analyzer: KoreanAnalyzer) -> None:
    a, docs = answerer(analyzer)
    answer = a.answer(AnswerRequest("비트코인 가격은?", tuple(docs), unit(5), "ko"))
    assert answer.refused and answer.status == "refused" and answer.citations == ()
    assert answer.text == MESSAGES.get("refusal", "ko")
    assert answer.relevance is not None and answer.relevance < a.threshold
    english = a.answer(AnswerRequest("Bitcoin price?", tuple(docs), unit(5), "en"))
    assert english.text == MESSAGES.get("refusal", "en")


@pytest.mark.parametrize(
    ("question", "refused"),
    [
        ("북한은 러시아에 병력을 몇 명 보냈나?", False),
        ("북한은 러시아에 병력을 몇 km 보냈나?", True),
    ],
)
def test_a_sentence_must_hold_the_kind_of_answer_asked_for(
    analyzer: KoreanAnalyzer, question: str, refused: bool
) -> None:
    a, docs = answerer(analyzer, threshold=0.0)
    assert ask(a, docs, question).refused is refused


def test_extra_sentences_only_when_close_to_the_best(analyzer: KoreanAnalyzer) -> None:
    strict, docs = answerer(analyzer, threshold=0.0, margin=0.0)
    loose, _ = answerer(analyzer, threshold=0.0, margin=100.0, max_sentences=2)
    question = "북한은 러시아에 병력을 보냈나?"
    one, two = ask(strict, docs, question), ask(loose, docs, question)
    assert len(one.citations) == 1 and two.text.count("[1]") == 1
    # two sentences of one passage: one citation, its range spanning both
    assert [c.number for c in two.citations] == [1]
    assert len(two.citations[0].sentence) > len(one.citations[0].sentence)
    assert one.citations[0].sentence in two.citations[0].sentence


def test_a_headline_is_never_quoted_and_a_passage_is_cited_once(
    analyzer: KoreanAnalyzer,
) -> None:
    title = "러시아 대사 평양에서 숨져"
    opening = passage("d2", f"{title}\n러시아 대사가 평양에서 숨졌다.", 1.0)
    opening.metadata["title"] = title
    a, docs = answerer(analyzer, threshold=0.0, margin=100.0, max_sentences=3)
    answer = ask(a, [opening, *docs], "러시아 대사는 어디에서 숨졌나?")
    assert answer.citations and all(c.sentence != title for c in answer.citations)
    assert title not in answer.text.replace("러시아 대사가 평양에서 숨졌다.", "")
    numbers = [c.number for c in answer.citations]
    assert len({c.chunk_id for c in answer.citations}) == len(numbers)  # one per passage
    assert numbers == list(range(1, len(numbers) + 1))
    assert all(answer.text.count(f"[{n}]") >= 1 for n in numbers)


def test_a_stand_in_title_that_runs_on_into_the_body_stays_quotable(
    analyzer: KoreanAnalyzer,
) -> None:
    """A record with no headline gets its first sentence as its title; that sentence is
    the article's own content, not a headline."""
    lead = "김정은이 푸틴의 정책에 대한 '영구적' 지지를 약속했다."
    doc = passage("d3", lead, 1.0)
    doc.metadata["title"] = lead
    doc.page_content += " 북한 매체가 9일 보도했다."  # the body goes on, on the same line
    a, _ = answerer(analyzer, threshold=0.0, margin=0.0)
    answer = ask(a, [doc], "김정은은 푸틴의 정책에 어떤 지지를 약속했나?")
    assert [c.sentence for c in answer.citations] == [lead]


def test_the_relevance_threshold_decides_the_refusal(analyzer: KoreanAnalyzer) -> None:
    question = "북한은 러시아에 병력을 몇 명 보냈나?"
    open_, docs = answerer(analyzer, threshold=0.0)
    relevance = ask(open_, docs, question).relevance
    assert relevance is not None and 0.0 < relevance < 1.0
    closed, _ = answerer(analyzer, threshold=relevance + 1e-6)
    assert ask(closed, docs, question).refused


def test_an_english_question_is_judged_on_its_korean_forms(analyzer: KoreanAnalyzer) -> None:
    a, docs = answerer(analyzer, threshold=0.0)
    english = "How many troops did North Korea send to Russia?"

    def relevance(question: str, translation: str) -> float:
        request = AnswerRequest(question, tuple(docs), unit(0), "en", translation=translation)
        found = a.answer(request).relevance
        assert found is not None
        return found

    # its own words are nowhere in the Korean passage; the Korean forms retrieval searched are
    assert relevance(english, "북한 병력 러시아") > relevance(english, "")
    # a Korean question is judged on its own words, whatever the request carries
    korean = "북한은 러시아에 병력을 몇 명 보냈나?"
    assert relevance(korean, "비트코인") == relevance(korean, "")


class SureReader:
    """A stand-in reader sure of ``answer`` (margin ``margin``; threshold 0)."""

    threshold = 0.0

    def __init__(self, answer: str, margin: float) -> None:
        self.answer, self.margin = answer, margin

    def read(self, question: str, passages: list[str]) -> list[Read]:
        at = passages[0].find(self.answer)
        return [Read(at, at + len(self.answer), self.answer, self.margin)]


@pytest.mark.parametrize(
    ("read", "margin", "short"),
    [
        ("병력 1만 5천 명", 3.0, "병력 1만 5천 명"),
        ("러시아", -1.0, "1만 5천 명"),  # unsure: the heuristic's
        ("러시아", 3.0, "1만 5천 명"),  # sure, but a place cannot answer "몇 명"
    ],
)
def test_the_readers_span_is_the_short_answer_when_it_is_sure_else_the_heuristics(
    analyzer: KoreanAnalyzer, read: str, margin: float, short: str
) -> None:
    doc = answerer(analyzer)[1]
    a, _ = answerer(analyzer, threshold=0.0, margin=0.0)
    reading = ExtractiveAnswerer(
        a.store,
        analyzer,
        MESSAGES,
        threshold=0.0,
        margin=0.0,
        short_reader=lambda: SureReader(read, margin),  # type: ignore[arg-type, return-value]
    )
    answer = ask(reading, doc, "북한은 러시아에 병력을 몇 명 보냈나?")
    [c] = answer.citations
    assert answer.short_answer == short and answer.text.startswith(f"{short} [1]\n")
    assert c.highlight is not None
    assert c.text[c.highlight[0] - c.chunk_start : c.highlight[1] - c.chunk_start] == short


def test_the_refusal_reader_joins_the_relevance(analyzer: KoreanAnalyzer) -> None:
    """With a refusal reader the answer's relevance is the heuristic's joined by the
    reader's margin on the quoted passage, and the reader's threshold decides."""
    a, doc = answerer(analyzer)
    question = "북한은 러시아에 병력을 몇 명 보냈나?"
    plain = ask(a, doc, question)
    assert plain.relevance is not None
    scores = []
    for margin in (-10.0, 10.0):
        sure = SureReader("병력 1만 5천 명", margin)
        reading = ExtractiveAnswerer(
            a.store,
            analyzer,
            MESSAGES,
            refusal_reader=lambda r=sure: r,  # type: ignore[arg-type, misc]
        )
        answer = ask(reading, doc, question)
        assert reading.threshold == READER_RELEVANCE_THRESHOLD
        assert answer.relevance == read_relevance(plain.relevance, margin, READER_RELEVANCE_MODEL)
        assert answer.refused is (answer.relevance < reading.threshold)
        scores.append(answer.relevance)
    assert scores[0] < scores[1]


def test_a_follow_up_is_judged_by_the_relevance_alone(analyzer: KoreanAnalyzer) -> None:
    """ "그건 어디에 떨어졌어?" names nothing the reader could find in a passage, so its
    margin does not count for a follow-up."""
    a, doc = answerer(analyzer)
    question = "북한은 러시아에 병력을 몇 명 보냈나?"
    unsure = SureReader("병력 1만 5천 명", -20.0)
    reading = ExtractiveAnswerer(
        a.store,
        analyzer,
        MESSAGES,
        refusal_reader=lambda: unsure,  # type: ignore[arg-type, return-value]
    )
    request = AnswerRequest(question, tuple(doc), unit(0), "ko", follow_up=True)
    assert reading.answer(request).relevance == ask(a, doc, question).relevance
    assert not reading.answer(request).refused
