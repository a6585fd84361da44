"""Collect what the refusal can be decided on, per KorQuAD question, answerable and not.

    HF_HUB_OFFLINE=1 python bench/refusal_features.py --work /work/bench-data/reader \\
        --weights assistant/models/reader --out /work/bench-data/refusal-features.json

For every question of the calibration half's ``held-out`` part (the articles
``train-reader`` does not train on, ``reader_data.part_of``) and of the fixed test-half
sample (``random.Random(13)``, as ``bench/korquad_answers.py`` draws it), asked twice
(answerable: the chain's top k; removed: the same deep ranking without the question's
article, the next k), it records what ``ExtractiveAnswerer`` computes before deciding:

* ``relevance``: the heuristic's 0..1 relevance of its best sentence (``answering.relevance``);
* ``sentence_margin``: the reader's span − no-answer margin on that sentence alone (what
  the short answer already reads, so free at answer time);
* ``chunk_margin``: the margin on the passage (chunk) holding that sentence;
* ``best_margin``: the best margin over the k passages (the reader answerer's rule);
* ``refused``, ``contains_gold``: what the extractive answer did.

``bench/calibrate_refusal.py`` fits the refusal on the held-out rows and reports on the
test rows. Retrieval is cached in the work folder with the rows.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from korquad_answers import KORQUAD, MODELS, sample_half  # this folder's chain bench

from assistant import configure_threads
from assistant.answering.base import AnswerRequest
from assistant.evaluation import metrics as m
from assistant.evaluation import reader_data as rd
from assistant.evaluation.squad import squad_workspace
from assistant.models.embedder import model_folder
from assistant.models.reader import Reader
from assistant.pipeline.service import Assistant
from assistant.settings import Settings


def sample(cases: list, part: str, n: int) -> list:
    """The held-out part whole, or the test half's fixed sample of n (the questions
    ``bench/korquad_answers.py`` reports on)."""
    if part == "held-out":
        return rd.part_cases(cases, "held-out")
    return sample_half(cases, "test", n)


def features(qa: Assistant, reader: Reader, question: str, docs: list, vector) -> dict[str, Any]:
    """What the extractive answerer and the reader make of one question and its passages."""
    extractive = qa.answerers["extractive"]
    request = AnswerRequest(question, tuple(docs), vector)
    reading = extractive.read(request)
    answer = extractive.answer(request)
    row: dict[str, Any] = {
        "relevance": reading.relevance,
        "refused": answer.refused,
        "answer": answer.text,
        "short": answer.short_answer,
        "scored": bool(reading.scored),
    }
    margins = [r.margin for r in reader.read(question, [d.page_content for d in docs])]
    row["best_margin"] = max(margins, default=-99.0)
    row["sentence_margin"] = row["chunk_margin"] = -99.0
    if reading.scored:
        first = reading.scored[0]
        row["sentence_margin"] = reader.read(question, [first.text])[0].margin
        ids = [d.metadata["chunk_id"] for d in docs]
        row["chunk_margin"] = margins[ids.index(first.doc.metadata["chunk_id"])]
    return row


def collect(qa: Assistant, reader: Reader, cases: list, part: str) -> list[dict[str, Any]]:
    """Rows for each case, answerable and with its article removed from the ranking."""
    rows = []
    k = qa.settings.k
    for case in cases:
        turn = case.turns[0]
        title = case.tags[0]
        ranking = qa.search.search(turn.question, k=rd.DEPTH)
        vector = qa.embedder.embed_queries([qa.search.dense_query(turn.question)])[0]
        removed = [d for d in ranking if d.metadata["title"] != title][:k]
        for answerable, docs in ((True, ranking[:k]), (False, removed)):
            row = features(qa, reader, turn.question, docs, vector)
            golds = turn.answers if answerable else []
            row.update(part=part, answerable=answerable, question=turn.question, golds=golds)
            row["contains_gold"] = bool(golds) and m.contains_answer(row["answer"], golds)
            rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, default=Path("/work/bench-data/reader"))
    parser.add_argument("--korquad", type=Path, default=KORQUAD)
    parser.add_argument("--models", type=Path, default=MODELS)
    parser.add_argument("--weights", type=Path, help="reader folder (default: the packaged one)")
    parser.add_argument("--per-half", type=int, default=600)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    configure_threads(2)
    settings = Settings(data_dir=args.work, model_dir=args.models, short_answers="heuristic")
    cases, corpus_dir, eval_settings = squad_workspace(args.korquad, settings)
    reader = Reader(model_folder(settings), settings.models_dir, args.weights)
    rows: list[dict[str, Any]] = []
    with Assistant(eval_settings) as qa:
        qa.ingest([corpus_dir], progress=False)
        for part in ("held-out", "test"):
            rows += collect(qa, reader, sample(cases, part, args.per_half), part)
            print(part, len(rows), file=sys.stderr)
    args.out.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
