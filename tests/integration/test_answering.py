"""The extractive answerer on the seed set: quotes, citations, refusals."""

from __future__ import annotations

import json

import pytest

from assistant.pipeline.service import Assistant
from tests.fixtures.paths import SEED

MAIN = "000_e3f8f1e00a5f7b14"


def _doc_text(qa: Assistant, doc_id: str) -> str:
    text = qa.store.document_text(doc_id)
    assert text is not None
    return text


def test_answer_quotes_corpus_sentences_with_numbered_citations(qa: Assistant) -> None:
    answer = qa.ask("김정은은 북러 관계를 무엇이라고 표현했나?")
    assert not answer.refused and answer.status == "answered"
    assert "소중한 공동자산" in answer.text
    assert [c.number for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    assert len(answer.citations) <= qa.settings.answer_max_sentences
    for c in answer.citations:
        assert f"{c.sentence} [{c.number}]" in answer.text
        doc = _doc_text(qa, c.doc_id)
        assert doc[c.start : c.end] == c.sentence  # the exact sentence in its document
        assert c.sentence in c.text  # and inside the cited chunk
        assert c.title and c.source == f"corpus/{MAIN}.txt"


def test_answer_text_is_only_corpus_sentences_and_markers(qa: Assistant) -> None:
    answer = qa.ask("북한이 러시아에 보낸 병력 규모는?")
    assert "1만 5천 명" in answer.short_answer
    first, _, rest = answer.text.partition("\n")
    assert first == f"{answer.short_answer} [1]"  # the short answer opens the reply
    for c in answer.citations:
        rest = rest.replace(f"{c.sentence} [{c.number}]", "")
    assert rest.strip() == ""


def test_the_short_answer_is_highlighted_where_it_stands_in_the_cited_sentence(
    qa: Assistant,
) -> None:
    answer = qa.ask("북한군 파병 규모는 몇 명인가?")
    assert not answer.refused and answer.short_answer.endswith("1만 5천 명")
    c = answer.citations[0]
    assert c.highlight is not None
    start, end = c.highlight
    assert c.start <= start < end <= c.end
    assert _doc_text(qa, c.doc_id)[start:end] == answer.short_answer


def test_a_question_about_a_person_the_articles_never_answer_is_refused(qa: Assistant) -> None:
    answer = qa.ask("최선희 외무상의 나이는?")  # she is named, her age never is
    assert answer.refused and answer.short_answer == "" and answer.citations == ()


@pytest.mark.parametrize(
    "question",
    ["푸틴의 나이는?", "마체고라 대사의 사망 원인은 무엇이었나?", "비트코인 가격은?"],
)
def test_unanswerable_questions_are_refused_without_citations(qa: Assistant, question: str) -> None:
    answer = qa.ask(question)
    assert answer.refused and answer.status == "refused"
    assert answer.citations == ()
    assert answer.text == qa.messages.get("refusal", "ko")


def test_english_question_gets_english_fixed_phrases(qa: Assistant) -> None:
    answer = qa.ask("Who won the 2022 World Cup?")
    assert answer.refused and answer.text == qa.messages.get("refusal", "en")
    assert answer.language == "en"


def test_english_question_is_answered_from_the_article_that_says_it(qa: Assistant) -> None:
    answer = qa.ask("Who condemned the US over Venezuela?")
    assert not answer.refused and answer.language == "en"
    assert "외무성" in answer.citations[0].sentence
    assert answer.citations[0].doc_id.endswith("-r6")


def test_seed_unanswerable_cases_are_all_refused(qa: Assistant) -> None:
    cases = [json.loads(line) for line in SEED.read_text("utf-8").splitlines() if line.strip()]
    unanswerable = [c for c in cases if "question" in c and not c["answers"]]
    assert len(unanswerable) >= 3
    for case in unanswerable:
        assert qa.ask(case["question"]).refused, case["question"]


def test_sentence_scores_are_sorted(qa: Assistant) -> None:
    question = "북한이 극초음속 미사일을 시험 발사한 날은?"
    vector = qa.embedder.embed_queries([question])[0]
    docs = qa.search.search(question, query_vector=vector)
    scored = qa.answerer.score_sentences(question, docs, vector)
    scores = [s.score for s in scored]
    assert scores == sorted(scores, reverse=True)
    assert all(s.type_ok for s in scored[:1])  # a date question's best sentence has a date
    assert "4일" in scored[0].text
