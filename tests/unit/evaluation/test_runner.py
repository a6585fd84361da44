"""``evaluate`` on a stand-in chain: the call shape, history, errors, Ctrl-C, the schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from langchain_core.documents import Document

from assistant.evaluation.cases import Case, Turn
from assistant.evaluation.runner import EvalReport, evaluate, judge_status
from assistant.pipeline.options import AskOptions
from assistant.settings import Settings
from assistant.types import Answer

SCHEMA_KEYS = [
    "schema", "timestamp", "seconds", "source", "code_version", "partial", "cases_planned",
    "cases_done", "ks", "metrics", "per_tag", "legend", "judge", "notes", "settings",
    "results",
]  # fmt: skip


class Chain:
    """Answers "q<n>" with document d<n> first and the text "답<n>"; "boom" raises."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def invoke(self, inputs: dict[str, Any]) -> Answer:
        self.calls.append(inputs)
        question = inputs["question"]
        if question == "boom":
            raise RuntimeError("server went away")
        n = question.removeprefix("q")
        docs = (Document(page_content=f"답{n}", metadata={"doc_id": f"d{n}", "title": n}),)
        return Answer(question, f"답{n}", False, documents=docs, timings={"retrieve": 0.01})


class Stand:
    """What ``evaluate`` needs of an Assistant: settings and a chain."""

    def __init__(self, tmp_path: Path, **settings: Any) -> None:
        self.settings = Settings(data_dir=tmp_path, **settings)
        self.chain = Chain()


CASES = [
    Case("one", [Turn("q1", ["답1"], ["d1"])], ["main"]),
    Case("two", [Turn("q2", ["답2"], ["d2"]), Turn("boom", ["답3"], ["d3"])], ["followup"]),
    Case("three", [Turn("q4", ["답4"], ["d9"])], ["main"]),
]


def test_evaluate_asks_every_turn_with_its_history(tmp_path: Path) -> None:
    stand: Any = Stand(tmp_path)
    report = evaluate(stand, CASES, ks=[5, 1, 5], progress=False, source="cases.jsonl")
    assert report.ks == [1, 5]
    warm_up, *calls = stand.chain.calls
    assert warm_up == {"question": "q1", "options": AskOptions(retrieve_k=30)}  # max(5,10,5)*3
    assert [c["question"] for c in calls] == ["q1", "q2", "boom", "q4"]
    assert calls[2]["history"] == [("q2", "답2")]  # the case's earlier turn, not other cases'
    assert calls[3]["history"] == [] and calls[0]["options"].retrieve_k == 30
    assert [r.passed for r in report.results] == [True, True, False, True]
    error = report.results[2]
    assert error.status == "error" and "server went away" in error.answer
    assert report.metrics["errors"] == 1 and report.metrics["recall@1"] == 0.5  # q4 missed
    assert list(report.per_tag) == ["followup", "main"]
    assert not report.partial and report.notes == []


def test_report_dict_keeps_the_schema(tmp_path: Path) -> None:
    stand: Any = Stand(tmp_path, llm_api_key="sk-secret")
    d = evaluate(stand, CASES[:1], ks=[1], progress=False, source="s").to_dict()
    assert list(d) == SCHEMA_KEYS
    assert d["schema"] == 1 and d["cases_planned"] == d["cases_done"] == 1 and d["source"] == "s"
    assert d["code_version"]  # a commit, or "unknown" outside git
    assert "llm_api_key" not in d["settings"] and "sk-secret" not in json.dumps(d)
    assert d["settings"]["answerer"] == "extractive"
    assert d["judge"]["status"] == "skipped"
    assert d["results"][0]["recall"] == {"1": 1.0} and d["results"][0]["passed"]


def test_ctrl_c_gives_a_partial_report(tmp_path: Path) -> None:
    def interrupt(_result: object) -> None:
        raise KeyboardInterrupt

    stand: Any = Stand(tmp_path)
    report = evaluate(stand, CASES, ks=[1], progress=False, on_turn=interrupt)
    assert isinstance(report, EvalReport)
    assert report.partial and len(report.results) == 1
    assert report.to_dict()["cases_done"] == 1 and report.planned_cases == 3
    assert report.notes == ["interrupted: 1 of 3 cases finished"]


def test_judge_status_says_why_it_did_not_run(tmp_path: Path) -> None:
    assert "extractive" in judge_status(Settings(data_dir=tmp_path))["note"]
    no_llm = judge_status(Settings(data_dir=tmp_path, answerer="openai"))
    assert no_llm == {"status": "skipped", "note": "skipped: no LLM configured"}
    llm = Settings(data_dir=tmp_path, answerer="openai", llm_base_url="http://127.0.0.1:1")
    assert "not implemented" in judge_status(llm)["note"]


def test_options_reach_every_question_and_the_report(tmp_path: Path) -> None:
    stand: Any = Stand(tmp_path)
    seen: list[tuple[str, str]] = []
    report = evaluate(
        stand,
        CASES[:1],
        ks=[1],
        progress=False,
        options=AskOptions(answerer="llamacpp", k=2),
        on_answer=lambda result, answer: seen.append((result.question, answer.text)),
    )
    assert all(c["options"].answerer == "llamacpp" for c in stand.chain.calls)
    assert seen == [("q1", "답1")]
    assert report.settings["answerer"] == "llamacpp" and report.settings["k"] == 2
