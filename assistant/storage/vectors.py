"""The vector index: one vector per chunk and one per sentence, kept in Chroma.

Chroma runs embedded (``PersistentClient`` under ``DATA_DIR/chroma``) or as a server
(``HttpClient``). Two collections per index: ``NAME`` for chunks (searched) and
``NAME-sentences`` for sentences (the answerer scores sentences without re-embedding
them). Every record carries its document's id, title, source and publication day as
metadata, so deletes and filters need no other lookup. ``VectorIndex`` is what the
``Store`` front needs from such an index; ``ChromaVectors`` is the real one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.errors import StaleIndex, StoreUnavailable
from assistant.settings import Settings
from assistant.storage.chroma_client import (
    Opened,
    close_client,
    open_client,
    shared_elsewhere,
    unavailable_message,
)
from assistant.storage.faults import Faults
from assistant.storage.keys import day_number, sentence_id, unique_sentences
from assistant.types import Article, Chunk

log = logging.getLogger(__name__)
BATCH = 500  # Chroma rejects very large single requests; this keeps each one small
PAGE = 5000  # records per get() when listing a whole collection
COSINE = {"hnsw": {"space": "cosine"}}


class VectorIndex(Protocol):
    """What the ``Store`` front needs from a vector index (Chroma, or a fake in tests)."""

    def add(
        self,
        docs: Sequence[tuple[Article, Sequence[Chunk]]],
        chunk_vectors: np.ndarray,
        sentence_vectors: np.ndarray,
    ) -> None:
        """Upsert the chunks of ``docs`` and their ``unique_sentences``, vectors in that order."""
        ...

    def delete_documents(self, doc_ids: Sequence[str]) -> None:
        """Remove every chunk and sentence of these documents (unknown ids are ignored)."""
        ...

    def delete_chunks(self, chunk_ids: Sequence[str]) -> None:
        """Remove these chunks (not their sentences)."""
        ...

    def chunk_count(self) -> int:
        """How many chunk vectors are stored."""
        ...

    def sentence_count(self) -> int:
        """How many sentence vectors are stored."""
        ...

    def chunk_documents(self) -> dict[str, str]:
        """chunk_id → doc_id of every stored chunk ("" when a record has no doc_id)."""
        ...

    def search(
        self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, float]]:
        """Top-k (chunk_id, cosine similarity), best first, among chunks matching ``where``
        (a Chroma metadata filter over doc_id, source, published_day)."""
        ...

    def sentence_vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """sentence_id → float32 vector for those of ``ids`` that are stored."""
        ...

    def clear(self) -> None:
        """Remove everything, leaving empty collections ready for writes."""
        ...

    def reopen(self) -> None:
        """Drop what this process caches and read the index afresh (another process wrote)."""
        ...

    def close(self) -> None:
        """Release connections; the index cannot be used afterwards."""
        ...


class ChromaVectors:
    """Chunk and sentence collections in one Chroma client; connection failures raise
    ``StoreUnavailable`` with a message saying what to do, a full disk ``StoreFull``, a
    damaged store ``IndexDamaged``, and a view older than the files ``StaleIndex``.

    :param client: an open Chroma client, or ``Opened`` with its read-only copy (``connect``
        makes one from settings; tests may pass an ``EphemeralClient``). Closed by ``close``.
    :param collection: the chunk collection's name; sentences go to ``NAME-sentences``.
    :param explain: turns a connection failure into the message users see.
    :param reconnect: opens a new client for ``reopen`` (None: ``reopen`` does nothing).
    :param faults: where the store lives, to name it in full-disk and damage errors.
    """

    def __init__(
        self,
        client: Any,
        collection: str,
        explain: Callable[[Exception], str] | None = None,
        *,
        reconnect: Callable[[], Opened] | None = None,
        faults: Faults | None = None,
    ) -> None:
        self._opened = client if isinstance(client, Opened) else Opened(client)
        self._client = self._opened.client
        self._name = collection
        self._explain = explain or (lambda exc: f"Chroma is unavailable: {exc}")
        self._reconnect = reconnect
        self._faults = faults
        self._open_collections()

    @classmethod
    def connect(cls, settings: Settings) -> ChromaVectors:
        """Open the embedded store in ``DATA_DIR/chroma``, or the server at CHROMA_HOST.

        :raises StoreUnavailable: the server does not answer, or the store cannot be opened.
        """

        def explain(exc: Exception) -> str:
            return unavailable_message(settings, exc)

        def reconnect() -> Opened:
            return open_client(settings, explain)

        opened = reconnect()
        embedded = None if settings.chroma_host else reconnect
        try:
            return cls(
                opened, settings.collection, explain, reconnect=embedded, faults=Faults.of(settings)
            )
        except BaseException:
            close_client(opened.client, opened.copy)
            raise

    def _open_collections(self) -> None:
        try:
            self.chunks = self._client.get_or_create_collection(
                self._name, embedding_function=None, configuration=COSINE
            )
            self.sentences = self._client.get_or_create_collection(
                f"{self._name}-sentences", embedding_function=None, configuration=COSINE
            )
        except Exception as exc:  # the server can die between heartbeat and this call
            raise self._mapped(exc) from exc

    def _mapped(self, exc: Exception) -> Exception:
        """The assistant's error for a failed Chroma request (``exc`` itself if none fits)."""
        known = self._faults.explain(exc, source="chroma") if self._faults else None
        if known is not None:
            return known
        text = str(exc).lower()
        if "error finding id" in text:
            return StaleIndex(f"Chroma's view of {self._name} is older than its files: {exc}")
        if isinstance(exc, ConnectionError | OSError):
            return StoreUnavailable(self._explain(exc))
        if "connect" in text or type(exc).__name__.startswith(("Connect", "Http")):
            return StoreUnavailable(self._explain(exc))
        return exc

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one Chroma request, turning failures into the assistant's errors."""
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            mapped = self._mapped(exc)
            if mapped is exc:
                raise
            raise mapped from exc

    def add(
        self,
        docs: Sequence[tuple[Article, Sequence[Chunk]]],
        chunk_vectors: np.ndarray,
        sentence_vectors: np.ndarray,
    ) -> None:
        """Upsert chunks (with their text) and sentences in batches of ``BATCH``."""
        chunk_rows: list[tuple[str, str, dict[str, Any]]] = []
        sentence_rows: list[tuple[str, dict[str, Any]]] = []
        for article, chunks in docs:
            base = chroma_metadata(article)
            for c in chunks:
                meta = {**base, "chunk_id": c.chunk_id, "start": c.start, "end": c.end}
                chunk_rows.append((c.chunk_id, c.text, meta))
            for span in unique_sentences(chunks):
                meta = {**base, "start": span.start, "end": span.end}
                sentence_rows.append((sentence_id(article.doc_id, span), meta))
        if len(chunk_rows) != len(chunk_vectors) or len(sentence_rows) != len(sentence_vectors):
            raise ValueError(
                f"{len(chunk_rows)} chunks and {len(sentence_rows)} sentences, but "
                f"{len(chunk_vectors)} and {len(sentence_vectors)} vectors"
            )
        for lo in range(0, len(chunk_rows), BATCH):
            part = chunk_rows[lo : lo + BATCH]
            self._call(
                self.chunks.upsert,
                ids=[r[0] for r in part],
                documents=[r[1] for r in part],
                metadatas=[r[2] for r in part],
                embeddings=chunk_vectors[lo : lo + BATCH],
            )
        for lo in range(0, len(sentence_rows), BATCH):
            part = sentence_rows[lo : lo + BATCH]
            self._call(
                self.sentences.upsert,
                ids=[r[0] for r in part],
                metadatas=[r[1] for r in part],
                embeddings=sentence_vectors[lo : lo + BATCH],
            )

    def delete_documents(self, doc_ids: Sequence[str]) -> None:
        """Delete by the ``doc_id`` metadata in both collections."""
        for part in _batches(doc_ids):
            where = {"doc_id": {"$in": list(part)}}
            self._call(self.chunks.delete, where=where)
            self._call(self.sentences.delete, where=where)

    def delete_chunks(self, chunk_ids: Sequence[str]) -> None:
        """Delete chunk records by id."""
        for part in _batches(chunk_ids):
            self._call(self.chunks.delete, ids=list(part))

    def chunk_count(self) -> int:
        """The chunk collection's size."""
        return int(self._call(self.chunks.count))

    def sentence_count(self) -> int:
        """The sentence collection's size."""
        return int(self._call(self.sentences.count))

    def chunk_documents(self) -> dict[str, str]:
        """Every chunk's doc_id, read in pages of ``PAGE``."""
        out: dict[str, str] = {}
        offset = 0
        while True:
            got = self._call(self.chunks.get, include=["metadatas"], limit=PAGE, offset=offset)
            if not got["ids"]:
                return out
            for cid, meta in zip(got["ids"], got["metadatas"], strict=True):
                out[cid] = str((meta or {}).get("doc_id", ""))
            offset += len(got["ids"])

    def search(
        self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, float]]:
        """Nearest chunks by cosine distance, as similarities (1 - distance)."""
        n = self.chunk_count()
        if n == 0:
            return []
        res = self._call(
            self.chunks.query,
            query_embeddings=[vector],
            n_results=min(k, n),
            where=where or None,
            include=["distances"],
        )
        return [(i, 1.0 - d) for i, d in zip(res["ids"][0], res["distances"][0], strict=True)]

    def sentence_vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored sentence vectors by id; missing ids are left out."""
        if not ids:
            return {}
        got = self._call(self.sentences.get, ids=list(ids), include=["embeddings"])
        return {
            i: np.asarray(v, dtype=np.float32)
            for i, v in zip(got["ids"], got["embeddings"], strict=True)
        }

    def clear(self) -> None:
        """Drop both collections and create them empty."""
        for col in (self.chunks, self.sentences):
            self._call(self._client.delete_collection, col.name)
        self._open_collections()

    @property
    def read_only(self) -> bool:
        """Whether this reads a temporary copy of a read-only store (writes would be lost)."""
        return self._opened.copy is not None

    def reopen(self) -> None:
        """Close the embedded client and open a new one, which reads the folder afresh."""
        if self._reconnect is None:
            return
        close_client(self._client, self._opened.copy)
        folder = getattr(self._client, "_identifier", None)
        if folder and shared_elsewhere(Path(folder)):
            log.warning("another client in this process holds %s; it may stay stale", folder)
        self._opened = self._reconnect()
        self._client = self._opened.client
        self._open_collections()

    def close(self) -> None:
        """Close the client (stopping the embedded system once no other client in the
        process uses the same folder) and remove a read-only copy."""
        close_client(self._client, self._opened.copy)


def chroma_metadata(article: Article) -> dict[str, Any]:
    """The metadata every record of ``article`` carries (Chroma rejects None values)."""
    meta: dict[str, Any] = {
        "doc_id": article.doc_id,
        "title": article.title,
        "source": article.source,
        "published_day": day_number(article.published),
    }
    if article.url:
        meta["url"] = article.url
    if article.published:
        meta["published"] = article.published
    return meta


def _batches(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for lo in range(0, len(items), BATCH):
        yield items[lo : lo + BATCH]
