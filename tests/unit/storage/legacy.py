"""An index as an earlier version wrote it: sentence vectors in a collection of their own
(``NAME-sentences`` in Chroma, ``legacy`` in the in-memory fake), one record per
``unique_sentences`` of each document, keyed by ``sentence_id``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assistant.storage.keys import sentence_id, unique_sentences
from assistant.storage.vectors import ChromaVectors, VectorIndex, chroma_metadata
from tests.unit.storage.memory_vectors import MemoryVectors
from tests.unit.storage.samples import Doc, fake_vectors

Records = dict[str, tuple[np.ndarray, dict]]


def old_sentences(docs: Sequence[Doc], seed: int = 7) -> Records:
    """sentence_id → (vector, metadata) as the old ``add`` stored them."""
    spans = [(a, s) for a, cs in docs for s in unique_sentences(cs)]
    vectors = fake_vectors(len(spans), seed)
    return {
        sentence_id(a.doc_id, s): (v, {**chroma_metadata(a), "start": s.start, "end": s.end})
        for (a, s), v in zip(spans, vectors, strict=True)
    }


def legacy_name(vectors: ChromaVectors) -> str:
    return f"{vectors.chunks.name}-sentences"


def write_old_sentences(index: VectorIndex, records: Records) -> None:
    """Give ``index`` an old sentence collection holding ``records``."""
    if isinstance(index, MemoryVectors):
        index.legacy = {i: v for i, (v, _) in records.items()}
        return
    assert isinstance(index, ChromaVectors)
    old = index._client.get_or_create_collection(
        legacy_name(index),
        embedding_function=None,
        configuration={"hnsw": {"space": "cosine"}},  # as the old ChromaVectors made it
    )
    if records:
        old.upsert(
            ids=list(records),
            embeddings=np.stack([v for v, _ in records.values()]),
            metadatas=[m for _, m in records.values()],
        )


def has_old_sentences(index: VectorIndex) -> bool:
    if isinstance(index, MemoryVectors):
        return index.legacy is not None
    assert isinstance(index, ChromaVectors)
    return legacy_name(index) in {c.name for c in index._client.list_collections()}
