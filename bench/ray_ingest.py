"""Ray ingest throughput against the local pipeline, on the same texts, in one run.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/ray_ingest.py --paragraphs 600 --rounds 2 \\
        --work-dir /work/bench-data/wt11r --json /work/bench-data/wt11r/ray_ingest.json

Configurations (``--configs``): ``local`` is ``assistant ingest`` as shipped (OpenVINO on
every core, analysis in the loop); ``ray-1x2`` a one-node Ray cluster of 2 CPUs (two
encoders of 1 CPU); ``ray-1x1`` one node of 1 CPU; ``ray-2x1`` two nodes of 1 CPU each;
``ray-1x2-one`` (not run by default) one node of 2 CPUs with one encoder of 2 CPUs. The
nodes are real Ray nodes (``ray.cluster_utils.Cluster``) on this machine (its own
address: see tests/integration/cluster/conftest.py), so "two nodes" share its two cores.
A node of 1 CPU is pinned to a core of its own (``sched_setaffinity``, inherited by the
node's processes; the head's core is shared with the driver, as on a real head node), so
``ray-1x1`` is a one-core machine and ``ray-2x1`` two one-core machines; ``--no-pin``
leaves them free.

The texts are ``ingest_speed.corpus``: the first ``--paragraphs`` KorQuAD 1.0 dev
paragraphs as one JSONL file, converted at run time under ``--work-dir`` (never in the
repository). Each configuration ingests them into a fresh data dir; the figure is the
ingest alone (parse, analyse, embed, write Chroma + catalog, build BM25), after the model
(and, for Ray, the cluster and every actor) is up: those start-up times are printed
apart. Every row also gives the CPU time the ingest used (this process and all its
descendants: the local pipeline, or the driver and the whole Ray cluster), which a busy
machine hardly changes; the Ray rows say how long the driver waited for the encoders
(``encode_wait_s``): the rest of the ingest is planning, analysis waits and writes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant import configure_threads
from assistant.pipeline.service import Assistant
from assistant.settings import PROJECT_ROOT, Settings
from bench.ingest_speed import KORQUAD, corpus
from bench.perf import peak_rss_mb


def tree_cpu() -> dict[int, float]:
    """CPU seconds (user + system) of this process and every descendant, by pid: the
    local pipeline, or the driver with the whole Ray cluster it started (``Cluster``
    nodes are its children). Busy neighbours on the machine slow the wall clock but
    hardly change this, so it shows what the work itself costs."""
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        used[pid] = (int(fields[11]) + int(fields[12])) / tick
    mine, todo = set(), [os.getpid()]
    while todo:
        pid = todo.pop()
        mine.add(pid)
        todo.extend(p for p, parent in parents.items() if parent == pid and p not in mine)
    return {pid: used[pid] for pid in mine if pid in used}


def cpu_since(before: dict[int, float]) -> float:
    """CPU seconds the process tree used since ``before`` (new processes from zero)."""
    return sum(t - before.get(pid, 0.0) for pid, t in tree_cpu().items())


# nodes (CPUs each) of the Ray cluster; local has none
CONFIGS: dict[str, tuple[tuple[int, ...], dict[str, Any]]] = {
    "local": ((), {}),
    "ray-1x2": ((2,), {}),  # two encoders of 1 CPU (ray_encoder_cpus = 1, the default)
    "ray-1x2-one": ((2,), {"ray_encoder_cpus": 2}),  # one encoder of 2 CPUs
    "ray-1x1": ((1,), {}),
    "ray-2x1": ((1, 1), {}),
}


def run_local(settings: Settings, folder: Path) -> dict[str, Any]:
    """One ingest with the local pipeline, after the model is loaded and warm."""
    loading = time.perf_counter()
    with Assistant(settings) as qa:
        qa.embedder.embed_passages(["준비 운동"])  # first-call costs out of the figure
        startup = time.perf_counter() - loading
        cpu = tree_cpu()
        started = time.perf_counter()
        report = qa.ingest([folder], progress=False)
        seconds = time.perf_counter() - started
        used = cpu_since(cpu)
    return {"report": report, "seconds": seconds, "startup_s": startup, "cpu_s": used}


def run_ray(
    settings: Settings, folder: Path, nodes: tuple[int, ...], pinned: bool = True
) -> dict[str, Any]:
    """One ingest on a fresh cluster of ``nodes`` on this machine, once every actor is up.

    :param pinned: give each node of 1 CPU a core of its own (the head's shared with this
        driver, as on a real head node), so "1 CPU" is one core, not a share of two.
    """
    import ray
    from ray.cluster_utils import Cluster

    from assistant.indexing.ray_ingest import RayIngest

    loading = time.perf_counter()
    everywhere = os.sched_getaffinity(0)
    cores = sorted(everywhere)
    pin = pinned and all(n == 1 for n in nodes) and len(nodes) <= len(cores)
    head = {"num_cpus": nodes[0], "include_dashboard": False}
    try:
        # a node of 1 CPU gets a core of its own: its processes (and, for the head, this
        # driver's) inherit the affinity of this process when the node starts
        if pin:
            os.sched_setaffinity(0, {cores[0]})
        cluster = Cluster(initialize_head=True, head_node_args=head)
        for i, cpus in enumerate(nodes[1:], start=1):
            if pin:
                os.sched_setaffinity(0, {cores[i]})
            cluster.add_node(num_cpus=cpus)
        if pin:
            os.sched_setaffinity(0, {cores[0]})
        cluster.wait_for_nodes()
        ray.init(address=cluster.address, log_to_driver=False, configure_logging=False)
        with RayIngest(settings, cluster.address) as workers, Assistant(settings) as qa:
            workers.ready()
            waited = [0.0]
            encode = workers.encode

            def timed(docs: Any, progress: Any) -> Any:
                t = time.perf_counter()
                try:
                    return encode(docs, progress)
                finally:
                    waited[0] += time.perf_counter() - t

            workers.encode = timed  # type: ignore[method-assign]
            startup = time.perf_counter() - loading
            cpu = tree_cpu()
            started = time.perf_counter()
            report = qa.ingest([folder], progress=False, cluster=workers)
            seconds = time.perf_counter() - started
            used = cpu_since(cpu)
            encoders = len(workers.encoders)
    finally:
        ray.shutdown()
        cluster.shutdown()
        os.sched_setaffinity(0, everywhere)
    return {
        "report": report,
        "seconds": seconds,
        "startup_s": startup,
        "cpu_s": used,
        "encoders": encoders,
        "encode_wait_s": round(waited[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--paragraphs", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--configs", default="local,ray-1x2,ray-1x1,ray-2x1")
    parser.add_argument("--work-dir", type=Path, default=Path("/work/bench-data/wt11r"))
    parser.add_argument("--korquad", type=Path, default=KORQUAD)
    parser.add_argument("--model-dir", type=Path, default=PROJECT_ROOT / ".data" / "models")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--no-pin", action="store_true", help="leave 1-CPU nodes unpinned")
    args = parser.parse_args()
    names = args.configs.split(",")
    configure_threads(None)  # every core for ingest, as `assistant ingest` does
    work = args.work_dir / time.strftime("run-%Y%m%d-%H%M%S")
    work.mkdir(parents=True)
    folder = corpus(args.paragraphs, work, args.korquad)
    model_dir = args.model_dir.resolve()
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for rnd in range(args.rounds):
        for name in names:  # alternating, so a change in the machine's load hits all
            nodes, overrides = CONFIGS[name]
            data = work / f"data-{name}-{rnd}"
            settings = Settings(data_dir=data, model_dir=model_dir, **overrides)
            before = os.getloadavg()[0]
            got = (
                run_ray(settings, folder, nodes, not args.no_pin)
                if nodes
                else run_local(settings, folder)
            )
            report = got.pop("report")
            row_seconds = got.pop("seconds")
            row = {
                "chunks": report.chunks_embedded,
                "sentences": report.sentences_embedded,
                "seconds": round(row_seconds, 2),
                "chunks_per_s": round(report.chunks_embedded / row_seconds, 2),
                "startup_s": round(got.pop("startup_s"), 2),
                "cpu_s": round(got["cpu_s"], 1),
                "cpu_ms_per_chunk": round(1000 * got.pop("cpu_s") / report.chunks_embedded, 1),
                "load_before": round(before, 2),
                "load_after": round(os.getloadavg()[0], 2),
                "driver_peak_rss_mb": round(peak_rss_mb()),
                **got,
            }
            results[name].append(row)
            print(f"round {rnd + 1} {name:8s} {row}", flush=True)
    best = {name: max(r["chunks_per_s"] for r in rows) for name, rows in results.items()}
    cost = {name: min(r["cpu_ms_per_chunk"] for r in rows) for name, rows in results.items()}
    print("\nconfiguration  best chunks/s  least CPU ms/chunk")
    for name, value in best.items():
        print(f"{name:12s} {value:10.1f} {cost[name]:14.1f}")
    ratios = {}
    if "local" in best and "ray-1x2" in best:
        ratios["ray-1x2 / local"] = best["ray-1x2"] / best["local"]
    if "ray-1x1" in best and "ray-2x1" in best:
        ratios["ray-2x1 / ray-1x1"] = best["ray-2x1"] / best["ray-1x1"]
    for label, value in ratios.items():
        print(f"{label:20s} {value:.2f}x")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {"paragraphs": args.paragraphs, "results": results, "ratios": ratios}
        args.json.write_text(json.dumps(payload, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
