"""Generated (verified) answers against the extractive answerer on an eval set.

Runs the case file through the same retrieval twice — once with the extractive answerer,
once with the ``llamacpp`` answerer on a local GGUF model — and prints, side by side:
answer accuracy (contains a gold answer), citation correctness, refusals, the share of
generated sentences the verifier flagged, fallbacks, and the model's speed (time to
first token, decode tokens/s). Metrics come from ``assistant.evaluation`` so they mean
what ``assistant eval`` means. Per-turn details (raw model text, verdicts) go to JSON.

    scripts/install-llm.sh best
    python bench/llm_answers.py                         # 1.5B model, evals/seed.jsonl
    python bench/llm_answers.py --model .data/llm/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf

The index lives in DATA_DIR/bench/llm-answers (the bundled corpus, ingested once).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from assistant.answering.llm.server import local_model_path
from assistant.answering.verification import FLAGGED
from assistant.evaluation.cases import load_cases
from assistant.evaluation.runner import evaluate
from assistant.pipeline.options import AskOptions
from assistant.pipeline.service import Assistant
from assistant.settings import PROJECT_ROOT, Settings
from assistant.types import Answer

UNSUPPORTED = {"unsupported", "invented"}


def run(qa: Assistant, cases: list, label: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The cases answered by the answerer named ``label``; its metrics and every turn."""
    turns: list[dict[str, Any]] = []

    def keep(result: Any, answer: Answer) -> None:
        turns.append(
            {
                "case": result.case_id,
                "turn": result.turn,
                "question": result.question,
                "gold": result.answers,
                "answer": answer.text,
                "answerer": answer.answerer,
                "status": answer.status,
                "contains_gold": result.contains_gold,
                "citations": result.citations,
                "verification": answer.verification,
                "generation": answer.generation,
                "timings_s": answer.timings,
            }
        )
        print(
            f"  [{label}] {result.case_id}/{result.turn} {answer.answerer:19} "
            f"{'gold' if result.contains_gold else '    '} {answer.text[:70]!r}",
            flush=True,
        )

    started = time.perf_counter()
    options = AskOptions(answerer=label)
    report = evaluate(qa, cases, progress=False, source="evals", options=options, on_answer=keep)
    metrics = dict(report.metrics)
    metrics["seconds"] = time.perf_counter() - started
    metrics.update(generation_metrics(turns))
    return metrics, turns


def generation_metrics(turns: list[dict[str, Any]]) -> dict[str, float]:
    """Verifier and speed figures over the turns an LLM answered (NaN when none did)."""
    nan = float("nan")
    verdicts = [v["verdict"] for t in turns for v in t["verification"]]
    claims = [v for v in verdicts if v not in {"refusal", "neutral"}]
    gens = [t["generation"] for t in turns if t["generation"].get("first_token_s")]
    end_to_end = [
        t["timings_s"].get("retrieve", 0)
        + t["timings_s"].get("condense", 0)
        + t["generation"]["first_token_s"]
        for t in turns
        if t["generation"].get("first_token_s")
    ]
    speeds = [g["tokens_per_s"] for g in gens if g.get("tokens_per_s")]
    return {
        "generated_sentences": float(len(claims)),
        "sentences_flagged_unsupported": (
            sum(v in UNSUPPORTED for v in claims) / len(claims) if claims else nan
        ),
        "sentences_flagged_any": sum(v in FLAGGED for v in claims) / len(claims) if claims else nan,
        "sentences_recited": sum(v == "recited" for v in claims) / len(claims) if claims else nan,
        "sentences_uncited": sum(v == "uncited" for v in claims) / len(claims) if claims else nan,
        "fallbacks": float(sum(t["answerer"] == "extractive-fallback" for t in turns)),
        "llm_errors": float(sum("error" in t["generation"] for t in turns)),
        "first_token_p50_s": statistics.median([g["first_token_s"] for g in gens]) if gens else nan,
        "first_token_max_s": max(g["first_token_s"] for g in gens) if gens else nan,
        "first_token_end_to_end_p50_s": statistics.median(end_to_end) if end_to_end else nan,
        "decode_tokens_per_s_p50": statistics.median(speeds) if speeds else nan,
        "prompt_tokens_p50": (
            statistics.median([g["prompt_tokens"] for g in gens if g.get("prompt_tokens")])
            if gens
            else nan
        ),
        "output_tokens_p50": statistics.median([g["output_tokens"] for g in gens]) if gens else nan,
    }


ROWS = [
    ("answer_contains_gold", "answer accuracy (contains gold)"),
    ("citation_correct", "citation correctness"),
    ("answers_with_correct_citation", "answers with a correct citation"),
    ("false_refusals", "answerable questions refused"),
    ("refusal_recall", "unanswerable questions refused"),
    ("generated_sentences", "generated sentences (claims)"),
    ("sentences_flagged_unsupported", "generated sentences flagged unsupported"),
    ("sentences_recited", "generated sentences re-cited (wrong [n])"),
    ("sentences_uncited", "generated sentences given a citation"),
    ("fallbacks", "extractive fallbacks"),
    ("llm_errors", "LLM errors / timeouts"),
    ("first_token_p50_s", "time to first token, p50 (s)"),
    ("first_token_max_s", "time to first token, max (s)"),
    ("first_token_end_to_end_p50_s", "first token incl. retrieval, p50 (s)"),
    ("decode_tokens_per_s_p50", "decode tokens/s, p50"),
    ("prompt_tokens_p50", "prompt tokens, p50"),
    ("answer_p50_ms", "answer time p50 (ms)"),
    ("seconds", "wall time of the run (s)"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=Path, default=PROJECT_ROOT / "evals" / "seed.jsonl")
    parser.add_argument("--model", type=Path, help="GGUF file (default: best installed)")
    parser.add_argument("--k", type=int, default=5, help="passages given to the answerer")
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--timeout", type=float, default=180.0, help="llm_timeout, seconds")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "artifacts" / "llm_answers.json")
    parser.add_argument("--only", help="comma-separated case ids (a quick look)")
    args = parser.parse_args()

    base = Settings()
    settings = base.model_copy(
        update={
            "data_dir": base.data_dir / "bench" / "llm-answers",
            "model_dir": base.models_dir,
            "k": args.k,
            "answerer": "llamacpp",
            "llm_max_tokens": args.max_tokens,
            "llm_timeout": args.timeout,
        }
    )
    settings = settings.model_copy(
        update={"llm_model_path": (args.model or local_model_path(base)).resolve()}
    )
    cases = load_cases(args.cases)
    if args.only:
        wanted = set(args.only.split(","))
        cases = [c for c in cases if c.id in wanted]
    qa = Assistant(settings)
    print(qa.ingest([settings.corpus_dir or PROJECT_ROOT / "corpus"], progress=False).summary())

    extractive, extractive_turns = run(qa, cases, "extractive")
    started = time.perf_counter()
    qa.answerers["llamacpp"].warm()
    load_s = time.perf_counter() - started
    generated, generated_turns = run(qa, cases, "llamacpp")
    generated["model_load_s"] = load_s
    qa.close()

    model_name = settings.llm_model_path.name if settings.llm_model_path else "?"
    print(f"\n{args.cases.name}: {len(extractive_turns)} turns, k={args.k}, model {model_name}")
    print(f"(model loaded in {load_s:.1f} s, before the run)")
    print(f"{'metric':42} {'extractive':>12} {'llamacpp':>12}")
    for key, label in ROWS:
        print(
            f"{label:42} {_fmt(key, extractive.get(key)):>12} {_fmt(key, generated.get(key)):>12}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "cases": str(args.cases),
                "model": str(settings.llm_model_path),
                "k": args.k,
                "max_tokens": args.max_tokens,
                "cpu_count": os.cpu_count(),
                "load_average": os.getloadavg(),
                "metrics": {"extractive": extractive, "llamacpp": generated},
                "turns": {"extractive": extractive_turns, "llamacpp": generated_turns},
            },
            ensure_ascii=False,
            indent=2,
            default=str,
        ),
        encoding="utf-8",
    )
    print(f"details: {args.out}")


COUNTS = {"false_refusals", "fallbacks", "llm_errors", "generated_sentences"}


def _fmt(key: str, value: float | None) -> str:
    if value is None or value != value:
        return "—"
    if key in COUNTS:
        return f"{value:.0f}"
    return f"{value:.1f}" if key.endswith(("_s", "_ms", "tokens_per_s", "_p50")) else f"{value:.3f}"


if __name__ == "__main__":
    main()
