"""Token encoders: the transformer forward pass behind the ``Embedder``, one per runtime.

A ``TokenEncoder`` turns token ids and an attention mask into the last layer's token
embeddings; tokenizing, batching and pooling stay in the ``Embedder``, so every runtime
(torch here, others beside it) gives chunk and sentence vectors the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np


class TokenEncoder(Protocol):
    """The forward pass of one transformer model on CPU."""

    name: str

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        """(batch, tokens) int64 ids and mask → (batch, tokens, dim) float32 embeddings."""
        ...


class TorchEncoder:
    """The model run by PyTorch in float32 (the reference every other runtime is held to).

    Threads are process-wide in torch, so they are the entry point's decision.

    :param folder: a Hugging Face / sentence-transformers model folder.
    """

    name = "torch"

    def __init__(self, folder: Path) -> None:
        import torch
        from transformers import AutoModel
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # a bar per model load is noise in a CLI
        quiet = transformers_logging.get_verbosity()
        transformers_logging.set_verbosity_error()  # "pooler weights missing": not used
        try:
            self._model = AutoModel.from_pretrained(
                str(folder), local_files_only=True, add_pooling_layer=False
            )
        except TypeError:  # a model class without a pooling layer argument
            self._model = AutoModel.from_pretrained(str(folder), local_files_only=True)
        finally:
            transformers_logging.set_verbosity(quiet)
        self._model.eval()
        self._torch = torch

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        """Run the model without gradients; float32 out."""
        torch = self._torch
        with torch.inference_mode():
            out = self._model(
                input_ids=torch.from_numpy(input_ids),
                attention_mask=torch.from_numpy(attention_mask),
            )
        return out.last_hidden_state.float().numpy()
