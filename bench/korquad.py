"""KorQuAD 1.0 dev as a public retrieval benchmark: recall@1/5/10, MRR@10, nDCG@10 and the
mean of nDCG@5 and nDCG@10.

    python bench/korquad.py                       # all 5,774 questions (~15+ min on 2 cores)
    python bench/korquad.py --limit 500           # a fixed random sample, for a quick look
    python bench/korquad.py --json artifacts/korquad.json --html artifacts/korquad.html

Same machinery as ``assistant eval KorQuAD_v1.0_dev.json --k 1,5,10``: the 964 paragraphs
(3 word-for-word duplicates merged) are ingested into their own index under
``DATA_DIR/eval-corpora/`` (embedded once, reused afterwards), each question's gold
document is its paragraph, and the full chain (hybrid retrieval + extractive answer) runs.
The dev file is read-only and converted at run time (licence CC BY-ND 2.0 KR).

Caveat printed with the figures: KorQuAD questions were written while reading the paragraph,
so lexical overlap is high and BM25 alone already does well; this is a regression benchmark
and a pile of Korean distractors, not proof of semantic retrieval.
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
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console

from assistant.evaluation.compare import compare
from assistant.evaluation.console import print_report
from assistant.evaluation.runner import evaluate
from assistant.evaluation.squad import squad_workspace
from assistant.settings import Settings

KORQUAD = Path("/work/shared/eval/korquad-v1-dev/KorQuAD_v1.0_dev.json")
HEADLINE = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "ndcg_mean@5,10")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, default=KORQUAD)
    parser.add_argument("--limit", type=int, default=0, help="random sample of N questions")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--html", type=Path, default=None)
    parser.add_argument("--compare", type=Path, default=None, help="an earlier --json report")
    parser.add_argument("--full-report", action="store_true", help="print every table")
    args = parser.parse_args()

    from assistant.pipeline.service import Assistant

    console = Console()
    cases, corpus_dir, settings = squad_workspace(args.file, Settings())
    if args.limit:
        cases = random.Random(13).sample(cases, min(args.limit, len(cases)))
    console.print(f"{len(cases)} questions; index in {settings.data_dir}")
    qa = Assistant(settings)
    console.print(qa.ingest([corpus_dir], progress=True).summary())
    report = evaluate(qa, cases, ks=[1, 5, 10], source=str(args.file))
    data = report.to_dict()
    comparison = None
    if args.compare:
        comparison = compare(json.loads(args.compare.read_text("utf-8")), data)
    if args.full_report or comparison:
        print_report(data, console, comparison)
    met = data["metrics"]
    console.print(
        f"\nKorQuAD 1.0 dev — {int(met['questions'])} questions over 961 unique paragraphs:"
    )
    for name in HEADLINE:
        label = "mean(nDCG@5, nDCG@10)" if name == "ndcg_mean@5,10" else name
        console.print(f"  {label:<22} {met[name]:.4f}")
    console.print(
        f"  answer_contains_gold   {met['answer_contains_gold']:.4f}   "
        f"(EM {met['exact_match']:.4f}, F1 {met['f1']:.4f}: on the short answer)"
    )
    console.print(
        f"  latency p50/p95        {met['total_p50_ms']:.0f} / {met['total_p95_ms']:.0f} ms"
    )
    console.print(
        "[dim]Questions were written looking at their paragraph: high lexical overlap, so "
        "this is a regression benchmark, not proof of semantic retrieval.[/]"
    )
    if data["partial"]:
        console.print(f"[yellow]partial: {data['notes'][0]}[/]")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(data, ensure_ascii=False, indent=1), "utf-8")
    if args.html:
        from assistant.evaluation.report import render_html

        args.html.parent.mkdir(parents=True, exist_ok=True)
        args.html.write_text(render_html(data, comparison), "utf-8")


if __name__ == "__main__":
    main()
