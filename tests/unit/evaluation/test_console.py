"""The terminal report of the hand-made run, printed into a recording console."""

from __future__ import annotations

import copy
from typing import Any

from rich.console import Console

from assistant.evaluation.compare import compare
from assistant.evaluation.console import print_comparison, print_report
from assistant.evaluation.runner import EvalReport


def _printed(*args: Any) -> str:
    console = Console(record=True, width=200, color_system=None)
    print_report(args[0], console, *args[1:])
    return console.export_text()


def test_report_prints_metrics_tags_and_failures(report_dict: dict[str, Any]) -> None:
    text = _printed(report_dict)
    assert "evaluation — 5 questions" in text and "PARTIAL" not in text
    rows = {line.split("│")[2].strip(): line.split("│")[3].strip() for line in text.splitlines()
            if line.count("│") == 4}  # fmt: skip
    assert rows["recall@5"] == "0.667" and rows["mrr@10"] == "0.500"
    assert rows["total_p50_ms"] == "33 ms" and rows["false_refusals"] == "1"
    assert "per tag" in text and "followup" in text
    assert "citation_correct" in text.split("per tag")[0]  # in the metrics table only
    assert "citation_correct" not in text.split("per tag")[1]  # left out for width
    assert "worst failures (3 of 3)" in text
    failures = text.split("worst failures")[1]
    assert failures.index("b/0") < failures.index("b/1") < failures.index("u/0")
    assert "a/0" not in failures
    assert "skipped: no LLM configured" in text


def test_a_report_object_prints_as_its_dict(report: EvalReport) -> None:
    assert _printed(report) == _printed(report.to_dict())


def test_partial_runs_and_comparisons(report_dict: dict[str, Any]) -> None:
    partial = {**report_dict, "partial": True, "cases_done": 2, "notes": ["interrupted: 2 of 4"]}
    text = _printed(partial)
    assert "(PARTIAL: 2/4 cases)" in text and "interrupted: 2 of 4" in text
    after = copy.deepcopy(report_dict)
    after["results"][0].update(passed=False, first_gold_rank=None)
    after["metrics"]["recall@5"] -= 0.25
    text = _printed(after, compare(report_dict, after))
    assert "compared with" in text and "2026-01-01T00:00:00+00:00" in text
    assert "-0.250" in text and "regressed: 1 case(s)" in text
    assert "a/0 정상회담은 어디서? — no longer passes" in text
    assert "improved: no cases" in text


def test_comparison_without_changes(report_dict: dict[str, Any]) -> None:
    console = Console(record=True, width=120, color_system=None)
    print_comparison(compare(report_dict, report_dict), console)
    text = console.export_text()
    assert "no metric changed" in text and "regressed: no cases" in text
