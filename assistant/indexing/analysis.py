"""Article → chunks and their BM25 terms: the Korean analysis stage of ingest.

kiwipiepy holds Python's lock while it analyses, so analysis in a thread would stall the
encoder; a worker process runs it beside the encoder instead (``WorkerAnalysis``), while
the ingest loop embeds the previous batch. ``InlineAnalysis`` does the same work in this
process: for small runs, where starting a worker (about two seconds: Python, kiwi's
model) would cost more than it saves, and for tests.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from assistant.indexing.chunking import Chunker
from assistant.indexing.embedding import embed_text
from assistant.text.korean import KoreanAnalyzer
from assistant.text.tokens import cl100k
from assistant.types import Article, Chunk


@dataclass(frozen=True, slots=True)
class Analysed:
    """An article's chunks and, per chunk, the morphemes BM25 indexes (title included)."""

    chunks: list[Chunk]
    terms: list[list[str]]


def analyse(article: Article, chunker: Chunker, analyzer: KoreanAnalyzer) -> Analysed:
    """Chunk ``article`` and find each chunk's terms in the text that is embedded."""
    chunks = chunker.split(article)
    return Analysed(chunks, [analyzer.terms(embed_text(article, c)) for c in chunks])


class Analysis(Protocol):
    """Where articles are analysed; results come back as futures, in any order."""

    def submit(self, article: Article) -> Future[Analysed]:
        """Start analysing ``article``."""
        ...

    def flush(self) -> None:
        """Start whatever ``submit`` is still holding back (a writer is about to wait)."""
        ...

    def close(self) -> None:
        """Stop what was started (queued work is dropped)."""
        ...


class InlineAnalysis:
    """Analysis in this process, done by the time ``submit`` returns.

    :param chunker: splits articles into chunks.
    :param analyzer: kiwi, for the terms.
    """

    def __init__(self, chunker: Chunker, analyzer: KoreanAnalyzer) -> None:
        self.chunker = chunker
        self.analyzer = analyzer

    def submit(self, article: Article) -> Future[Analysed]:
        """Analyse now; an exception is kept in the future, as a worker's would be."""
        done: Future[Analysed] = Future()
        try:
            done.set_result(analyse(article, self.chunker, self.analyzer))
        except Exception as exc:
            done.set_exception(exc)
        return done

    def flush(self) -> None:
        """Nothing is held back."""

    def close(self) -> None:
        """Nothing to stop."""


@dataclass(frozen=True)
class _Worker:
    """What a worker process builds its chunker from (the parent's is not sent)."""

    max_tokens: int
    overlap: int


_parts: tuple[Chunker, KoreanAnalyzer] | None = None  # one per worker process, see _start


def _start(config: _Worker) -> None:
    """Worker initializer: load kiwi and the token counter once for the process."""
    global _parts
    analyzer = KoreanAnalyzer()
    _parts = (Chunker(analyzer, cl100k(), config.max_tokens, config.overlap), analyzer)


def _run(article: Article) -> Analysed:
    assert _parts is not None, "worker not initialised"
    return analyse(article, *_parts)


class WorkerAnalysis:
    """Analysis in ``workers`` spawned processes (spawned, not forked: the parent holds
    torch's threads, which a fork would copy in an unusable state).

    :param chunker: whose budget and overlap the workers' chunkers copy.
    :param workers: processes to start.
    """

    def __init__(self, chunker: Chunker, workers: int = 1) -> None:
        self._pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start,
            initargs=(_Worker(chunker.max_tokens, chunker.overlap),),
        )

    def submit(self, article: Article) -> Future[Analysed]:
        """Queue ``article`` for a worker."""
        return self._pool.submit(_run, article)

    def flush(self) -> None:
        """Nothing is held back: every article is queued as it comes."""

    def close(self) -> None:
        """Stop the workers without waiting for queued articles."""
        self._pool.shutdown(wait=True, cancel_futures=True)
