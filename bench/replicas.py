"""Replicas over one Chroma server: what the server as the record costs, and what it gives.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/replicas.py --paragraphs 600 \\
        --work-dir /work/bench-data/replicas --json artifacts/replicas.json

On the same texts (the first ``--paragraphs`` KorQuAD 1.0 dev paragraphs, read at run
time) and in one run, it measures:

* ingest throughput into the embedded store and into a real ``chroma run`` server (the
  server then also holds every document's record: text, chunks, morphemes, sentence
  vectors), chunks per second, the load average beside each;
* a replica's start with an empty data dir (cold: the whole catalog read from the server,
  BM25 built) and again with its cache (warm), to the first answer, model load included;
* two replicas' answers to ``--questions`` KorQuAD questions and to the seed set
  (``evals/seed.jsonl`` over the bundled corpus, in a collection of its own): identical?
* freshness: seconds from the end of an ingest of a new article by a writer until the
  other replica's answer cites it (``server_sync_seconds`` at its default);
* the server's disk and resident memory per chunk, and the full read's rate.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from perf import KORQUAD, free_port, korquad

from assistant import Assistant
from assistant.evaluation.cases import load_cases
from assistant.settings import PROJECT_ROOT, Settings


def _load() -> float:
    return os.getloadavg()[0]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _disk_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20


def start_chroma(folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    """A real ``chroma run`` on loopback, answering heartbeats."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    cmd = [str(chroma), "run", "--path", str(folder), "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            chromadb.HttpClient(
                host="127.0.0.1", port=port, settings=ChromaSettings(anonymized_telemetry=False)
            ).heartbeat()
            return proc, port
        except Exception:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("chroma run did not start")


def answers_of(qa: Assistant, questions: list[str]) -> list[tuple[str, tuple[Any, ...]]]:
    out = []
    for q in questions:
        a = qa.ask(q)
        out.append((a.text, tuple((c.doc_id, c.start, c.end) for c in a.citations)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--paragraphs", type=int, default=600)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--work-dir", type=Path, default=Path("/work/bench-data/replicas"))
    parser.add_argument("--korquad", type=Path, default=KORQUAD)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    work: Path = args.work_dir
    if work.exists():
        subprocess.run(["rm", "-rf", str(work)], check=True)
    work.mkdir(parents=True)
    records, pairs = korquad(args.korquad)
    records = records[: args.paragraphs]
    kept = {r["id"] for r in records}
    questions = [q for q, d in pairs if d in kept][: args.questions]
    news = work / "news"
    news.mkdir()
    (news / "korquad.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records[:-1]), "utf-8"
    )
    late = work / "late"  # the article a writer adds while the replicas serve
    late.mkdir()
    (late / "late.jsonl").write_text(json.dumps(records[-1], ensure_ascii=False) + "\n", "utf-8")
    late_question = next(q for q, d in pairs if d == records[-1]["id"])

    proc, port = start_chroma(work / "chroma")
    models = Settings().models_dir
    server = {"chroma_host": "127.0.0.1", "chroma_port": port}
    result: dict[str, Any] = {"paragraphs": len(records), "questions": len(questions)}
    try:
        # ---------------------------------------------------------------- ingest
        for name, extra in (("embedded", {}), ("server", server)):
            qa = Assistant(Settings(data_dir=work / f"ingest-{name}", model_dir=models, **extra))
            qa.ask("워밍업 질문")  # model loaded and compiled before the clock starts
            load = _load()
            report = qa.ingest([news], progress=False)
            rate = report.chunks_embedded / report.seconds
            result[f"ingest_{name}"] = {
                "chunks": report.chunks_embedded,
                "seconds": round(report.seconds, 2),
                "chunks_per_s": round(rate, 1),
                "load": round(load, 2),
            }
            print(
                f"ingest {name:9s} {rate:6.1f} chunks/s ({report.chunks_embedded} chunks, "
                f"{report.seconds:.1f} s, load {load:.1f})",
                flush=True,
            )
            if name == "server":
                writer = qa
            else:
                qa.close()
        ratio = result["ingest_server"]["chunks_per_s"] / result["ingest_embedded"]["chunks_per_s"]
        result["ingest_server_vs_embedded"] = round(ratio, 3)
        print(f"server / embedded: {ratio:.3f}", flush=True)

        # ---------------------------------------------------------------- replica starts
        replica_settings = {
            n: Settings(data_dir=work / f"replica-{n}", model_dir=models, **server) for n in "ab"
        }
        starts: dict[str, float] = {}
        for label in ("cold", "warm"):
            t0 = time.perf_counter()
            qa = Assistant(replica_settings["a"])
            answer = qa.ask(questions[0])
            starts[label] = time.perf_counter() - t0
            assert answer.status in ("answered", "refused"), answer.text
            qa.close()
            print(f"replica start {label}: first answer after {starts[label]:.1f} s", flush=True)
        result["first_answer_s"] = {k: round(v, 2) for k, v in starts.items()}

        # ---------------------------------------------------------------- identical answers
        a, b = (Assistant(replica_settings[n]) for n in "ab")
        same = answers_of(a, questions) == answers_of(b, questions)
        seed_settings = {
            n: Settings(data_dir=work / f"seed-{n}", model_dir=models, collection="seed", **server)
            for n in ("writer", "a", "b")
        }
        seed_writer = Assistant(seed_settings["writer"])
        seed_writer.ingest([PROJECT_ROOT / "corpus"], progress=False)
        seed_q = [c.turns[0].question for c in load_cases(PROJECT_ROOT / "evals" / "seed.jsonl")]
        sa, sb = (Assistant(seed_settings[n]) for n in "ab")
        seed_answers = [answers_of(x, seed_q) for x in (seed_writer, sa, sb)]
        seed_same = seed_answers[0] == seed_answers[1] == seed_answers[2]
        result["identical"] = {"korquad": same, "seed": seed_same, "seed_questions": len(seed_q)}
        print(
            f"identical answers: korquad {same} ({len(questions)}), seed {seed_same} "
            f"({len(seed_q)})",
            flush=True,
        )

        # ---------------------------------------------------------------- freshness
        b.ask(late_question)
        done = writer.ingest([late], progress=False)
        t0 = time.perf_counter()
        while True:
            got = b.ask(late_question)
            if any(c.doc_id.endswith(records[-1]["id"]) for c in got.citations):
                break
            if time.perf_counter() - t0 > 300:
                break
            time.sleep(0.25)
        fresh = time.perf_counter() - t0
        result["freshness_s"] = round(fresh, 2)
        result["freshness_sync_seconds"] = b.settings.server_sync_seconds
        print(
            f"freshness: replica b cites the new article {fresh:.1f} s after the ingest "
            f"({done.new} new; sync every {b.settings.server_sync_seconds:.0f} s)",
            flush=True,
        )

        # ---------------------------------------------------------------- the server
        chunks = result["ingest_server"]["chunks"]
        result["server"] = {
            "disk_mb": round(_disk_mb(work / "chroma"), 1),
            "rss_mb": round(_rss_mb(proc.pid), 1),
            "chunks": chunks,
        }
        per_m = {
            k: round(v * 1e6 / chunks / 1024, 1)
            for k, v in result["server"].items()
            if k != "chunks"
        }
        result["server_gb_per_million_chunks"] = per_m
        print(f"server: {result['server']} → per million chunks (GB): {per_m}", flush=True)
        for x in (a, b, sa, sb, seed_writer, writer):
            x.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False), "utf-8")


if __name__ == "__main__":
    main()
