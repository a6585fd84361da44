"""An ``Ingester`` over real files, a real SQLite catalog, real kiwipiepy chunking and BM25,
with the two heavy parts replaced: an in-memory vector index and a passage embedder that
returns seeded vectors and records the size of every call."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tiktoken

from assistant.indexing.chunking import Chunker
from assistant.indexing.ingest import Ingester
from assistant.indexing.limits import Limits
from assistant.settings import Settings
from assistant.storage.store import Store
from assistant.text.korean import KoreanAnalyzer
from tests.unit.storage.memory_vectors import MemoryVectors

DIM = 8


@dataclass
class PassageEmbedder:
    """Stands in for the e5 ``Embedder`` on the ingest side: hashes texts to unit vectors."""

    settings: Settings = field(default_factory=Settings)
    dim: int = DIM
    calls: list[int] = field(default_factory=list)  # texts per embed_passages call
    chunk_calls: list[int] = field(default_factory=list)  # chunks per embed_chunks call

    def embed_chunks(
        self, texts: list[str], spans: list[list[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """The chunk's vector and its spans' (as the e5 Embedder's one pass gives them)."""
        self.chunk_calls.append(len(texts))
        vectors = self.embed_passages(texts)
        return vectors, [
            self.embed_passages([t[s:e] for s, e in sp]) for t, sp in zip(texts, spans, strict=True)
        ]

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            rng = np.random.default_rng(zlib.crc32(text.encode()))
            v = rng.standard_normal(self.dim)
            out[i] = v / np.linalg.norm(v)
        return out


def make_ingester(
    data_dir: Path,
    analyzer: KoreanAnalyzer,
    encoding: tiktoken.Encoding,
    limits: Limits | None = None,
    max_tokens: int = 200,
) -> Ingester:
    """An Ingester on a fresh index in ``data_dir``; close ``.store`` when done."""
    store = Store(Settings(data_dir=data_dir), vectors=MemoryVectors())
    chunker = Chunker(analyzer, encoding, max_tokens=max_tokens)
    return Ingester(store, PassageEmbedder(), chunker, analyzer, limits)  # type: ignore[arg-type]


def doc_ids(ingester: Ingester) -> list[str]:
    """Every document id the catalog lists, sorted."""
    return sorted(d for d, _, _ in ingester.store.documents())


def consistent(store: Store) -> None:
    """The vector index and the catalog list the same chunks; BM25 matches the catalog."""
    _, chunks = store.counts()
    assert store.vectors.chunk_count() == chunks
    assert len(store.lexical()) == chunks
    assert set(store.vectors.chunk_documents()) == store.catalog.chunk_ids()
