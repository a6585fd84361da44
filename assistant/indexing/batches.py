"""Batches of analysed articles → the store, written one batch behind the analysis.

The ingest loop reads and compares files, sends their new or changed articles to the
analysis (``indexing.analysis``) and groups them into batches. ``BatchWriter`` writes a
batch only once the next one has been handed to the analysis, so while this process
embeds one batch the analysis worker chunks the next: both cores stay busy. Each batch is
written in the store's crash-safe order (its files' old documents unlisted, then chunk
vectors, then the catalog rows with sentence vectors and file records, in one
transaction), so a run killed anywhere loses nothing and the next run redoes only what
the catalog lacks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
from tqdm import tqdm

from assistant.errors import UnreadableFile
from assistant.indexing.analysis import Analysed
from assistant.indexing.embedding import embed_documents
from assistant.indexing.report import IngestReport
from assistant.storage.keys import key_path
from assistant.storage.store import Store
from assistant.types import Article, Chunk

if TYPE_CHECKING:
    from assistant.models.embedder import Embedder

log = logging.getLogger(__name__)
Docs = Sequence[tuple[Article, str, Sequence[Chunk]]]
# (article, file key, chunks) per document, and a progress callback → chunk and sentence
# vectors in ``embed_documents``' order: the step a local or a distributed ingest plugs in
Encode = Callable[[Docs, Callable[[int], object]], tuple[np.ndarray, np.ndarray]]
CHARS_PER_CHUNK = 400  # a first guess of an article's chunks, for the progress total


@dataclass
class Batch:
    """Articles on their way to the store and what is written with them.

    :param docs: (article, file key, its analysis) in order.
    :param forget: (file key, doc ids) to unlist before the batch's documents are added:
        a changed file's old documents, or those a file no longer has.
    :param files: file key → (sha256, doc ids), recorded with the file's last documents.
    """

    docs: list[tuple[Article, str, Future[Analysed]]] = field(default_factory=list)
    forget: list[tuple[str, list[str]]] = field(default_factory=list)
    files: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    chars: int = 0

    def add(self, article: Article, key: str, analysis: Future[Analysed]) -> None:
        """Append an article whose analysis has been started."""
        self.docs.append((article, key, analysis))
        self.chars += len(article.text)

    def __bool__(self) -> bool:
        return bool(self.docs or self.forget or self.files)


class BatchWriter:
    """Embeds and stores batches in the order given, one batch behind.

    :param store: where batches go.
    :param embedder: embeds the chunks (and their sentences) unless ``encode`` is given.
    :param report: the run's report, counted up as batches are written.
    :param warn: told about a file whose analysis failed (it is skipped, its old version
        kept).
    :param bar: the chunk progress bar: its total is estimated as articles arrive and
        corrected once they are analysed.
    :param encode: the vectors of a batch's chunks and sentences, in the order
        ``embed_documents`` gives them (default: ``embed_documents`` with ``embedder``).
    """

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        report: IngestReport,
        warn: Callable[[str], None],
        bar: tqdm,
        encode: Encode | None = None,
    ) -> None:
        self.store = store
        self.encode: Encode = encode or partial(embed_documents, embedder)
        self.report = report
        self.warn = warn
        self.bar = bar
        self._waiting: Batch | None = None
        self._failed: set[str] = set()  # files skipped in this run: none of theirs is written

    def expect(self, article: Article) -> None:
        """Count an article's estimated chunks into the progress total."""
        self._grow(_estimate(article))

    def push(self, batch: Batch) -> None:
        """Queue ``batch``; the one queued before it is written now."""
        waiting, self._waiting = self._waiting, batch
        if waiting:
            self._write(waiting)

    def finish(self) -> None:
        """Write what is still queued."""
        waiting, self._waiting = self._waiting, None
        if waiting:
            self._write(waiting)

    def _grow(self, n: int) -> None:
        self.bar.total = (self.bar.total or 0) + n
        self.bar.refresh()

    def _write(self, batch: Batch) -> None:
        done: list[tuple[Article, str, Analysed]] = []
        failed = self._failed
        for article, key, future in batch.docs:
            try:
                analysed = future.result()
            except Exception as exc:  # the file is skipped; its stored version stays
                log.debug("analysis failed for %s", key, exc_info=True)
                if key not in failed:
                    self.warn(f"skipped {key_path(key)}: {skip_reason(exc)}")
                failed.add(key)
                continue
            self._grow(len(analysed.chunks) - _estimate(article))
            done.append((article, key, analysed))
        for key, doc_ids in batch.forget:
            if key not in failed:
                self.store.forget(doc_ids, [key])
        docs: list[tuple[Article, str, list[Chunk]]] = [
            (a, key, r.chunks) for a, key, r in done if key not in failed
        ]
        terms = [t for a, key, r in done if key not in failed for t in r.terms]
        files = {k: v for k, v in batch.files.items() if k not in failed}
        if not docs and not files:
            return
        chunk_vecs, sentence_vecs = self.encode(docs, self.bar.update)
        self.store.add(docs, chunk_vecs, sentence_vecs, terms, files)
        self.report.chunks_embedded += len(chunk_vecs)
        self.report.sentences_embedded += len(sentence_vecs)


def _estimate(article: Article) -> int:
    return max(1, len(article.text) // CHARS_PER_CHUNK)


def skip_reason(exc: BaseException) -> str:
    """Why a file was skipped, in one line: our own errors say it; others are named."""
    text = str(exc).strip().split("\n")[0][:200]
    if isinstance(exc, UnreadableFile | OSError) and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
