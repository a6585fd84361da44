"""The e5 forward pass in OpenVINO: exported once from the prepared folder, run on CPU.

``export_openvino`` converts the model (torch → OpenVINO IR, dynamic batch and sequence
axes, output ``last_hidden_state``, weights stored as float16) into ``FOLDER/openvino/``,
once; ``OpenVinoEncoder`` compiles it with bfloat16 or float32 inference precision. On
this project's CPUs (AVX-512 with BF16) bfloat16 kept the vectors at cosine ≥ 0.999 to
torch's float32 and ran several times faster (BENCHMARKS.md, "Encoder backends"); a CPU
without bfloat16 runs the same model in float32.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock

from assistant.errors import ModelPreparationError

log = logging.getLogger(__name__)
SUBDIR = "openvino"
MODEL_FILE = "model.xml"
MANIFEST = "export.json"
# 2: weights stored as float16 (each compiled model then costs ~60 MB of memory instead
# of ~530 MB, at the same speed and cosine 0.99999 to the float32 file)
FORMAT_VERSION = 2


def _manifest(folder: Path) -> dict[str, Any]:
    weights = folder / "model.safetensors"
    stat = weights.stat() if weights.exists() else None
    return {
        "format": FORMAT_VERSION,
        "weights_bytes": stat.st_size if stat else None,
        "weights_mtime_ns": stat.st_mtime_ns if stat else None,
    }


def exported(folder: Path) -> Path | None:
    """The exported model of ``folder`` if it is there and was made from these weights."""
    target = folder / SUBDIR
    try:
        recorded = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if recorded != _manifest(folder) or not (target / MODEL_FILE).is_file():
        return None
    return target / MODEL_FILE


def export_openvino(folder: Path) -> Path:
    """Convert the model in ``folder`` to OpenVINO IR in ``folder/openvino`` (once; a second
    call returns at once). Needs torch, which is only used here.

    :raises ModelPreparationError: the conversion failed; the message says why.
    """
    done = exported(folder)
    if done is not None:
        return done
    with FileLock(str(folder) + ".openvino.lock"):
        done = exported(folder)
        if done is not None:
            return done
        target = folder / SUBDIR
        tmp = folder / (SUBDIR + f".tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        try:
            import openvino as ov

            ov.save_model(_convert(folder), str(tmp / MODEL_FILE), compress_to_fp16=True)
            (tmp / MANIFEST).write_text(json.dumps(_manifest(folder)), encoding="utf-8")
            shutil.rmtree(target, ignore_errors=True)
            tmp.rename(target)
        except Exception as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise ModelPreparationError(
                f"could not convert {folder} for OpenVINO ({type(exc).__name__}: {exc}); "
                "set embedding_backend = 'torch' to run the model without it"
            ) from exc
        log.info("exported %s for OpenVINO", folder)
        return target / MODEL_FILE


def _convert(folder: Path) -> Any:
    """torch model → OpenVINO model with inputs input_ids/attention_mask (batch × tokens)."""
    import openvino as ov
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(folder), local_files_only=True, add_pooling_layer=False)
    model.eval()

    class Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    example = {
        "input_ids": torch.ones((2, 8), dtype=torch.int64),
        "attention_mask": torch.ones((2, 8), dtype=torch.int64),
    }
    with torch.no_grad():
        converted = ov.convert_model(
            Hidden().eval(),
            example_input=example,
            input=[("input_ids", [-1, -1], ov.Type.i64), ("attention_mask", [-1, -1], ov.Type.i64)],
        )
    converted.outputs[0].get_tensor().set_names({"last_hidden_state"})
    return converted


class OpenVinoEncoder:
    """The exported model compiled for this CPU; one inference at a time (the Embedder
    serialises calls).

    :param model_file: the exported ``model.xml``.
    :param precision: "bf16" or "f32" inference precision.
    :param threads: CPU threads per inference (None: OpenVINO's choice, every core).
    :param pin: let OpenVINO pin its threads to cores. Off where several encoder
        processes share a machine (Ray actors): each would pin to the same first cores.
    """

    def __init__(
        self,
        model_file: Path,
        precision: str = "bf16",
        threads: int | None = None,
        *,
        pin: bool = True,
    ):
        import openvino as ov

        self.name = f"openvino-{precision}"
        config: dict[str, Any] = {
            "PERFORMANCE_HINT": "LATENCY",
            "NUM_STREAMS": 1,
            "INFERENCE_PRECISION_HINT": precision,
        }
        if threads:
            config["INFERENCE_NUM_THREADS"] = threads
        if not pin:
            config["ENABLE_CPU_PINNING"] = False
        compiled = ov.Core().compile_model(str(model_file), "CPU", config)
        self._request = compiled.create_infer_request()

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        """Run one batch; float32 token embeddings out."""
        self._request.infer({"input_ids": input_ids, "attention_mask": attention_mask})
        out = self._request.get_tensor("last_hidden_state").data
        return np.array(out, dtype=np.float32)
