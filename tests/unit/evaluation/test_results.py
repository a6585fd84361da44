"""Scoring one turn: documents from chunks, passage-level gold, citations, failed turns."""

from __future__ import annotations

import dataclasses

import pytest
from langchain_core.documents import Document

from assistant.evaluation.cases import Case, Turn
from assistant.evaluation.results import (
    TurnResult,
    failed_turn,
    gold_label,
    matches_gold,
    result_dict,
    score_turn,
)
from assistant.types import Answer, Citation


def _doc(doc_id: str, text: str) -> Document:
    return Document(page_content=text, metadata={"doc_id": doc_id, "title": f"제목 {doc_id}"})


def _cite(doc_id: str, chunk: str) -> Citation:
    return Citation(1, doc_id, f"제목 {doc_id}", "news", chunk, 0, 5, 0.9, chunk[:5], "c", 0)


CASE = Case("c1", [], ["main"])


def test_chunks_collapse_to_documents_in_first_occurrence_order() -> None:
    turn = Turn("정상회담은 어디서?", ["베이징"], ["d2"])
    docs = (
        _doc("d1", "가"),
        _doc("d2", "정상회담은 베이징에서"),
        _doc("d1", "나"),
        _doc("d3", "다"),
    )
    answer = Answer(
        turn.question, "정상회담은 '베이징'에서 열렸다.", False,
        (_cite("d2", "정상회담은 베이징에서"), _cite("d3", "다른 이야기")),
        documents=docs, timings={"retrieve": 0.012, "answer": 0.003},
    )  # fmt: skip
    r = score_turn(CASE, 0, turn, answer)
    assert r.ranked_docs == ["d1", "d2", "d3"]
    assert r.ranked_titles == ["제목 d1", "제목 d2", "제목 d3"]
    assert r.ranked_ids == [] and r.relevant == ["d2"]
    assert r.first_gold_rank == 2 and not r.hit(1) and r.hit(2)
    assert r.cited_docs == ["d2", "d3"]
    assert [c["correct"] for c in r.citations] == [True, False]
    assert r.retrieve_ms == pytest.approx(12.0) and r.answer_ms == pytest.approx(3.0)
    assert r.contains_gold and r.passed and r.status == "answered"
    assert r.exact_match == 0.0 and 0.0 < r.f1 < 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.answer = "changed"  # type: ignore[misc]


def test_passage_gold_relabels_the_ranking() -> None:
    passage = "세종은 1443년 훈민정음을 창제하였다."
    turn = Turn("훈민정음은 언제?", ["1443년"], [], [passage])
    docs = (
        _doc("x", "관계없는 글"),
        _doc("y", "앞 문장. 세종은 1443년 훈민정음을\n창제하였다. 뒤"),
    )
    answer = Answer(turn.question, "모르겠습니다.", True, documents=docs, status="refused")
    r = score_turn(CASE, 1, turn, answer)
    assert r.ranked_ids == ["x", "passage:0"] and r.relevant == ["passage:0"]
    assert r.first_gold_rank == 2
    assert r.refused and not r.contains_gold and not r.passed
    assert r.f1 == 0.0  # a refusal's text is not scored as an answer


def test_unanswerable_passes_by_refusing() -> None:
    turn = Turn("없는 것은?", [], [])
    refused = score_turn(CASE, 0, turn, Answer(turn.question, "모름", True, status="refused"))
    answered = score_turn(CASE, 0, turn, Answer(turn.question, "아마도 이것", False))
    assert refused.passed and not answered.passed
    assert not refused.answerable and refused.first_gold_rank is None


def test_a_raising_chain_is_a_refused_error_turn() -> None:
    turn = Turn("질문", ["답"], ["d1"])
    r = failed_turn(CASE, 0, turn, RuntimeError("server went away"))
    assert r.status == "error" and r.refused and not r.passed
    assert r.answer == "error: RuntimeError: server went away"
    assert r.ranked_docs == [] and r.tags == ["main"]


def test_result_dict_carries_the_derived_scores() -> None:
    r = TurnResult("c", 0, "q", ["답"], ["d1"], "답이다", False, ["d0", "d1"], [], 1.0, 2.0, [])
    d = result_dict(r, [1, 5])
    assert d["recall"] == {"1": 0.0, "5": 1.0}
    assert d["mrr"] == 0.5 and d["first_gold_rank"] == 2
    assert d["passed"] and d["answerable"] and d["contains_gold"]
    assert 0.0 < d["ndcg"] < 1.0
    assert d["question"] == "q" and d["ranked_docs"] == ["d0", "d1"]


def test_gold_ids_without_a_source_match_source_scoped_ids() -> None:
    assert matches_gold("corpus/000_e3f8", "000_e3f8")
    assert matches_gold("000_e3f8", "000_e3f8")  # an index or case file that has them both
    assert matches_gold("corpus/a/b#1", "a/b#1") and matches_gold("news-2/x", "news-2/x")
    assert not matches_gold("corpus/1000_e3f8", "000_e3f8")  # a suffix, not a whole id
    assert not matches_gold("corpus/000_e3f8-r1", "000_e3f8")
    assert gold_label("colA/001", ["002", "001"]) == "001"
    assert gold_label("colA/003", ["002", "001"]) == "colA/003"


def test_a_scoped_ranking_is_scored_against_unscoped_gold() -> None:
    turn = Turn("정상회담은 어디서?", ["베이징"], ["d2"])
    docs = (_doc("corpus/d1", "가"), _doc("corpus/d2", "정상회담은 베이징에서"))
    answer = Answer(
        turn.question, "정상회담은 베이징에서 열렸다.", False,
        (_cite("corpus/d2", "정상회담은 베이징에서"), _cite("corpus/d1", "가")), documents=docs,
    )  # fmt: skip
    r = score_turn(CASE, 0, turn, answer)
    assert r.ranked_docs == ["corpus/d1", "corpus/d2"]  # as retrieved, for the report …
    assert r.ranked_ids == ["corpus/d1", "d2"]  # … and in the gold's terms, for scoring
    assert r.first_gold_rank == 2 and r.hit(2) and not r.hit(1)
    assert [c["correct"] for c in r.citations] == [True, False]
    two_sources = (_doc("colA/d2", "정상회담은 베이징에서"), _doc("colB/d2", "다른 글"))
    answer = dataclasses.replace(answer, documents=two_sources)
    assert score_turn(CASE, 0, turn, answer).ranked_ids == ["d2"]  # counted once


def test_exact_match_and_f1_score_the_short_answer_when_there_is_one() -> None:
    turn = Turn("정상회담은 어디서?", ["베이징"], ["d2"])
    docs = (_doc("d2", "정상회담은 베이징에서 열렸다."),)
    reply = "베이징 [1]\n정상회담은 베이징에서 열렸다. [1]"
    short = Answer(turn.question, reply, False, (_cite("d2", docs[0].page_content),),
                   documents=docs, short_answer="베이징", relevance=0.8)  # fmt: skip
    r = score_turn(CASE, 0, turn, short)
    assert (r.exact_match, r.f1, r.short_answer, r.relevance) == (1.0, 1.0, "베이징", 0.8)
    whole = score_turn(CASE, 0, turn, dataclasses.replace(short, short_answer=""))
    assert whole.exact_match == 0.0 and 0.0 < whole.f1 < 1.0  # the whole reply is scored
    refused = score_turn(CASE, 0, turn, dataclasses.replace(short, refused=True))
    assert refused.f1 == 0.0 and refused.short_answer == ""
