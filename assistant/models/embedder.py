"""``Embedder``: query and passage vectors for the rest of the assistant, LangChain included.

It serves the default multilingual-e5-small (prepared offline on first use, see
:mod:`assistant.models.prepare`) or any other sentence-transformers model, on CPU.
It does not set torch's thread count: that is process-wide, so the entry points decide it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.models.prepare import is_current, prepare_model
from assistant.settings import DEFAULT_MODEL, Settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)


class Embedder(Embeddings):
    """Query/passage embeddings on CPU, L2-normalized float32, with the e5 prefixes applied.

    Also a LangChain ``Embeddings`` (``embed_documents`` = passages, ``embed_query`` =
    query). Calls are serialized with a lock: the fast tokenizer is not safe to share
    between threads (the web UI calls from several), and 2 cores gain nothing from it.

    :param settings: the model name or path, prefixes, batch size and models folder.
    """

    def __init__(self, settings: Settings) -> None:
        from sentence_transformers import SentenceTransformer

        self.settings = settings
        if settings.embedding_model == DEFAULT_MODEL:
            target = settings.models_dir / DEFAULT_MODEL
            if not is_current(target, None):
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
        """Length of every vector this returns."""
        return self._dim

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Embed search queries, shape (n, dim)."""
        return self._embed(texts, self.settings.query_prefix, show_progress=False)

    def embed_passages(self, texts: list[str], *, show_progress: bool = False) -> np.ndarray:
        """Embed passages to index, shape (n, dim)."""
        return self._embed(texts, self.settings.passage_prefix, show_progress=show_progress)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """LangChain: passages as lists of floats."""
        return self.embed_passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        """LangChain: one query as a list of floats."""
        return self.embed_queries([text])[0].tolist()

    def _embed(self, texts: Sequence[str], prefix: str, *, show_progress: bool) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("pass a list of strings, not a single string")
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        # Longest first: batches hold similar lengths, so little padding is computed.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        with self._lock:
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
