"""Comparing two saved reports: metric verdicts and case regressions."""

from __future__ import annotations

import copy
import math
from typing import Any

from assistant.evaluation.compare import compare


def test_compare_finds_an_injected_regression(report_dict: dict[str, Any]) -> None:
    before = report_dict
    after = copy.deepcopy(before)
    victim = next(r for r in after["results"] if r["case_id"] == "a")
    victim.update(passed=False, first_gold_rank=None)
    after["metrics"]["recall@5"] -= 0.2
    after["metrics"]["total_p50_ms"] -= 5
    diff = compare(before, after)
    assert [c["case"] for c in diff["regressed"]] == ["a/0"]
    assert diff["regressed"][0]["why"] == "no longer passes; gold document no longer in top 5"
    assert (diff["regressed"][0]["rank_before"], diff["regressed"][0]["rank_after"]) == (1, None)
    assert diff["improved"] == [] and diff["missing_cases"] == []
    verdicts = {r["metric"]: r["verdict"] for r in diff["metrics"]}
    assert verdicts["recall@5"] == "worse"
    assert verdicts["total_p50_ms"] == "better"  # lower latency is better
    assert verdicts["mrr@10"] == "same"
    assert "questions" not in verdicts  # counts are not compared
    assert diff["previous"] == before["timestamp"]
    back = compare(after, before)
    assert [c["case"] for c in back["improved"]] == ["a/0"]
    assert back["improved"][0]["why"] == "now passes; gold document now in top 5"
    assert back["regressed"] == []


def test_unchanged_reports_and_missing_cases(report_dict: dict[str, Any]) -> None:
    same = compare(report_dict, report_dict)
    assert same["improved"] == same["regressed"] == []
    assert {r["verdict"] for r in same["metrics"]} == {"same"}
    unmeasured = copy.deepcopy(report_dict)
    unmeasured["metrics"]["exact_match"] = math.nan
    row = next(r for r in compare(report_dict, unmeasured)["metrics"] if r["metric"] == "f1")
    assert row["verdict"] == "same"
    row = next(
        r for r in compare(report_dict, unmeasured)["metrics"] if r["metric"] == "exact_match"
    )
    assert row["verdict"] == "same" and math.isnan(row["delta"])  # NaN is no change
    shorter = copy.deepcopy(report_dict)
    shorter["results"] = [r for r in shorter["results"] if r["case_id"] != "b"]
    assert compare(report_dict, shorter)["missing_cases"] == ["b/0", "b/1"]


def test_unanswerable_case_is_judged_by_passing_only(report_dict: dict[str, Any]) -> None:
    after = copy.deepcopy(report_dict)
    u = next(r for r in after["results"] if r["case_id"] == "u")
    u.update(passed=True, first_gold_rank=3)  # rank of nothing: ignored for unanswerable
    diff = compare(report_dict, after)
    assert [(c["case"], c["why"]) for c in diff["improved"]] == [("u/0", "now passes")]
