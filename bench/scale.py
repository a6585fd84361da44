"""Serving at a million chunks (issue 10): latency, throughput, memory, disk, startup and
unchanged re-ingest for indexes of 10k, 100k and 1M chunks.

    python bench/scale.py --sizes 10000,100000 --work-dir /work/bench-data/scale
    python bench/scale.py --sizes 1000000 --work-dir /work/bench-data/scale   # ~1 h on 2 cores
    python bench/scale.py --report-only --work-dir /work/bench-data/scale     # table + plot again
    python bench/scale.py --sizes 10000,100000 --server --work-dir /work/bench-data/scale-server
    python bench/scale.py --sizes 1000000 --server --adopt-from /work/bench-data/scale \\
        --work-dir /work/bench-data/scale-server   # the 1M server index without a 2 h ingest

How the indexes are made (printed with the results, too):

* Text: every KorQuAD 1.0 dev paragraph is split into sentences by the real chunker (kiwi)
  once; each unique sentence (and each title) gets its cl100k token count, its BM25
  morphemes (``KoreanAnalyzer.terms``) and one real e5 vector (``Embedder.embed_passages``),
  cached in ``WORK_DIR/prep-*.npz``. Every index holds the 964 real paragraphs as articles
  (``kq-*``), then synthetic articles (``mix-*``): a real title + " 혼합" and 6–16 real
  sentences drawn at random from all paragraphs.
* The articles exist as real files: JSONL files of ``--per-file`` articles under
  ``WORK_DIR/size-N/corpus``, and the index in ``WORK_DIR/size-N/data`` is made by the real
  ``Ingester`` over that folder (real file discovery, JSONL parsing, source naming, dedupe,
  catalog file records, ``Store.add``, Chroma, BM25 build). Kiwi and the model are not run
  over the chunks: the ingester gets three stand-ins that look up what was computed once
  per sentence. ``split`` packs the article's known sentences with the real
  ``Chunker.pack``; a chunk's terms are its sentences' cached morphemes (plus the title's
  when ``embed_text`` prefixes it); a chunk vector is normalise(mean of its sentences' real
  vectors + N(0, σ²) per dimension); a sentence vector is its real vector + the same noise,
  re-normalised. The ingester's batches are raised to about ``get_max_batch_size()``
  chunks (Chroma's largest request; ``BATCH_CHARS`` = that × 400 characters) from ~250.
* Because the same files were ingested, ``Assistant.ingest`` over them again is the
  unchanged re-ingest: it must embed nothing.

Measured per size, each in its own child process (so peak RSS is that process's own):
time from process start to the first answer (split into imports, ``Assistant()`` = model
load + index open, first question = BM25 load and first torch call); single-client
latency of ``Assistant.ask`` (the real chain: validate, embed, BM25 ⊕ Chroma, extractive
answer) over KorQuAD questions; 8 threads asking through one ``Assistant`` (as the web
server's workers do), per-answer latency and answers/s; peak RSS of that serving process;
the data folder's disk use split into Chroma, catalog and BM25; the unchanged re-ingest
through ``Assistant.ingest`` (in-process report) and through ``assistant ingest`` (wall
time of the whole CLI process). Load averages are recorded next to every figure: the
machine has 2 cores shared with other jobs.

With ``--server`` (issue 11: a replica's start against a Chroma server), each size gets a
real ``chroma run --path WORK_DIR/size-N/chroma-server`` on a free loopback port; the
index is built into it by the same build phase (writer data dir
``WORK_DIR/size-N/server-writer``, settings ``chroma_host``/``chroma_port``), then two
serving processes start on the replica data dir ``WORK_DIR/size-N/replica``: the first
with it empty (cold: the whole catalog read from the server, BM25 built), the second
with the cache the first left (warm). Each reports its time to the first answer split
into imports, kiwi load, model load (``Embedder``), the store's open with the catalog
sync (``mirror.sync``; its full read split into the server's ``get`` pages, record
decoding and local inserts), BM25 (rows read, build, save; or load and check), the
first dense query (a server loads its HNSW then) and the rest of the first question, then
the same latency, 8-client and RSS figures as above. The Chroma server's RSS (now
and peak) and disk use are read from outside. The function timers are wrappers set in
the child process only (``Parts``); ``--profile`` adds cProfile files as above.

``--adopt-from EMBEDDED_WORK_DIR`` makes a size's server index without an ingest: the
embedded index of ``EMBEDDED_WORK_DIR/size-N`` (built by this script without
``--server``) is copied — its Chroma folder becomes the server's ``--path``, its catalog
the writer's — and the writer's first open copies the catalog up to the server
(``mirror.adopt``, as an index from before the server was the record is upgraded). The
server then holds the same chunks, vectors and records an ingest would have written;
only how they got there (and so the "build" time) differs.

KorQuAD 1.0 dev (CC BY-ND 2.0 KR) is read from ``/work/shared/eval/korquad-v1-dev``; the
stores and JSONL files derived from it go to ``--work-dir`` (keep it outside the repo).
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import inspect
import json
import os
import pstats
import queue
import random
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

START = time.time()  # before the heavy imports: "process start" for first-answer time

sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np  # noqa: E402
from perf import KORQUAD, NOISE, _unit, korquad, peak_rss_mb, run_phase  # noqa: E402

from assistant import configure_threads  # noqa: E402
from assistant.evaluation.metrics import percentile  # noqa: E402
from assistant.settings import Settings  # noqa: E402

try:  # where embed_text lives since sentence vectors moved to the catalog
    from assistant.indexing.embedding import embed_text
except ImportError:  # the code before that change
    from assistant.indexing.ingest import embed_text

SYNTH_SENTENCES = (6, 16)  # sentences per synthetic article, inclusive
CLIENTS = 8
TARGETS = {  # at the largest size
    "p50_ms": 100,
    "p95_ms": 250,
    "answers_per_s": 20,
    "peak_rss_mb": 4096,
    "first_answer_s": 30,
    "reingest_s": 60,
}


def load() -> str:
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def settings_for(root: Path, data: str = "data", port: int = 0) -> Settings:
    """The settings of one data dir under ``root``; with ``port``, following the Chroma
    server on that loopback port."""
    server = {"chroma_host": "127.0.0.1", "chroma_port": port} if port else {}
    return Settings(data_dir=root / data, model_dir=Settings().models_dir, **server)


def phase_settings(args: argparse.Namespace, root: Path, server_data: str) -> Settings:
    """A phase's settings: the embedded ``data`` dir, or (``--server`` children, which get
    ``--_port``) ``--_data`` or ``server_data`` following the server."""
    if not args._port:
        return settings_for(root)
    return settings_for(root, args._data or server_data, args._port)


class Parts:
    """Seconds spent in named functions of this process (wrapped in place: bench only).

    Calls from other threads count too, so read ``snapshot`` where the figure ends."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def wrap(self, owner: Any, attr: str, name: str) -> None:
        fn = inspect.getattr_static(owner, attr)
        is_cm = isinstance(fn, classmethod)
        raw = fn.__func__ if is_cm else fn

        @functools.wraps(raw)
        def timed(*a: Any, **k: Any) -> Any:
            t = time.perf_counter()
            try:
                return raw(*a, **k)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t
                self.calls[name] = self.calls.get(name, 0) + 1

        setattr(owner, attr, classmethod(timed) if is_cm else timed)

    def snapshot(self) -> dict[str, Any]:
        return {
            **{f"{k}_s": round(v, 3) for k, v in self.seconds.items()},
            **{f"{k}_calls": v for k, v in self.calls.items()},
        }


def server_parts() -> Parts:
    """Timers on what a replica's start does: kiwi and model load, the store's open and
    its sync (full read: server pages, decode, local insert), BM25 rows/build/load/check/
    save, the dense query (Chroma's HNSW loads at a server's first query)."""
    from assistant.models.embedder import Embedder
    from assistant.storage import mirror, server_catalog
    from assistant.storage.catalog import Catalog
    from assistant.storage.lexical import LexicalIndex
    from assistant.storage.store import Store
    from assistant.storage.vectors import ChromaVectors
    from assistant.text.korean import KoreanAnalyzer

    parts = Parts()
    parts.wrap(KoreanAnalyzer, "__init__", "kiwi_load")
    parts.wrap(Embedder, "__init__", "model_load")
    parts.wrap(Store, "__init__", "store_open")
    parts.wrap(mirror, "sync", "sync")
    parts.wrap(mirror, "_full", "sync_full_read")
    parts.wrap(server_catalog.ServerCatalog, "_got", "server_get")
    parts.wrap(server_catalog, "decode", "decode")
    parts.wrap(Catalog, "insert", "catalog_insert")
    parts.wrap(Catalog, "lexical_rows", "bm25_rows")  # read before build() is called
    parts.wrap(Catalog, "chunk_ids", "bm25_check")  # a loaded index against the catalog
    parts.wrap(LexicalIndex, "build", "bm25_build")
    parts.wrap(LexicalIndex, "load", "bm25_load")
    parts.wrap(LexicalIndex, "save", "bm25_save")
    parts.wrap(ChromaVectors, "search", "dense_search")  # the first loads the server's HNSW
    return parts


# ----------------------------------------------------------------------------- prep


@dataclass
class Units:
    """Unique sentences and titles of KorQuAD dev, analysed and embedded once."""

    texts: list[str]
    tokens: np.ndarray
    terms: list[list[str]]
    vectors: np.ndarray
    paragraphs: list[dict[str, Any]]  # id, title, text, units (title first), questions
    body: np.ndarray  # unit ids that are body sentences (the pool synthetic articles draw on)
    mix_titles: list[int]  # unit ids of the synthetic titles "<title> 혼합"

    def index(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.texts)}


def prep(work: Path, korquad_path: Path) -> Units:
    """Split, count, analyse and embed KorQuAD's unique sentences once (cached)."""
    from assistant import Assistant
    from assistant.indexing.records import record_to_article

    settings = settings_for(work / "prep")
    cache = work / "prep-v1.json"
    vec_cache = work / "prep-v1.npy"
    if cache.exists() and vec_cache.exists():
        got = json.loads(cache.read_text("utf-8"))
        return Units(
            got["texts"],
            np.array(got["tokens"]),
            got["terms"],
            np.load(vec_cache),
            got["paragraphs"],
            np.array(got["body"]),
            got["mix_titles"],
        )
    t0 = time.perf_counter()
    qa = Assistant(settings)
    records, questions = korquad(korquad_path)
    by_gold: dict[str, list[str]] = {}
    for q, gold in questions:
        by_gold.setdefault(gold, []).append(q)
    ids: dict[str, int] = {}
    body: set[int] = set()
    paragraphs = []

    def unit(text: str) -> int:
        return ids.setdefault(text, len(ids))

    for n, r in enumerate(records):
        article = record_to_article({"id": "x", "title": r["title"], "text": r["text"]}, "x")
        spans = qa.chunker.sentences(article.text)
        units = [unit(article.text[s.start : s.end]) for s in spans]
        body.update(units[1:])
        paragraphs.append(
            {
                "id": f"kq-{n:04d}",
                "gold": r["id"],
                "title": r["title"],
                "text": r["text"],
                "questions": by_gold.get(r["id"], []),
            }
        )
    mix_titles = sorted({unit(f"{r['title']} 혼합") for r in records})
    texts = list(ids)
    tokens = [qa.chunker.count(t) for t in texts]
    too_long = {i for i, n in enumerate(tokens) if n > qa.settings.chunk_tokens}
    terms = [qa.analyzer.terms(t) for t in texts]
    print(f"  embedding {len(texts)} unique sentences and titles once…", file=sys.stderr)
    vectors = qa.embedder.embed_passages(texts)
    np.save(vec_cache, vectors)
    cache.write_text(
        json.dumps(
            {
                "texts": texts,
                "tokens": tokens,
                "terms": terms,
                "paragraphs": paragraphs,
                "body": sorted(body - too_long),
                "mix_titles": mix_titles,
            },
            ensure_ascii=False,
        ),
        "utf-8",
    )
    print(f"  prep done in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    qa.close()
    return prep(work, korquad_path)


# ----------------------------------------------------------------------------- stand-ins


class Lookup:
    """Chunker, analyzer and embedder stand-ins for the real ``Ingester``: chunks are the
    real ``Chunker.pack`` of the article's known sentences; terms and vectors come from the
    per-sentence cache. Nothing here runs kiwi or the model.

    ``split`` (called by the ingester's inline analysis) remembers each chunk's vector and
    terms under its embed text; ``terms`` reads them, and the embedding call, one batch
    later, takes them out."""

    def __init__(self, units: Units, chunker: Any, settings: Settings, seed: int) -> None:
        self.units = units
        self.by_text = units.index()
        self.chunker = chunker
        self.settings = settings  # the embedder's: model name, pooled or separate sentences
        self.dim = int(units.vectors.shape[1])
        self.plans: dict[str, list[int]] = {}  # record id → unit ids (title first)
        self.pending: dict[str, list[Any]] = {}  # chunk embed text → [vector, terms, uses]
        self.rng = np.random.default_rng(seed)
        self.fallbacks = 0

    # chunker
    def split(self, article: Any) -> list[Any]:
        from assistant.types import Span

        plan = self.plans.get(article.doc_id.rsplit("/", 1)[-1])
        spans, pos = [], 0
        for u in plan or []:
            text = self.units.texts[u]
            start = article.text.find(text, pos)
            if start < 0:
                break
            spans.append(Span(start, start + len(text)))
            pos = start + len(text)
        if plan is None or len(spans) != len(plan):
            self.fallbacks += 1  # the parser changed the text: kiwi after all
            chunks = self.chunker.split(article)
            for c in chunks:
                text = embed_text(article, c)
                entry = self.pending.setdefault(text, [None, None, 0])
                entry[2] += 1
            return chunks
        span_units = dict(zip((s.start for s in spans), plan, strict=True))
        chunks = self.chunker.pack(article, spans, [int(self.units.tokens[u]) for u in plan])
        title = plan[0]
        for c in chunks:
            members = [span_units[s.start] for s in c.sentences]
            text = embed_text(article, c)
            if text != c.text:  # the title goes in front, as embed_text does
                members = [title, *members]
            vec = self.units.vectors[members].mean(axis=0)
            vec = _unit(vec + self.rng.normal(0, NOISE, self.dim))
            terms = [t for u in members for t in self.units.terms[u]]
            entry = self.pending.setdefault(text, [vec, terms, 0])
            entry[2] += 1
        return chunks

    # analyzer
    def terms(self, text: str) -> list[str]:
        entry = self.pending[text]
        if entry[1] is None:  # a fallback chunk
            entry[1] = self.chunker.analyzer.terms(text)
        return list(entry[1])

    # embedder
    def _chunk(self, text: str) -> np.ndarray:
        entry = self.pending[text]
        entry[2] -= 1
        if entry[2] == 0:
            del self.pending[text]
        if entry[0] is None:  # a fallback chunk: mean of its sentences is not known
            entry[0] = self._sentence(text.split("\n")[-1][:200])
        return entry[0]

    def _sentence(self, text: str) -> np.ndarray:
        u = self.by_text.get(text)
        v = self.units.vectors[u] if u is not None else self.units.vectors.mean(axis=0)
        return _unit(v + self.rng.normal(0, NOISE, self.dim))

    def embed_chunks(
        self, texts: list[str], spans: list[list[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """As ``Embedder.embed_chunks``: chunk vectors and, per chunk, its sentences'."""
        vectors = np.stack([self._chunk(t) for t in texts]) if texts else np.zeros((0, self.dim))
        sentences = [
            np.stack([self._sentence(t[a:b]) for a, b in sp]).astype(np.float32)
            for t, sp in zip(texts, spans, strict=True)
        ]
        return vectors.astype(np.float32), sentences

    def embed_passages(self, texts: list[str], *, show_progress: bool = False) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            out[i] = self._chunk(t) if t in self.pending else self._sentence(t)
        return out


# ----------------------------------------------------------------------------- build


def articles(units: Units, size: int, chunker: Any, seed: int = 1234) -> Iterator[tuple]:
    """(record, unit ids) for the real paragraphs, then synthetic articles, until about
    ``size`` chunks (counted with the real packing rule)."""
    from assistant.indexing.records import record_to_article

    by_text = units.index()
    rng = np.random.default_rng(seed)
    total, n = 0, 0
    lo, hi = SYNTH_SENTENCES

    def count(record: dict[str, str], plan: list[int]) -> int:
        from assistant.types import Span

        spans, pos = [], 0
        for _ in plan:  # positions only matter for the count; lengths decide nothing
            spans.append(Span(pos, pos + 1))
            pos += 2
        sizes = [int(units.tokens[u]) for u in plan]
        return len(chunker.pack(record_to_article(record, "x"), spans, sizes))

    for p in units.paragraphs:
        if total >= size:
            return
        text = record_to_article({"title": p["title"], "text": p["text"]}, "x").text
        plan = [by_text[text[s.start : s.end]] for s in chunker.sentences(text)]
        record = {"id": p["id"], "title": p["title"], "text": p["text"]}
        total += count(record, plan)
        yield record, plan
    titles = units.mix_titles
    while total < size:
        title = titles[int(rng.integers(len(titles)))]
        picks = rng.choice(units.body, size=int(rng.integers(lo, hi + 1)), replace=False)
        record = {
            "id": f"mix-{n:07d}",
            "title": units.texts[title],
            "text": " ".join(units.texts[int(u)] for u in picks),
        }
        plan = [title, *(int(u) for u in picks)]
        total += count(record, plan)
        n += 1
        yield record, plan


def phase_build(args: argparse.Namespace, size: int) -> dict[str, Any]:
    from assistant.indexing import ingest
    from assistant.indexing.chunking import Chunker
    from assistant.indexing.ingest import Ingester
    from assistant.indexing.limits import Limits
    from assistant.storage.store import Store
    from assistant.text.korean import KoreanAnalyzer
    from assistant.text.tokens import cl100k

    root = args.work_dir / f"size-{size}"
    if root.exists() and not args._port:  # --server: the parent cleared it (server inside)
        shutil.rmtree(root)
    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    units = prep(args.work_dir, args.korquad)
    settings = phase_settings(args, root, "server-writer")
    started, load0 = time.perf_counter(), load()
    chunker = Chunker(
        KoreanAnalyzer(),
        cl100k(),
        max_tokens=settings.chunk_tokens,
        overlap=settings.chunk_overlap_sentences,
    )
    lookup = Lookup(units, chunker, settings, seed=size)
    files, batch, docs = 0, [], 0
    for record, plan in articles(units, size, chunker):
        lookup.plans[record["id"]] = plan
        batch.append(record)
        if len(batch) == args.per_file:
            (corpus / f"part-{files:05d}.jsonl").write_text(_jsonl(batch), "utf-8")
            files, docs, batch = files + 1, docs + len(batch), []
    if batch:
        (corpus / f"part-{files:05d}.jsonl").write_text(_jsonl(batch), "utf-8")
        files, docs = files + 1, docs + len(batch)
    written_s = time.perf_counter() - started
    store = Store(settings)
    max_batch = store.vectors._client.get_max_batch_size()
    # Store.add gets about max_batch chunks at a time (the ingester's own batches hold
    # ~250 chunks); 400 characters of article text ≈ one 200-token chunk with overlap
    ingest.FLUSH_CHUNKS = max_batch  # the code before the change batched by chunks
    ingest.BATCH_CHARS = max_batch * 400  # since: by article characters
    ingester = Ingester(store, lookup, lookup, lookup, Limits.from_settings(settings))  # type: ignore[arg-type]
    with store.writing():
        report = ingester.run([corpus], progress=False)
    n_docs, n_chunks = store.counts()
    if hasattr(store.vectors, "sentence_count"):  # before: a Chroma collection
        sentence_count = store.vectors.sentence_count()
    else:  # since: float16 rows in the catalog
        sentence_count = store.catalog._db.execute(
            "SELECT COUNT(*) FROM sentence_vectors"
        ).fetchone()[0]
    store.close()
    return {
        "size": size,
        "docs": n_docs,
        "chunks": n_chunks,
        "files": files,
        "sentence_vectors": sentence_count,
        "articles_written": docs,
        "write_files_s": written_s,
        "ingest_s": report.seconds,
        "build_s": time.perf_counter() - started,
        "ingest_report": report.summary(),
        "kiwi_fallbacks": lookup.fallbacks,
        "flush_chunks": max_batch,
        "peak_rss_mb": peak_rss_mb(),
        "load_before": load0,
        "load_after": load(),
    }


def _jsonl(records: list[dict[str, str]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


# ----------------------------------------------------------------------------- serve


def phase_serve(args: argparse.Namespace, size: int) -> dict[str, Any]:
    """One serving process: start → first answer, single-client and 8-client latency."""
    t_imported = time.time()
    from assistant import Assistant

    root = args.work_dir / f"size-{size}"
    units = prep(args.work_dir, args.korquad)
    questions = [(q, p["id"]) for p in units.paragraphs for q in p["questions"]]
    rng = random.Random(7)
    rng.shuffle(questions)
    settings = phase_settings(args, root, "replica")
    cached = settings.index_dir.exists()  # --server: warm when a previous start filled it
    parts = server_parts() if args._port else None
    tag = ("-warm" if cached else "-cold") if parts else ""
    load0 = load()
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    t_open = time.time()
    configure_threads(settings.query_threads)  # as `assistant serve` runs
    qa = Assistant(settings)
    t_opened = time.time()
    first = qa.ask(questions[0][0])
    t_first = time.time()
    started = parts.snapshot() if parts else {}
    if profiler:
        profiler.disable()
        _dump(profiler, root / f"profile-startup{tag}.prof")
        profiler = cProfile.Profile()
        profiler.enable()
    single = []
    timings: dict[str, list[float]] = {"retrieve": [], "answer": []}
    statuses: dict[str, int] = {}
    hits = 0
    for q, gold in questions[1 : 1 + args.queries]:
        t = time.perf_counter()
        ans = qa.ask(q)
        single.append((time.perf_counter() - t) * 1000)
        for key in timings:
            timings[key].append(ans.timings.get(key, 0) * 1000)
        statuses[ans.status] = statuses.get(ans.status, 0) + 1
        hits += any(d.metadata["doc_id"].endswith("/" + gold) for d in ans.documents[:5])
    if profiler:
        profiler.disable()
        _dump(profiler, root / f"profile-questions{tag}.prof")
    load_single = load()
    todo: queue.Queue[str] = queue.Queue()
    for q, _ in questions[1 + args.queries : 1 + args.queries + args.concurrent_queries]:
        todo.put(q)
    lat: list[float] = []
    errors: list[str] = []

    def client() -> None:
        while True:
            try:
                q = todo.get_nowait()
            except queue.Empty:
                return
            t = time.perf_counter()
            try:
                if qa.ask(q).status == "error":
                    errors.append("status error")
            except Exception as exc:  # counted, never hidden
                errors.append(f"{type(exc).__name__}: {exc}")
            lat.append((time.perf_counter() - t) * 1000)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t
    out = {
        "size": size,
        "chunks": qa.store.counts()[1],
        "embedding_backend": getattr(settings, "embedding_backend", "torch"),
        "imports_s": t_imported - START,
        "open_s": t_opened - t_open,
        "first_question_s": t_first - t_opened,
        "first_answer_s": t_first - START,
        "prep_load_s": t_open - t_imported,  # reading WORK_DIR/prep-v1.*: the bench's own
        "first_answer_status": first.status,
        "statuses": statuses,
        "gold_in_top5": hits / max(1, len(single)),
        "queries": len(single),
        "p50_ms": percentile(single, 50),
        "p95_ms": percentile(single, 95),
        "retrieve_p50_ms": percentile(timings["retrieve"], 50),
        "retrieve_p95_ms": percentile(timings["retrieve"], 95),
        "answer_p50_ms": percentile(timings["answer"], 50),
        "answer_p95_ms": percentile(timings["answer"], 95),
        "load_single": f"{load0} → {load_single}",
        "concurrent_queries": len(lat),
        "concurrent_errors": errors[:5],
        "concurrent_p50_ms": percentile(lat, 50),
        "concurrent_p95_ms": percentile(lat, 95),
        "answers_per_s": len(lat) / wall,
        "load_concurrent": load(),
        "peak_rss_mb": peak_rss_mb(),
    }
    if parts:
        out["docs"] = qa.store.counts()[0]
        out["cache_existed"] = cached
        out["start_parts"] = started
        read = started.get("sync_full_read_s", 0.0)
        out["full_read_docs_per_s"] = out["docs"] / read if read else None
    qa.close()
    return out


def _dump(profiler: cProfile.Profile, path: Path) -> None:
    """Save the profile and print its top functions by cumulative time to stderr."""
    profiler.dump_stats(path)
    print(f"== {path} ==", file=sys.stderr)
    pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(25)


def _mb(p: Path) -> float:
    if p.is_file():
        return p.stat().st_size / 2**20
    return sum(f.stat().st_size for f in p.rglob("*") if f.is_file()) / 2**20 if p.exists() else 0


def disk(root: Path, data_dir: str = "data") -> dict[str, float]:
    data = root / data_dir
    index = settings_for(root, data_dir).index_dir
    catalog = sum(_mb(p) for p in index.glob("catalog.sqlite*"))
    return {
        "chroma_mb": _mb(data / "chroma"),
        "catalog_mb": catalog,
        "bm25_mb": _mb(index / "bm25"),
        "data_total_mb": _mb(data / "chroma") + _mb(index),
        "corpus_mb": _mb(root / "corpus"),
    }


def phase_reingest(args: argparse.Namespace, size: int) -> dict[str, Any]:
    """``Assistant.ingest`` over the same files: must be all unchanged, nothing embedded."""
    from assistant import Assistant

    root = args.work_dir / f"size-{size}"
    load0 = load()
    t = time.time()
    qa = Assistant(settings_for(root))
    opened = time.time()
    report = qa.ingest([root / "corpus"], progress=False)
    done = time.time()
    qa.close()
    return {
        "size": size,
        "process_s": done - START,
        "open_s": opened - t,
        "ingest_s": report.seconds,
        "new": report.new,
        "changed": report.changed,
        "unchanged": report.unchanged,
        "deleted": report.deleted,
        "chunks_embedded": report.chunks_embedded,
        "summary": report.summary(),
        "peak_rss_mb": peak_rss_mb(),
        "load": f"{load0} → {load()}",
    }


def cli_reingest(args: argparse.Namespace, size: int) -> dict[str, Any]:
    """``assistant ingest CORPUS`` as a user runs it, timed from outside."""
    root = args.work_dir / f"size-{size}"
    settings = settings_for(root)
    env = {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(settings.data_dir),
        "ASSISTANT_MODEL_DIR": str(settings.models_dir),
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),  # this checkout's code
    }
    exe = Path(sys.executable).with_name("assistant")
    load0 = load()
    t = time.perf_counter()
    done = subprocess.run(
        [str(exe), "ingest", str(root / "corpus")], env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - t
    tail = " ".join(done.stdout.split())
    return {
        "wall_s": wall,
        "rc": done.returncode,
        "output": tail[-300:],
        "load": f"{load0} → {load()}",
    }


# ----------------------------------------------------------------------------- driver


def _child(
    args: argparse.Namespace, phase: str, size: int, port: int = 0, data: str = ""
) -> dict[str, Any]:
    cmd = [
        sys.executable,
        __file__,
        "--work-dir",
        str(args.work_dir),
        "--korquad",
        str(args.korquad),
    ]
    cmd += ["--queries", str(args.queries), "--concurrent-queries", str(args.concurrent_queries)]
    cmd += ["--per-file", str(args.per_file), "--_phase", phase, "--_size", str(size)]
    cmd += ["--profile"] if args.profile else []
    cmd += ["--_port", str(port), "--_data", data] if port else []
    cmd += ["--adopt-from", str(args.adopt_from)] if args.adopt_from else []
    return run_phase(cmd, f"{phase} {size} {data}".strip())


def phase_adopt(args: argparse.Namespace, size: int) -> dict[str, Any]:
    """``--adopt-from``: the writer's first open over a copied embedded index copies its
    catalog up to the server (``mirror.adopt``, then a full read back)."""
    from assistant.storage.store import Store

    root = args.work_dir / f"size-{size}"
    settings = phase_settings(args, root, "server-writer")
    parts = server_parts()
    load0 = load()
    t = time.perf_counter()
    store = Store(settings)
    adopt_s = time.perf_counter() - t
    docs, chunks = store.counts()
    store.close()
    return {
        "size": size,
        "docs": docs,
        "chunks": chunks,
        "adopted_from": str(args.adopt_from / f"size-{size}"),
        "build_s": adopt_s,  # copying the catalog up, and reading it back once
        "parts": parts.snapshot(),
        "peak_rss_mb": peak_rss_mb(),
        "load_before": load0,
        "load_after": load(),
    }


def _proc_mb(pid: int) -> dict[str, float]:
    """A process's resident memory now and at its peak (VmRSS, VmHWM)."""
    got = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            got["rss_mb" if key == "VmRSS" else "peak_rss_mb"] = int(value.split()[0]) / 1024
    return got


def run_server(args: argparse.Namespace, sizes: list[int], results: dict[str, Any]) -> None:
    """``--server``: per size, a ``chroma run`` holding the index; build into it (once),
    then a replica's cold and warm start, each in its own process (module docstring)."""
    from replicas import start_chroma

    out_path = args.json or args.work_dir / "scale-server.json"
    for size in sizes:
        root = args.work_dir / f"size-{size}"
        have = root / "built.json"
        r: dict[str, Any] = {}
        if args.rebuild or not have.exists():
            if root.exists():
                shutil.rmtree(root)
            root.mkdir(parents=True)
            if args.adopt_from:
                src = args.adopt_from / f"size-{size}" / "data"
                t = time.perf_counter()
                shutil.copytree(src / "chroma", root / "chroma-server")
                shutil.copytree(src / "index", root / "server-writer" / "index")
                copied_s = time.perf_counter() - t
        proc, port = start_chroma(root / "chroma-server")
        print(f"== size {size}: chroma run pid {proc.pid} port {port} ==", flush=True)
        try:
            if not have.exists():
                print(f"== building ~{size} chunks into the server (load {load()}) ==", flush=True)
                phase = "adopt" if args.adopt_from else "build"
                built = _child(args, phase, size, port, "server-writer")
                if args.adopt_from:
                    built["copy_s"] = copied_s
                built["server_after_build"] = _proc_mb(proc.pid)
                have.write_text(json.dumps(built))
            r["build"] = json.loads(have.read_text())
            print(f"  built: {r['build']}", flush=True)
            replica = root / "replica"
            if replica.exists():
                shutil.rmtree(replica)
            for label in ("cold", "warm"):
                r[label] = _child(args, "serve", size, port, "replica")
                r[f"server_after_{label}"] = _proc_mb(proc.pid)
                print(f"  {label}: {r[label]}", flush=True)
            r["server"] = {
                **_proc_mb(proc.pid),
                "disk_mb": _mb(root / "chroma-server"),
                "load": load(),
            }
            r["replica_disk"] = disk(root, "replica")
            r["writer_disk"] = disk(root, "server-writer")
        finally:
            proc.terminate()
            proc.wait(timeout=60)
        r["commit"] = subprocess.run(
            ["git", "-C", str(Path(__file__).parent), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        results[str(size)] = r
        out_path.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    report_server(results, out_path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=60, help="single-client questions")
    parser.add_argument("--concurrent-queries", type=int, default=160, help="across 8 clients")
    parser.add_argument("--per-file", type=int, default=100, help="articles per JSONL file")
    parser.add_argument("--rebuild", action="store_true", help="rebuild existing stores")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile startup and questions (SIZE dir)"
    )
    parser.add_argument("--report-only", action="store_true", help="table + plot from --json")
    parser.add_argument("--korquad", type=Path, default=KORQUAD)
    parser.add_argument("--work-dir", type=Path, default=Path("/work/bench-data/scale"))
    parser.add_argument("--json", type=Path, default=None, help="default WORK_DIR/scale.json")
    parser.add_argument("--_phase", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--_size", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument(
        "--server", action="store_true", help="issue 11: replicas of a chroma run server"
    )
    parser.add_argument(
        "--adopt-from", type=Path, default=None, help="--server: adopt this work dir's index"
    )
    parser.add_argument("--_port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--_data", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.work_dir = args.work_dir.resolve()
    args.work_dir.mkdir(parents=True, exist_ok=True)
    if args._phase:
        fn = {
            "build": phase_build,
            "serve": phase_serve,
            "reingest": phase_reingest,
            "adopt": phase_adopt,
        }
        print(json.dumps(fn[args._phase](args, args._size)))
        return
    if args.server:
        out_path = args.json or args.work_dir / "scale-server.json"
        results = json.loads(out_path.read_text()) if out_path.exists() else {}
        if args.report_only:
            report_server(results, out_path)
            return
        prep(args.work_dir, args.korquad)
        run_server(args, [int(s) for s in args.sizes.split(",") if s.strip()], results)
        return
    out_path = args.json or args.work_dir / "scale.json"
    results = json.loads(out_path.read_text()) if out_path.exists() else {}
    if not args.report_only:
        prep(args.work_dir, args.korquad)
        for size in [int(s) for s in args.sizes.split(",") if s.strip()]:
            r: dict[str, Any] = {}
            have = args.work_dir / f"size-{size}" / "built.json"
            if args.rebuild or not have.exists():
                print(f"== building ~{size} chunks (load {load()}) ==", flush=True)
                r["build"] = _child(args, "build", size)
                have.write_text(json.dumps(r["build"]))
            r["build"] = json.loads(have.read_text())
            print(f"  built: {r['build']}", flush=True)
            r["serve"] = _child(args, "serve", size)
            print(f"  serve: {r['serve']}", flush=True)
            r["disk"] = disk(args.work_dir / f"size-{size}")
            r["reingest"] = _child(args, "reingest", size)
            r["reingest_cli"] = cli_reingest(args, size)
            print(f"  reingest: {r['reingest']}\n  cli: {r['reingest_cli']}", flush=True)
            r["commit"] = subprocess.run(
                ["git", "-C", str(Path(__file__).parent), "rev-parse", "--short", "HEAD"],
                capture_output=True,
                text=True,
            ).stdout.strip()
            results[str(size)] = r
            out_path.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    report(results, out_path)


# ----------------------------------------------------------------------------- report


def rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for key in sorted(results, key=int):
        r = results[key]
        s, d, ri = r["serve"], r["disk"], r["reingest"]
        out.append(
            {
                "size": int(key),
                "chunks": s["chunks"],
                "p50_ms": s["p50_ms"],
                "p95_ms": s["p95_ms"],
                "c_p50_ms": s["concurrent_p50_ms"],
                "c_p95_ms": s["concurrent_p95_ms"],
                "answers_per_s": s["answers_per_s"],
                "peak_rss_mb": s["peak_rss_mb"],
                "first_answer_s": s["first_answer_s"],
                "reingest_s": r["reingest_cli"]["wall_s"],
                "reingest_inproc_s": ri["ingest_s"],
                "disk_mb": d["data_total_mb"],
                **d,
                "build_s": r["build"]["build_s"],
                "load": s["load_single"] + " / " + s["load_concurrent"],
                "backend": s.get("embedding_backend", "?"),
            }
        )
    return out


def report(results: dict[str, Any], out_path: Path) -> None:
    table = rows(results)
    if not table:
        return
    print(f"(question embedding runtime: {', '.join(sorted({t['backend'] for t in table}))})")
    print(
        "\n| chunks | 1 client p50 / p95 | 8 clients p50 / p95 | answers/s (8) | peak RSS "
        "| first answer | unchanged re-ingest (CLI / in-process) | disk: Chroma + catalog + "
        "BM25 | build | load avg (single → / 8 clients) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for t in table:
        print(
            f"| {t['chunks']:,} | {t['p50_ms']:.0f} / {t['p95_ms']:.0f} ms | {t['c_p50_ms']:.0f}"
            f" / {t['c_p95_ms']:.0f} ms | {t['answers_per_s']:.1f} | {t['peak_rss_mb']:,.0f} MB"
            f" | {t['first_answer_s']:.1f} s | {t['reingest_s']:.1f} / "
            f"{t['reingest_inproc_s']:.1f} s | {t['chroma_mb']:,.0f} + {t['catalog_mb']:,.0f} + "
            f"{t['bm25_mb']:,.0f} MB | {t['build_s']:.0f} s | {t['load']} |"
        )
    big = table[-1]
    print(f"\nTargets at {big['chunks']:,} chunks:")
    checks = [
        (
            "p50 single client ≤ 100 ms",
            big["p50_ms"] <= TARGETS["p50_ms"],
            f"{big['p50_ms']:.0f} ms",
        ),
        (
            "p95 single client ≤ 250 ms",
            big["p95_ms"] <= TARGETS["p95_ms"],
            f"{big['p95_ms']:.0f} ms",
        ),
        (
            "≥ 20 answers/s with 8 clients",
            big["answers_per_s"] >= 20,
            f"{big['answers_per_s']:.1f}/s",
        ),
        ("peak RSS ≤ 4 GB", big["peak_rss_mb"] <= 4096, f"{big['peak_rss_mb']:,.0f} MB"),
        ("first answer ≤ 30 s", big["first_answer_s"] <= 30, f"{big['first_answer_s']:.1f} s"),
        ("unchanged re-ingest ≤ 60 s", big["reingest_s"] <= 60, f"{big['reingest_s']:.1f} s"),
    ]
    small = table[0]
    if big is not small:
        ratio = big["chunks"] / small["chunks"]
        for key in ("p50_ms", "peak_rss_mb", "disk_mb", "first_answer_s", "reingest_s"):
            grow = big[key] / small[key]
            checks.append(
                (
                    f"{key} grows no faster than chunks ({small['chunks']:,} → {big['chunks']:,}: "
                    f"×{ratio:.0f})",
                    grow <= ratio,
                    f"×{grow:.1f}",
                )
            )
    for name, ok, got in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {name}: {got}")
    if big["chunks"] < 900_000:
        print("  (the targets are for 1M chunks; this run's largest index is smaller)")
    html = out_path.with_suffix(".html")
    html.write_text(plot(table), "utf-8")
    print(f"\nJSON: {out_path}\nplot: {html}")
    print(HOW)


def report_server(results: dict[str, Any], out_path: Path) -> None:
    """The ``--server`` table: a replica's cold and warm start, latency, memory, disk."""
    if not results:
        return
    print(
        "\n| chunks (docs) | build into server | start | first answer | imports · kiwi · model "
        "· rest of Assistant() · store open [sync: server get · decode · local insert] · BM25 "
        "· dense query · rest of 1st question | full read | 1 client p50 / p95 | replica peak "
        "RSS | server RSS (peak) | server disk | load avg before → after single client |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for key in sorted(results, key=int):
        r = results[key]
        for label in ("cold", "warm"):
            s = r[label]
            p = s["start_parts"]

            def g(k: str, p: dict[str, Any] = p) -> float:
                return p.get(f"{k}_s", 0.0)

            bm25 = sum(g(f"bm25_{k}") for k in ("rows", "build", "load", "check", "save"))
            rest = s["first_question_s"] - bm25 - g("dense_search")
            other = s["open_s"] - g("kiwi_load") - g("model_load") - g("store_open")
            net = s["imports_s"] + s["open_s"] + s["first_question_s"]
            rate = s.get("full_read_docs_per_s")
            srv = r["server"]
            how = "adopted in " if r["build"].get("adopted_from") else ""
            print(
                f"| {s['chunks']:,} ({s['docs']:,}) | {how}{r['build']['build_s']:.0f} s | {label} "
                f"| {net:.1f} s | {s['imports_s']:.1f} · {g('kiwi_load'):.1f} · "
                f"{g('model_load'):.1f} · {other:.1f} · {g('store_open'):.1f} "
                f"[{g('sync'):.1f}: {g('server_get'):.1f} · {g('decode'):.1f} · "
                f"{g('catalog_insert'):.1f}] · {bm25:.1f} · {g('dense_search'):.1f} · {rest:.1f} s "
                f"| {f'{rate:,.0f} docs/s' if rate else '—'} | {s['p50_ms']:.0f} / "
                f"{s['p95_ms']:.0f} ms | {s['peak_rss_mb']:,.0f} MB | {srv['rss_mb']:,.0f} "
                f"({srv['peak_rss_mb']:,.0f}) MB | {srv['disk_mb']:,.0f} MB | "
                f"{s['load_single']} |"
            )
    print(
        "\nfirst answer = imports + Assistant() + first question, from the serving process's "
        "start (prep-cache reading excluded); the server's peak RSS includes the build when "
        "it was built in this run."
    )
    print(f"JSON: {out_path}")


HOW = (
    "How the vectors were made: every unique KorQuAD dev sentence and title embedded once by "
    f"the real e5 model; chunk vector = normalise(mean of its sentences' vectors + N(0, {NOISE}²)"
    " per dimension); sentence vector = the real one + the same noise, re-normalised. Terms are "
    "the sentences' real kiwi morphemes. Articles: the 964 real KorQuAD paragraphs plus "
    "synthetic articles of 6–16 real sentences recombined, written as JSONL files and ingested "
    "by the real Ingester with these lookups in place of kiwi and the model."
)


def plot(table: list[dict[str, Any]]) -> str:
    """Three log-x SVG panels (latency, RSS, disk vs chunks) in one HTML page."""
    import math

    def panel(title: str, series: dict[str, list[float]], unit: str) -> str:
        w, h, lm, r, t, b = 360, 240, 56, 12, 28, 40
        xs = [math.log10(row["chunks"]) for row in table]
        x0, x1 = min(xs) - 0.1, max(xs) + 0.1
        top = max(max(v) for v in series.values()) * 1.15 or 1

        def px(x: float) -> float:
            return lm + (x - x0) / (x1 - x0) * (w - lm - r)

        def py(y: float) -> float:
            return h - b - y / top * (h - t - b)

        parts = [
            f"<text x='{w / 2}' y='16' text-anchor='middle' font-weight='600'>{title}</text>",
            f"<line x1='{lm}' y1='{h - b}' x2='{w - r}' y2='{h - b}' stroke='#888'/>",
            f"<line x1='{lm}' y1='{t}' x2='{lm}' y2='{h - b}' stroke='#888'/>",
            f"<text x='{lm - 4}' y='{t + 4}' text-anchor='end'>{top:.0f}</text>",
            f"<text x='{lm - 4}' y='{h - b}' text-anchor='end'>0 {unit}</text>",
        ]
        for row, x in zip(table, xs, strict=True):
            parts.append(
                f"<text x='{px(x)}' y='{h - b + 16}' text-anchor='middle'>{row['chunks']:,}</text>"
            )
        colours = ["#2563eb", "#dc2626", "#16a34a", "#9333ea"]
        for n, (name, ys) in enumerate(series.items()):
            c = colours[n % len(colours)]
            pts = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(xs, ys, strict=True))
            parts.append(f"<polyline points='{pts}' fill='none' stroke='{c}' stroke-width='2'/>")
            parts.append(f"<text x='{lm + 8}' y='{t + 14 + 14 * n}' fill='{c}'>{name}</text>")
        return (
            f"<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h}' "
            f"font-family='system-ui,sans-serif' font-size='11'>{''.join(parts)}</svg>"
        )

    col = lambda k: [row[k] for row in table]  # noqa: E731
    return (
        "<!doctype html><meta charset='utf-8'><title>bench/scale.py</title>"
        "<h3>Serving at a million chunks (bench/scale.py), log x</h3>"
        + panel(
            "latency (ms)",
            {
                "p50 1 client": col("p50_ms"),
                "p95 1 client": col("p95_ms"),
                "p50 8 clients": col("c_p50_ms"),
                "p95 8 clients": col("c_p95_ms"),
            },
            "ms",
        )
        + panel("peak RSS serving (MB)", {"peak RSS": col("peak_rss_mb")}, "MB")
        + panel(
            "disk (MB)",
            {"Chroma": col("chroma_mb"), "catalog": col("catalog_mb"), "BM25": col("bm25_mb")},
            "MB",
        )
        + f"<p>{HOW}</p>"
    )


if __name__ == "__main__":
    main()
