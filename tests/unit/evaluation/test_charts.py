"""The SVG charts drawn from report data."""

from __future__ import annotations

import re
from typing import Any

from assistant.evaluation.charts import latency_histogram, recall_curve, tag_bars


def test_recall_curve_plots_each_cut_off(report_dict: dict[str, Any]) -> None:
    svg = recall_curve(report_dict["metrics"], [1, 5])
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<polyline") == 2  # recall and hit
    assert svg.count("<circle") == 4 and ">k=1<" in svg and ">k=5<" in svg
    assert ">0.33<" in svg and ">0.67<" in svg  # recall values labelled


def test_latency_histogram_counts_every_turn(report_dict: dict[str, Any]) -> None:
    svg = latency_histogram(report_dict["results"])
    counts = [int(n) for n in re.findall(r"<title>(\d+) turns</title>", svg)]
    assert sum(counts) == len(report_dict["results"]) == 5
    assert "no data" in latency_histogram([])


def test_tag_bars_show_the_ten_largest_tags() -> None:
    per_tag = {
        f"tag{i:02d}": {"questions": float(i), "recall@5": 0.5, "answer_contains_gold": 0.0}
        for i in range(1, 13)
    }
    svg = tag_bars(per_tag, [5])
    assert "Per tag (10 largest)" in svg
    assert ">tag03<" in svg and ">tag01<" not in svg and ">tag02<" not in svg
    assert "tag12 answer_contains_gold 0.000" in svg  # a zero is drawn as a sliver
    assert "tag12 refusal_recall" not in svg  # not measured: no bar at all


def test_refusal_points_measure_precision_and_recall_over_the_threshold() -> None:
    from assistant.evaluation.charts import refusal_curve, refusal_points

    results = [
        {"answers": ["a"], "relevance": 0.9},
        {"answers": ["b"], "relevance": 0.3},
        {"answers": [], "relevance": 0.2},
        {"answers": [], "relevance": None},  # nothing retrieved: refused at any threshold
    ]
    points = {round(t, 2): (p, r) for t, p, r in refusal_points(results, steps=20)}
    assert points[0.0] == (1.0, 0.5)  # only the turn without a relevance
    assert points[0.25] == (1.0, 1.0)
    assert points[0.5] == (2 / 3, 1.0)
    assert "<svg" in refusal_curve(results, threshold=0.25)
    assert refusal_points([{"answers": ["a"], "relevance": 0.5}]) == []  # no unanswerable
