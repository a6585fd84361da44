"""``Assistant``: the one object the CLI, the browser app and Python users hold.

It builds the analyzer, the embedding model, the store, the search and the answerers
once and shares them, so many conversations can run against one process. What differs
per request (k, filters, fusion weights, answerer) travels with the request as
``AskOptions``. ``close()`` (or ``with Assistant(...) as qa:``) stops what it started.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from assistant.answering.extractive import ExtractiveAnswerer
from assistant.answering.llm.factory import build_answerers
from assistant.answering.reading import ReaderAnswerer
from assistant.answering.short_answer import SharedReader
from assistant.answering.verification import Verifier
from assistant.indexing.chunking import Chunker
from assistant.indexing.ingest import Ingester, IngestReport
from assistant.indexing.limits import Limits
from assistant.models.embedder import Embedder, model_folder
from assistant.models.reader import Reader
from assistant.models.reader_weights import reader_available
from assistant.pipeline.chain import ChainParts, build_chain
from assistant.pipeline.options import AskOptions, History
from assistant.retrieval.filters import Filters
from assistant.retrieval.fusion import Fusion
from assistant.retrieval.hybrid import HybridSearch
from assistant.retrieval.lexicon import Lexicon
from assistant.retrieval.retriever import NewsRetriever
from assistant.settings import Settings
from assistant.storage.store import Store
from assistant.text.korean import KoreanAnalyzer
from assistant.text.messages import Messages
from assistant.text.tokens import cl100k
from assistant.types import Answer

if TYPE_CHECKING:
    from assistant.indexing.ray_ingest import RayIngest


class Assistant:
    """Ingest articles and answer questions about them with cited passages.

    :param settings: the configuration; ``Settings()`` (defaults, ``assistant.toml``,
        ``ASSISTANT_*``) when omitted.
    :param analyzer: a Korean analyzer to share between several Assistants (kiwi takes
        about a second and ~100 MB to load); a new one when omitted.

    Attributes other code may use: ``settings``, ``messages``, ``analyzer``, ``embedder``,
    ``store``, ``search``, ``retriever`` (LangChain), ``answerers`` (by name), ``verifier``,
    ``chain`` (LangChain Runnable).
    """

    def __init__(
        self, settings: Settings | None = None, *, analyzer: KoreanAnalyzer | None = None
    ) -> None:
        self.settings = s = settings or Settings()
        self.messages = Messages.load(s.prompts_dir)
        self.analyzer = analyzer or KoreanAnalyzer()
        self.embedder = Embedder(s)
        self.store = Store(s)
        self.store.upgrade(wait=False)  # an index of an earlier version, if no one is writing
        self.chunker = Chunker(
            self.analyzer, cl100k(), max_tokens=s.chunk_tokens, overlap=s.chunk_overlap_sentences
        )
        self.search = HybridSearch(
            self.store,
            self.embedder,
            self.analyzer,
            k=s.k,
            fetch_k=s.fetch_k,
            fusion=Fusion(s.fusion, s.bm25_weight, s.dense_weight, s.rrf_k),
            lexicon=Lexicon.load(s.lexicon_file) if s.lexicon_file else None,
            english_fusion=Fusion(s.fusion, s.english_bm25_weight, s.english_dense_weight, s.rrf_k),
            focus_boost=s.follow_up_boost,
        )
        self.retriever = NewsRetriever(search=self.search)
        tuned = {"threshold": s.answer_threshold, "margin": s.answer_margin}
        reader = self._shared_reader()
        extractive = ExtractiveAnswerer(
            self.store,
            self.analyzer,
            self.messages,
            max_sentences=s.answer_max_sentences,
            short_reader=reader if s.short_answers == "reader" else None,
            refusal_reader=reader if s.refusals == "reader" else None,
            **{k: v for k, v in tuned.items() if v is not None},
        )
        self.verifier = Verifier(self.store, self.analyzer, self.embedder)
        # LLM answerers are built but connect on first use; the extractive one is always
        # there, as the default and as the fallback of the others.
        self.answerers = build_answerers(
            s,
            extractive,
            self.verifier,
            self.messages,
            reader=self._reader_answerer(reader, extractive),
        )
        self.chain = build_chain(
            ChainParts(
                analyzer=self.analyzer,
                embedder=self.embedder,
                search=self.search,
                answerers=self.answerers,
                messages=self.messages,
                default_answerer=s.answerer,
                k=s.k,
                max_question_chars=s.max_question_chars,
            )
        )

    def _shared_reader(self) -> SharedReader | None:
        """The trained reader when its weights are installed (compiled on first use, with
        its own threads), shared by the answerers that read with it."""
        if not reader_available():
            return None
        s = self.settings

        def load() -> Reader:
            return Reader(model_folder(s), s.models_dir, threads=s.reader_threads)

        return SharedReader(load)

    def _reader_answerer(
        self, reader: SharedReader | None, extractive: ExtractiveAnswerer
    ) -> ReaderAnswerer | None:
        """The "reader" answerer over ``reader``; English questions and follow-ups go to
        ``extractive``."""
        if reader is None:
            return None
        return ReaderAnswerer(
            reader,
            self.messages,
            threshold=self.settings.reader_threshold,
            morphemes=self.analyzer.morphemes,
            fallback=extractive,
        )

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **overrides: Any) -> Assistant:
        """Settings from defaults, ``assistant.toml`` and ``ASSISTANT_*``; keywords win."""
        return cls(settings or Settings(**overrides))

    @property
    def answerer(self) -> Any:
        """The configured default answerer."""
        return self.answerers[self.settings.answerer]

    def ingest(
        self,
        paths: Iterable[Path | str],
        *,
        source: str | None = None,
        progress: bool = True,
        warn: Callable[[str], None] | None = None,
        cluster: RayIngest | None = None,
    ) -> IngestReport:
        """Index new and changed articles under ``paths``; drop those of deleted files.

        Each folder is its own source (``source``, or the folder's name), so document ids
        never collide across folders; a file that cannot be read or is over a limit
        (``ingest_max_*``) is skipped with a warning and the rest is ingested.

        :param cluster: parse, analyse and embed on this Ray cluster (``indexing.ray_ingest``);
            the plan and the writes stay here, so the index is the same as a local run's.
        """
        limits = Limits.from_settings(self.settings)
        ingester = Ingester(
            self.store,
            self.embedder,
            self.chunker,
            self.analyzer,
            limits,
            workers=self.settings.ingest_workers,
            analysis=cluster.analysis() if cluster else None,
            encode=cluster.encode if cluster else None,
            reader=cluster.reader(limits) if cluster else None,
        )
        with self.store.writing():  # an ingest in another process waits for this one
            return ingester.run(paths, source=source, progress=progress, warn=warn)

    def ask(
        self,
        question: str,
        history: History | None = None,
        *,
        k: int | None = None,
        filters: Filters | None = None,
        options: AskOptions | None = None,
    ) -> Answer:
        """Answer one question; ``history`` holds the earlier (question, answer) turns."""
        return self.chain.invoke(_inputs(question, history, k, filters, options))

    def stream(
        self,
        question: str,
        history: History | None = None,
        *,
        k: int | None = None,
        filters: Filters | None = None,
        options: AskOptions | None = None,
    ) -> Iterator[str | Answer]:
        """Text deltas as an LLM answerer writes them, then the final Answer (see chain)."""
        return self.chain.stream(_inputs(question, history, k, filters, options))

    def close(self) -> None:
        """Stop the answerers' local servers and close the index; the object is done."""
        self.answerers.close()
        self.store.close()

    def __enter__(self) -> Assistant:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _inputs(
    question: str,
    history: History | None,
    k: int | None,
    filters: Filters | None,
    options: AskOptions | None,
) -> dict[str, Any]:
    options = options or AskOptions()
    if k is not None:
        options = replace(options, k=k)
    if filters is not None:
        options = replace(options, filters=filters)
    return {"question": question, "history": list(history or []), "options": options}
