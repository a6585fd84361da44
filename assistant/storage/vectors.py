"""The vector index: one vector per chunk, kept in Chroma and searched.

Chroma runs embedded (``PersistentClient`` under ``DATA_DIR/chroma``) or as a server
(``HttpClient``), with one collection ``NAME`` of chunks. Every record carries its
document's id, title, source and publication day as metadata, so deletes and filters need
no other lookup. ``VectorIndex`` is what the ``Store`` front needs from such an index;
``ChromaVectors`` is the real one. Sentence vectors are never searched, so they live in
the catalog; indexes written before kept them in a collection ``NAME-sentences``, which
``legacy_sentences`` reads once so they can be moved.
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
from assistant.storage.keys import day_number
from assistant.types import Article, Chunk

log = logging.getLogger(__name__)
BATCH = 5000  # records per write request; Chroma's own limit may be lower (see ``_batch``)
PAGE = 5000  # records per get() when listing a whole collection
COSINE = {"hnsw": {"space": "cosine"}}


class VectorIndex(Protocol):
    """What the ``Store`` front needs from a vector index (Chroma, or a fake in tests)."""

    def add(
        self, docs: Sequence[tuple[Article, Sequence[Chunk]]], chunk_vectors: np.ndarray
    ) -> None:
        """Upsert the chunks of ``docs``, vectors in that order."""
        ...

    def delete_documents(self, doc_ids: Sequence[str]) -> None:
        """Remove every chunk of these documents (unknown ids are ignored)."""
        ...

    def delete_chunks(self, chunk_ids: Sequence[str]) -> None:
        """Remove these chunks."""
        ...

    def chunk_count(self) -> int:
        """How many chunk vectors are stored."""
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

    def legacy_sentences(self) -> Iterator[list[tuple[str, np.ndarray]]]:
        """Pages of (sentence_id, vector) an older index kept beside its chunks, then
        nothing; none for an index that never had them."""
        ...

    def drop_legacy_sentences(self) -> None:
        """Remove what ``legacy_sentences`` read (once the catalog holds it)."""
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
    """The chunk collection in one Chroma client; connection failures raise
    ``StoreUnavailable`` with a message saying what to do, a full disk ``StoreFull``, a
    damaged store ``IndexDamaged``, and a view older than the files ``StaleIndex``.

    :param client: an open Chroma client, or ``Opened`` with its read-only copy (``connect``
        makes one from settings; tests may pass an ``EphemeralClient``). Closed by ``close``.
    :param collection: the chunk collection's name.
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

    @property
    def client(self) -> Any:
        """The open Chroma client (the server's catalog collections share it)."""
        return self._client

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one Chroma request, turning failures into the assistant's errors."""
        return self._call(fn, *args, **kwargs)

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
        self, docs: Sequence[tuple[Article, Sequence[Chunk]]], chunk_vectors: np.ndarray
    ) -> None:
        """Upsert chunks (with their text) in requests as large as Chroma takes."""
        rows: list[tuple[str, str, dict[str, Any]]] = []
        for article, chunks in docs:
            base = chroma_metadata(article)
            for c in chunks:
                meta = {**base, "chunk_id": c.chunk_id, "start": c.start, "end": c.end}
                rows.append((c.chunk_id, c.text, meta))
        if len(rows) != len(chunk_vectors):
            raise ValueError(f"{len(rows)} chunks but {len(chunk_vectors)} vectors")
        step = self._batch()
        for lo in range(0, len(rows), step):
            part = rows[lo : lo + step]
            self._call(
                self.chunks.upsert,
                ids=[r[0] for r in part],
                documents=[r[1] for r in part],
                metadatas=[r[2] for r in part],
                embeddings=chunk_vectors[lo : lo + step],
            )

    def _batch(self) -> int:
        """Records per write: ``BATCH``, or less where the client says it takes less."""
        try:
            return max(1, min(BATCH, int(self._client.get_max_batch_size())))
        except Exception:  # an old client or a server that does not say
            return 500

    def delete_documents(self, doc_ids: Sequence[str]) -> None:
        """Delete by the ``doc_id`` metadata."""
        for part in _batches(doc_ids):
            self._call(self.chunks.delete, where={"doc_id": {"$in": list(part)}})

    def delete_chunks(self, chunk_ids: Sequence[str]) -> None:
        """Delete chunk records by id."""
        for part in _batches(chunk_ids):
            self._call(self.chunks.delete, ids=list(part))

    def chunk_count(self) -> int:
        """The chunk collection's size."""
        return int(self._call(self.chunks.count))

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
        """Nearest chunks by cosine distance, as similarities (1 - distance).

        The collection is not counted first: Chroma returns fewer results (none for an
        empty collection) by itself, and a count costs 50 ms at a million chunks.
        """
        res = self._call(
            self.chunks.query,
            query_embeddings=[vector],
            n_results=k,
            where=where or None,
            include=["distances"],
        )
        ids, distances = (res["ids"] or [[]])[0], (res["distances"] or [[]])[0]
        return [(i, 1.0 - d) for i, d in zip(ids, distances, strict=True)]

    def _legacy(self) -> Any | None:
        """The sentence collection of an index written before, or None."""
        name = f"{self._name}-sentences"
        names = {getattr(c, "name", c) for c in self._call(self._client.list_collections)}
        return self._call(self._client.get_collection, name) if name in names else None

    def legacy_sentences(self) -> Iterator[list[tuple[str, np.ndarray]]]:
        """Pages of ``PAGE`` (sentence_id, vector) from the old sentence collection."""
        old = self._legacy()
        if old is None:
            return
        offset = 0
        while True:
            got = self._call(old.get, include=["embeddings"], limit=PAGE, offset=offset)
            if not got["ids"]:
                return
            vectors = np.asarray(got["embeddings"], dtype=np.float32)
            yield list(zip(got["ids"], vectors, strict=True))
            offset += len(got["ids"])

    def drop_legacy_sentences(self) -> None:
        """Delete the old sentence collection, if there is one."""
        if self._legacy() is not None:
            self._call(self._client.delete_collection, f"{self._name}-sentences")

    def clear(self) -> None:
        """Drop the collection (and an old sentence one) and create it empty."""
        self.drop_legacy_sentences()
        self._call(self._client.delete_collection, self.chunks.name)
        self._open_collections()

    @property
    def read_only(self) -> bool:
        """Whether this reads a temporary copy of a read-only store (writes would be lost)."""
        return self._opened.copy is not None

    @property
    def disk_full(self) -> bool:
        """Whether the copy is read because the store's disk is full (writes would fail)."""
        return self._opened.full

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


def _batches(items: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    """Ids in groups small enough for one ``$in`` filter or id list."""
    for lo in range(0, len(items), size):
        yield items[lo : lo + size]
