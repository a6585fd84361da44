"""KorQuAD through the whole chain, answerable and with the articles removed from the index.

    HF_HUB_OFFLINE=1 python bench/korquad_answers.py --work /work/bench-data/answers \\
        --per-half 600 --answerer reader --json artifacts/korquad_answers-reader.json \\
        --html artifacts/korquad_answers-reader.html

The fixed sample of a half (``--half test``: articles of odd index in order of first
appearance, ``random.Random(13)``, as ``bench/answer_quality.py`` draws it) is asked
through ``Assistant.chain`` twice:

* **answerable**: every dev paragraph indexed; short answer EM/F1 (official KorQuAD v1.0
  scoring), contains gold, citation correctness, refusals;
* **removed**: the sampled questions' articles are taken out of the index (two folds:
  the sampled articles split in two, each fold's questions asked of an index of every
  other paragraph, so the other half's articles stay as same-domain distractors); every
  such question should be refused.

Both go into one report (the removed turns as unanswerable cases), so the HTML report
draws the refusal curve over the answers' relevance. Printed: one JSON line per part.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant import configure_threads
from assistant.evaluation.cases import Case, Turn
from assistant.evaluation.report import render_html
from assistant.evaluation.runner import evaluate
from assistant.evaluation.squad import squad_workspace
from assistant.evaluation.summary import per_tag, summarize
from assistant.pipeline.service import Assistant
from assistant.settings import Settings

KORQUAD = Path("/work/shared/eval/korquad-v1-dev/KorQuAD_v1.0_dev.json")
MODELS = Path("/work/main/.data/models")
KS = [1, 5, 10]
KEYS = ("questions", "answer_contains_gold", "exact_match", "f1", "false_refusals",
        "citation_correct", "refusal_recall", "total_p50_ms")  # fmt: skip


def sample_half(cases: list[Case], half: str, n: int) -> list[Case]:
    """The fixed sample of one half (titles in order of first appearance, parity by half)."""
    order = {t: i for i, t in enumerate(dict.fromkeys(c.tags[0] for c in cases))}
    parity = 1 if half == "test" else 0
    pool = [c for c in cases if order[c.tags[0]] % 2 == parity]
    return random.Random(13).sample(pool, min(n, len(pool)))


def removed_fold(paragraphs: Path, titles: set[str], folder: Path) -> Path:
    """A corpus folder holding every paragraph except those of ``titles``."""
    out = folder / "corpus"
    out.mkdir(parents=True, exist_ok=True)
    target = out / "paragraphs.jsonl"
    with paragraphs.open(encoding="utf-8") as src, target.open("w", encoding="utf-8") as dst:
        for line in src:
            if json.loads(line)["title"] not in titles:
                dst.write(line)
    return out


def unanswerable(case: Case) -> Case:
    """The same question with nothing in the index to answer it."""
    return Case(f"{case.id}-removed", [Turn(case.turns[0].question, [], [])], ["removed"])


def run_removed(args: argparse.Namespace, settings: Settings, sample: list[Case], corpus: Path):
    """Results of the sampled questions asked of indexes without their articles."""
    titles = sorted({c.tags[0] for c in sample})
    results = []
    for fold in (0, 1):
        gone = set(titles[fold::2])
        folder = args.work / f"removed-{fold}"
        corpus_dir = removed_fold(corpus / "paragraphs.jsonl", gone, folder)
        fold_settings = settings.model_copy(update={"data_dir": folder / "data"})
        asked = [unanswerable(c) for c in sample if c.tags[0] in gone]
        with Assistant(fold_settings) as qa:
            qa.ingest([corpus_dir], progress=False)
            results += evaluate(qa, asked, ks=KS, progress=False).results
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, default=Path("/work/bench-data/answers"))
    parser.add_argument("--per-half", type=int, default=600)
    parser.add_argument("--half", choices=("test", "calibration"), default="test")
    parser.add_argument("--answerer", default="reader")
    parser.add_argument("--korquad", type=Path, default=KORQUAD)
    parser.add_argument("--models", type=Path, default=MODELS)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--html", type=Path)
    args = parser.parse_args()
    configure_threads(2)
    settings = Settings(data_dir=args.work, model_dir=args.models, answerer=args.answerer)
    cases, corpus_dir, eval_settings = squad_workspace(args.korquad, settings)
    sample = sample_half(cases, args.half, args.per_half)
    with Assistant(eval_settings) as qa:
        qa.ingest([corpus_dir], progress=False)
        report = evaluate(qa, sample, ks=KS, progress=False, source=f"KorQuAD {args.half} half")
    answerable = {k: round(float(report.metrics.get(k, float("nan"))), 4) for k in KEYS}
    print(f"answerable ({args.answerer}):", json.dumps(answerable))
    removed = run_removed(args, eval_settings, sample, corpus_dir)
    refused = sum(r.refused for r in removed) / max(1, len(removed))
    print(
        f"removed ({args.answerer}):",
        json.dumps({"questions": len(removed), "refused": round(refused, 4)}),
    )
    results = report.results + removed
    merged = replace(
        report,
        results=results,
        metrics=summarize(results, KS),
        per_tag=per_tag(results, KS),
        source=f"KorQuAD {args.half} half: answerable and articles removed ({args.answerer})",
    )
    data = merged.to_dict()
    if args.json:
        args.json.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    if args.html:
        args.html.write_text(render_html(data), encoding="utf-8")


if __name__ == "__main__":
    main()
