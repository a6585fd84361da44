"""Where the answerer's sentence vectors come from: their own pass, or the chunk's pass.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/sentence_vectors.py --paragraphs 300 \\
        --json artifacts/sentence_vectors.json

Issue 10 asks for one forward pass per chunk. The extractive answerer scores each sentence
of the retrieved chunks partly by the cosine between the question and the sentence's
vector; this script measures what the source of that vector does to the answers:

* ``separate``: every sentence embedded on its own (the earlier pipeline);
* ``pooled``: the mean of the sentence's token embeddings in its chunk's forward pass
  (what ``sentence_vectors = "pooled"`` stores);
* ``pooled-minus-chunk-B``: the pooled vector with ``B`` times the chunk's vector taken
  away, then re-normalised (the chunk's shared context pulls every sentence of a chunk
  towards the same direction; removing part of it is meant to let them differ again).

Two indexes, built once with the pooled pipeline: the bundled page (``corpus/``, scored
with ``evals/seed.jsonl``) and the first ``--paragraphs`` KorQuAD 1.0 dev paragraphs
(scored with their questions). For each variant only the catalog's sentence vectors are
replaced, so retrieval is identical and every difference is the answerer's. Metrics: the
evaluation runner's (answer contains gold, citation correctness, refusals). The KorQuAD
questions are split by article into two halves (article index even: "calibration", odd:
"test"); a variant is chosen on the calibration half and the test half is reported.
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

import numpy as np

from assistant import configure_threads
from assistant.evaluation.cases import load_cases
from assistant.evaluation.runner import evaluate
from assistant.evaluation.squad import load_squad
from assistant.indexing.embedding import embed_text, sentence_spans
from assistant.models.pooling import normalize
from assistant.pipeline.service import Assistant
from assistant.settings import PROJECT_ROOT, Settings
from assistant.types import Article, Chunk

KORQUAD = Path("/work/shared/eval/korquad-v1-dev/KorQuAD_v1.0_dev.json")
METRICS = ("answer_contains_gold", "citation_correct", "refusal_recall", "false_refusals", "f1")


def variants(qa: Assistant, betas: list[float]) -> dict[str, dict[tuple[str, int], np.ndarray]]:
    """Every stored document's sentence vectors under each variant, keyed (doc_id, start)."""
    out: dict[str, dict[tuple[str, int], np.ndarray]] = {"separate": {}, "pooled": {}}
    out.update({f"pooled-minus-chunk-{b}": {} for b in betas})
    chunks = qa.store.get_chunks(qa.store.catalog.lexical_rows().chunk_ids)  # in ingest order
    pairs = []
    for c in chunks.values():
        article = Article(doc_id=c.doc_id, title=c.title, text=c.doc_text, source=c.source)
        chunk = Chunk(c.chunk_id, c.doc_id, c.index, c.text, c.start, c.end, c.sentences)
        pairs.append((article, chunk))
    texts = [embed_text(a, c) for a, c in pairs]
    spans = [sentence_spans(t, c) for t, (_, c) in zip(texts, pairs, strict=True)]
    chunk_vecs, pooled = qa.embedder.embed_chunks(texts, spans)
    sentences: dict[tuple[str, int], str] = {}
    for (a, c), cv, sv in zip(pairs, chunk_vecs, pooled, strict=True):
        for span, v in zip(c.sentences, sv, strict=True):
            key = (a.doc_id, span.start)
            if key in out["pooled"]:
                continue
            sentences[key] = a.text[span.start : span.end]
            out["pooled"][key] = v
            for b in betas:
                out[f"pooled-minus-chunk-{b}"][key] = normalize(v - b * cv)
    keys = list(sentences)
    own = qa.embedder.embed_passages([sentences[k] for k in keys])
    out["separate"] = dict(zip(keys, own, strict=True))
    return out


def store_variant(qa: Assistant, vectors: dict[tuple[str, int], np.ndarray]) -> None:
    """Replace the catalog's sentence vectors (retrieval is untouched)."""
    qa.store.catalog.add_sentence_vectors([(d, s, v) for (d, s), v in vectors.items()])


def score(qa: Assistant, cases: list, label: str) -> dict[str, float]:
    report = evaluate(qa, cases, progress=False, source=label)
    return {m: round(float(report.metrics.get(m, float("nan"))), 4) for m in METRICS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--paragraphs", type=int, default=300)
    parser.add_argument("--betas", default="")
    parser.add_argument("--korquad", type=Path, default=KORQUAD)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    configure_threads(1)  # questions are embedded on one thread, as `assistant ask` does
    betas = [float(b) for b in args.betas.split(",") if b]
    work = Path(tempfile.mkdtemp(prefix="sentvec-"))
    model_dir = PROJECT_ROOT / ".data" / "models"
    results: dict[str, dict[str, dict[str, float]]] = {}

    # KorQuAD subset: the first N paragraphs, questions split by article.
    all_cases = load_squad(args.korquad, work / "korquad-all.jsonl")
    records = [
        json.loads(line)
        for line in (work / "korquad-all.jsonl").read_text(encoding="utf-8").splitlines()
    ][: args.paragraphs]
    kept = {r["id"] for r in records}
    corpus = work / "korquad"
    corpus.mkdir()
    (corpus / "korquad.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8"
    )
    titles = list(dict.fromkeys(r["id"].rsplit("#", 1)[0] for r in records))
    half = {t: i % 2 for i, t in enumerate(titles)}
    cases = [c for c in all_cases if all(g.split("/")[-1] in kept for g in c.turns[0].gold_docs)]
    calib = [c for c in cases if half[c.turns[0].gold_docs[0].rsplit("#", 1)[0]] == 0]
    test = [c for c in cases if half[c.turns[0].gold_docs[0].rsplit("#", 1)[0]] == 1]
    seed_cases = load_cases(PROJECT_ROOT / "evals" / "seed.jsonl")

    for name, folder, sets in (
        ("seed", PROJECT_ROOT / "corpus", {"seed": seed_cases}),
        ("korquad", corpus, {"calibration": calib, "test": test}),
    ):
        settings = Settings(data_dir=work / f"data-{name}", model_dir=model_dir)
        with Assistant(settings) as qa:
            started = time.perf_counter()
            report = qa.ingest([folder], progress=False)
            print(f"{name}: {report.summary()} in {time.perf_counter() - started:.0f} s")
            by_variant = variants(qa, betas)
            for variant, vectors in by_variant.items():
                store_variant(qa, vectors)
                for label, subset in sets.items():
                    got = score(qa, subset, label)
                    results.setdefault(f"{label} ({len(subset)})", {})[variant] = got
                    print(f"{label:12s} {variant:24s} {got}", flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
