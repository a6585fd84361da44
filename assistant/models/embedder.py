"""``Embedder``: query, passage and sentence vectors for the rest of the assistant.

It serves the default multilingual-e5-small (prepared offline on first use, see
:mod:`assistant.models.prepare`) or another sentence-transformers folder, on CPU, through
the runtime ``embedding_backend`` names (:mod:`assistant.models.token_encoder`).
Tokenizing, length-sorted batching and pooling happen here, the same for every runtime,
and one forward pass of a chunk gives its vector and its sentences' vectors
(``embed_chunks``). It does not set torch's thread count: that is process-wide, so the
entry points decide it.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.models.pooling import cls_pool, mean_pool, normalize, pool_spans
from assistant.models.prepare import is_current, prepare_model
from assistant.models.token_encoder import TokenEncoder, TorchEncoder
from assistant.models.tokenizer import FastTokenizer
from assistant.settings import DEFAULT_MODEL, Settings

logger = logging.getLogger(__name__)
Spans = Sequence[tuple[int, int]]


def model_folder(settings: Settings) -> Path:
    """The folder of the configured model: the default one is prepared on first use.

    :raises ValueError: ``embedding_model`` is neither the default nor a folder.
    """
    if settings.embedding_model == DEFAULT_MODEL:
        target = settings.models_dir / DEFAULT_MODEL
        if not is_current(target, None):
            logger.info("Embedding model not prepared yet; preparing it at %s", target)
        return prepare_model(settings)
    folder = Path(settings.embedding_model).expanduser()
    if not folder.is_dir():
        raise ValueError(
            f"embedding_model {settings.embedding_model!r} is not a folder; nothing is "
            "downloaded here, so give the path of a sentence-transformers model folder"
        )
    return folder


def prepare_runtime(settings: Settings) -> Path:
    """Everything the configured model and backend need on disk, built now rather than at
    first use: the model folder and, for OpenVINO, its converted copy. Returns the folder
    the runtime loads.

    :raises ModelPreparationError: preparing or converting failed.
    """
    folder = model_folder(settings)
    if settings.embedding_backend.startswith("openvino-"):
        from assistant.models.openvino_encoder import export_openvino

        return export_openvino(folder).parent
    return folder


def pooling_mode(folder: Path) -> str:
    """The folder's sentence-transformers pooling ("mean" when it does not say)."""
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        for module in modules:
            if module.get("type", "").endswith(".Pooling"):
                config = folder / module["path"] / "config.json"
                data = json.loads(config.read_text(encoding="utf-8"))
                if data.get("pooling_mode_cls_token") or data.get("pooling_mode") == "cls":
                    return "cls"
                return "mean"
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return "mean"


def load_encoder(
    settings: Settings, folder: Path, threads: int | None, *, pin: bool = True
) -> TokenEncoder:
    """The runtime ``settings.embedding_backend`` names, over the model in ``folder``.

    :param threads: CPU threads per call for runtimes that take them at load (OpenVINO);
        torch's are process-wide and set by the entry point.
    :param pin: whether OpenVINO may pin its threads to cores (not when several encoder
        processes share the machine).
    """
    backend = settings.embedding_backend
    if backend == "torch":
        return TorchEncoder(folder)
    if backend.startswith("openvino-"):
        from assistant.models.openvino_encoder import OpenVinoEncoder, export_openvino

        return OpenVinoEncoder(export_openvino(folder), backend.split("-", 1)[1], threads, pin=pin)
    raise ValueError(f"unknown embedding_backend {backend!r}")


class Embedder(Embeddings):
    """Query/passage embeddings on CPU, L2-normalized float32, with the e5 prefixes applied.

    Also a LangChain ``Embeddings`` (``embed_documents`` = passages, ``embed_query`` =
    query). Calls are serialized with a lock: the fast tokenizer is not safe to share
    between threads (the web UI calls from several), and 2 cores gain nothing from it.

    Runtimes that take their thread count at load (OpenVINO) get two encoders: passages
    on ``embedding_threads``, questions on ``query_threads`` (one short text gains
    nothing from a second thread on a busy machine, see BENCHMARKS.md).

    :param settings: the model, backend, prefixes, batch size, threads, models folder.
    :param encoder: the forward pass to use instead of loading ``embedding_backend``'s
        (for passages and questions alike).
    """

    def __init__(self, settings: Settings, encoder: TokenEncoder | None = None) -> None:
        self.settings = settings
        self._folder = folder = model_folder(settings)
        self._tokenizer = FastTokenizer(folder)
        self._query_encoder = encoder or load_encoder(settings, folder, settings.query_threads)
        # passages: the same encoder, or (OpenVINO) one compiled for their threads when the
        # first passage comes, so a process that only answers questions never holds it
        self._passage_encoder: TokenEncoder | None = encoder
        if encoder is None and settings.embedding_backend == "torch":
            self._passage_encoder = self._query_encoder
        self._pooling = pooling_mode(folder)
        self._pool: Callable[[np.ndarray, np.ndarray], np.ndarray] = (
            mean_pool if self._pooling == "mean" else cls_pool
        )
        self._lock = threading.Lock()
        self._dim = 0
        self._dim = int(self._encode(["dimension"], "", None, self._query_encoder)[0].shape[1])
        logger.info("Loaded embedding model %s (dim %d, %s)", folder, self._dim, self.backend)

    @property
    def dim(self) -> int:
        """Length of every vector this returns."""
        return self._dim

    @property
    def backend(self) -> str:
        """The runtime that runs the model (``embedding_backend``)."""
        return self._query_encoder.name

    @property
    def pools_spans(self) -> bool:
        """Whether a chunk's pass also gives its sentences' vectors (mean pooling only)."""
        return self._pooling == "mean"

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Embed search queries, shape (n, dim)."""
        return self._encode(texts, self.settings.query_prefix, None, self._query_encoder)[0]

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Embed passages to index, shape (n, dim)."""
        return self._encode(texts, self.settings.passage_prefix, None)[0]

    def embed_chunks(self, texts: list[str], spans: Sequence[Spans]) -> tuple[np.ndarray, list]:
        """Passage vectors of ``texts`` and, from the same forward pass, of spans in them.

        :param texts: passages (without the prefix).
        :param spans: per text, character ranges in it (its sentences).
        :returns: (n, dim) passage vectors and, per text, a (len(spans), dim) array.
            A span the model's length limit cut off, or every span of a model that does
            not mean-pool, is embedded on its own.
        """
        if len(spans) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(spans)} span lists")
        if not self.pools_spans:
            own = [
                self.embed_passages([t[s:e] for s, e in sp])
                for t, sp in zip(texts, spans, strict=True)
            ]
            return self.embed_passages(texts), own
        vectors, pooled = self._encode(texts, self.settings.passage_prefix, spans)
        assert pooled is not None
        for text, text_spans, rows in zip(texts, spans, pooled, strict=True):
            cut = [i for i in range(len(rows)) if not rows[i].any()]
            if cut:  # past the model's window: their own pass
                rows[cut] = self.embed_passages(
                    [text[text_spans[i][0] : text_spans[i][1]] for i in cut]
                )
        return vectors, pooled

    def _load_passage_encoder(self) -> TokenEncoder:
        with self._lock:
            if self._passage_encoder is None:
                threads = self.settings.embedding_threads
                self._passage_encoder = load_encoder(self.settings, self._folder, threads)
            return self._passage_encoder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """LangChain: passages as lists of floats."""
        return self.embed_passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        """LangChain: one query as a list of floats."""
        return self.embed_queries([text])[0].tolist()

    def _encode(
        self,
        texts: Sequence[str],
        prefix: str,
        spans: Sequence[Spans] | None,
        encoder: TokenEncoder | None = None,
    ) -> tuple[np.ndarray, list[np.ndarray] | None]:
        """Tokenize, run in length-sorted batches, pool; spans are offsets in ``texts``."""
        if encoder is None:
            encoder = self._passage_encoder or self._load_passage_encoder()
        if isinstance(texts, str):
            raise TypeError("pass a list of strings, not a single string")
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32), None if spans is None else []
        vectors: list[np.ndarray] = [np.empty(0)] * len(texts)
        pooled: list[np.ndarray] = [np.empty(0)] * len(texts)
        # Longest first: batches hold similar lengths, so little padding is computed.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        size = self.settings.embedding_batch_size
        shift = len(prefix)
        with self._lock:
            for lo in range(0, len(order), size):
                rows = order[lo : lo + size]
                tokens = self._tokenizer([prefix + texts[i] for i in rows])
                mask = tokens.mask
                hidden = encoder(tokens.ids, mask)
                for j, vector in enumerate(normalize(self._pool(hidden, mask))):
                    vectors[rows[j]] = vector
                if spans is not None:
                    for j, i in enumerate(rows):
                        moved = [(s + shift, e + shift) for s, e in spans[i]]
                        found = pool_spans(hidden[j], tokens.offsets[j], moved)
                        pooled[i] = normalize(found)
        return np.stack(vectors), None if spans is None else pooled
