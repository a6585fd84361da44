"""The reader on its own, on KorQuAD's halves: gold chunk, top-5 chunks, article removed.

    HF_HUB_OFFLINE=1 python bench/reader_quality.py --work /work/bench-data/reader --per-half 1000

Halves as ``bench/answer_quality.py`` splits them (articles in order of first appearance;
even index: calibration, odd: test); the calibration half's ``held-out`` part (every 5th of
its articles, ``reader_data.part_of``), which ``train-reader`` does not train on, sets the
threshold. A fixed sample of the test half (``random.Random(13)``; ``--limit`` reads its
first N) and all held-out questions (up to ``--per-half``). Printed as JSON:

* ``gold_chunk``: EM/F1 of the best span when the reader is given the chunk holding the
  answer (test half);
* ``top5``: EM/F1 of the best span (highest span − no-answer margin) over the top 5
  chunks the project's retrieval returns from the full index (test half);
* ``removed``: the same questions with their article removed from the ranking: the
  margin's distribution, the threshold refusing at most 2% of answerable questions of
  the HELD-OUT part, and what it refuses on the test half (unanswerable and answerable);
* ``held_out``: gold-chunk and top-5 EM/F1 on the held-out part (unseen, but tuned on);
* ``latency``: reading 5 retrieved chunks, p50/p90 ms, OpenVINO at 1 and 2 threads.

Retrieval runs once per question and is cached in the work folder.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from assistant import configure_threads
from assistant.evaluation import metrics as m
from assistant.evaluation import reader_data as rd
from assistant.evaluation.squad import squad_workspace
from assistant.models import reader_spans as rs
from assistant.models.embedder import model_folder
from assistant.models.reader import Reader
from assistant.models.reader_spans import ReadSpan
from assistant.models.reader_weights import CARD, packaged_dir
from assistant.settings import Settings
from assistant.text.korean import KoreanAnalyzer

KORQUAD = Path("/work/shared/eval/korquad-v1-dev/KorQuAD_v1.0_dev.json")
MODELS = Path("/work/main/.data/models")
REFUSE_ANSWERABLE = 0.02


def retrieve(settings: Settings, korquad: Path, half: str, n: int, cache: Path) -> list[dict]:
    """Per sampled question: golds, gold chunk, top-5 chunks, top-5 without its article."""
    if cache.is_file():
        return json.loads(cache.read_text(encoding="utf-8"))
    from assistant.pipeline.service import Assistant

    cases, corpus_dir, eval_settings = squad_workspace(korquad, settings)
    pool = rd.part_cases(cases, half) if half in rd.PARTS else rd.half_cases(cases, half)
    sample = random.Random(13).sample(pool, min(n, len(pool)))
    rows = []
    with Assistant(eval_settings) as qa:
        qa.ingest([corpus_dir], progress=False)
        ids = rd.doc_ids(qa)
        for g in rd.golds(korquad, sample):
            positives = [e for e in rd.gold_examples(qa, g, ids[g.doc_key]) if e.start >= 0]
            ranking = qa.search.search(g.question, k=rd.DEPTH)
            rows.append({
                "question": g.question, "answers": g.answers,
                "gold": positives[0].passage if positives else None,
                "top5": [d.page_content for d in ranking[:5]],
                "removed": [d.page_content for d in ranking if d.metadata["title"] != g.title][:5],
            })  # fmt: skip
    cache.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return rows


def best(reader: Reader, question: str, passages: list[str]) -> tuple[ReadSpan, float]:
    """The best span over the passages (by margin) and its margin."""
    spans = reader.read(question, passages)
    top = max(spans, key=lambda s: s.margin)
    return top, top.margin


def em_f1(pairs: list[tuple[str, list[str]]]) -> dict[str, float]:
    """KorQuAD EM and F1 of (prediction, golds) pairs."""
    return {
        "exact_match": round(m.mean(m.best_over_golds(m.exact_match, p, g) for p, g in pairs), 4),
        "f1": round(m.mean(m.best_over_golds(m.char_f1, p, g) for p, g in pairs), 4),
        "n": len(pairs),
    }


def read_half(reader: Reader, rows: list[dict], analyzer: KoreanAnalyzer) -> dict[str, Any]:
    """Gold-chunk, top-5 and article-removed reads of one half's rows; EM/F1 of the span
    as read and with its ending particles trimmed (``reader_spans.trim_particles``)."""
    gold = [(best(reader, r["question"], [r["gold"]])[0], r["answers"]) for r in rows if r["gold"]]
    top = [best(reader, r["question"], r["top5"]) for r in rows]
    removed = [best(reader, r["question"], r["removed"])[1] for r in rows if r["removed"]]
    top_pairs = [(t, r["answers"]) for (t, _), r in zip(top, rows, strict=True)]

    def scored(pairs: list[tuple[ReadSpan, list[str]]]) -> dict[str, Any]:
        trimmed = [(rs.trim_particles(sp, analyzer.morphemes).text, g) for sp, g in pairs]
        return {**em_f1([(sp.text, g) for sp, g in pairs]), "trimmed": em_f1(trimmed)}

    return {
        "gold": scored(gold),
        "top5": scored(top_pairs),
        "answerable_margins": [mg for _, mg in top],
        "unanswerable_margins": removed,
    }


def quantiles(values: list[float]) -> dict[str, float]:
    """Percentiles 5/25/50/75/95 of margins."""
    return {f"p{q}": round(float(np.percentile(values, q)), 3) for q in (5, 25, 50, 75, 95)}


def latency(e5: Path, models: Path, weights: Path | None, rows: list[dict]) -> dict[str, Any]:
    """p50/p90 ms of reading 5 chunks, at 1 and 2 OpenVINO threads."""
    out = {}
    for threads in (1, 2):
        reader = Reader(e5, models, weights, threads=threads)
        times = []
        for r in rows[:60]:
            started = time.perf_counter()
            reader.read(r["question"], r["top5"])
            times.append((time.perf_counter() - started) * 1000)
        times = times[5:]
        out[f"threads_{threads}"] = {
            "p50_ms": round(m.percentile(times, 50), 1),
            "p90_ms": round(m.percentile(times, 90), 1),
        }
    return out


def record_threshold(folder: Path, threshold: float, report: dict[str, Any]) -> None:
    """Write the calibrated no-answer threshold (and what it was measured on) into the card."""
    path = folder / CARD
    card = json.loads(path.read_text(encoding="utf-8"))
    card["no_answer_threshold"] = round(threshold, 3)
    card["no_answer_calibration"] = (
        f"{100 * REFUSE_ANSWERABLE:g}th percentile of the best span − no-answer margin over "
        f"the top 5 retrieved chunks, {len(report['calibration_margins'])} answerable "
        "questions of the held-out part of KorQuAD's calibration half (every 5th "
        "calibration article, not trained on; bench/reader_quality.py)"
    )
    path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, default=Path("/work/bench-data/reader"))
    parser.add_argument("--per-half", type=int, default=1000)
    parser.add_argument("--korquad", type=Path, default=KORQUAD)
    parser.add_argument("--models", type=Path, default=MODELS, help="prepared models folder")
    parser.add_argument("--weights", type=Path, help="reader folder (default: the packaged one)")
    parser.add_argument("--limit", type=int, help="read only the first N sampled questions")
    parser.add_argument("--no-latency", action="store_true")
    parser.add_argument(
        "--write-threshold", action="store_true",
        help="record the calibrated threshold in the card (reader.json) of --weights",
    )  # fmt: skip
    args = parser.parse_args()
    configure_threads(2)
    settings = Settings(data_dir=args.work, model_dir=args.models)
    e5 = model_folder(settings)
    halves = {
        h: retrieve(settings, args.korquad, h, args.per_half,
                    args.work / f"retrieved-{h}-{args.per_half}.json")
        for h in ("held-out", "test")
    }  # fmt: skip
    halves["test"] = halves["test"][: args.limit]
    reader = Reader(e5, settings.models_dir, args.weights)
    analyzer = KoreanAnalyzer()
    cal = read_half(reader, halves["held-out"], analyzer)
    test = read_half(reader, halves["test"], analyzer)
    threshold = float(np.percentile(cal["answerable_margins"], 100 * REFUSE_ANSWERABLE))
    report_margins = {"calibration_margins": cal["answerable_margins"]}
    report = {
        "weights": reader.card["sha256"][:12],
        "test": {"gold_chunk": test["gold"], "top5": test["top5"]},
        "held_out": {"gold_chunk": cal["gold"], "top5": cal["top5"]},
        "removed": {
            "test_unanswerable_margin": quantiles(test["unanswerable_margins"]),
            "test_answerable_margin": quantiles(test["answerable_margins"]),
            "threshold_from_held_out": round(threshold, 3),
            "held_out_answerable_refused": round(
                m.mean(x < threshold for x in cal["answerable_margins"]), 4),
            "test_unanswerable_refused": round(
                m.mean(x < threshold for x in test["unanswerable_margins"]), 4),
            "test_answerable_refused": round(
                m.mean(x < threshold for x in test["answerable_margins"]), 4),
        },
    }  # fmt: skip
    if not args.no_latency:
        report["latency_5_chunks"] = latency(e5, settings.models_dir, args.weights, halves["test"])
    print(json.dumps(report, ensure_ascii=False, indent=1))
    if args.write_threshold:
        record_threshold(args.weights or packaged_dir(), threshold, report_margins)


if __name__ == "__main__":
    main()
