"""Many people chatting at once: 20 concurrent two-turn conversations against the app.

Each conversation is a question and its follow-up from ``evals/seed.jsonl`` (the cases
tagged ``followup``, taken in turn), sent through the app's ``/ask`` API endpoint with
``gradio_client``, the follow-up carrying the first turn as history, exactly as the page
does. Every answer must contain one of its gold strings.

    python bench/concurrent_chat.py                  # starts app.py on a free port
    python bench/concurrent_chat.py --url http://127.0.0.1:7860/

Without ``--url`` the app runs over a fresh data dir (the bundled corpus is ingested
first, not timed) with the already prepared model. Prints p50/p95 latency per answer and
per conversation, and how many were correct; exits 1 if any answer missed its gold.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "evals" / "seed.jsonl"


@dataclass
class Conversation:
    case_id: str
    latencies: list[float] = field(default_factory=list)
    correct: list[bool] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    error: str | None = None


def followups(path: Path) -> list[dict[str, Any]]:
    cases = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    found = [c for c in cases if "followup" in c.get("tags", [])]
    if not found:
        raise SystemExit(f"no cases tagged 'followup' in {path}")
    return found


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile: the smallest value with at least p% of values at or below."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve_app(data_dir: Path | None) -> Iterator[str]:
    """``python app.py`` on a free loopback port; yields its URL, stops it afterwards."""
    sys.path.insert(0, str(ROOT))
    from assistant.settings import Settings

    defaults = Settings()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-chat-") as tmp:
        env = {
            **os.environ,
            "ASSISTANT_UI_HOST": "127.0.0.1",
            "ASSISTANT_UI_PORT": str(port),
            "ASSISTANT_DATA_DIR": str(data_dir or Path(tmp) / "data"),
            "HF_HUB_OFFLINE": "1",
        }
        if "ASSISTANT_MODEL_DIR" not in os.environ and defaults.models_dir.exists():
            env["ASSISTANT_MODEL_DIR"] = str(defaults.models_dir.resolve())
        log_path = Path(tmp) / "app.log"
        with log_path.open("w") as log:
            proc = subprocess.Popen(
                [sys.executable, str(ROOT / "app.py")], env=env, stdout=log, stderr=log, cwd=ROOT
            )
            try:
                yield f"http://127.0.0.1:{port}/"
            except BaseException:
                print(log_path.read_text("utf-8")[-3000:], file=sys.stderr)
                raise
            finally:
                proc.terminate()
                proc.wait(timeout=30)


def wait_until_ready(url: str, timeout: float) -> dict[str, Any]:
    """Poll the app's ``/status`` endpoint until the model and index are loaded."""
    from gradio_client import Client

    deadline = time.monotonic() + timeout
    client = None
    while True:
        try:
            client = client or Client(url, verbose=False)
            status = client.predict(api_name="/status")
            if status.get("failed"):
                raise SystemExit(f"the app failed to start: {status.get('status')}")
            if status.get("ready"):
                return status
        except Exception as exc:  # not listening yet, or still starting up
            last = exc
        else:
            last = status.get("status")
        if time.monotonic() > deadline:
            raise SystemExit(f"the app was not ready after {timeout:.0f} s: {last}")
        time.sleep(1.0)


def converse(url: str, case: dict[str, Any], start: threading.Barrier) -> Conversation:
    from gradio_client import Client

    result = Conversation(case["id"])
    client = Client(url, verbose=False)
    history: list[list[str]] = []
    start.wait()
    try:
        for turn in case["turns"]:
            began = time.perf_counter()
            answer = client.predict(
                turn["question"], json.dumps(history, ensure_ascii=False), api_name="/ask"
            )
            result.latencies.append(time.perf_counter() - began)
            result.answers.append(answer)
            result.correct.append(any(gold in answer for gold in turn["answers"]))
            history.append([turn["question"], answer])
    except Exception as exc:  # report it with the others rather than stop the run
        result.error = f"{type(exc).__name__}: {exc}"
    return result


def run(url: str, conversations: int, cases: list[dict[str, Any]]) -> int:
    start = threading.Barrier(conversations + 1)
    with ThreadPoolExecutor(max_workers=conversations) as pool:
        futures = [
            pool.submit(converse, url, cases[i % len(cases)], start) for i in range(conversations)
        ]
        start.wait()  # every client is connected: the clock starts for all at once
        began = time.perf_counter()
        results = [f.result() for f in futures]
        wall = time.perf_counter() - began
    answers = [lat for r in results for lat in r.latencies]
    per_conversation = [sum(r.latencies) for r in results if not r.error]
    turns_total = sum(len(cases[i % len(cases)]["turns"]) for i in range(conversations))
    turns_correct = sum(sum(r.correct) for r in results)
    full = sum(1 for r in results if not r.error and all(r.correct))
    print(f"{conversations} concurrent conversations against {url}")
    print(f"  wall time            {wall:6.2f} s   ({len(answers) / wall:.1f} answers/s)")
    if answers:
        print(
            f"  latency per answer   p50 {percentile(answers, 50):.3f} s   "
            f"p95 {percentile(answers, 95):.3f} s   max {max(answers):.3f} s"
        )
    if per_conversation:
        print(
            f"  per conversation     p50 {percentile(per_conversation, 50):.3f} s   "
            f"p95 {percentile(per_conversation, 95):.3f} s"
        )
    print(f"  answers correct      {turns_correct}/{turns_total}")
    print(f"  conversations right  {full}/{conversations}")
    for r in results:
        if r.error or not all(r.correct):
            print(f"  MISS {r.case_id}: {r.error or r.answers}", file=sys.stderr)
    return 0 if full == conversations else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running app; default: start app.py on a free port")
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--cases", type=Path, default=SEED, help="JSONL with followup cases")
    parser.add_argument("--data-dir", type=Path, help="for the started app; default: a temp dir")
    parser.add_argument("--ready-timeout", type=float, default=600.0)
    args = parser.parse_args()
    cases = followups(args.cases)
    if args.url:
        wait_until_ready(args.url, args.ready_timeout)
        raise SystemExit(run(args.url, args.conversations, cases))
    with serve_app(args.data_dir) as url:
        started = time.perf_counter()
        status = wait_until_ready(url, args.ready_timeout)
        print(f"app ready in {time.perf_counter() - started:.1f} s: {status['status']}")
        code = run(url, args.conversations, cases)
    raise SystemExit(code)


if __name__ == "__main__":
    main()
