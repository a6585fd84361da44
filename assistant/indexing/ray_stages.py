"""What the Ray workers of a distributed ingest run: Korean analysis and passage encoding.

Nothing here imports Ray. ``indexing.ray_ingest`` turns these classes into actors with
the resources, threads and retries it chooses, so this module loads (and is tested)
without the ``cluster`` extra. Each actor builds its heavy parts once — kiwi and the
token counter for an analyser, the e5 model for an encoder — and keeps them for every
call, the way ``analysis.WorkerAnalysis`` keeps them per worker process.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.indexing.analysis import Analysed, analyse
from assistant.indexing.chunking import Chunker
from assistant.indexing.embedding import embed_documents
from assistant.text.korean import KoreanAnalyzer
from assistant.text.tokens import cl100k
from assistant.types import Article, Chunk

if TYPE_CHECKING:
    from assistant.settings import Settings


def portable_settings(settings: Settings) -> Settings:
    """``settings`` as a plain ``Settings`` a worker can unpickle, with absolute folders.

    ``Settings.load`` builds a subclass bound to its TOML file (not importable on a
    worker), and a worker's working directory is not the driver's; nothing is re-read
    from the worker's environment.
    """
    from assistant.settings import Settings

    values: dict[str, Any] = dict(settings)
    values["data_dir"] = settings.data_dir.resolve()
    values["model_dir"] = settings.models_dir.resolve()
    return Settings.model_construct(**values)


def _sendable(exc: BaseException) -> BaseException:
    """``exc`` if it pickles (the driver words its warning from it), else a RuntimeError."""
    try:
        pickle.dumps(exc)
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


class AnalyserActor:
    """Chunks articles and finds their BM25 terms, as ``analysis.analyse`` does locally.

    :param max_tokens: the chunk budget (``chunk_tokens``).
    :param overlap: sentences repeated between chunks (``chunk_overlap_sentences``).
    """

    def __init__(self, max_tokens: int, overlap: int) -> None:
        self.analyzer = KoreanAnalyzer()
        self.chunker = Chunker(self.analyzer, cl100k(), max_tokens, overlap)

    def analyse(self, articles: Sequence[Article]) -> list[Analysed | BaseException]:
        """Each article's analysis, or the exception it raised (that file is skipped)."""
        out: list[Analysed | BaseException] = []
        for article in articles:
            try:
                out.append(analyse(article, self.chunker, self.analyzer))
            except Exception as exc:  # one bad article costs its file, as locally
                out.append(_sendable(exc))
        return out

    def pid(self) -> int:
        """This actor's process id (for tests that kill it)."""
        return os.getpid()


class EncoderActor:
    """The e5 passage encoder, loaded once, on ``threads`` CPU threads.

    :param settings: from ``portable_settings``: model, backend, prefixes, batch size.
    :param threads: the actor's CPUs; OpenVINO compiles for them (its threads not pinned
        to cores, which the actors of one node would share), torch is told them.
    """

    def __init__(self, settings: Settings, threads: int) -> None:
        from assistant.models.embedder import Embedder, load_encoder, model_folder

        if settings.embedding_backend == "torch":
            import torch

            torch.set_num_threads(threads)  # this actor's own process
        # unpinned: OpenVINO would pin every actor on a node to the same first cores
        encoder = load_encoder(settings, model_folder(settings), threads, pin=False)
        self.embedder = Embedder(settings, encoder=encoder)

    def encode(self, docs: Sequence[tuple[Article, str, Sequence[Chunk]]]) -> tuple[Any, Any]:
        """Chunk and sentence vectors of ``docs``, as ``embedding.embed_documents`` gives."""
        chunks, sentences = embed_documents(self.embedder, docs)
        return np.ascontiguousarray(chunks), np.ascontiguousarray(sentences)

    def node(self) -> str:
        """The Ray node this actor runs on (for tests that check the spread)."""
        import ray

        return str(ray.get_runtime_context().get_node_id())

    def dim(self) -> int:
        """Length of the vectors ``encode`` returns."""
        return self.embedder.dim

    def pid(self) -> int:
        """This actor's process id (for tests that kill it)."""
        return os.getpid()
