"""The metric summary on the hand-made run (see conftest), and how metrics read."""

from __future__ import annotations

import math
from typing import Any

import pytest

from assistant.evaluation.results import TurnResult
from assistant.evaluation.summary import (
    LEGEND,
    SECTIONS,
    fmt,
    largest_tags,
    lower_is_better,
    metric_names,
    per_tag,
    summarize,
    tag_columns,
    worst_failures,
)
from tests.unit.evaluation.conftest import KS


def test_summary_of_the_hand_made_run(results: list[TurnResult]) -> None:
    s = summarize(results, KS)
    assert (s["questions"], s["answerable"], s["unanswerable"]) == (5, 3, 2)
    # Retrieval over a/0 (rank 1), b/0 (missed), b/1 (rank 2).
    assert s["recall@1"] == pytest.approx(1 / 3)
    assert s["recall@5"] == pytest.approx(2 / 3)
    assert s["hit@5"] == pytest.approx(2 / 3)
    assert s["mrr@10"] == pytest.approx(0.5)
    assert s["ndcg@10"] == pytest.approx((1 + 1 / math.log2(3)) / 3)
    assert s["ndcg_mean@5,10"] == pytest.approx((s["ndcg@5"] + s["ndcg@10"]) / 2)
    assert s["answer_contains_gold"] == pytest.approx(1 / 3)
    assert s["f1"] == pytest.approx(0.4 / 3)
    assert s["exact_match"] == 0.0
    assert s["citation_correct"] == pytest.approx(1 / 3)  # one of a/0's two, none of b/0's
    assert s["answers_with_correct_citation"] == 0.5
    assert s["refusal_precision"] == 0.5  # b/1 and v/0 refused; only v/0 rightly
    assert s["refusal_recall"] == 0.5
    assert s["false_refusals"] == 1 and s["errors"] == 0
    assert s["retrieve_p50_ms"] == 30.0 and s["retrieve_p95_ms"] == pytest.approx(48.0)
    assert s["total_p50_ms"] == 33.0 and s["total_p95_ms"] == pytest.approx(52.8)


def test_same_keys_for_the_same_ks_and_nan_when_nothing_to_measure(
    results: list[TurnResult],
) -> None:
    empty = summarize([], KS)
    assert list(empty) == list(summarize(results, KS)) == metric_names(KS)
    assert empty["questions"] == 0
    assert math.isnan(empty["recall@5"]) and math.isnan(empty["total_p50_ms"])
    only_unanswerable = summarize([r for r in results if not r.answerable], KS)
    assert math.isnan(only_unanswerable["mrr@10"])
    assert only_unanswerable["refusal_recall"] == 0.5
    assert {"recall@1", "recall@5", "hit@1", "hit@5"} <= set(metric_names(KS))
    assert "recall@3" not in metric_names(KS)


def test_per_tag_summarises_each_tag(results: list[TurnResult]) -> None:
    tags = per_tag(results, KS)
    assert list(tags) == ["followup", "main", "unanswerable"]
    assert tags["main"]["questions"] == 3 and tags["followup"]["questions"] == 2
    assert tags["followup"]["recall@5"] == 0.5
    assert tags["unanswerable"]["refusal_recall"] == 0.5
    assert math.isnan(tags["unanswerable"]["recall@5"])


def test_largest_tags_keeps_the_biggest_in_name_order() -> None:
    sizes = {"c": 5.0, "a": 1.0, "b": 9.0, "d": 5.0}
    tags = {t: {"questions": n} for t, n in sizes.items()}
    assert largest_tags(tags, 2) == ["b", "c"]
    assert largest_tags(tags) == ["a", "b", "c", "d"]


def test_worst_failures_retrieval_misses_first(report_dict: dict[str, Any]) -> None:
    worst = worst_failures(report_dict["results"], KS)
    assert [f"{r['case_id']}/{r['turn']}" for r in worst] == ["b/0", "b/1", "u/0"]
    assert len(worst_failures(report_dict["results"], KS, n=1)) == 1


def test_directions_formatting_and_sections() -> None:
    assert lower_is_better("total_p95_ms") and lower_is_better("errors")
    assert lower_is_better("false_refusals")
    assert not lower_is_better("recall@5") and not lower_is_better("refusal_recall")
    assert fmt("recall@5", 0.66666) == "0.667"
    assert fmt("total_p50_ms", 33.4) == "33 ms"
    assert fmt("questions", 5.0) == "5" and fmt("errors", 2.0) == "2"
    assert fmt("f1", math.nan) == "—" and fmt("f1", None) == "—"
    assert tag_columns([1, 5, 10])[0] == "recall@10"
    section_of = {
        name: next(s for s, p in SECTIONS if p.search(name)) for name in metric_names(KS)[3:]
    }
    assert section_of["ndcg@10"] == "retrieval" and section_of["f1"] == "answers"
    assert section_of["errors"] == "refusals" and section_of["answer_p95_ms"] == "latency"
    assert "recall@k" in LEGEND and "answer_contains_gold" in LEGEND
