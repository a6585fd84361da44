"""The reader's committed weights: fp16 safetensors of everything but e5's word embeddings,
and a JSON card (config, sha256, the command that made it, data and licence).

``assistant/models/reader/reader.safetensors`` + ``reader.json`` ship in the package;
:func:`load_own` checks the file's sha256 against the card before anything uses it.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

import torch

from assistant.errors import ModelPreparationError

WEIGHTS = "reader.safetensors"
CARD = "reader.json"


def packaged_dir() -> Path:
    """The folder inside the package holding the committed reader."""
    return Path(str(resources.files("assistant.models") / "reader"))


def reader_available(folder: Path | None = None) -> bool:
    """Whether the reader's card and weights are there (the packaged ones by default)."""
    folder = folder or packaged_dir()
    return (folder / CARD).is_file() and (folder / WEIGHTS).is_file()


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export(own: dict[str, torch.Tensor], folder: Path, card: dict[str, Any]) -> dict[str, Any]:
    """Write ``own`` (the reader's tensors, word embeddings excluded) as fp16 and its card.

    :param card: what to record (config, command, data, licence); sha256 and size are added.
    :returns: the card as written.
    """
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    half = {k: v.detach().to(torch.float16).contiguous() for k, v in own.items()}
    save_file(half, str(folder / WEIGHTS), metadata={"format": "pt"})
    (folder / WEIGHTS).chmod(0o644)  # safetensors writes 0600
    card = {
        **card,
        "sha256": file_sha256(folder / WEIGHTS),
        "bytes": (folder / WEIGHTS).stat().st_size,
    }
    (folder / CARD).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return card


def read_card(folder: Path) -> dict[str, Any]:
    """The reader's card.

    :raises ModelPreparationError: missing or unreadable.
    """
    try:
        return json.loads((folder / CARD).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelPreparationError(f"no reader card in {folder}: {exc}") from exc


def load_own(folder: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The reader's tensors (fp16) and card, after checking the file's sha256.

    :raises ModelPreparationError: the weights are missing or not the recorded ones.
    """
    from safetensors.torch import load_file

    card = read_card(folder)
    path = folder / WEIGHTS
    if not path.is_file():
        raise ModelPreparationError(f"reader weights missing: {path}")
    got = file_sha256(path)
    if got != card.get("sha256"):
        raise ModelPreparationError(
            f"{path} has sha256 {got}, its card records {card.get('sha256')}"
        )
    return load_file(str(path)), card
