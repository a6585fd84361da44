"""The model's tokenizer, straight from its ``tokenizer.json`` (the ``tokenizers`` library).

Going through ``transformers`` would import torch (about 400 MB of memory) into every
process, though the default runtime (OpenVINO) never needs it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

PAD_TOKENS = ("<pad>", "[PAD]")


@dataclass(frozen=True, slots=True)
class Tokens:
    """A padded batch: ids and attention mask (batch × tokens, int64), and each token's
    character range in its text ((0, 0) for special and padding tokens)."""

    ids: np.ndarray
    mask: np.ndarray
    offsets: np.ndarray


class FastTokenizer:
    """Pads to the longest text of a batch and cuts at the model's input limit.

    :param folder: a model folder with ``tokenizer.json`` (and, optionally, the
        sentence-transformers ``sentence_bert_config.json`` giving ``max_seq_length``).
    :raises ValueError: the folder has no ``tokenizer.json``, or no padding token.
    """

    def __init__(self, folder: Path) -> None:
        path = folder / "tokenizer.json"
        if not path.is_file():
            raise ValueError(f"{folder} has no tokenizer.json (a fast tokenizer is needed)")
        self._tok = Tokenizer.from_file(str(path))
        self.max_tokens = max_tokens(folder)
        self._tok.enable_truncation(self.max_tokens)
        if self._tok.padding is None:
            pad = next((t for t in PAD_TOKENS if self._tok.token_to_id(t) is not None), None)
            if pad is None:
                raise ValueError(f"the tokenizer in {folder} has no padding token")
            self._tok.enable_padding(pad_id=self._tok.token_to_id(pad), pad_token=pad)

    def __call__(self, texts: list[str]) -> Tokens:
        """Tokenize ``texts`` as one padded batch."""
        encodings = self._tok.encode_batch(texts)
        return Tokens(
            ids=np.array([e.ids for e in encodings], dtype=np.int64),
            mask=np.array([e.attention_mask for e in encodings], dtype=np.int64),
            offsets=np.array([e.offsets for e in encodings], dtype=np.int64),
        )


def max_tokens(folder: Path) -> int:
    """The model's input limit: sentence-transformers' ``max_seq_length``, else 512."""
    try:
        config = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
        return int(config["max_seq_length"])
    except (OSError, ValueError, KeyError, TypeError):
        return 512
