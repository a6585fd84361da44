"""``Assistant``: the one object the CLI, the browser app and Python users hold.

It loads the analyzer, the embedding model and the store once and shares them, so many
conversations can run against one process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from assistant.answering.extractive import ExtractiveAnswerer
from assistant.answering.llm.generation import build_answerers
from assistant.answering.verification import Verifier
from assistant.indexing.chunking import Chunker, offline_cl100k
from assistant.indexing.ingest import Ingester, IngestReport
from assistant.models.embeddings import Embedder
from assistant.pipeline.chain import History, build_chain
from assistant.retrieval.hybrid import Filters, HybridSearch, NewsRetriever
from assistant.settings import Settings
from assistant.storage.store import Store
from assistant.text.korean import shared_analyzer
from assistant.text.messages import Texts
from assistant.types import Answer


class Assistant:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = s = settings or Settings()
        self.texts = Texts.load(s.prompts_dir)
        self.analyzer = shared_analyzer()
        self.embedder = Embedder(s)
        self.store = Store(s)
        self.chunker = Chunker(
            self.analyzer,
            offline_cl100k(s.data_dir / "tiktoken"),
            max_tokens=s.chunk_tokens,
            overlap=s.chunk_overlap_sentences,
        )
        self.search = HybridSearch(
            self.store,
            self.embedder,
            self.analyzer,
            k=s.k,
            fetch_k=s.fetch_k,
            fusion=s.fusion,
            bm25_weight=s.bm25_weight,
            dense_weight=s.dense_weight,
            rrf_k=s.rrf_k,
        )
        self.retriever = NewsRetriever(search=self.search)
        extractive = ExtractiveAnswerer(
            self.store,
            self.analyzer,
            self.texts,
            max_sentences=s.answer_max_sentences,
            threshold=s.answer_threshold,
            relative_cutoff=s.answer_relative_cutoff,
        )
        # LLM answerers (issue 5) are built but connect on first use; the extractive one
        # is always there, as the default and as the fallback of the others.
        self.verifier = Verifier(self.store, self.analyzer, self.embedder)
        self.answerers = build_answerers(s, extractive, self.verifier, self.texts)
        self.answerer = self.answerers[s.answerer]
        self.chain = build_chain(self)

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **overrides: Any) -> Assistant:
        """Settings from defaults, ``assistant.toml`` and ``ASSISTANT_*``; keywords win."""
        return cls(settings or Settings(**overrides))

    def ingest(
        self,
        paths: Iterable[Path | str],
        *,
        progress: bool = True,
        warn: Callable[[str], None] | None = None,
    ) -> IngestReport:
        ingester = Ingester(self.store, self.embedder, self.chunker, self.analyzer)
        return ingester.run(paths, progress=progress, warn=warn)

    def ask(
        self,
        question: str,
        history: History | None = None,
        *,
        k: int | None = None,
        filters: Filters | None = None,
    ) -> Answer:
        return self.chain.invoke(_inputs(question, history, k, filters))

    def stream(
        self,
        question: str,
        history: History | None = None,
        *,
        k: int | None = None,
        filters: Filters | None = None,
    ) -> Iterator[str | Answer]:
        """Text deltas as an LLM answerer writes them, then the final Answer (see chain)."""
        return self.chain.stream(_inputs(question, history, k, filters))


def _inputs(
    question: str, history: History | None, k: int | None, filters: Filters | None
) -> dict[str, Any]:
    return {"question": question, "history": list(history or []), "k": k, "filters": filters}
