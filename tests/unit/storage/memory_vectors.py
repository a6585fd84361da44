"""An in-memory ``VectorIndex`` for unit tests of the ``Store`` front.

It keeps records in dicts and searches by exact cosine similarity. ``test_vectors.py``
runs the same contract tests against it and against Chroma, so the fake cannot drift
from what the real index does. ``log`` records each call (for write-order tests) and
``fail_on`` makes one method raise, as a crash at that step would.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from assistant.storage.vectors import chroma_metadata
from assistant.types import Article, Chunk


class Crash(BaseException):
    """Raised by ``fail_on``; a BaseException, like the KeyboardInterrupt it stands for."""


class MemoryVectors:
    """Chunk records in a dict: id → (vector, metadata); ``legacy`` stands for the
    sentence collection an index of an earlier version had (sentence_id → vector)."""

    def __init__(self) -> None:
        self.chunks: dict[str, tuple[np.ndarray, dict[str, Any]]] = {}
        self.legacy: dict[str, np.ndarray] | None = None
        self.log: list[str] = []
        self.fail_on: str | None = None
        self.closed = False
        self.reopened = 0
        self.last_where: dict[str, Any] | None = None

    def _enter(self, name: str) -> None:
        if self.closed:
            raise RuntimeError("closed")
        if self.fail_on == name:
            raise Crash(name)
        self.log.append(f"vectors.{name}")

    def add(
        self, docs: Sequence[tuple[Article, Sequence[Chunk]]], chunk_vectors: np.ndarray
    ) -> None:
        self._enter("add")
        if sum(len(chunks) for _, chunks in docs) != len(chunk_vectors):
            raise ValueError("chunks and vectors differ in number")
        chunk_rows = iter(chunk_vectors)
        for article, chunks in docs:
            base = chroma_metadata(article)
            for c in chunks:
                meta = {**base, "chunk_id": c.chunk_id, "start": c.start, "end": c.end}
                self.chunks[c.chunk_id] = (np.asarray(next(chunk_rows)), meta)

    def delete_documents(self, doc_ids: Sequence[str]) -> None:
        self._enter("delete_documents")
        gone = set(doc_ids)
        for key in [k for k, (_, m) in self.chunks.items() if m.get("doc_id") in gone]:
            del self.chunks[key]

    def delete_chunks(self, chunk_ids: Sequence[str]) -> None:
        self._enter("delete_chunks")
        for cid in chunk_ids:
            self.chunks.pop(cid, None)

    def chunk_count(self) -> int:
        return len(self.chunks)

    def chunk_documents(self) -> dict[str, str]:
        return {cid: str(meta.get("doc_id", "")) for cid, (_, meta) in self.chunks.items()}

    def search(
        self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, float]]:
        self.last_where = where
        query = np.asarray(vector, dtype=np.float64)
        scored = []
        for cid, (v, meta) in self.chunks.items():
            if where and not _matches(meta, where):
                continue
            sim = float(v @ query / (np.linalg.norm(v) * np.linalg.norm(query)))
            scored.append((cid, sim))
        scored.sort(key=lambda pair: -pair[1])
        return scored[:k]

    def legacy_sentences(self) -> Iterator[list[tuple[str, np.ndarray]]]:
        items = list((self.legacy or {}).items())
        for lo in range(0, len(items), 2):  # pages of two, so paging is exercised
            yield items[lo : lo + 2]

    def drop_legacy_sentences(self) -> None:
        self._enter("drop_legacy_sentences")
        self.legacy = None

    def clear(self) -> None:
        self._enter("clear")
        self.chunks.clear()
        self.legacy = None

    def reopen(self) -> None:
        """Nothing is cached apart from the records; count the call for refresh tests."""
        self._enter("reopen")
        self.reopened += 1

    def close(self) -> None:
        self.closed = True


def _matches(meta: dict[str, Any], where: dict[str, Any]) -> bool:
    """The part of Chroma's filter language the retriever uses: $and, $in, $gt(e), $lte."""
    if "$and" in where:
        return all(_matches(meta, clause) for clause in where["$and"])
    ops = {
        "$in": lambda v, x: v in x,
        "$gt": lambda v, x: v is not None and v > x,
        "$gte": lambda v, x: v is not None and v >= x,
        "$lte": lambda v, x: v is not None and v <= x,
        "$eq": lambda v, x: v == x,
    }
    for key, cond in where.items():
        value = meta.get(key)
        if not isinstance(cond, dict):
            cond = {"$eq": cond}
        if not all(ops[op](value, arg) for op, arg in cond.items()):
            return False
    return True
