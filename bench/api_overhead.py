"""What the HTTP API adds to an answer: in-process ``ask`` vs ``POST /api/ask``, same run.

    python bench/api_overhead.py [--rounds 10]

One Assistant over the bundled corpus (a fresh index in a temp dir, the prepared model
from ``model_dir`` or .data/models) answers every first-turn question of
evals/seed.jsonl, in rounds; within a round each question is asked in process and then
through a real server (uvicorn on 127.0.0.1, this process, over the same Assistant) with
a keep-alive httpx client, so both see the same index, caches and machine load. Prints
p50/p95 of each and the p50 of the per-question difference (HTTP minus in-process): the
API's overhead (routing, JSON in and out, the admission gate, the worker thread,
loopback TCP, the client).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from assistant import configure_threads
from assistant.evaluation.cases import load_cases
from assistant.interfaces.api.server import serve
from assistant.interfaces.web.engine import Engine
from assistant.pipeline.service import Assistant
from assistant.settings import PROJECT_ROOT, Settings

MODELS = PROJECT_ROOT / ".data" / "models"


def pct(values: list[float], q: int) -> float:
    """The q-th percentile (inclusive method), in the values' unit."""
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=10)
    args = ap.parse_args()
    questions = [c.turns[0].question for c in load_cases(PROJECT_ROOT / "evals/seed.jsonl")]
    with tempfile.TemporaryDirectory() as tmp:
        base = Settings()
        settings = Settings(
            data_dir=Path(tmp), model_dir=base.model_dir or MODELS, ui_port=free_port()
        )
        qa = Assistant(settings)
        qa.ingest([PROJECT_ROOT / "corpus"], progress=False)
        configure_threads(settings.query_threads)  # as `assistant serve` runs
        running = serve(Engine(qa), settings, block=False)
        assert running is not None
        load_before = os.getloadavg()
        local, remote, diff = [], [], []
        try:
            with httpx.Client(base_url=running.url, timeout=60) as http:
                for q in questions:  # warm-up both paths
                    qa.ask(q)
                    http.post("/api/ask", json={"question": q}).raise_for_status()
                for _ in range(args.rounds):
                    for q in questions:
                        t = time.perf_counter()
                        expected = qa.ask(q)
                        a = (time.perf_counter() - t) * 1000
                        t = time.perf_counter()
                        got = http.post("/api/ask", json={"question": q})
                        b = (time.perf_counter() - t) * 1000
                        got.raise_for_status()
                        assert got.json()["text"] == expected.text, q
                        local.append(a)
                        remote.append(b)
                        diff.append(b - a)
        finally:
            running.stop()
            qa.close()
    load_after = os.getloadavg()
    n = len(local)
    print(f"{n} answers each way ({len(questions)} seed questions x {args.rounds} rounds)")
    print(f"in-process ask : p50 {pct(local, 50):6.1f} ms  p95 {pct(local, 95):6.1f} ms")
    print(f"POST /api/ask  : p50 {pct(remote, 50):6.1f} ms  p95 {pct(remote, 95):6.1f} ms")
    print(
        f"overhead       : p50 of per-question difference {statistics.median(diff):.1f} ms; "
        f"difference of p50s {pct(remote, 50) - pct(local, 50):.1f} ms"
    )
    print(f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after (1 min)")


if __name__ == "__main__":
    main()
