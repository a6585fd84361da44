"""Evaluation sets: cases in, retrieval and answer metrics out.

A case is a question (or a conversation of turns) with gold answer strings and gold
documents; no gold answers means the corpus cannot answer it and a refusal is right.
Retrieval is scored per document: the ranked chunks are collapsed to their documents.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from tqdm import tqdm

if TYPE_CHECKING:
    from assistant.service import Assistant


@dataclass(slots=True)
class Turn:
    question: str
    answers: list[str]
    gold_docs: list[str]


@dataclass(slots=True)
class Case:
    id: str
    turns: list[Turn]
    tags: list[str] = field(default_factory=list)


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

    @property
    def answerable(self) -> bool:
        return bool(self.answers)

    def hit(self, k: int) -> bool:
        return bool(set(self.ranked_docs[:k]) & set(self.gold_docs))

    @property
    def contains_gold(self) -> bool:
        return not self.refused and any(_norm(a) in _norm(self.answer) for a in self.answers)


@dataclass
class EvalReport:
    results: list[TurnResult]
    ks: list[int]
    metrics: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "metrics": self.metrics,
            "ks": self.ks,
            "results": [asdict(r) for r in self.results],
        }


def _norm(text: str) -> str:
    return "".join(text.split()).lower()


def load_cases(path: Path | str) -> list[Case]:
    """Read JSONL cases; a malformed line is an error naming the line, not a silent skip."""
    cases = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8-sig").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            turns = raw.get("turns") or [raw]
            cases.append(
                Case(
                    id=str(raw.get("id", number)),
                    turns=[
                        Turn(
                            t["question"], list(t.get("answers", [])), list(t.get("gold_docs", []))
                        )
                        for t in turns
                    ],
                    tags=list(raw.get("tags", [])),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{path}, line {number}: not a valid case ({exc})") from exc
    if not cases:
        raise ValueError(f"{path}: no cases")
    return cases


def load_squad(path: Path | str, corpus_out: Path) -> list[Case]:
    """SQuAD-format JSON (KorQuAD 1.0) → cases, writing its paragraphs as a JSONL corpus.

    Paragraph ids are ``title#n``. Paragraphs that occur twice word for word become one
    document, so a question on either copy has one gold document, not a coin toss.
    """
    data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    first_id: dict[str, str] = {}
    records, cases = [], []
    for article in data:
        title = article["title"]
        for n, paragraph in enumerate(article["paragraphs"]):
            context = paragraph["context"]
            doc_id = first_id.setdefault(context, f"{title}#{n}")
            if doc_id == f"{title}#{n}":
                records.append({"id": doc_id, "title": title, "text": context})
            for qa in paragraph["qas"]:
                answers = list(dict.fromkeys(a["text"] for a in qa["answers"]))
                cases.append(Case(qa["id"], [Turn(qa["question"], answers, [doc_id])], [title]))
    corpus_out.parent.mkdir(parents=True, exist_ok=True)
    with corpus_out.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return cases


def _ranked_docs(documents: Iterable[Any]) -> list[str]:
    return list(dict.fromkeys(d.metadata["doc_id"] for d in documents))


def evaluate(
    assistant: Assistant, cases: list[Case], ks: list[int] | None = None, progress: bool = True
) -> EvalReport:
    ks = ks or [1, 3, 5]
    retrieve_k = max(max(ks) * 3, assistant.settings.k)
    results: list[TurnResult] = []
    for case in tqdm(cases, desc="eval", unit="case", disable=not progress):
        history: list[tuple[str, str]] = []
        for i, turn in enumerate(case.turns):
            answer = assistant.chain.invoke(
                {"question": turn.question, "history": history, "retrieve_k": retrieve_k}
            )
            results.append(
                TurnResult(
                    case_id=case.id,
                    turn=i,
                    question=turn.question,
                    answers=turn.answers,
                    gold_docs=turn.gold_docs,
                    answer=answer.text,
                    refused=answer.refused,
                    ranked_docs=_ranked_docs(answer.documents),
                    cited_docs=[c.doc_id for c in answer.citations],
                    retrieve_ms=answer.timings.get("retrieve", 0.0) * 1000,
                    answer_ms=answer.timings.get("answer", 0.0) * 1000,
                    tags=case.tags,
                )
            )
            history.append((turn.question, answer.text))
    return EvalReport(results, ks, summarize(results, ks))


def summarize(results: list[TurnResult], ks: list[int]) -> dict[str, float]:
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    metrics: dict[str, float] = {"questions": len(results)}
    for k in ks:
        metrics[f"hit@{k}"] = _mean(r.hit(k) for r in answerable)
    metrics["mrr@10"] = _mean(_rr(r, 10) for r in answerable)
    metrics["answer_contains_gold"] = _mean(r.contains_gold for r in answerable)
    metrics["citation_in_gold_doc"] = _mean(
        bool(set(r.cited_docs) & set(r.gold_docs)) for r in answerable if not r.refused
    )
    refused = [r for r in results if r.refused]
    metrics["refusal_recall"] = _mean(r.refused for r in unanswerable)
    metrics["refusal_precision"] = _mean(not r.answerable for r in refused)
    metrics["false_refusals"] = float(sum(r.refused for r in answerable))
    total = [r.retrieve_ms + r.answer_ms for r in results]
    if total:
        metrics["latency_p50_ms"] = _pct(total, 50)
        metrics["latency_p95_ms"] = _pct(total, 95)
    return metrics


def _rr(r: TurnResult, k: int) -> float:
    for rank, doc in enumerate(r.ranked_docs[:k], 1):
        if doc in r.gold_docs:
            return 1.0 / rank
    return 0.0


def _mean(values: Iterable[float | bool]) -> float:
    vals = [float(v) for v in values]
    return sum(vals) / len(vals) if vals else float("nan")


def _pct(values: list[float], p: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def print_report(report: EvalReport, console: Console) -> None:
    table = Table(title="evaluation")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in report.metrics.items():
        table.add_row(name, f"{value:.3f}" if isinstance(value, float) else str(value))
    console.print(table)
    misses = [
        r
        for r in report.results
        if (r.answerable and not r.contains_gold) or (not r.answerable and not r.refused)
    ]
    if misses:
        worst = Table(title=f"misses ({len(misses)})", show_lines=True)
        for col in ("case", "question", "gold", "answer"):
            worst.add_column(col, overflow="fold")
        for r in misses[:15]:
            worst.add_row(
                f"{r.case_id}/{r.turn}", r.question, " | ".join(r.answers) or "—", r.answer[:200]
            )
        console.print(worst)
