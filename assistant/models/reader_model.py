"""The reader network: the e5 encoder (its first layers) and a start/end span head.

``ReaderNet`` is a ``transformers`` BertModel built from the prepared e5 folder, cut to
``layers`` encoder layers, with a ``Linear(hidden, 2)`` head giving start and end logits
for every token. The word-embedding matrix (250k × 384, ~96 MB in fp32) is frozen: it
stays the e5 folder's own, so the reader's weights file carries only the rest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

EMBEDDING_KEY = "embeddings.word_embeddings.weight"
HEAD_PREFIX = "head."


def encoder_config(e5_folder: Path, layers: int) -> Any:
    """The e5 BertConfig cut to ``layers`` encoder layers."""
    from transformers import BertConfig

    config = json.loads((e5_folder / "config.json").read_text(encoding="utf-8"))
    config["num_hidden_layers"] = layers
    return BertConfig(**{k: v for k, v in config.items() if k != "architectures"})


class ReaderNet(torch.nn.Module):
    """Encoder + span head; ``forward`` returns (start_logits, end_logits), batch × tokens.

    :param config: from :func:`encoder_config`.
    """

    def __init__(self, config: Any) -> None:
        super().__init__()
        from transformers import BertModel

        self.encoder = BertModel(config, add_pooling_layer=False)
        self.head = torch.nn.Linear(config.hidden_size, 2)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
        logits = self.head(hidden.last_hidden_state)
        pad = (1 - attention_mask) * -1e4
        return logits[..., 0] + pad, logits[..., 1] + pad

    def freeze_embeddings(self) -> None:
        """Keep the shared word-embedding matrix as e5 has it."""
        self.encoder.embeddings.word_embeddings.weight.requires_grad_(False)

    def freeze_lower(self, layers: int) -> None:
        """Also keep the embeddings block and the first ``layers`` encoder layers fixed
        (no backward pass through them: cheaper steps)."""
        if layers <= 0:
            return
        for p in self.encoder.embeddings.parameters():
            p.requires_grad_(False)
        for layer in self.encoder.encoder.layer[:layers]:
            for p in layer.parameters():
                p.requires_grad_(False)

    def own_state(self) -> dict[str, torch.Tensor]:
        """Every tensor but the shared word embeddings, named ``encoder.*`` / ``head.*``."""
        return {
            k: v.detach()
            for k, v in self.state_dict().items()
            if k != f"encoder.{EMBEDDING_KEY}" and not k.endswith("position_ids")
        }


def from_e5(e5_folder: Path, layers: int, seed: int) -> ReaderNet:
    """A new reader: e5's first ``layers`` layers and its embeddings, a fresh head.

    :param seed: seeds the head's initialisation.
    """
    from safetensors.torch import load_file

    torch.manual_seed(seed)
    net = ReaderNet(encoder_config(e5_folder, layers))
    e5 = load_file(str(e5_folder / "model.safetensors"))
    wanted = net.encoder.state_dict()
    missing = [k for k in wanted if k not in e5 and not k.endswith("position_ids")]
    if missing:
        raise ValueError(f"{e5_folder} lacks {missing[:3]}")
    net.encoder.load_state_dict({k: e5[k] for k in wanted if k in e5}, strict=False)
    torch.nn.init.normal_(net.head.weight, std=0.02)
    torch.nn.init.zeros_(net.head.bias)
    net.freeze_embeddings()
    return net


def assemble(e5_folder: Path, own: dict[str, torch.Tensor], layers: int) -> ReaderNet:
    """The trained reader again: its own tensors plus e5's word-embedding matrix."""
    from safetensors import safe_open

    net = ReaderNet(encoder_config(e5_folder, layers))
    with safe_open(str(e5_folder / "model.safetensors"), "pt") as f:
        words = f.get_tensor(EMBEDDING_KEY)
    state = {k: v.float() for k, v in own.items()}
    state[f"encoder.{EMBEDDING_KEY}"] = words
    missing, unexpected = net.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("position_ids")]
    if missing or unexpected:
        raise ValueError(
            f"reader weights do not fit: missing {missing[:3]}, extra {unexpected[:3]}"
        )
    net.eval()
    return net
