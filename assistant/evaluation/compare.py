"""Comparing two saved reports: which metrics moved which way, which cases regressed.

Both sides are report dicts (``EvalReport.to_dict()``), so a run can be compared with any
earlier ``--json`` file without running it again.
"""

from __future__ import annotations

import math
from typing import Any

from assistant.evaluation.results import RANK_DEPTH
from assistant.evaluation.summary import COUNTS, lower_is_better


def compare(previous: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """What improved and what regressed between two saved reports, metric by metric and
    case by case (a case regresses when it stops passing or its gold document drops out of
    the top k).

    :param previous: the earlier report.
    :param current: the later report; its deepest cut-off decides "in the top k".
    :returns: ``metrics`` rows with a verdict (better, worse, same), ``improved`` and
        ``regressed`` cases with the reason, and ``missing_cases`` only the earlier run had.
    """
    deepest = max(current.get("ks") or [RANK_DEPTH])
    rows = []
    for name, after in current["metrics"].items():
        before = previous.get("metrics", {}).get(name)
        if before is None or name in COUNTS:
            continue
        delta = after - before
        if math.isnan(delta) or abs(delta) < 1e-9:
            verdict = "same"
        elif (delta < 0) == lower_is_better(name):
            verdict = "better"
        else:
            verdict = "worse"
        rows.append(
            {"metric": name, "before": before, "after": after, "delta": delta, "verdict": verdict}
        )

    def key(r: dict[str, Any]) -> str:
        return f"{r['case_id']}/{r['turn']}"

    def retrieved(r: dict[str, Any]) -> bool:
        return r.get("first_gold_rank") is not None and r["first_gold_rank"] <= deepest

    before_cases = {key(r): r for r in previous.get("results", [])}
    improved, regressed = [], []
    for r in current.get("results", []):
        old = before_cases.get(key(r))
        if old is None:
            continue
        worse, better = [], []
        if old["passed"] != r["passed"]:
            (better if r["passed"] else worse).append(
                "now passes" if r["passed"] else "no longer passes"
            )
        if r["answerable"] and retrieved(old) != retrieved(r):
            (better if retrieved(r) else worse).append(
                f"gold document {'now' if retrieved(r) else 'no longer'} in top {deepest}"
            )
        entry = {
            "case": key(r),
            "question": r["question"],
            "rank_before": old.get("first_gold_rank"),
            "rank_after": r.get("first_gold_rank"),
            "f1_before": old.get("f1"),
            "f1_after": r.get("f1"),
        }
        if worse:
            regressed.append({**entry, "why": "; ".join(worse + better)})
        elif better:
            improved.append({**entry, "why": "; ".join(better)})
    only_before = sorted(set(before_cases) - {key(r) for r in current.get("results", [])})
    return {
        "previous": previous.get("timestamp", ""),
        "metrics": rows,
        "improved": improved,
        "regressed": regressed,
        "missing_cases": only_before,
    }
