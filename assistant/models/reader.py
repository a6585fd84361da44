"""``Reader``: answer spans and "no answer" scores for a question over passages, on OpenVINO.

The committed weights (:mod:`assistant.models.reader_weights`) are joined with the
word-embedding matrix of the prepared e5 folder, converted once to OpenVINO IR (float16
weights) under ``MODELS_DIR/reader-<sha256[:12]>/`` and compiled with bfloat16 inference
where the CPU has it, as the embedder does (:mod:`assistant.models.openvino_encoder`).
Torch is only needed for that one conversion.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock

from assistant.errors import ModelPreparationError
from assistant.models import reader_spans as rs
from assistant.models.reader_weights import load_own, packaged_dir, read_card

log = logging.getLogger(__name__)
MODEL_FILE = "model.xml"


def ir_folder(models_dir: Path, weights_dir: Path) -> Path:
    """Where the converted reader of these weights is cached."""
    return models_dir / f"reader-{read_card(weights_dir)['sha256'][:12]}"


def _convert(e5_folder: Path, weights_dir: Path) -> Any:
    import openvino as ov
    import torch

    from assistant.models.reader_model import assemble

    own, card = load_own(weights_dir)
    net = assemble(e5_folder, own, int(card["config"]["layers"]))
    example = {
        "input_ids": torch.ones((2, 8), dtype=torch.int64),
        "attention_mask": torch.ones((2, 8), dtype=torch.int64),
    }
    with torch.no_grad():
        model = ov.convert_model(
            net,
            example_input=example,
            input=[("input_ids", [-1, -1], ov.Type.i64), ("attention_mask", [-1, -1], ov.Type.i64)],
        )
    model.outputs[0].get_tensor().set_names({"start_logits"})
    model.outputs[1].get_tensor().set_names({"end_logits"})
    return model


def export_reader(e5_folder: Path, models_dir: Path, weights_dir: Path | None = None) -> Path:
    """The reader as OpenVINO IR, converted on first use; returns its ``model.xml``.

    :param e5_folder: the prepared e5 folder (word embeddings, tokenizer).
    :param models_dir: the data dir's models folder (the cache).
    :param weights_dir: the reader's weights and card (the packaged ones by default).
    :raises ModelPreparationError: weights missing or altered, or the conversion failed.
    """
    weights_dir = weights_dir or packaged_dir()
    target = ir_folder(models_dir, weights_dir)
    if (target / MODEL_FILE).is_file():
        return target / MODEL_FILE
    models_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if (target / MODEL_FILE).is_file():
            return target / MODEL_FILE
        tmp = target.with_name(target.name + f".tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        try:
            import openvino as ov

            ov.save_model(
                _convert(e5_folder, weights_dir), str(tmp / MODEL_FILE), compress_to_fp16=True
            )
            shutil.copyfile(weights_dir / "reader.json", tmp / "reader.json")
            tmp.rename(target)
        except ModelPreparationError:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        except Exception as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise ModelPreparationError(
                f"could not convert the reader for OpenVINO ({type(exc).__name__}: {exc})"
            ) from exc
    log.info("exported the reader to %s", target)
    return target / MODEL_FILE


class Reader:
    """Reads passages for a question: per passage, its best span and the no-answer score.

    :param e5_folder: the prepared e5 folder.
    :param models_dir: the cache of converted models (``Settings.models_dir``).
    :param weights_dir: the reader's weights (the packaged ones by default).
    :param precision: "bf16" or "f32" inference precision.
    :param threads: CPU threads per inference (None: every core).
    """

    def __init__(
        self,
        e5_folder: Path,
        models_dir: Path,
        weights_dir: Path | None = None,
        *,
        precision: str = "bf16",
        threads: int | None = None,
    ) -> None:
        import openvino as ov

        weights_dir = weights_dir or packaged_dir()
        self.card = read_card(weights_dir)
        self.max_tokens = int(self.card["config"].get("max_tokens", rs.MAX_TOKENS))
        # span − no-answer margin under which a passage does not answer (calibrated on
        # KorQuAD's calibration half by bench/reader_quality.py, recorded in the card)
        self.threshold = float(self.card.get("no_answer_threshold", 0.0))
        self._tok = rs.load_tokenizer(e5_folder)
        config: dict[str, Any] = {
            "PERFORMANCE_HINT": "LATENCY",
            "NUM_STREAMS": 1,
            "INFERENCE_PRECISION_HINT": precision,
        }
        if threads:
            config["INFERENCE_NUM_THREADS"] = threads
        model_file = export_reader(e5_folder, models_dir, weights_dir)
        compiled = ov.Core().compile_model(str(model_file), "CPU", config)
        self._request = compiled.create_infer_request()
        self._lock = threading.Lock()  # one infer request: one batch at a time

    def logits(self, batch: rs.PairBatch) -> tuple[np.ndarray, np.ndarray]:
        """Start and end logits (batch × tokens, float32) of one padded batch."""
        with self._lock:
            self._request.infer({"input_ids": batch.ids, "attention_mask": batch.mask})
            start = np.array(self._request.get_tensor("start_logits").data, dtype=np.float32)
            end = np.array(self._request.get_tensor("end_logits").data, dtype=np.float32)
        return start, end

    def read(self, question: str, passages: Sequence[str]) -> list[rs.ReadSpan]:
        """Read every passage (one batch) for ``question``; one ``ReadSpan`` per passage."""
        if not passages:
            return []
        encodings = [rs.encode_pair(self._tok, question, p, self.max_tokens) for p in passages]
        batch = rs.batch(encodings)
        start, end = self.logits(batch)
        return [rs.decode(p, start[i], end[i], batch.offsets[i]) for i, p in enumerate(passages)]
