"""50 concurrent OpenAI clients on ``/v1/chat/completions`` for a minute, on loopback.

    python bench/api_load.py [--clients 50] [--seconds 60]

Starts ``python -m assistant serve`` (a subprocess, default settings: 4 answers at once,
64 waiting) on a free 127.0.0.1 port over a fresh data dir with the bundled corpus,
waits for ``/healthz``, then asks every first-turn seed question once, one at a time:
those replies are the reference. Then ``--clients`` workers (``openai.AsyncOpenAI``,
one client each, no retries) ask the seed questions in turn, back to back, for
``--seconds``. Reports requests, errors (any exception or non-200), p50/p95/max
latency, throughput, whether every reply equals the reference reply for its question,
and how many reference replies hold a gold answer (or the refusal for unanswerable
questions), with the load average before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
from openai import AsyncOpenAI

from assistant.evaluation.cases import load_cases
from assistant.settings import PROJECT_ROOT, Settings
from assistant.text.messages import Messages

MODELS = PROJECT_ROOT / ".data" / "models"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, port: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(data_dir),
        "ASSISTANT_MODEL_DIR": str(Settings().model_dir or MODELS),
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    args = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    args += ["--corpus", str(PROJECT_ROOT / "corpus")]
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "assistant", *args], env=env, stdout=out, stderr=out
        )


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("the server stopped; see its log")
        try:
            if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise SystemExit("the server did not become ready")


async def run(url: str, clients: int, seconds: float, cases: list) -> None:
    questions = [c.turns[0].question for c in cases]
    refusals = {Messages.load(Settings().prompts_dir).get("refusal", lang) for lang in ("ko", "en")}

    def client() -> AsyncOpenAI:
        return AsyncOpenAI(base_url=f"{url}/v1", api_key="none", max_retries=0, timeout=120)

    async def ask(c: AsyncOpenAI, q: str) -> str:
        reply = await c.chat.completions.create(
            model="extractive", messages=[{"role": "user", "content": q}]
        )
        return reply.choices[0].message.content or ""

    reference = {}
    single = client()
    for q in questions:
        reference[q] = await ask(single, q)
    gold = 0
    for case in cases:
        text, answers = reference[case.turns[0].question], case.turns[0].answers
        gold += any(a in text for a in answers) if answers else text in refusals
    await single.close()

    latencies: list[float] = []
    errors: Counter[str] = Counter()
    mismatched: Counter[str] = Counter()
    stop = time.monotonic() + seconds

    async def worker(n: int) -> None:
        c = client()
        i = n
        while time.monotonic() < stop:
            q = questions[i % len(questions)]
            i += 1
            t = time.perf_counter()
            try:
                text = await ask(c, q)
            except Exception as exc:  # counted, never retried
                errors[type(exc).__name__] += 1
                continue
            latencies.append((time.perf_counter() - t) * 1000)
            if text != reference[q]:
                mismatched[q] += 1
        await c.close()

    load_before = os.getloadavg()
    started = time.monotonic()
    await asyncio.gather(*(worker(n) for n in range(clients)))
    elapsed = time.monotonic() - started
    load_after = os.getloadavg()
    p = statistics.quantiles(latencies, n=100, method="inclusive") if latencies else [0] * 99
    total = len(latencies) + sum(errors.values())
    print(f"{clients} clients x {seconds:.0f} s on /v1/chat/completions (extractive)")
    print(f"requests {total}, ok {len(latencies)}, errors {sum(errors.values())} {dict(errors)}")
    print(f"latency p50 {p[49]:.0f} ms, p95 {p[94]:.0f} ms, max {max(latencies, default=0):.0f} ms")
    print(f"throughput {len(latencies) / elapsed:.1f} answers/s")
    print(
        f"replies equal to the unloaded reference: {len(latencies) - sum(mismatched.values())}"
        f"/{len(latencies)}"
    )
    print(f"reference replies holding the gold answer (or the refusal): {gold}/{len(cases)}")
    print(
        f"load average (1 min) {load_before[0]:.2f} before, {load_after[0]:.2f} after; "
        f"{os.cpu_count()} CPUs"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    args = ap.parse_args()
    cases = load_cases(PROJECT_ROOT / "evals/seed.jsonl")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        proc = start_server(Path(tmp) / "data", port, Path(tmp) / "server.log")
        try:
            wait_ready(url, proc)
            asyncio.run(run(url, args.clients, args.seconds, cases))
        finally:
            proc.terminate()
            proc.wait(timeout=60)


if __name__ == "__main__":
    main()
