"""Ingest throughput: today's pipeline against the new one, on the same texts, in one run.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/ingest_speed.py --paragraphs 150 --rounds 2 \\
        --json artifacts/ingest_speed.json

Each configuration is a set of settings; ``baseline`` is the pipeline as it was before
issue 10 (torch fp32, every sentence embedded in a pass of its own, Korean analysis in
the ingest loop), kept runnable through those settings. The texts are the first
``--paragraphs`` KorQuAD 1.0 dev paragraphs written as one JSONL file (read-only source,
converted at run time). Every round ingests them into a fresh data dir with each
configuration in turn (alternating, so a change in the machine's load hits both), after the
model is loaded and warmed up: the figure is the ingest itself (parse, chunk, analyse,
embed, write Chroma + catalog, build BM25), in chunks per second. Model loading is
printed apart. The load average is printed with every round: this machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant import configure_threads
from assistant.evaluation.squad import load_squad
from assistant.pipeline.service import Assistant
from assistant.settings import PROJECT_ROOT, Settings

KORQUAD = Path("/work/shared/eval/korquad-v1-dev/KorQuAD_v1.0_dev.json")
CONFIGS: dict[str, dict[str, object]] = {
    # the pipeline before issue 10: torch fp32, a pass per sentence, analysis in the loop
    "baseline": {"embedding_backend": "torch", "sentence_vectors": "separate", "ingest_workers": 0},
    "openvino": {
        "embedding_backend": "openvino-bf16",
        "sentence_vectors": "separate",
        "ingest_workers": 0,
    },
    "openvino+worker": {
        "embedding_backend": "openvino-bf16",
        "sentence_vectors": "separate",
        "ingest_workers": 1,
    },
    "openvino+worker+pooled": {
        "embedding_backend": "openvino-bf16",
        "sentence_vectors": "pooled",
        "ingest_workers": 1,
    },
}


def corpus(paragraphs: int, work: Path, source: Path) -> Path:
    """The first ``paragraphs`` KorQuAD paragraphs as one JSONL file in a folder."""
    everything = work / "all.jsonl"
    load_squad(source, everything)
    lines = everything.read_text(encoding="utf-8").splitlines()[:paragraphs]
    folder = work / "news"
    folder.mkdir()
    (folder / "korquad.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--paragraphs", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--set", action="append", default=[], metavar="CONFIG.KEY=VALUE",
                        help="change or add a configuration's setting")  # fmt: skip
    parser.add_argument("--korquad", type=Path, default=KORQUAD)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    configs = {name: dict(CONFIGS.get(name, {})) for name in args.configs.split(",")}
    for item in args.set:
        target, value = item.split("=", 1)
        name, key = target.split(".", 1)
        configs.setdefault(name, {})[key] = value
    configure_threads(None)  # every core for ingest, as `assistant ingest` does
    work = Path(tempfile.mkdtemp(prefix="ingest-speed-"))
    folder = corpus(args.paragraphs, work, args.korquad)
    model_dir = PROJECT_ROOT / ".data" / "models"
    results: dict[str, list[dict[str, float]]] = {name: [] for name in configs}
    for rnd in range(args.rounds):
        for name, overrides in configs.items():
            data = work / f"data-{name}-{rnd}"
            settings = Settings(data_dir=data, model_dir=model_dir, **overrides)  # type: ignore[arg-type]
            loading = time.perf_counter()
            with Assistant(settings) as qa:
                qa.embedder.embed_passages(["준비 운동"])  # first-call costs out of the figure
                loaded = time.perf_counter() - loading
                started = time.perf_counter()
                report = qa.ingest([folder], progress=False)
                seconds = time.perf_counter() - started
            row = {
                "chunks": report.chunks_embedded,
                "sentences": report.sentences_embedded,
                "seconds": round(seconds, 2),
                "chunks_per_s": round(report.chunks_embedded / seconds, 2),
                "model_load_s": round(loaded, 2),
                "load_avg": round(os.getloadavg()[0], 2),
            }
            results[name].append(row)
            print(f"round {rnd + 1} {name:18s} {row}", flush=True)
    base = (
        max(r["chunks_per_s"] for r in results.get("baseline", []))
        if "baseline" in results
        else None
    )
    print("\nconfiguration        best chunks/s   vs baseline (best)")
    for name, rows in results.items():
        best = max(r["chunks_per_s"] for r in rows)
        ratio = f"{best / base:.2f}x" if base else "-"
        print(f"{name:20s} {best:12.1f}   {ratio}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {"paragraphs": args.paragraphs, "configs": configs, "results": results}
        args.json.write_text(json.dumps(payload, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
