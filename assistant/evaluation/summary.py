"""The metric summary of a run: which metrics there are, what they mean, how they read.

``summarize`` turns turn results into one flat dict of metrics, always with the same keys
for the same cut-offs (NaN where there was nothing to measure), so reports line up run after
run. The rest says how to read those names: their meaning (``LEGEND``), their section,
their direction (``lower_is_better``), how to print them (``fmt``), and which failures to
show first. The terminal and the HTML report share all of it.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

from assistant.evaluation import metrics as m
from assistant.evaluation.results import RANK_DEPTH

if TYPE_CHECKING:
    from assistant.evaluation.results import TurnResult

# Metrics where a smaller number is better; the rest (apart from counts) are higher-is-better.
LOWER_IS_BETTER = re.compile(r"(_ms$|^false_refusals$|^errors$)")
COUNTS = frozenset({"questions", "answerable", "unanswerable"})
LEGEND = {
    "recall@k": "share of gold documents among the top k retrieved documents (MTEB recall)",
    "hit@k": "share of questions with at least one gold document in the top k",
    "mrr@10": "1/rank of the first gold document within the top 10, averaged",
    "ndcg@10": "nDCG with log2 discount, binary relevance, ideal = all gold documents first",
    "ndcg_mean@5,10": "mean of nDCG@5 and nDCG@10 (the leaderboard summary figure)",
    "exact_match": "KorQuAD 1.0 EM after its normalisation, on the short answer (on the whole "
    "reply when there is none, which is near 0 by construction)",
    "f1": "KorQuAD 1.0 character-level F1 (max over gold answers), on the short answer (on "
    "the whole reply when there is none, diluted by the rest of the sentence)",
    "answer_contains_gold": "answer contains a gold answer (normalised, spaces ignored): the "
    "fair answer metric for the extractive answerer",
    "citation_correct": "share of citations whose passage contains a gold answer or belongs "
    "to a gold document",
    "answers_with_correct_citation": "share of given answers with at least one correct citation",
    "refusal_precision": "of the refusals, the share on unanswerable questions",
    "refusal_recall": "of the unanswerable questions, the share refused",
    "false_refusals": "answerable questions that were refused (count)",
    "errors": "turns where the chain raised an exception (count; they count as refusals)",
}
# The sections a metrics table is grouped in, each matching its metric names.
SECTIONS = (
    ("retrieval", re.compile(r"^(recall|hit|mrr|ndcg)")),
    ("answers", re.compile(r"^(exact_match|f1|answer_contains)")),
    ("citations", re.compile(r"citation")),
    ("refusals", re.compile(r"refus|^errors$")),
    ("latency", re.compile(r"_ms$")),
)


def summarize(results: list[TurnResult], ks: list[int]) -> dict[str, float]:
    """All metrics, always the same keys for the same ``ks`` (NaN = nothing to measure).

    Retrieval metrics cover answerable turns with gold documents or passages; answer
    metrics cover answerable turns; refusal metrics all of them.
    """
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    scored = [r for r in answerable if r.relevant_ids]  # retrieval needs gold documents
    out: dict[str, float] = {
        "questions": float(len(results)),
        "answerable": float(len(answerable)),
        "unanswerable": float(len(unanswerable)),
    }
    for k in ks:
        out[f"recall@{k}"] = m.mean(m.recall_at_k(r.ranking, r.relevant_ids, k) for r in scored)
    for k in ks:
        out[f"hit@{k}"] = m.mean(r.hit(k) for r in scored)
    out["mrr@10"] = m.mean(m.mrr_at_k(r.ranking, r.relevant_ids, 10) for r in scored)
    out["ndcg@5"] = m.mean(m.ndcg_at_k(r.ranking, r.relevant_ids, 5) for r in scored)
    out["ndcg@10"] = m.mean(m.ndcg_at_k(r.ranking, r.relevant_ids, 10) for r in scored)
    out["ndcg_mean@5,10"] = (out["ndcg@5"] + out["ndcg@10"]) / 2
    out["exact_match"] = m.mean(r.exact_match for r in answerable)
    out["f1"] = m.mean(r.f1 for r in answerable)
    out["answer_contains_gold"] = m.mean(r.contains_gold for r in answerable)
    answered = [r for r in answerable if not r.refused]
    cites = [c["correct"] for r in answered for c in r.citations]
    out["citation_correct"] = m.mean(cites)
    out["answers_with_correct_citation"] = m.mean(
        any(c["correct"] for c in r.citations) for r in answered
    )
    refused = [r for r in results if r.refused]
    out["refusal_precision"] = m.mean(not r.answerable for r in refused)
    out["refusal_recall"] = m.mean(r.refused for r in unanswerable)
    out["false_refusals"] = float(sum(r.refused for r in answerable))
    out["errors"] = float(sum(r.status == "error" for r in results))
    stages = {
        "retrieve": [r.retrieve_ms for r in results],
        "answer": [r.answer_ms for r in results],
        "total": [r.retrieve_ms + r.answer_ms for r in results],
    }
    for stage, values in stages.items():
        out[f"{stage}_p50_ms"] = m.percentile(values, 50)
        out[f"{stage}_p95_ms"] = m.percentile(values, 95)
    return out


def per_tag(results: list[TurnResult], ks: list[int]) -> dict[str, dict[str, float]]:
    """``summarize`` over the turns of each tag, tags in name order."""
    tags = sorted({t for r in results for t in r.tags})
    return {tag: summarize([r for r in results if tag in r.tags], ks) for tag in tags}


def largest_tags(per_tag_metrics: dict[str, dict[str, float]], n: int = 20) -> list[str]:
    """The n tags with most questions, in name order (a SQuAD file has one tag per article)."""
    by_size = sorted(per_tag_metrics, key=lambda t: -per_tag_metrics[t]["questions"])
    return sorted(by_size[:n])


def tag_columns(ks: list[int]) -> list[str]:
    """The metrics of a per-tag table (the HTML's; the terminal leaves citations out)."""
    return [
        f"recall@{max(ks)}",
        "mrr@10",
        "ndcg@10",
        "answer_contains_gold",
        "f1",
        "citation_correct",
        "refusal_recall",
        "total_p50_ms",
    ]


def metric_names(ks: list[int]) -> list[str]:
    """Every metric name a run with these cut-offs reports, in report order."""
    return list(summarize([], ks))


def lower_is_better(name: str) -> bool:
    """Latencies, false refusals and errors improve by going down; the rest by going up."""
    return bool(LOWER_IS_BETTER.search(name))


def worst_failures(results: list[dict[str, Any]], ks: list[int], n: int = 15) -> list[dict]:
    """Failed turns, worst first: retrieval missed, then answer missed, then not refused.

    :param results: result dicts of a saved report (``result_dict``).
    :param ks: the report's cut-offs; a gold rank beyond the deepest counts as missed.
    :param n: how many to return.
    """
    deepest = max(ks) if ks else RANK_DEPTH

    def severity(r: dict[str, Any]) -> int:
        if not r["answerable"]:
            return 1
        rank = r["first_gold_rank"]
        return 3 if rank is None or rank > deepest else 2

    failed = [r for r in results if not r["passed"]]
    failed.sort(key=lambda r: (-severity(r), r["f1"], r["case_id"]))
    return failed[:n]


def fmt(name: str, value: float | None) -> str:
    """A metric value as shown: ``—`` for unmeasured, ms for latencies, whole counts, else
    three decimals."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if name.endswith("_ms"):
        return f"{value:.0f} ms"
    if name in COUNTS or name in {"false_refusals", "errors"}:
        return f"{value:.0f}"
    return f"{value:.3f}"
