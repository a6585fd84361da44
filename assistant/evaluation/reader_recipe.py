"""``assistant models train-reader``: KorQuAD calibration half (its ``fit`` part) → reader.

Steps, each reused when already done: index the KorQuAD paragraphs with the project's
own ingest (``squad_workspace``), build the examples of the calibration half
(:mod:`assistant.evaluation.reader_data`, cached as JSONL in the run folder), keep its
``fit`` part (the ``held-out`` articles are left for the threshold), train
(:mod:`assistant.models.reader_training`, checkpointed, resumable) and export the weights
as fp16 with their card (:mod:`assistant.models.reader_weights`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from assistant.evaluation import reader_data
from assistant.evaluation.squad import squad_workspace
from assistant.models.embedder import model_folder
from assistant.models.reader_training import (
    ReaderExample,
    TrainConfig,
    read_examples,
    train,
    write_examples,
)
from assistant.models.reader_weights import export
from assistant.settings import Settings

log = logging.getLogger(__name__)
LICENCE = "KorQuAD 1.0 (dev split): CC BY-ND 2.0 KR"


def examples(settings: Settings, korquad: Path, cache: Path, negatives: int) -> list[ReaderExample]:
    """The ``fit`` part's examples (:func:`reader_data.fit_examples`); those of the whole
    calibration half are built once and cached at ``cache``."""
    cases, corpus_dir, eval_settings = squad_workspace(korquad, settings)
    if cache.is_file():
        built = read_examples(cache)
    else:
        built = _build(korquad, cases, corpus_dir, eval_settings, negatives)
        cache.parent.mkdir(parents=True, exist_ok=True)
        write_examples(cache, built)
    return reader_data.fit_examples(built, korquad, cases)


def _build(
    korquad: Path, cases: list, corpus_dir: Path, eval_settings: Settings, negatives: int
) -> list[ReaderExample]:
    from assistant.pipeline.service import Assistant

    calibration = reader_data.half_cases(cases, "calibration")
    with Assistant(eval_settings) as qa:
        qa.ingest([corpus_dir], progress=False)
        return reader_data.build(qa, reader_data.golds(korquad, calibration), negatives)


def describe(built: list[ReaderExample], korquad: Path, negatives: int) -> dict[str, Any]:
    """What the weights were trained on, for the card."""
    answered = sum(ex.start >= 0 for ex in built)
    return {
        "source": f"{korquad.name}, fit part of the calibration half (articles of even index "
        "in order of first appearance, less every 5th of them, held out for the no-answer "
        "threshold; negatives from held-out articles dropped), chunked by the project's ingest",
        "examples": len(built),
        "answerable": answered,
        "unanswerable": len(built) - answered,
        "hard_negatives_per_question": negatives,
        "licence": LICENCE,
    }


def train_reader(
    settings: Settings,
    korquad: Path,
    run_dir: Path,
    out: Path,
    config: TrainConfig,
    *,
    command: str,
    negatives: int = 2,
) -> dict[str, Any]:
    """Build the data, train (resuming in ``run_dir``) and export to ``out``; returns the card.

    :param korquad: the KorQuAD 1.0 dev file (read in place).
    :param run_dir: the run's work folder (index, examples, checkpoints), outside git.
    :param out: where ``reader.safetensors`` and ``reader.json`` go.
    :param command: the command line, recorded in the card.
    """
    started = time.perf_counter()
    e5 = model_folder(settings)
    work = settings.model_copy(update={"data_dir": run_dir, "model_dir": settings.models_dir})
    built = examples(work, korquad, run_dir / f"examples-neg{negatives}.jsonl", negatives)
    log.info("%d examples", len(built))
    net = train(
        built,
        e5,
        run_dir / f"run-s{config.seed}-l{config.layers}-f{config.freeze_layers}-e{config.epochs}",
        config,
    )
    card = {
        "model": "extractive reader: multilingual-e5-small (first layers) + span head",
        "config": asdict(config),
        "data": describe(built, korquad, negatives),
        "command": command,
        "train_seconds": round(time.perf_counter() - started),
    }
    return export(net.own_state(), out, card)
