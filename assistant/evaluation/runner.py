"""Running evaluation cases: retrieval and answer metrics out.

Cases come from ``assistant.evaluation.cases``. Retrieval is scored per document: the ranked
chunks are collapsed to their documents (first occurrence), then recall@k, MRR@10 and
nDCG@10 are computed as MTEB does (``evaluation.metrics``). Answers get KorQuAD's exact
match and character F1, plus "contains a gold answer", which is the fair measure for an
extractive answerer that quotes whole sentences. The report is a plain dict
(``EvalReport.to_dict``) so a saved JSON can be compared with a later run (``compare``),
printed (``evaluation.console``) or rendered as HTML (``evaluation.report``).
"""

from __future__ import annotations

import contextlib
import math
import re
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from assistant.evaluation import metrics as m
from assistant.evaluation.cases import Case, Turn

if TYPE_CHECKING:
    from assistant.pipeline.service import Assistant
    from assistant.settings import Settings

SCHEMA_VERSION = 1
RANK_DEPTH = 10  # MRR@10 and nDCG@10 need at least ten ranked documents
# Metrics where a smaller number is better; the rest (apart from counts) are higher-is-better.
LOWER_IS_BETTER = re.compile(r"(_ms$|^false_refusals$|^errors$)")
COUNTS = frozenset({"questions", "answerable", "unanswerable"})
LEGEND = {
    "recall@k": "share of gold documents among the top k retrieved documents (MTEB recall)",
    "hit@k": "share of questions with at least one gold document in the top k",
    "mrr@10": "1/rank of the first gold document within the top 10, averaged",
    "ndcg@10": "nDCG with log2 discount, binary relevance, ideal = all gold documents first",
    "ndcg_mean@5,10": "mean of nDCG@5 and nDCG@10 (the leaderboard summary figure)",
    "exact_match": "KorQuAD 1.0 EM after its normalisation; near 0 by construction for an "
    "extractive answerer that quotes whole sentences",
    "f1": "KorQuAD 1.0 character-level F1 (max over gold answers); low for whole-sentence "
    "answers because precision is diluted",
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


@dataclass(slots=True)
class TurnResult:
    case_id: str
    turn: int
    question: str
    answers: list[str]
    gold_docs: list[str]
    answer: str
    refused: bool
    ranked_docs: list[str]
    cited_docs: list[str]
    retrieve_ms: float
    answer_ms: float
    tags: list[str]
    ranked_titles: list[str] = field(default_factory=list)
    relevant: list[str] = field(default_factory=list)  # ids that ranked_docs is scored against
    ranked_ids: list[str] = field(default_factory=list)  # ranked_docs relabelled by passage
    citations: list[dict[str, Any]] = field(default_factory=list)
    status: str = "answered"
    exact_match: float = 0.0
    f1: float = 0.0

    @property
    def answerable(self) -> bool:
        return bool(self.answers)

    def hit(self, k: int) -> bool:
        return bool(m.hit_at_k(self.ranking, self.relevant_ids, k))

    @property
    def ranking(self) -> list[str]:
        return self.ranked_ids or self.ranked_docs

    @property
    def relevant_ids(self) -> list[str]:
        return self.relevant or self.gold_docs

    @property
    def contains_gold(self) -> bool:
        return not self.refused and m.contains_answer(self.answer, self.answers)

    @property
    def passed(self) -> bool:
        """Answerable: the answer holds a gold answer. Unanswerable: it was refused."""
        return self.contains_gold if self.answerable else self.refused

    @property
    def first_gold_rank(self) -> int | None:
        return m.first_rank(self.ranking, self.relevant_ids)


@dataclass
class EvalReport:
    results: list[TurnResult]
    ks: list[int]
    metrics: dict[str, float] = field(default_factory=dict)
    per_tag: dict[str, dict[str, float]] = field(default_factory=dict)
    partial: bool = False
    planned_cases: int = 0
    settings: dict[str, Any] = field(default_factory=dict)
    started: str = ""
    seconds: float = 0.0
    source: str = ""
    judge: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    code_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON schema (``schema`` is bumped on incompatible changes)."""
        return {
            "schema": SCHEMA_VERSION,
            "timestamp": self.started,
            "seconds": round(self.seconds, 2),
            "source": self.source,
            "code_version": self.code_version,
            "partial": self.partial,
            "cases_planned": self.planned_cases,
            "cases_done": len({r.case_id for r in self.results}),
            "ks": self.ks,
            "metrics": self.metrics,
            "per_tag": self.per_tag,
            "legend": LEGEND,
            "judge": self.judge,
            "notes": self.notes,
            "settings": self.settings,
            "results": [result_dict(r, self.ks) for r in self.results],
        }


def _code_version() -> str:
    """The git commit the code ran at (``+dirty`` with local edits), to tell runs apart."""
    try:
        head = _git("rev-parse", "--short", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def _git(*args: str) -> str:
    from assistant.settings import PROJECT_ROOT

    return subprocess.run(
        ["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=5, check=True
    ).stdout.strip()


def result_dict(r: TurnResult, ks: list[int]) -> dict[str, Any]:
    """A result with its derived scores, so a saved report can be compared without rescoring."""
    out = asdict(r)
    out.update(
        answerable=r.answerable,
        passed=r.passed,
        contains_gold=r.contains_gold,
        first_gold_rank=r.first_gold_rank,
        recall={str(k): m.recall_at_k(r.ranking, r.relevant_ids, k) for k in ks},
        mrr=m.mrr_at_k(r.ranking, r.relevant_ids, RANK_DEPTH),
        ndcg=m.ndcg_at_k(r.ranking, r.relevant_ids, RANK_DEPTH),
    )
    return out


# ----------------------------------------------------------------------------- running


def _ranked(documents: Iterable[Any]) -> tuple[list[str], list[str], dict[str, str]]:
    """Documents in first-occurrence order, their titles, and each one's chunk texts joined."""
    ids: dict[str, str] = {}
    texts: dict[str, list[str]] = {}
    for d in documents:
        doc_id = d.metadata["doc_id"]
        ids.setdefault(doc_id, str(d.metadata.get("title", "")))
        texts.setdefault(doc_id, []).append(d.page_content)
    return list(ids), list(ids.values()), {k: "\n".join(v) for k, v in texts.items()}


def _squeeze(text: str) -> str:
    return "".join(text.split())


def _passage_labels(
    ranked: list[str], texts: dict[str, str], passages: list[str]
) -> tuple[list[str], list[str]]:
    """Relabel ranked documents by the gold passage they contain, for passage-level gold."""
    squeezed = [_squeeze(p) for p in passages]
    labels = []
    for doc_id in ranked:
        hay = _squeeze(texts.get(doc_id, ""))
        match = next((i for i, p in enumerate(squeezed) if p and (p in hay or hay in p)), None)
        labels.append(f"passage:{match}" if match is not None else doc_id)
    return list(dict.fromkeys(labels)), [f"passage:{i}" for i in range(len(passages))]


def _citation(c: Any, turn: Turn) -> dict[str, Any]:
    chunk = getattr(c, "text", "") or ""
    in_gold_doc = c.doc_id in turn.gold_docs
    has_answer = m.contains_answer(chunk, turn.answers)
    in_passage = any(_squeeze(p) and _squeeze(p) in _squeeze(chunk) for p in turn.gold_passages)
    return {
        "number": c.number,
        "doc_id": c.doc_id,
        "title": c.title,
        "sentence": c.sentence,
        "correct": bool(in_gold_doc or has_answer or in_passage),
    }


def _settings_snapshot(settings: Settings) -> dict[str, Any]:
    secret = {"llm_api_key", "ui_password", "ui_username"}
    return settings.model_dump(mode="json", exclude=secret)


def judge_status(settings: Settings) -> dict[str, Any]:
    """LLM-judged faithfulness/relevance runs only with a generative answerer and an LLM.

    No numbers are invented when it cannot run: the report carries the reason instead.
    """
    if settings.answerer == "extractive":
        return {
            "status": "skipped",
            "note": "skipped: extractive answerer (answers are quoted sentences, "
            "faithful by construction) and no LLM configured",
        }
    if not (settings.llm_base_url or settings.llm_model_path):
        return {"status": "skipped", "note": "skipped: no LLM configured"}
    return {
        "status": "skipped",
        "note": "skipped: LLM judging is not implemented yet; no scores are reported",
    }


def evaluate(
    assistant: Assistant,
    cases: list[Case],
    ks: list[int] | None = None,
    progress: bool = True,
    *,
    source: str = "",
    on_turn: Callable[[TurnResult], None] | None = None,
) -> EvalReport:
    """Run every case through the chain; Ctrl-C stops early and returns a partial report."""
    ks = sorted(set(ks or [1, 3, 5, 10]))
    # Chunks collapse to documents, so rank more chunks than the deepest cut-off needs.
    retrieve_k = max(max(ks), RANK_DEPTH, assistant.settings.k) * 3
    started = datetime.now(UTC).isoformat(timespec="seconds")
    clock = time.perf_counter()
    results: list[TurnResult] = []
    partial = False
    bar = tqdm(cases, desc="eval", unit="case", disable=not progress, dynamic_ncols=True)
    passed = 0
    try:
        if cases:  # lazy loads (BM25 index, first torch call) would otherwise land in turn 1
            with contextlib.suppress(Exception):
                assistant.chain.invoke(
                    {"question": cases[0].turns[0].question, "retrieve_k": retrieve_k}
                )
        for case in bar:
            history: list[tuple[str, str]] = []
            for i, turn in enumerate(case.turns):
                result = _run_turn(assistant, case, i, turn, history, retrieve_k)
                results.append(result)
                history.append((turn.question, result.answer))
                passed += result.passed
                if on_turn:
                    on_turn(result)
            bar.set_postfix(passed=f"{passed}/{len(results)}", refresh=False)
    except KeyboardInterrupt:
        partial = True
    finally:
        bar.close()
    report = EvalReport(
        results,
        ks,
        summarize(results, ks),
        per_tag=per_tag(results, ks),
        partial=partial,
        planned_cases=len(cases),
        settings=_settings_snapshot(assistant.settings),
        started=started,
        seconds=time.perf_counter() - clock,
        source=source,
        judge=judge_status(assistant.settings),
        code_version=_code_version(),
    )
    if partial:
        done = len({r.case_id for r in results})
        report.notes.append(f"interrupted: {done} of {len(cases)} cases finished")
    return report


def _run_turn(
    assistant: Assistant,
    case: Case,
    i: int,
    turn: Turn,
    history: list[tuple[str, str]],
    retrieve_k: int,
) -> TurnResult:
    try:
        answer = assistant.chain.invoke(
            {"question": turn.question, "history": list(history), "retrieve_k": retrieve_k}
        )
    except Exception as exc:  # one broken case must not lose a long run: record and go on
        return TurnResult(
            case.id, i, turn.question, turn.answers, turn.gold_docs,
            f"error: {type(exc).__name__}: {exc}", True, [], [], 0.0, 0.0, case.tags,
            status="error",
        )  # fmt: skip
    ranked, titles, texts = _ranked(answer.documents)
    ranked_ids, relevant = ranked, list(turn.gold_docs)
    if turn.gold_passages and not turn.gold_docs:
        ranked_ids, relevant = _passage_labels(ranked, texts, turn.gold_passages)
    text = "" if answer.refused else answer.text
    return TurnResult(
        case_id=case.id,
        turn=i,
        question=turn.question,
        answers=turn.answers,
        gold_docs=turn.gold_docs,
        answer=answer.text,
        refused=answer.refused,
        ranked_docs=ranked,
        cited_docs=[c.doc_id for c in answer.citations],
        retrieve_ms=answer.timings.get("retrieve", 0.0) * 1000,
        answer_ms=answer.timings.get("answer", 0.0) * 1000,
        tags=case.tags,
        ranked_titles=titles,
        relevant=relevant,
        ranked_ids=ranked_ids if ranked_ids != ranked else [],
        citations=[_citation(c, turn) for c in answer.citations],
        status=answer.status,
        exact_match=m.best_over_golds(m.exact_match, text, turn.answers),
        f1=m.best_over_golds(m.char_f1, text, turn.answers),
    )


# ----------------------------------------------------------------------------- scoring


def summarize(results: list[TurnResult], ks: list[int]) -> dict[str, float]:
    """All metrics, always the same keys for the same ``ks`` (NaN = nothing to measure)."""
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
    return list(summarize([], ks))


def lower_is_better(name: str) -> bool:
    return bool(LOWER_IS_BETTER.search(name))


def worst_failures(results: list[dict[str, Any]], ks: list[int], n: int = 15) -> list[dict]:
    """Failed turns, worst first: retrieval missed, then answer missed, then not refused."""
    deepest = max(ks) if ks else RANK_DEPTH

    def severity(r: dict[str, Any]) -> int:
        if not r["answerable"]:
            return 1
        rank = r["first_gold_rank"]
        return 3 if rank is None or rank > deepest else 2

    failed = [r for r in results if not r["passed"]]
    failed.sort(key=lambda r: (-severity(r), r["f1"], r["case_id"]))
    return failed[:n]


# ----------------------------------------------------------------------------- gates


@dataclass(slots=True)
class Gate:
    metric: str
    threshold: float

    def check(self, metrics: dict[str, float]) -> str | None:
        """None when passed, else a message naming the metric, value and threshold."""
        value = metrics[self.metric]
        if math.isnan(value):
            return f"{self.metric} could not be measured (no cases for it); gate {self.threshold}"
        if lower_is_better(self.metric):
            if value > self.threshold:
                return f"{self.metric} = {value:.4g} is above the maximum {self.threshold:g}"
        elif value < self.threshold:
            return f"{self.metric} = {value:.4g} is under the threshold {self.threshold:g}"
        return None


def parse_gates(specs: Iterable[str], ks: list[int]) -> list[Gate]:
    """``METRIC=VALUE`` strings → gates; unknown metrics are an error listing the known ones."""
    known = metric_names(ks)
    gates = []
    for spec in specs:
        name, sep, value = spec.partition("=")
        name = name.strip()
        if not sep:
            raise ValueError(f"--fail-under takes METRIC=VALUE, not {spec!r}")
        if name not in known:
            usable = ", ".join(n for n in known if n not in COUNTS)
            raise ValueError(f"unknown metric {name!r} in --fail-under; known: {usable}")
        try:
            threshold = float(value)
        except ValueError:
            raise ValueError(f"--fail-under {name}: {value!r} is not a number") from None
        gates.append(Gate(name, threshold))
    return gates


# ----------------------------------------------------------------------------- comparing


def compare(previous: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """What improved and what regressed between two saved reports, metric by metric and
    case by case (a case regresses when it stops passing or its gold document drops out of
    the top k)."""
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


# ----------------------------------------------------------------------------- formatting

SECTIONS = (
    ("retrieval", re.compile(r"^(recall|hit|mrr|ndcg)")),
    ("answers", re.compile(r"^(exact_match|f1|answer_contains)")),
    ("citations", re.compile(r"citation")),
    ("refusals", re.compile(r"refus|^errors$")),
    ("latency", re.compile(r"_ms$")),
)


def fmt(name: str, value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if name.endswith("_ms"):
        return f"{value:.0f} ms"
    if name in COUNTS or name in {"false_refusals", "errors"}:
        return f"{value:.0f}"
    return f"{value:.3f}"


