"""CPU and wall time of the answer step alone, on passages retrieved once (seed questions).

    PYTHONPATH=<checkout> HF_HUB_OFFLINE=1 .venv/bin/python bench/answer_step.py <checkout>

Run against each checkout (before/after a change): retrieval is left out, so the figure is
the answerer's own cost; the CPU time of the thread is steadier than wall time on a loaded
machine.
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

from assistant import configure_threads
from assistant.answering.base import AnswerRequest
from assistant.evaluation.cases import load_cases
from assistant.pipeline.service import Assistant
from assistant.settings import Settings

root = Path(sys.argv[1])
qs = [t.question for c in load_cases(root / "evals/seed.jsonl") for t in c.turns]
with tempfile.TemporaryDirectory() as tmp:
    qa = Assistant(Settings(data_dir=Path(tmp), model_dir=Path("/work/main/.data/models")))
    qa.ingest([root / "corpus"], progress=False)
    configure_threads(1)
    reqs = []
    for q in qs:
        v = qa.embedder.embed_queries([q])[0]
        docs = qa.search.search(q, k=5, query_vector=v)
        reqs.append(AnswerRequest(q, tuple(docs), v))
    a = qa.answerers["extractive"]
    a.answer(reqs[0])
    cpu, wall = [], []
    for _ in range(5):
        for r in reqs:
            c, t = time.thread_time(), time.perf_counter()
            a.answer(r)
            cpu.append((time.thread_time() - c) * 1000)
            wall.append((time.perf_counter() - t) * 1000)
    print(
        f"{root}: answer step over {len(reqs)} seed questions x5: "
        f"CPU p50 {statistics.median(cpu):.1f} ms, wall p50 {statistics.median(wall):.1f} ms"
    )
