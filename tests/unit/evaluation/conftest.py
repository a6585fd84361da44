"""A hand-made run for the evaluation tests: five turns whose every score is known.

=====  ==========  ==========================  =========================================
case   gold        ranked / answer             outcome
=====  ==========  ==========================  =========================================
a/0    d1, "베이징"  d1 d2 d3, quotes 베이징       passes (gold first, one correct citation)
b/0    d9, "서울"    d2 d3, wrong answer          fails: gold document not retrieved
b/1    d2, "부산"    d3 d2, refused               fails: refused (gold at rank 2)
u/0    none        d4, answered                fails: answered an unanswerable question
v/0    none        d4, refused                 passes
=====  ==========  ==========================  =========================================
"""

from __future__ import annotations

from typing import Any

import pytest

from assistant.evaluation.results import TurnResult
from assistant.evaluation.runner import EvalReport
from assistant.evaluation.summary import per_tag, summarize

KS = [1, 5]


def _cite(doc_id: str, correct: bool) -> dict[str, Any]:
    return {"number": 1, "doc_id": doc_id, "title": doc_id, "sentence": "…", "correct": correct}


def make_results() -> list[TurnResult]:
    """The five turns of the table above."""
    return [
        TurnResult(
            "a", 0, "정상회담은 어디서?", ["베이징"], ["d1"], "정상회담은 베이징에서 열렸다.",
            False, ["d1", "d2", "d3"], ["d1", "d2"], 10.0, 1.0, ["main"],
            ranked_titles=["제목1", "제목2", "제목3"],
            citations=[_cite("d1", True), _cite("d2", False)], f1=0.4,
        ),
        TurnResult(
            "b", 0, "수도는?", ["서울"], ["d9"], "부산이다.", False, ["d2", "d3"], ["d2"],
            20.0, 2.0, ["main", "followup"], ranked_titles=["제목2", "제목3"],
            citations=[_cite("d2", False)], f1=0.0,
        ),
        TurnResult(
            "b", 1, "그 항구는?", ["부산"], ["d2"], "모르겠습니다.", True, ["d3", "d2"], [],
            30.0, 3.0, ["main", "followup"], ranked_titles=["제목3", "제목2"], status="refused",
        ),
        TurnResult(
            "u", 0, "<b>없는 질문</b>", [], [], "아무 답.", False, ["d4"], [], 40.0, 4.0,
            ["unanswerable"], ranked_titles=["제목4"],
        ),
        TurnResult(
            "v", 0, "역시 없는 질문", [], [], "모르겠습니다.", True, ["d4"], [], 50.0, 5.0,
            ["unanswerable"], ranked_titles=["제목4"], status="refused",
        ),
    ]  # fmt: skip


def make_report(**overrides: Any) -> EvalReport:
    """An ``EvalReport`` over ``make_results`` (no chain, no model)."""
    results = make_results()
    fields: dict[str, Any] = {
        "metrics": summarize(results, KS),
        "per_tag": per_tag(results, KS),
        "planned_cases": 4,
        "settings": {"embedding_model": "e5-test", "answerer": "extractive", "k": 5},
        "started": "2026-01-01T00:00:00+00:00",
        "seconds": 1.5,
        "source": "hand-made.jsonl",
        "judge": {"status": "skipped", "note": "skipped: no LLM configured"},
        "code_version": "abc1234",
    }
    return EvalReport(results, KS, **(fields | overrides))


@pytest.fixture
def results() -> list[TurnResult]:
    return make_results()


@pytest.fixture
def report() -> EvalReport:
    return make_report()


@pytest.fixture
def report_dict() -> dict[str, Any]:
    """The saved-JSON form of the hand-made run."""
    return make_report().to_dict()
