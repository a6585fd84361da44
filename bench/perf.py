"""Performance benchmark: ingest throughput, query latency at ~1k/10k/100k chunks, memory.

    python bench/perf.py                         # all phases, sizes 1000,10000,100000
    python bench/perf.py --sizes 1000,10000      # part of it
    python bench/perf.py --skip-ingest --sizes 1000 --queries 30

Why it is built this way:

* Each phase runs in its own child process, so the peak RSS reported for a phase
  (``resource.getrusage``) is that phase's own, e.g. a process serving queries at 100k
  chunks, not whatever an earlier phase left behind.
* Ingest throughput is the real pipeline (``Assistant.ingest``: parse, kiwi sentence split,
  chunking, embedding of chunks *and* sentences, BM25 terms, Chroma + catalog writes) on the
  first N KorQuAD paragraphs, next to ``SentenceTransformer.encode`` of the very same texts
  (chunks + sentences, same prefix and batch size): the ratio is the pipeline's overhead.
* Query stores: the ~1k size is real KorQuAD paragraphs, chunked by the real chunker and
  embedded by the real model. Larger sizes add synthetic Korean documents made by shuffling
  real sentences across paragraphs. Embedding 100k chunks is not feasible on 2 cores, so
  their vectors are derived from real-model vectors: every unique KorQuAD sentence is
  embedded once; a synthetic chunk's vector is the normalised mean of its sentences'
  vectors plus Gaussian noise, and its sentence vectors are the real ones plus noise
  (σ = ``NOISE`` per dimension, then re-normalised). The output states this again.
* Queries are KorQuAD questions sent through the whole in-process chain (query embedding,
  hybrid BM25 + dense search, extractive answer); recall@5 of the gold paragraph is printed
  as a sanity check of what the distractors do.

KorQuAD 1.0 dev (CC BY-ND 2.0 KR) is read from ``/work/shared/eval/korquad-v1-dev`` (or
``--korquad``) and converted in memory; nothing derived from it is written outside the work
directory (default ``DATA_DIR/bench``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from assistant import configure_threads
from assistant.evaluation.metrics import percentile
from assistant.evaluation.results import matches_gold
from assistant.settings import Settings

KORQUAD = Path("/work/shared/eval/korquad-v1-dev/KorQuAD_v1.0_dev.json")
NOISE = 0.005  # per-dimension σ of the perturbation (norm ≈ 0.1 on a 384-d unit vector)
SYNTH_SENTENCES = (4, 9)  # sentences per synthetic document, inclusive range
ADD_BATCH = 400  # documents per store.add call
REAL_CHUNKS = 1000  # real KorQuAD chunks (real vectors) at the start of every store


# ----------------------------------------------------------------------------- helpers


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def korquad(path: Path) -> tuple[list[dict[str, str]], list[tuple[str, str]]]:
    """(paragraph records, (question, gold doc id) pairs), duplicates merged as in evaluation."""
    data = json.loads(path.read_text("utf-8"))["data"]
    first: dict[str, str] = {}
    records, questions = [], []
    for article in data:
        for n, p in enumerate(article["paragraphs"]):
            doc_id = first.setdefault(p["context"], f"{article['title']}#{n}")
            if doc_id == f"{article['title']}#{n}":
                records.append({"id": doc_id, "title": article["title"], "text": p["context"]})
            questions.extend((qa["question"], doc_id) for qa in p["qas"])
    return records, questions


def bench_settings(args: argparse.Namespace, sub: str) -> Settings:
    base = Settings()
    return Settings(data_dir=Path(args.work_dir) / sub, model_dir=base.models_dir)


def _assistant(settings: Settings):
    from assistant import Assistant

    return Assistant(settings)


# ----------------------------------------------------------------------------- phases


def phase_ingest(args: argparse.Namespace) -> dict[str, Any]:
    """Real pipeline ingest of N paragraphs vs raw encode of the same texts."""
    from assistant.indexing.corpus import load_file
    from assistant.indexing.embedding import embed_text
    from assistant.storage.store import unique_sentences

    records, _ = korquad(Path(args.korquad))
    records = records[: args.ingest_docs]
    with tempfile.TemporaryDirectory(dir=args.work_dir) as tmp:
        corpus = Path(tmp) / "corpus" / "paragraphs.jsonl"
        corpus.parent.mkdir()
        corpus.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
        settings = Settings(data_dir=Path(tmp) / "data", model_dir=Settings().models_dir)
        qa = _assistant(settings)
        qa.embedder.embed_passages(["워밍업 문장입니다."])  # first torch call is slow
        report = qa.ingest([corpus.parent], progress=False)
        # The same texts the ingester embedded, rebuilt with its own functions.
        articles = load_file(corpus, corpus.parent)
        chunk_texts, sentence_texts = [], []
        for a in articles:
            chunks = qa.chunker.split(a)
            chunk_texts += [embed_text(a, c) for c in chunks]
            sentence_texts += [a.text[s.start : s.end] for s in unique_sentences(chunks)]
        started = time.perf_counter()
        for texts in (chunk_texts, sentence_texts):
            qa.embedder.embed_passages(texts)  # the encoder alone, as the ingester calls it
        raw = time.perf_counter() - started
    vectors = report.chunks_embedded + report.sentences_embedded
    assert len(chunk_texts) == report.chunks_embedded, (len(chunk_texts), report.chunks_embedded)
    return {
        "docs": len(records),
        "chunks": report.chunks_embedded,
        "sentences": report.sentences_embedded,
        "pipeline_s": report.seconds,
        "pipeline_chunks_per_s": report.chunks_embedded / report.seconds,
        "pipeline_vectors_per_s": vectors / report.seconds,
        "raw_encode_s": raw,
        "raw_vectors_per_s": (len(chunk_texts) + len(sentence_texts)) / raw,
        "overhead_ratio": report.seconds / raw,
        "peak_rss_mb": peak_rss_mb(),
    }


def _base_material(args: argparse.Namespace, qa: Any) -> dict[str, Any]:
    """Real KorQuAD chunks and sentences with real-model vectors, cached on disk.

    Only the first ``REAL_CHUNKS`` chunks' worth of paragraphs are embedded as chunks (the
    ~1k store), and the sentence pool for synthetic documents is the unique sentences of the
    first paragraphs up to ``--sentence-pool``: embedding all 5k KorQuAD chunks would take
    longer than the rest of the benchmark on 2 cores.
    """
    from assistant.indexing.embedding import embed_text
    from assistant.indexing.records import record_to_article
    from assistant.storage.store import unique_sentences

    records, _ = korquad(Path(args.korquad))
    sentence_index: dict[str, int] = {}
    chunk_texts: list[str] = []
    docs = []
    for r in records:
        if len(chunk_texts) >= REAL_CHUNKS and len(sentence_index) >= args.sentence_pool:
            break
        article = record_to_article(r, "korquad-v1-dev")
        chunks = qa.chunker.split(article)
        if len(chunk_texts) < REAL_CHUNKS:
            chunk_texts += [embed_text(article, c) for c in chunks]
            docs.append((article, chunks))
        for s in unique_sentences(chunks):
            sentence_index.setdefault(article.text[s.start : s.end], len(sentence_index))
    sentences = list(sentence_index)
    key = hashlib.sha256(
        json.dumps(
            [
                qa.settings.embedding_model,
                qa.settings.chunk_tokens,
                qa.settings.chunk_overlap_sentences,
                chunk_texts,
                sentences,
            ]
        ).encode()
    ).hexdigest()[:12]
    cache = Path(args.work_dir) / f"base-{key}.npz"
    if cache.exists():
        got = np.load(cache)
        chunk_vecs, sent_vecs = got["chunks"], got["sentences"]
    else:
        t = time.perf_counter()
        print(
            f"  embedding {len(chunk_texts)} chunks, {len(sentences)} sentences once…",
            file=sys.stderr,
        )
        chunk_vecs = qa.embedder.embed_passages(chunk_texts)
        sent_vecs = qa.embedder.embed_passages(sentences)
        np.savez(cache, chunks=chunk_vecs, sentences=sent_vecs)
        print(f"  done in {time.perf_counter() - t:.0f} s (cached in {cache})", file=sys.stderr)
    return {
        "docs": docs,
        "chunk_vecs": chunk_vecs,
        "sentences": sentences,
        "sentence_index": sentence_index,
        "sent_vecs": sent_vecs,
    }


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


def phase_build(args: argparse.Namespace, size: int) -> dict[str, Any]:
    """A store of about ``size`` chunks: real paragraphs first, then shuffled-sentence docs."""
    from assistant.indexing.embedding import embed_text
    from assistant.storage.store import unique_sentences
    from assistant.types import Article, Span

    settings = bench_settings(args, f"size-{size}")
    qa = _assistant(settings)
    have = qa.store.counts()[1]
    if have >= size and not args.fresh:
        return {"size": size, "chunks": have, "reused": True, "peak_rss_mb": peak_rss_mb()}
    if have:
        qa.store.clear()
    started = time.perf_counter()
    base = _base_material(args, qa)
    embed_s = time.perf_counter() - started
    s_terms: dict[int, list[str]] = {}
    s_tokens: dict[int, int] = {}

    def sentence_facts(i: int) -> tuple[list[str], int]:
        if i not in s_terms:
            s_terms[i] = qa.analyzer.terms(base["sentences"][i])
            s_tokens[i] = qa.chunker.count(base["sentences"][i])
        return s_terms[i], s_tokens[i]

    rng = np.random.default_rng(1234)
    pending: list[tuple[Any, str, list[Any]]] = []
    pending_vecs: tuple[list[np.ndarray], list[np.ndarray], list[list[str]]] = ([], [], [])
    total, real_chunks, synthetic_chunks, n_docs = 0, 0, 0, 0

    def flush() -> None:
        if pending:
            qa.store.add(
                list(pending),
                np.vstack(pending_vecs[0]),
                np.vstack(pending_vecs[1]),
                list(pending_vecs[2]),
                {},
            )
            pending.clear()
            for part in pending_vecs:
                part.clear()

    chunk_row = 0
    for article, chunks in base["docs"]:  # real KorQuAD paragraphs, real vectors
        if total >= size:
            break
        pending.append((article, "korquad", chunks))
        pending_vecs[0].append(base["chunk_vecs"][chunk_row : chunk_row + len(chunks)])
        chunk_row += len(chunks)
        ids = [
            base["sentence_index"][article.text[s.start : s.end]] for s in unique_sentences(chunks)
        ]
        pending_vecs[1].append(base["sent_vecs"][ids].reshape(len(ids), -1))
        pending_vecs[2].extend(qa.analyzer.terms(embed_text(article, c)) for c in chunks)
        total += len(chunks)
        real_chunks += len(chunks)
        n_docs += 1
        if len(pending) >= ADD_BATCH:
            flush()
    titles = [a.title for a, _ in base["docs"]]
    n_sent, dim = len(base["sentences"]), base["sent_vecs"].shape[1]
    lo, hi = SYNTH_SENTENCES
    while total < size:  # synthetic documents of shuffled real sentences
        picks = rng.choice(n_sent, size=int(rng.integers(lo, hi + 1)), replace=False)
        title = f"{titles[int(rng.integers(len(titles)))]} 혼합 {n_docs}"
        body = " ".join(base["sentences"][i] for i in picks)
        text = f"{title}\n\n{body}"
        spans, sizes, pos = [Span(0, len(title))], [qa.chunker.count(title)], len(title) + 2
        for i in picks:
            s = base["sentences"][i]
            spans.append(Span(pos, pos + len(s)))
            sizes.append(sentence_facts(int(i))[1])
            pos += len(s) + 1
        article = Article(f"synth-{n_docs}", title, text, "synthetic")
        chunks = qa.chunker.pack(article, spans, sizes)
        by_start = {sp.start: int(i) for sp, i in zip(spans[1:], picks, strict=True)}
        title_terms = qa.analyzer.terms(title)
        title_vec = base["chunk_vecs"][int(rng.integers(len(base["chunk_vecs"])))]
        chunk_vecs, terms = [], []
        for c in chunks:
            members = [by_start[s.start] for s in c.sentences if s.start in by_start]
            mean = base["sent_vecs"][members].mean(axis=0) if members else title_vec
            chunk_vecs.append(mean + rng.normal(0, NOISE, mean.shape))
            terms.append(title_terms + [t for i in members for t in sentence_facts(i)[0]])
        sent_rows = [
            base["sent_vecs"][by_start[s.start]] if s.start in by_start else title_vec
            for s in unique_sentences(chunks)
        ]
        sent_vecs = np.vstack(sent_rows) + rng.normal(0, NOISE, (len(sent_rows), dim))
        pending.append((article, "synthetic", chunks))
        pending_vecs[0].append(_unit(np.vstack(chunk_vecs)))
        pending_vecs[1].append(_unit(sent_vecs))
        pending_vecs[2].extend(terms)
        total += len(chunks)
        synthetic_chunks += len(chunks)
        n_docs += 1
        if len(pending) >= ADD_BATCH:
            flush()
            print(f"  size {size}: {total} chunks…", file=sys.stderr, end="\r")
    flush()
    docs, chunks_now = qa.store.counts()
    return {
        "size": size,
        "docs": docs,
        "chunks": chunks_now,
        "real_chunks": real_chunks,
        "synthetic_chunks": synthetic_chunks,
        "sentence_vectors": qa.store.catalog.sentence_count(),
        "sentence_pool": len(base["sentences"]),
        "base_embed_s": embed_s,
        "build_s": time.perf_counter() - started,
        "reused": False,
        "peak_rss_mb": peak_rss_mb(),
    }


def phase_query(args: argparse.Namespace, size: int) -> dict[str, Any]:
    """Query latency in a fresh process serving the store of ``size`` chunks."""
    settings = bench_settings(args, f"size-{size}")
    t0 = time.perf_counter()
    qa = _assistant(settings)
    load_s = time.perf_counter() - t0
    _, questions = korquad(Path(args.korquad))
    # gold ids are written without the source the index puts in front ("corpus/…")
    present = {d.split("/", i)[-1] for d, _, _ in qa.store.documents() for i in range(2)}
    pool = [q for q in questions if q[1] in present]
    sample = random.Random(7).sample(pool, min(args.queries, len(pool)))
    configure_threads(settings.query_threads)  # as `assistant serve` runs
    t1 = time.perf_counter()
    qa.ask(sample[0][0])  # warm-up: loads (or builds) the BM25 index, first torch call
    warm_s = time.perf_counter() - t1
    retrieve, answer, embed, hits = [], [], [], 0
    for question, gold in sample:
        t = time.perf_counter()
        qa.embedder.embed_queries([question])  # alone, to split retrieve into embed + search
        embed.append((time.perf_counter() - t) * 1000)
        result = qa.ask(question)
        retrieve.append(result.timings.get("retrieve", 0) * 1000)
        answer.append(result.timings.get("answer", 0) * 1000)
        hits += any(matches_gold(d.metadata["doc_id"], gold) for d in result.documents[:5])
    total = [a + b for a, b in zip(retrieve, answer, strict=True)]
    return {
        "size": size,
        "chunks": qa.store.counts()[1],
        "queries": len(sample),
        "open_s": load_s,
        "first_query_s": warm_s,
        "retrieve_p50_ms": percentile(retrieve, 50),
        "retrieve_p95_ms": percentile(retrieve, 95),
        "query_embed_p50_ms": percentile(embed, 50),
        "answer_p50_ms": percentile(answer, 50),
        "answer_p95_ms": percentile(answer, 95),
        "total_p50_ms": percentile(total, 50),
        "total_p95_ms": percentile(total, 95),
        "recall@5_chunks": hits / len(sample),
        "peak_rss_mb": peak_rss_mb(),
    }


# ----------------------------------------------------------------------------- driver


def _child(args: argparse.Namespace, phase: str, size: int = 0) -> dict[str, Any]:
    cmd = [
        sys.executable,
        __file__,
        "--work-dir",
        str(args.work_dir),
        "--korquad",
        str(args.korquad),
        "--ingest-docs",
        str(args.ingest_docs),
        "--queries",
        str(args.queries),
        "--_phase",
        phase,
        "--_size",
        str(size),
    ]
    if args.fresh:
        cmd.append("--fresh")
    return run_phase(cmd, f"{phase} {size or ''}")


def run_phase(cmd: list[str], label: str) -> dict[str, Any]:
    """Run one phase in a child process (its peak RSS is its own); its last stdout line
    is the phase's JSON result."""
    done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"phase {label} failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="chunk counts, comma list")
    parser.add_argument("--queries", type=int, default=50, help="timed questions per size")
    parser.add_argument("--ingest-docs", type=int, default=60, help="paragraphs to ingest")
    parser.add_argument(
        "--sentence-pool", type=int, default=2500, help="real sentences synthetic docs draw on"
    )
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--fresh", action="store_true", help="rebuild stores even if present")
    parser.add_argument("--korquad", type=Path, default=KORQUAD)
    parser.add_argument("--work-dir", type=Path, default=None, help="default DATA_DIR/bench")
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    parser.add_argument("--_phase", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--_size", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.work_dir = Path(args.work_dir or Settings().data_dir / "bench").resolve()
    args.work_dir.mkdir(parents=True, exist_ok=True)
    if args._phase:  # child process: one phase, one JSON line on stdout
        fn = {"ingest": phase_ingest, "build": phase_build, "query": phase_query}[args._phase]
        result = fn(args) if args._phase == "ingest" else fn(args, args._size)
        print(json.dumps(result))
        return
    if not args.korquad.is_file():
        raise SystemExit(f"KorQuAD dev file not found: {args.korquad}")
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    out: dict[str, Any] = {"noise_sigma": NOISE, "cpu_count": os.cpu_count()}
    print(f"work dir {args.work_dir}; {os.cpu_count()} CPUs; torch threads default\n")
    if not args.skip_ingest:
        r = out["ingest"] = _child(args, "ingest")
        print("== ingest throughput (real pipeline vs raw SentenceTransformer.encode) ==")
        print(
            f"  {r['docs']} KorQuAD paragraphs → {r['chunks']} chunks + {r['sentences']} "
            f"sentences = {r['chunks'] + r['sentences']} vectors"
        )
        print(
            f"  pipeline: {r['pipeline_s']:.1f} s = {r['pipeline_chunks_per_s']:.1f} chunks/s"
            f" ({r['pipeline_vectors_per_s']:.1f} vectors/s)"
        )
        print(
            f"  raw encode of the same texts: {r['raw_encode_s']:.1f} s = "
            f"{r['raw_vectors_per_s']:.1f} vectors/s"
        )
        print(
            f"  overhead ratio (pipeline / raw encode): {r['overhead_ratio']:.2f}x;"
            f" peak RSS {r['peak_rss_mb']:.0f} MB\n"
        )
    out["sizes"] = []
    for size in sizes:
        b = _child(args, "build", size)
        q = _child(args, "query", size)
        out["sizes"].append({"build": b, "query": q})
        print(f"== ~{size} chunks ==")
        if b.get("reused"):
            print(f"  store reused ({b['chunks']} chunks; --fresh rebuilds)")
        else:
            print(
                f"  store: {b['docs']} docs, {b['chunks']} chunks ({b['real_chunks']} real "
                f"KorQuAD, {b['synthetic_chunks']} synthetic), {b['sentence_vectors']} "
                f"sentence vectors; built in {b['build_s']:.0f} s, peak RSS "
                f"{b['peak_rss_mb']:.0f} MB"
            )
        print(
            f"  open {q['open_s']:.1f} s; first query {q['first_query_s']:.1f} s "
            f"(loads/builds BM25)"
        )
        print(
            f"  {q['queries']} queries: retrieve p50 {q['retrieve_p50_ms']:.0f} ms / p95 "
            f"{q['retrieve_p95_ms']:.0f} ms (query embedding alone p50 "
            f"{q['query_embed_p50_ms']:.0f} ms); answer p50 {q['answer_p50_ms']:.0f} / p95 "
            f"{q['answer_p95_ms']:.0f} ms; total p50 {q['total_p50_ms']:.0f} / p95 "
            f"{q['total_p95_ms']:.0f} ms"
        )
        print(
            f"  gold paragraph in top-5 chunks: {q['recall@5_chunks']:.2f}; serving peak "
            f"RSS {q['peak_rss_mb']:.0f} MB\n"
        )
    pool = next((x["build"].get("sentence_pool") for x in out["sizes"] if "build" in x), None)
    print(
        f"How the stores were made: the first ~{REAL_CHUNKS} chunks are real KorQuAD paragraphs, "
        "real chunker, real model vectors. Beyond that: synthetic documents of 4–9 real "
        "KorQuAD sentences shuffled across paragraphs (title = a real title + '혼합 N'), "
        "packed into chunks by the chunker's own greedy rule; a pool of "
        f"{pool or f'~{args.sentence_pool}'} real sentences was embedded once with the real model; "
        f"a synthetic chunk's vector = normalised(mean of its sentences' vectors + N(0, "
        f"{NOISE}²) per dimension), its sentence vectors = the real ones + the same noise, "
        "re-normalised. BM25 terms are the real kiwi terms of those sentences. Queries are "
        "KorQuAD dev questions whose gold paragraph is in the store (so every query has "
        "~100x-duplicated distractor sentences at 100k)."
    )
    if args.json:
        args.json.write_text(json.dumps(out, indent=2), "utf-8")


if __name__ == "__main__":
    main()
