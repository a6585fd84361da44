"""Ingest as the command runs it: ``assistant ingest FILE`` timed end to end (issue 23).

    HF_HUB_OFFLINE=1 .venv/bin/python bench/ingest_command.py --paragraphs 150,600 --rounds 2 \\
        --json artifacts/ingest_command.json
    HF_HUB_OFFLINE=1 .venv/bin/python bench/ingest_command.py --tiny      # ~2 min, every config

What a user runs, not the pipeline called in process (``bench/ingest_speed.py``): for each
``--paragraphs`` value the first N KorQuAD 1.0 dev paragraphs are written as one JSONL
file (``load_squad``, read-only source, converted at run time into ``--work``), and each
configuration in each round runs, in a subprocess with a fresh data dir:

* ``assistant --data-dir FRESH ingest EMPTY`` — the **start-up**: Python, imports, the
  settings, the model (tokenizer, the query encoder, its first call), Chroma, the catalog;
  the same command over a folder with nothing in it, so nothing is embedded. OpenVINO
  compiles the passage encoder at the first passage, so that cost stays in the ingest.
* ``assistant --data-dir FRESH ingest FILE`` — the **ingest**, with its progress bars (as a
  user sees them; ``--quiet`` drops them): the wall clock of the whole process, the
  command's own report line (``… N chunks embedded, T s)``: N and T are parsed), the peak
  RSS of the process (``os.wait4``: the largest of it and its children, not their sum) and
  the data dir's size on disk afterwards (Chroma + catalog + BM25; the prepared model
  folder is ``ASSISTANT_MODEL_DIR``, outside it). The reported N is checked against the
  chunks the catalog holds.

Configurations are names for sets of ``ASSISTANT_*`` variables (``CONFIGS``; ``--configs``
picks, ``--set NAME.VAR=VALUE`` changes or adds): ``today`` is the current defaults made
explicit, ``new`` the pipeline a change proposes (a placeholder until that change: pooled
sentence vectors). Rounds alternate the configurations, so load drift hits all of them;
the load average is printed with every run (this machine is shared).

The **peer** is the plain LangChain recipe, in a subprocess of its own the same way:
``RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50)`` over title + text of
each paragraph, the same e5 folder in sentence-transformers (torch, float32) with
``passage: `` prefixes, batch 32, normalised, stored with those embeddings in an embedded
``chromadb.PersistentClient`` collection (telemetry off). Its model load is timed apart
from the split + embed + add. ``langchain-text-splitters`` comes with the ``test`` extra
(in ``requirements.lock``); a venv without it gets it once with
``pip install --target PEER_LIBS langchain-text-splitters==1.1.3 --no-deps``, put on the
peer's ``PYTHONPATH`` only.

The command run is this checkout's (its root is put first on ``PYTHONPATH``), with the
venv's ``assistant`` script (``--assistant`` to choose another). Printed: one line per run,
a table of the best round per configuration (by the command's own chunks/s), ratios to
``today`` and to the peer of the same run; ``--json`` writes every run and the table.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's assistant package, for load_squad and Settings
KORQUAD = Path("/work/shared/eval/korquad-v1-dev/KorQuAD_v1.0_dev.json")
PEER_SPLITTERS = "langchain-text-splitters==1.1.3"
PEER = "langchain-peer"
# the current defaults (assistant/settings.py), written out so a changed default cannot
# silently change what ``today`` measures
CONFIGS: dict[str, dict[str, str]] = {
    "today": {
        "ASSISTANT_EMBEDDING_BACKEND": "openvino-bf16",
        "ASSISTANT_SENTENCE_VECTORS": "separate",
        "ASSISTANT_INGEST_WORKERS": "0",
        "ASSISTANT_CHUNK_TOKENS": "200",
        "ASSISTANT_CHUNK_OVERLAP_SENTENCES": "1",
    },
    # placeholder for the change issue 23 asks for; that change fills it in
    "new": {
        "ASSISTANT_EMBEDDING_BACKEND": "openvino-bf16",
        "ASSISTANT_SENTENCE_VECTORS": "pooled",
        "ASSISTANT_INGEST_WORKERS": "0",
        "ASSISTANT_CHUNK_TOKENS": "200",
        "ASSISTANT_CHUNK_OVERLAP_SENTENCES": "1",
    },
}
REPORT = re.compile(r"(\d+) chunks embedded, ([\d.]+) s\)")
TINY_PARAGRAPHS = 12


# ---------------------------------------------------------------- measuring a process


def run_measured(cmd: list[str], env: dict[str, str], log: Path, cwd: Path) -> dict[str, Any]:
    """Run ``cmd`` to its end: wall seconds, peak RSS (MB), exit code, stdout.

    ``os.wait4`` gives the rusage of this one child (with its own waited-for children),
    so runs do not mix as ``RUSAGE_CHILDREN`` would.
    """
    out_path, err_path = log.with_suffix(".out"), log.with_suffix(".err")
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
    stdout = out_path.read_text(encoding="utf-8", errors="replace")
    if proc.returncode != 0:
        tail = err_path.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{stdout[-2000:]}\n{tail}")
    return {
        "wall_s": round(wall, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux: kilobytes
        "stdout": stdout,
    }


def disk_mb(path: Path) -> float:
    """Size on disk (allocated blocks) of everything under ``path``, in MB."""
    total = sum(f.lstat().st_blocks * 512 for f in path.rglob("*") if f.is_file())
    return round(total / 2**20, 2)


def load_avg() -> float:
    return round(os.getloadavg()[0], 2)


def base_env(model_dir: Path) -> dict[str, str]:
    """The caller's environment without its ASSISTANT_* settings, offline, this checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", COLUMNS="120")
    env["ASSISTANT_MODEL_DIR"] = str(model_dir)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


# ---------------------------------------------------------------- the command


def catalog_counts(data_dir: Path) -> tuple[int, int]:
    """(documents, chunks) the catalog holds after an ingest."""
    (path,) = data_dir.glob("index/*/catalog.sqlite")  # DATA_DIR/index/<collection>/
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        docs = db.execute("SELECT COUNT(*) FROM docs").fetchone()[0]
        chunks = db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
    finally:
        db.close()
    return int(docs), int(chunks)


def run_command(
    args: argparse.Namespace, name: str, settings: dict[str, str], corpus: Path, tag: str
) -> dict[str, Any]:
    """Start-up, then the ingest, of ``assistant ingest`` with one configuration."""
    env = {**base_env(args.model_dir), **settings}
    work: Path = args.work
    empty = work / "empty"
    empty.mkdir(exist_ok=True)
    cli = [str(args.assistant)]
    quiet = ["--quiet"] if args.quiet else []

    fresh = work / f"data-{tag}-startup"
    load_start = load_avg()
    start = run_measured(
        [*cli, "--data-dir", str(fresh), "ingest", *quiet, str(empty)], env, fresh, work
    )
    shutil.rmtree(fresh, ignore_errors=True)

    fresh = work / f"data-{tag}"
    load_ingest = load_avg()
    run = run_measured(
        [*cli, "--data-dir", str(fresh), "ingest", *quiet, str(corpus)], env, fresh, work
    )
    found = REPORT.search(run["stdout"])
    if found is None:
        raise SystemExit(f"no report line in the output of {name}:\n{run['stdout']}")
    chunks, seconds = int(found.group(1)), float(found.group(2))
    docs, stored = catalog_counts(fresh)
    size = disk_mb(fresh)
    if not args.keep:
        shutil.rmtree(fresh, ignore_errors=True)
    return {
        "name": name,
        "kind": "command",
        "paragraphs": docs,
        "chunks": chunks,
        "chunks_stored": stored,
        "ingest_s": seconds,  # the command's own timer (its report line)
        "wall_s": run["wall_s"],  # the whole process, start-up included
        "startup_wall_s": start["wall_s"],
        "chunks_per_s": round(chunks / seconds, 2) if seconds else 0.0,
        "chunks_per_s_wall": round(chunks / run["wall_s"], 2),
        "paragraphs_per_s": round(docs / seconds, 2) if seconds else 0.0,
        "peak_rss_mb": run["peak_rss_mb"],
        "startup_peak_rss_mb": start["peak_rss_mb"],
        "index_mb": size,
        "load_avg": load_ingest,
        "load_avg_startup": load_start,
        "report": found.group(0),
    }


# ---------------------------------------------------------------- the LangChain peer


def peer_libs_ready(args: argparse.Namespace) -> str | None:
    """A PYTHONPATH entry for langchain_text_splitters, installing it there once if the
    venv lacks it; None if the venv has it."""
    probe = [sys.executable, "-c", "import langchain_text_splitters"]
    if subprocess.run(probe, capture_output=True, check=False).returncode == 0:
        return None
    libs: Path = args.peer_libs
    env = {**os.environ, "PYTHONPATH": str(libs)}
    if subprocess.run(probe, capture_output=True, check=False, env=env).returncode != 0:
        print(f"installing {PEER_SPLITTERS} into {libs} (for the peer only)", flush=True)
        pip = [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(libs)]
        subprocess.run([*pip, PEER_SPLITTERS, "--no-deps"], check=True)
    return str(libs)


def run_peer(args: argparse.Namespace, corpus: Path, tag: str, libs: str | None) -> dict[str, Any]:
    """The LangChain recipe on the same file, in its own process."""
    env = base_env(args.model_dir)
    if libs:
        env["PYTHONPATH"] = os.pathsep.join([libs, env["PYTHONPATH"]])
    fresh = args.work / f"data-{tag}-peer"
    result = fresh.with_suffix(".json")
    load = load_avg()
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--peer-child",
        str(corpus),
        str(fresh),
        str(result),
        "--model-dir",
        str(args.model_dir),
    ]
    run = run_measured(cmd, env, fresh, args.work)
    own = json.loads(result.read_text(encoding="utf-8"))
    size = disk_mb(fresh)
    if not args.keep:
        shutil.rmtree(fresh, ignore_errors=True)
    seconds = own["ingest_s"]
    return {
        "name": PEER,
        "kind": "peer",
        "paragraphs": own["paragraphs"],
        "chunks": own["chunks"],
        "chunks_stored": own["chunks_stored"],
        "ingest_s": round(seconds, 2),  # split + embed + add, model loaded
        "wall_s": run["wall_s"],
        "startup_wall_s": round(own["startup_s"], 2),  # imports + model load, in-process
        "chunks_per_s": round(own["chunks"] / seconds, 2) if seconds else 0.0,
        "chunks_per_s_wall": round(own["chunks"] / run["wall_s"], 2),
        "paragraphs_per_s": round(own["paragraphs"] / seconds, 2) if seconds else 0.0,
        "peak_rss_mb": run["peak_rss_mb"],
        "index_mb": size,
        "load_avg": load,
    }


def peer_child(corpus: Path, data: Path, result: Path, model_dir: Path) -> None:
    """Inside the peer's process: load, then split + embed + store, each timed."""
    started = time.perf_counter()
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_text_splitters import RecursiveCharacterTextSplitter
    from sentence_transformers import SentenceTransformer

    folder = next(p.parent for p in sorted(model_dir.glob("*/modules.json")))
    model = SentenceTransformer(str(folder), device="cpu")
    model.encode(["passage: 준비 운동"], normalize_embeddings=True)  # first-call costs
    client = chromadb.PersistentClient(
        path=str(data), settings=ChromaSettings(anonymized_telemetry=False)
    )
    startup = time.perf_counter() - started

    began = time.perf_counter()
    records = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines()]
    splitter = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50)
    ids, texts, metas = [], [], []
    for record in records:
        for n, piece in enumerate(splitter.split_text(f"{record['title']}\n{record['text']}")):
            ids.append(f"{record['id']}:{n}")
            texts.append(piece)
            metas.append({"doc_id": record["id"], "title": record["title"]})
    vectors = model.encode(
        [f"passage: {t}" for t in texts], batch_size=32, normalize_embeddings=True
    )
    collection = client.create_collection(
        "peer", metadata={"hnsw:space": "cosine"}, embedding_function=None
    )
    step = client.get_max_batch_size()
    for i in range(0, len(ids), step):
        collection.add(
            ids=ids[i : i + step],
            documents=texts[i : i + step],
            metadatas=metas[i : i + step],  # type: ignore[arg-type]
            embeddings=vectors[i : i + step].tolist(),
        )
    seconds = time.perf_counter() - began
    payload = {
        "paragraphs": len(records),
        "chunks": len(ids),
        "chunks_stored": collection.count(),
        "ingest_s": seconds,
        "startup_s": startup,
    }
    result.write_text(json.dumps(payload), encoding="utf-8")


# ---------------------------------------------------------------- the run


def write_corpus(work: Path, source: Path, counts: list[int]) -> dict[int, Path]:
    """The first N paragraphs as one JSONL file in a folder of its own, for each N."""
    from assistant.evaluation.squad import load_squad

    everything = work / "all.jsonl"
    load_squad(source, everything)
    lines = everything.read_text(encoding="utf-8").splitlines()
    files = {}
    for n in counts:
        folder = work / f"korquad-{n}"
        folder.mkdir(exist_ok=True)
        (folder / "korquad.jsonl").write_text("\n".join(lines[:n]) + "\n", encoding="utf-8")
        files[n] = folder / "korquad.jsonl"
    everything.unlink()
    return files


def check_today(today: dict[str, str]) -> None:
    """Say so if ``today`` is no longer the defaults (assistant/settings.py)."""
    from assistant.settings import Settings

    for var, value in today.items():
        field = Settings.model_fields.get(var.removeprefix("ASSISTANT_").lower())
        if field is not None and str(field.default) != value:
            print(f"note: today sets {var}={value}; the default is now {field.default}")


def summarise(rows: list[dict[str, Any]], names: list[str]) -> list[dict[str, Any]]:
    """The best round of each configuration (by its own chunks/s), with ratios."""
    table = []
    for n in sorted({r["size"] for r in rows}):
        best = {}
        for name in names:
            mine = [r for r in rows if r["size"] == n and r["name"] == name]
            if mine:
                best[name] = max(mine, key=lambda r: r["chunks_per_s"])
        today, peer = best.get("today"), best.get(PEER)
        for row in best.values():
            entry = {k: row[k] for k in row if k not in ("report", "round")}
            for ref_name, ref in (("today", today), ("peer", peer)):
                for key in ("chunks_per_s", "chunks_per_s_wall", "paragraphs_per_s"):
                    ratio = row[key] / ref[key] if ref and ref[key] else None
                    entry[f"{key}_vs_{ref_name}"] = round(ratio, 2) if ratio else None
            table.append(entry)
    return table


def ratio(value: float | None) -> str:
    return f"{value:.2f}x" if value else "-"


def print_table(table: list[dict[str, Any]]) -> None:
    head = (
        f"{'paras':>5} {'configuration':15} {'chunks':>6} {'own s':>7} {'wall s':>7} "
        f"{'start s':>7} {'chunks/s':>8} {'wall c/s':>8} {'paras/s':>7} {'RSS MB':>7} "
        f"{'index MB':>8} {'load':>5}  vs today: chunks/s own, wall  "
        "vs peer: chunks/s own, wall, paras/s"
    )
    print("\n" + head)
    for e in table:
        print(
            f"{e['size']:>5} {e['name']:15} {e['chunks']:>6} {e['ingest_s']:>7.2f} "
            f"{e['wall_s']:>7.2f} {e['startup_wall_s']:>7.2f} {e['chunks_per_s']:>8.1f} "
            f"{e['chunks_per_s_wall']:>8.1f} {e['paragraphs_per_s']:>7.1f} "
            f"{e['peak_rss_mb']:>7.0f} {e['index_mb']:>8.1f} {e['load_avg']:>5.2f}  "
            f"{ratio(e['chunks_per_s_vs_today']):>19}, {ratio(e['chunks_per_s_wall_vs_today']):<6}"
            f"  {ratio(e['chunks_per_s_vs_peer']):>20}, {ratio(e['chunks_per_s_wall_vs_peer'])}, "
            f"{ratio(e['paragraphs_per_s_vs_peer'])}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--paragraphs", default="150,600", help="comma-separated sizes")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--configs",
        default=",".join(CONFIGS),
        help=f"comma-separated, of {', '.join(CONFIGS)} or new names",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME.VAR=VALUE",
        help="change or add a configuration's ASSISTANT_* variable",
    )
    parser.add_argument("--no-peer", action="store_true", help="leave the LangChain peer out")
    parser.add_argument(
        "--tiny",
        action="store_true",
        help=f"{TINY_PARAGRAPHS} paragraphs, 1 round, every config (a check)",
    )
    parser.add_argument("--quiet", action="store_true", help="run the command with --quiet")
    parser.add_argument("--keep", action="store_true", help="keep the data dirs")
    parser.add_argument("--korquad", type=Path, default=KORQUAD)
    parser.add_argument(
        "--model-dir",
        type=Path,
        default=Path(os.environ.get("ASSISTANT_MODEL_DIR", ROOT / ".data" / "models")),
    )
    parser.add_argument(
        "--assistant", type=Path, default=Path(sys.executable).with_name("assistant")
    )
    parser.add_argument("--work", type=Path, help="work folder (default: a new temporary one)")
    parser.add_argument(
        "--peer-libs", type=Path, default=Path(tempfile.gettempdir()) / "ingest-command-peer-libs"
    )
    parser.add_argument("--json", type=Path)
    parser.add_argument("--peer-child", nargs=3, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peer_child:
        peer_child(*args.peer_child, args.model_dir)
        return
    if args.tiny:
        args.paragraphs, args.rounds = str(TINY_PARAGRAPHS), 1
    names = args.configs.split(",")
    configs = {name: dict(CONFIGS.get(name, {})) for name in names}
    for item in args.set:
        target, value = item.split("=", 1)
        name, key = target.split(".", 1)
        configs.setdefault(name, {})[key] = value
        if name not in names:
            names.append(name)
    if not (args.model_dir / "multilingual-e5-small" / "modules.json").is_file():
        parser.error(f"no prepared model in {args.model_dir} (assistant models prepare)")
    args.model_dir = args.model_dir.resolve()
    args.work = (args.work or Path(tempfile.mkdtemp(prefix="ingest-command-"))).resolve()
    args.work.mkdir(parents=True, exist_ok=True)
    sizes = [int(n) for n in args.paragraphs.split(",")]
    files = write_corpus(args.work, args.korquad, sizes)
    if "today" in configs:
        check_today(configs["today"])
    libs = None if args.no_peer else peer_libs_ready(args)
    order = [*names] + ([] if args.no_peer else [PEER])
    print(f"cpus {os.cpu_count()}, work {args.work}, model {args.model_dir}", flush=True)
    for name in names:
        print(f"  {name}: {' '.join(f'{k}={v}' for k, v in configs[name].items())}")

    rows: list[dict[str, Any]] = []
    for n in sizes:
        for rnd in range(args.rounds):
            # alternate the order every round, so drift in the machine's load hits all
            for name in order if rnd % 2 == 0 else order[::-1]:
                tag = f"{n}-{rnd}-{re.sub(r'[^A-Za-z0-9]+', '_', name)}"
                if name == PEER:
                    row = run_peer(args, files[n], tag, libs)
                else:
                    row = run_command(args, name, configs[name], files[n], tag)
                row.update(size=n, round=rnd + 1)
                rows.append(row)
                print(
                    f"{n} paragraphs, round {rnd + 1}, {name}: {row['chunks']} chunks, "
                    f"own {row['ingest_s']:.2f} s ({row['chunks_per_s']:.1f} chunks/s), "
                    f"wall {row['wall_s']:.2f} s, start-up {row['startup_wall_s']:.2f} s, "
                    f"RSS {row['peak_rss_mb']:.0f} MB, index {row['index_mb']:.1f} MB, "
                    f"load {row['load_avg']:.2f}",
                    flush=True,
                )
    table = summarise(rows, order)
    print_table(table)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "paragraphs": sizes,
            "rounds": args.rounds,
            "configs": configs,
            "peer": None
            if args.no_peer
            else {
                "splitter": "RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50)",
                "embedding": "sentence-transformers, torch fp32, 'passage: ', batch 32",
                "store": "chromadb.PersistentClient, cosine",
            },
            "cpus": os.cpu_count(),
            "runs": rows,
            "best": table,
        }
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
