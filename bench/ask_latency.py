"""In-process `ask` latency (retrieve + answer) and the cost of re-ingesting unchanged data.

    python bench/ask_latency.py                 # bundled corpus, fresh index in a temp dir
    python bench/ask_latency.py --korquad       # also the KorQuAD paragraphs (.data/korquad)

For each corpus: time of the first ingest (skipped if the index exists), time of a second
ingest of the unchanged files, and p50/p95 of 100 `Assistant.ask` calls (questions from
evals/seed.jsonl cycled, or the first 100 KorQuAD questions), after one warm-up call, and
the p50 of the answer step alone (the answerer, without retrieval) and of the asking
thread's CPU time. Before/after a change:
run this same script with PYTHONPATH pointing at each checkout.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
import time
from pathlib import Path

from assistant import configure_threads
from assistant.evaluation.cases import load_cases
from assistant.evaluation.squad import load_squad
from assistant.pipeline.service import Assistant
from assistant.settings import PROJECT_ROOT, Settings

KORQUAD = PROJECT_ROOT.parent / "shared/eval/korquad-v1-dev/KorQuAD_v1.0_dev.json"
MODELS = PROJECT_ROOT / ".data" / "models"


def measure(name: str, qa: Assistant, corpus: Path, questions: list[str]) -> None:
    configure_threads(qa.settings.embedding_threads)  # as `assistant ingest` runs
    t = time.perf_counter()
    first = qa.ingest([corpus], progress=False)
    first_s = time.perf_counter() - t
    t = time.perf_counter()
    second = qa.ingest([corpus], progress=False)
    second_s = time.perf_counter() - t
    print(f"[{name}] ingest: {first.summary()}")
    if first.new:
        ratio = f"{100 * second_s / first_s:.1f}% of the first ({first_s:.1f} s)"
    else:
        ratio = "the index already existed, so the first ingest was not timed here"
    print(f"[{name}] re-ingest unchanged: {second.summary()}; {second_s:.2f} s, {ratio}")
    configure_threads(qa.settings.query_threads)  # as `assistant ask` and `serve` run
    qa.ask(questions[0])  # warm-up: BM25 load, first Chroma query
    times, answer_step, cpu = [], [], []
    for q in itertools.islice(itertools.cycle(questions), 100):
        t, c = time.perf_counter(), time.thread_time()
        answer = qa.ask(q)
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.thread_time() - c) * 1000)
        answer_step.append(answer.timings.get("answer", 0.0) * 1000)
    p = statistics.quantiles(times, n=100, method="inclusive")
    docs, chunks = qa.store.counts()
    print(
        f"[{name}] ask over {docs} docs / {chunks} chunks, 100 questions: "
        f"p50 {p[49]:.0f} ms, p95 {p[94]:.0f} ms, max {max(times):.0f} ms; "
        f"answer step p50 {statistics.median(answer_step):.1f} ms; CPU time of the asking "
        f"thread p50 {statistics.median(cpu):.1f} ms (steadier than wall time under load)"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--korquad", action="store_true")
    ap.add_argument("--korquad-dir", type=Path, default=PROJECT_ROOT / ".data" / "korquad")
    args = ap.parse_args()
    seed = [t.question for c in load_cases(PROJECT_ROOT / "evals/seed.jsonl") for t in c.turns]
    with tempfile.TemporaryDirectory() as tmp:
        qa = Assistant(Settings(data_dir=Path(tmp), model_dir=MODELS))
        measure("seed corpus", qa, PROJECT_ROOT / "corpus", seed)
    if args.korquad:
        corpus = args.korquad_dir / "korquad-paragraphs.jsonl"
        cases = load_squad(KORQUAD, corpus)
        qa = Assistant(Settings(data_dir=args.korquad_dir, model_dir=MODELS, collection="korquad"))
        measure("KorQuAD", qa, corpus, [c.turns[0].question for c in cases[:100]])


if __name__ == "__main__":
    main()
