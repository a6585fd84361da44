"""The HTML report of the hand-made run: metrics, failures, charts, one offline file."""

from __future__ import annotations

import copy
import re
from typing import Any

from assistant.evaluation.compare import compare
from assistant.evaluation.report import render_html


def test_page_holds_the_metrics_failures_and_charts(report_dict: dict[str, Any]) -> None:
    page = render_html(report_dict)
    assert page.startswith("<!doctype html>") and page.endswith("</body></html>")
    assert "<title>Evaluation report — hand-made.jsonl</title>" in page
    # Headline cards and the full table carry the summary's values.
    assert "<div class='v'>0.667</div><div class='n'>recall@5</div>" in page
    assert "<td>mrr@10</td><td class='num'>0.500</td>" in page
    assert "<td>total_p95_ms</td><td class='num'>53 ms</td>" in page
    assert "<td>false_refusals</td><td class='num'>1</td>" in page
    # The three charts: recall@k, latency, per tag.
    assert page.count("<svg") == 3
    for title in ("Retrieval recall@k", "Latency per turn (count by total ms)", "Per tag"):
        assert f"aria-label='{title}'" in page
    # Failures, worst first, with the reason; passing turns are not among them.
    failures = page.split("<h2>Worst failures (3 of 3)</h2>")[1].split("</table>")[0]
    order = [m.group(1) for m in re.finditer(r"<tr><td>(\w/\d)</td>", failures)]
    assert order == ["b/0", "b/1", "u/0"]
    for why in ("gold document not retrieved", "refused", "answered an unanswerable question"):
        assert f"<td class='bad'>{why}</td>" in failures
    assert "<b class='ok'>제목2</b>" in failures  # the gold document shown in green
    assert "Per tag" in page and "<td>followup</td>" in page
    assert "All 5 turns" in page and "Settings snapshot" in page
    assert "e5-test" in page and "abc1234" in page
    assert "Partial run" not in page and "Compared with" not in page


def test_text_is_escaped_and_nothing_is_fetched(report_dict: dict[str, Any]) -> None:
    page = render_html(report_dict)
    assert "&lt;b&gt;없는 질문&lt;/b&gt;" in page and "<b>없는 질문</b>" not in page
    for external in ("<script", "<link", "src=", "@import", "url("):
        assert external not in page
    assert "http" not in page.replace("http://www.w3.org/2000/svg", "")


def test_partial_runs_and_comparisons_are_shown(report_dict: dict[str, Any]) -> None:
    partial = {**report_dict, "partial": True, "cases_done": 2, "notes": ["interrupted: 2 of 4"]}
    page = render_html(partial)
    assert "<b>Partial run:</b> interrupted after 2 of 4 cases" in page
    assert "<p class='banner'>interrupted: 2 of 4</p>" in page
    after = copy.deepcopy(report_dict)
    after["results"][0].update(passed=False, first_gold_rank=None)
    after["metrics"]["recall@5"] -= 0.25
    page = render_html(after, compare(report_dict, after))
    assert "Compared with 2026-01-01T00:00:00+00:00" in page
    assert "<td class='num bad'>-0.250</td>" in page
    assert "Regressed: 1 case(s)" in page and "Improved: 0 case(s)" in page


def test_a_run_without_failures_or_tags(report_dict: dict[str, Any]) -> None:
    passing = [r for r in report_dict["results"] if r["passed"]]
    page = render_html({**report_dict, "results": passing, "per_tag": {}})
    assert "No failures." in page and "Worst failures" not in page
    assert page.count("<svg") == 2 and "<h2>Per tag</h2>" not in page
