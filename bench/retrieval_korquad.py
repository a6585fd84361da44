"""Retrieval on KorQuAD 1.0 dev: recall@1/5/10 and MRR@10 of the gold paragraph.

Ingests the paragraphs once into their own data dir (re-runs are incremental), then runs
every question through the hybrid search, and optionally a grid of fusion settings so the
default can be chosen by measurement:

    python bench/retrieval_korquad.py                      # the configured settings
    python bench/retrieval_korquad.py --grid               # fusion/weights/k1 grid
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from assistant.evaluation import metrics as m
from assistant.evaluation.results import gold_label
from assistant.evaluation.squad import load_squad
from assistant.pipeline.service import Assistant
from assistant.settings import Settings

KORQUAD = Path(__file__).resolve().parents[2] / "shared/eval/korquad-v1-dev/KorQuAD_v1.0_dev.json"


def score(qa: Assistant, cases, vectors, limit: int | None = None) -> dict[str, float]:
    """recall@1/5/10 and MRR@10 of the gold paragraph over the ranked documents (chunks
    collapsed to their documents, first occurrence), as ``assistant eval`` scores them."""
    cases = cases[:limit] if limit else cases
    rankings, golds, lat = [], [], []
    for case, vec in zip(cases, vectors, strict=False):
        turn = case.turns[0]
        t = time.perf_counter()
        docs = qa.search.search(turn.question, k=30, query_vector=vec)
        lat.append(time.perf_counter() - t)
        ranked = (gold_label(d.metadata["doc_id"], turn.gold_docs) for d in docs)
        rankings.append(list(dict.fromkeys(ranked)))
        golds.append(turn.gold_docs)
    pairs = list(zip(rankings, golds, strict=True))
    return {
        **{f"recall@{k}": m.mean(m.recall_at_k(r, g, k) for r, g in pairs) for k in (1, 5, 10)},
        "mrr@10": m.mean(m.mrr_at_k(r, g, 10) for r, g in pairs),
        "search_p50_ms": statistics.median(lat) * 1000,
        "n": len(cases),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, default=Path(".data/korquad"))
    ap.add_argument("--squad", type=Path, default=KORQUAD)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--grid", action="store_true", help="fusion methods and BM25 parameters")
    args = ap.parse_args()
    settings = Settings(
        data_dir=args.data_dir, model_dir=Path(".data/models"), collection="korquad"
    )
    corpus = args.data_dir / "korquad-paragraphs.jsonl"
    cases = load_squad(args.squad, corpus)
    qa = Assistant(settings)
    t = time.perf_counter()
    report = qa.ingest([corpus])
    print(f"ingest: {report.summary()} in {time.perf_counter() - t:.1f} s")
    cases = cases[: args.limit] if args.limit else cases
    questions = [c.turns[0].question for c in cases]
    cache = args.data_dir / f"question-vectors-{len(questions)}.npy"
    if cache.exists():  # embedding 5,774 questions takes minutes on 2 cores
        vectors = np.load(cache)
    else:
        t = time.perf_counter()
        vectors = qa.embedder.embed_queries(questions)
        np.save(cache, vectors)
        print(f"embedded {len(cases)} questions in {time.perf_counter() - t:.1f} s")
    print(
        f"configured (fusion {settings.fusion}, weights {settings.bm25_weight}/"
        f"{settings.dense_weight}, k1 {settings.bm25_k1}, b {settings.bm25_b}):",
        score(qa, cases, vectors),
    )
    if not args.grid:
        return
    s = qa.search
    for fusion, wb, wd in [
        ("weighted", 1, 0),
        ("weighted", 0, 1),
        ("rrf", 1, 1),
        ("weighted", 0.4, 0.6),
        ("weighted", 0.6, 0.4),
    ]:
        s.fusion, s.bm25_weight, s.dense_weight = fusion, wb, wd
        print(f"fusion {fusion} {wb}/{wd}:", score(qa, cases, vectors))
    for k1, b in [(1.2, 0.75), (0.9, 0.5), (0.3, 0.3), (0.5, 0.3), (0.5, 0.5)]:
        variant = Assistant(settings.model_copy(update={"bm25_k1": k1, "bm25_b": b}))
        print(f"weighted 0.5/0.5, BM25 k1 {k1} b {b}:", score(variant, cases, vectors))
        variant.store.close()
    # the saved BM25 index now has the last variant's parameters; the next normal load
    # notices and rebuilds it with the configured ones


if __name__ == "__main__":
    main()
