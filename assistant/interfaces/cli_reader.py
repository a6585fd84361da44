"""The ``assistant models train-reader`` command: thin, the work is in
:mod:`assistant.evaluation.reader_recipe`."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from assistant.interfaces.cli_support import fail, out, settings
from assistant.interfaces.runtime import configure_threads

KORQUAD = Path("/work/shared/eval/korquad-v1-dev/KorQuAD_v1.0_dev.json")


def train_reader_command(
    ctx: typer.Context,
    korquad: Annotated[Path, typer.Option(help="KorQuAD 1.0 dev file (read in place)")] = KORQUAD,
    out_dir: Annotated[Path, typer.Option("--out", help="Where the weights and card go")] = Path(
        "assistant/models/reader"
    ),
    run_dir: Annotated[
        Path, typer.Option(help="Work folder: index, examples, checkpoints (resumed)")
    ] = Path("/work/bench-data/reader"),
    seed: Annotated[int, typer.Option(help="Seed of data order and head init")] = 13,
    epochs: Annotated[float, typer.Option(help="Passes over the examples")] = 2.0,
    layers: Annotated[int, typer.Option(help="e5 encoder layers kept (of 12)")] = 6,
    freeze_layers: Annotated[int, typer.Option(help="Lower layers kept fixed")] = 0,
    batch_size: Annotated[int, typer.Option(help="Examples per step")] = 16,
    lr: Annotated[float, typer.Option(help="Peak learning rate (AdamW)")] = 1e-4,
    max_tokens: Annotated[int, typer.Option(help="Input limit, question first")] = 256,
    negatives: Annotated[int, typer.Option(help="Hard negatives per question")] = 2,
    threads: Annotated[int, typer.Option(help="torch threads")] = 2,
) -> None:
    """Train the extractive reader on the fit part of KorQuAD's calibration half (every 5th
    calibration article is held out for the no-answer threshold; hard negatives from the
    project's own retrieval), checkpointing every 200 steps; a rerun resumes."""
    from assistant.errors import ModelPreparationError
    from assistant.evaluation.reader_recipe import train_reader
    from assistant.models.reader_training import TrainConfig

    if not korquad.is_file():
        fail(f"KorQuAD file not found: {korquad}")
    configure_threads(threads)
    config = TrainConfig(
        seed=seed,
        epochs=epochs,
        layers=layers,
        freeze_layers=freeze_layers,
        batch_size=batch_size,
        lr=lr,
        max_tokens=max_tokens,
    )
    command = shlex.join(["assistant", *sys.argv[1:]])
    try:
        card = train_reader(
            settings(ctx), korquad, run_dir, out_dir, config, command=command, negatives=negatives
        )
    except (ModelPreparationError, ValueError) as exc:
        fail(str(exc))
    out.print(f"reader written to {out_dir} ({card['bytes']:,} bytes, sha256 {card['sha256']})")
