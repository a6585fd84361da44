"""Fit "the articles don't say" on held-out calibration articles; report on the test half.

    python bench/calibrate_refusal.py /work/bench-data/refusal-features.json

Reads the rows of ``bench/refusal_features.py``. Each candidate rule is a logistic model
over some of the features (the heuristic's relevance as a logit, the reader's margins),
fitted on the calibration half's ``held-out`` rows only (answerable against article
removed; the reader never trained on these articles), with its threshold set there so
that at most 2 % of the answerable questions are refused. Printed per rule: the held-out
AUC, and on the **test** rows (never fitted on) the answerable and the removed refused
(and, to compare rules at one point, the removed refused where the test half's own 2 %
of answerable would be: never used to choose).
The chosen rule's weights and threshold are printed for ``answering/scoring.py``.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

REFUSE_ANSWERABLE = 0.02
RULES = {
    "relevance": ("relevance",),
    "best_margin": ("best_margin",),
    "chunk_margin": ("chunk_margin",),
    "sentence_margin": ("sentence_margin",),
    "relevance+sentence": ("relevance", "sentence_margin"),
    "relevance+chunk": ("relevance", "chunk_margin"),
    "relevance+best": ("relevance", "best_margin"),
    "relevance+sentence+chunk": ("relevance", "sentence_margin", "chunk_margin"),
    "all": ("relevance", "sentence_margin", "chunk_margin", "best_margin"),
}


def value(row: dict, name: str) -> float:
    """A feature as the model sees it: relevance as its logit, margins as they are."""
    if name == "relevance":
        p = min(max(row["relevance"], 1e-9), 1 - 1e-9)
        return math.log(p / (1 - p))
    return max(row[name], -20.0)


def matrix(rows: list[dict], names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features, labels (1 answerable) and whether the answerer could score a sentence."""
    x = np.array([[value(r, n) for n in names] for r in rows])
    y = np.array([r["answerable"] for r in rows], dtype=int)
    ok = np.array([r["scored"] for r in rows])
    return x, y, ok


def evaluate(rows_fit: list[dict], rows_test: list[dict], names: tuple[str, ...]) -> dict:
    """Fit on held-out, threshold at 2 % answerable refused there, report on test."""
    x, y, ok = matrix(rows_fit, names)
    model = LogisticRegression(C=10.0, max_iter=1000).fit(x[ok], y[ok])
    fit_scores = np.where(ok, model.decision_function(x), -np.inf)
    threshold = float(np.quantile(fit_scores[y == 1], REFUSE_ANSWERABLE))
    xt, yt, okt = matrix(rows_test, names)
    scores = np.where(okt, model.decision_function(xt), -np.inf)
    refused = scores < threshold
    at_test = float(np.quantile(scores[yt == 1], REFUSE_ANSWERABLE))  # comparison only
    return {
        "held_out_auc": round(float(roc_auc_score(y[ok], fit_scores[ok])), 4),
        "held_out_answerable_refused": round(float(np.mean(fit_scores[y == 1] < threshold)), 4),
        "held_out_removed_refused": round(float(np.mean(fit_scores[y == 0] < threshold)), 4),
        "test_answerable_refused": round(float(np.mean(refused[yt == 1])), 4),
        "test_removed_refused": round(float(np.mean(refused[yt == 0])), 4),
        "test_removed_refused_at_test_2pct": round(float(np.mean(scores[yt == 0] < at_test)), 4),
        "weights": dict(zip(names, np.round(model.coef_[0], 4).tolist(), strict=True)),
        "bias": round(float(model.intercept_[0]), 4),
        "threshold": round(threshold, 4),
    }


def refused_today(rows: list[dict]) -> dict[str, float]:
    """What the answerer as run refused (its default relevance threshold)."""
    answerable = [r["refused"] for r in rows if r["answerable"]]
    removed = [r["refused"] for r in rows if not r["answerable"]]
    return {
        "answerable_refused": round(float(np.mean(answerable)), 4),
        "removed_refused": round(float(np.mean(removed)), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("rows", type=Path)
    args = parser.parse_args()
    rows = json.loads(args.rows.read_text(encoding="utf-8"))
    fit = [r for r in rows if r["part"] == "held-out"]
    test = [r for r in rows if r["part"] == "test"]
    today = {part: refused_today(rs) for part, rs in (("held-out", fit), ("test", test))}
    print(json.dumps({"rows": {"held-out": len(fit), "test": len(test)}, "today": today}))
    for name, names in RULES.items():
        print(name, json.dumps(evaluate(fit, test, names)))


if __name__ == "__main__":
    main()
