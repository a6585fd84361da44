"""Answers on KorQuAD's test half through the whole chain: contains gold, EM/F1, refusals.

    HF_HUB_OFFLINE=1 python bench/answer_quality.py --work /work/bench-data/wt13a --per-half 1500

The same fixed sample of the test half (articles of odd index, ``random.Random(13)``) that
``bench/calibrate_answerer.py`` reports on, asked through ``Assistant.chain`` and scored by
the evaluation module (KorQuAD EM and F1 on the short answer when there is one, else on the
reply); ``--half calibration`` runs the same on the calibration half (articles of even
index). It uses nothing newer than the evaluation runner, so the same script measures the
code before and after a change: run it with PYTHONPATH pointing at each checkout.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant import configure_threads
from assistant.evaluation.report import render_html
from assistant.evaluation.runner import evaluate
from assistant.evaluation.squad import squad_workspace
from assistant.pipeline.service import Assistant
from assistant.settings import Settings

KORQUAD = Path("/work/shared/eval/korquad-v1-dev/KorQuAD_v1.0_dev.json")
MODELS = Path("/work/main/.data/models")
KEYS = ("questions", "answer_contains_gold", "exact_match", "f1", "false_refusals",
        "citation_correct", "recall@5", "total_p50_ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, default=Path("/work/bench-data/wt13a"))
    parser.add_argument("--per-half", type=int, default=1500)
    parser.add_argument("--korquad", type=Path, default=KORQUAD)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--html", type=Path)
    parser.add_argument("--half", choices=("test", "calibration"), default="test")
    args = parser.parse_args()
    configure_threads(1)
    settings = Settings(data_dir=args.work, model_dir=MODELS)
    cases, corpus_dir, eval_settings = squad_workspace(args.korquad, settings)
    title = {c.id: c.turns[0].gold_docs[0].rsplit("#", 1)[0] for c in cases}
    order = {t: i for i, t in enumerate(dict.fromkeys(title.values()))}
    parity = 1 if args.half == "test" else 0
    pool = [c for c in cases if order[title[c.id]] % 2 == parity]
    sample = random.Random(13).sample(pool, min(args.per_half, len(pool)))
    with Assistant(eval_settings) as qa:
        qa.ingest([corpus_dir], progress=False)
        report = evaluate(
            qa, sample, ks=[1, 5, 10], progress=False, source=f"KorQuAD {args.half} half"
        )
    data = report.to_dict()
    out = {k: round(float(data["metrics"].get(k, float("nan"))), 4) for k in KEYS}
    print(f"KorQuAD {args.half} half, through the chain:", json.dumps(out))
    if args.json:
        args.json.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    if args.html:
        args.html.write_text(render_html(data), encoding="utf-8")


if __name__ == "__main__":
    main()
