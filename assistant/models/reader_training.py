"""Fine-tuning the reader on CPU: fixed seed, length-sorted batches, checkpoints, resume.

The examples (question, passage, answer characters or none) are encoded once; the plan
of batches for every epoch follows from the seed alone, so a run stopped after step n
and resumed from its checkpoint trains exactly the batches an uninterrupted run would.
Loss: cross-entropy of the start and of the end position (position 0 for no answer).
"""

from __future__ import annotations

import json
import logging
import os
import random
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from assistant.models import reader_spans as rs
from assistant.models.reader_model import ReaderNet, from_e5

log = logging.getLogger(__name__)
CHECKPOINT = "checkpoint.pt"


@dataclass(frozen=True, slots=True)
class ReaderExample:
    """A question and a passage; ``start``/``end`` the answer's characters in the
    passage, or -1/-1 when the passage does not answer it."""

    question: str
    passage: str
    start: int = -1
    end: int = -1


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """The knobs of one run (all recorded next to the weights)."""

    seed: int = 13
    epochs: float = 2.0
    layers: int = 6
    freeze_layers: int = 0
    batch_size: int = 16
    lr: float = 1e-4
    warmup: float = 0.1
    weight_decay: float = 0.01
    max_tokens: int = 256
    checkpoint_every: int = 200


def read_examples(path: Path) -> list[ReaderExample]:
    """Examples from a JSONL file written by :func:`write_examples`."""
    with path.open(encoding="utf-8") as fh:
        return [ReaderExample(**json.loads(line)) for line in fh if line.strip()]


def write_examples(path: Path, examples: list[ReaderExample]) -> None:
    """Examples as JSONL (one object a line), written atomically."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for ex in examples:
            fh.write(json.dumps(asdict(ex), ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def encode(
    tok: object, examples: list[ReaderExample], max_tokens: int
) -> list[tuple[list[int], int, int]]:
    """Each example → (token ids, start token, end token); (0, 0) for no answer."""
    out = []
    for ex in examples:
        enc = rs.encode_pair(tok, ex.question, ex.passage, max_tokens)  # type: ignore[arg-type]
        span = rs.token_span(rs.passage_offsets(enc), ex.start, ex.end) if ex.start >= 0 else (0, 0)
        out.append((enc.ids, *span))
    return out


def plan(lengths: list[int], config: TrainConfig) -> list[list[int]]:
    """Every step's example indices: per epoch a seeded shuffle, cut into pools of 50
    batches sorted by length (little padding), the batches of a pool shuffled again."""
    rng = random.Random(config.seed)
    steps: list[list[int]] = []
    whole, part = int(config.epochs), config.epochs - int(config.epochs)
    for epoch in range(whole + (part > 0)):
        order = list(range(len(lengths)))
        rng.shuffle(order)
        if epoch == whole:
            order = order[: int(len(order) * part)]
        pool = config.batch_size * 50
        for lo in range(0, len(order), pool):
            chunk = sorted(order[lo : lo + pool], key=lengths.__getitem__)
            batches = [
                chunk[i : i + config.batch_size] for i in range(0, len(chunk), config.batch_size)
            ]
            rng.shuffle(batches)
            steps.extend(batches)
    return steps


def collate(encoded: list[tuple[list[int], int, int]], idx: list[int]) -> dict[str, torch.Tensor]:
    """Pad one batch to its longest input."""
    width = max(len(encoded[i][0]) for i in idx)
    ids = torch.full((len(idx), width), rs.PAD_ID, dtype=torch.long)
    mask = torch.zeros((len(idx), width), dtype=torch.long)
    for row, i in enumerate(idx):
        n = len(encoded[i][0])
        ids[row, :n] = torch.tensor(encoded[i][0])
        mask[row, :n] = 1
    start = torch.tensor([encoded[i][1] for i in idx])
    end = torch.tensor([encoded[i][2] for i in idx])
    return {"ids": ids, "mask": mask, "start": start, "end": end}


def _optimizer(net: ReaderNet, config: TrainConfig, total: int) -> tuple:
    decay = [p for n, p in net.named_parameters() if p.requires_grad and p.ndim > 1]
    rest = [p for n, p in net.named_parameters() if p.requires_grad and p.ndim <= 1]
    opt = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": config.weight_decay},
            {"params": rest, "weight_decay": 0},
        ],
        lr=config.lr,
    )
    warm = max(1, int(total * config.warmup))

    def factor(step: int) -> float:
        return step / warm if step < warm else max(0.0, (total - step) / max(1, total - warm))

    return opt, torch.optim.lr_scheduler.LambdaLR(opt, factor)


def _save(out: Path, net: ReaderNet, opt: object, sched: object, step: int) -> None:
    tmp = out / (CHECKPOINT + ".tmp")
    torch.save(
        {
            "step": step,
            "model": net.own_state(),
            "optimizer": opt.state_dict(),  # type: ignore[attr-defined]
            "scheduler": sched.state_dict(),  # type: ignore[attr-defined]
            "rng": torch.get_rng_state(),
        },
        tmp,
    )
    os.replace(tmp, out / CHECKPOINT)


def _resume(out: Path, net: ReaderNet, opt: object, sched: object) -> int:
    path = out / CHECKPOINT
    if not path.is_file():
        return 0
    state = torch.load(path, weights_only=False)
    net.load_state_dict(state["model"], strict=False)
    opt.load_state_dict(state["optimizer"])  # type: ignore[attr-defined]
    sched.load_state_dict(state["scheduler"])  # type: ignore[attr-defined]
    torch.set_rng_state(state["rng"])
    log.info("resuming at step %d from %s", state["step"], path)
    return int(state["step"])


def _steps(net: ReaderNet, batches: Iterator[dict[str, torch.Tensor]]) -> Iterator[torch.Tensor]:
    loss_fn = torch.nn.CrossEntropyLoss()
    for b in batches:
        start, end = net(b["ids"], b["mask"])
        yield (loss_fn(start, b["start"]) + loss_fn(end, b["end"])) / 2


def train(
    examples: list[ReaderExample], e5_folder: Path, out: Path, config: TrainConfig
) -> ReaderNet:
    """Train (or resume training) a reader in ``out``; return the trained network.

    :param examples: the training examples, in a fixed order.
    :param e5_folder: the prepared e5 folder (weights, tokenizer).
    :param out: the run's folder: ``checkpoint.pt`` every ``checkpoint_every`` steps and
        ``train.log.jsonl``; a run started on a folder with a checkpoint resumes there.
    """
    out.mkdir(parents=True, exist_ok=True)
    random.seed(config.seed)
    np.random.seed(config.seed)
    encoded = encode(rs.load_tokenizer(e5_folder), examples, config.max_tokens)
    steps = plan([len(e[0]) for e in encoded], config)
    net = from_e5(e5_folder, config.layers, config.seed)
    net.freeze_lower(config.freeze_layers)
    opt, sched = _optimizer(net, config, len(steps))
    done = _resume(out, net, opt, sched)
    net.train()
    started, window = time.perf_counter(), []
    todo = (collate(encoded, idx) for idx in steps[done:])
    with (out / "train.log.jsonl").open("a", encoding="utf-8") as logf:
        for step, loss in enumerate(_steps(net, todo), done + 1):
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            window.append(loss.item())
            if step % 20 == 0 or step == len(steps):
                rate = (step - done) / (time.perf_counter() - started)
                row = {
                    "step": step,
                    "of": len(steps),
                    "loss": round(float(np.mean(window)), 4),
                    "lr": sched.get_last_lr()[0],
                    "steps_per_s": round(rate, 3),
                }
                logf.write(json.dumps(row) + "\n")
                logf.flush()
                log.info("%s", row)
                window = []
            if step % config.checkpoint_every == 0 or step == len(steps):
                _save(out, net, opt, sched, step)
    net.eval()
    return net
