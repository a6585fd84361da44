"""The store front: one object over the catalog, the vector index and the BM25 index,
keeping them consistent.

Writes go catalog-delete → vector-delete → vector-upsert → catalog-insert, so a run
killed at any point leaves only vectors that the catalog does not list; ``reconcile``
removes them, and the next ingest redoes exactly the documents the catalog lacks. The
BM25 index is derived from the catalog and rebuilt whenever its generation is behind or
its files disagree with the catalog.

Other processes may write the same index (``ingest`` while ``serve`` runs): ``access``
holds the write lock for writes and keeps this process's view current for reads.
``sentence_id``, ``unique_sentences``, ``day_number`` (``keys``) and ``StoredChunk``
(``catalog``) are re-exported: the read API takes and returns them.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from assistant.errors import IndexMismatch
from assistant.settings import Settings
from assistant.storage.access import Access
from assistant.storage.catalog import SENTENCES_HERE, SENTENCES_KEY, Catalog, StoredChunk
from assistant.storage.faults import Faults
from assistant.storage.keys import day_number, sentence_id, sentence_key, unique_sentences
from assistant.storage.lexical import LexicalIndex
from assistant.storage.lexical_cache import LexicalCache
from assistant.storage.reconcile import reconcile
from assistant.storage.server_catalog import ServerCatalog
from assistant.storage.upgrades import check_id_scheme, move_sentence_vectors
from assistant.storage.vectors import ChromaVectors, VectorIndex
from assistant.types import Article, Chunk

__all__ = ["Store", "StoredChunk", "day_number", "sentence_id", "unique_sentences"]
log = logging.getLogger(__name__)


class Store:
    """The index in ``settings.index_dir``: catalog, vectors and BM25, written in a
    crash-safe order and read through one API. Use as a context manager, or call
    ``close``.

    :param settings: where the index lives, the collection name, Chroma location, BM25
        parameters.
    :param vectors: the vector index to use instead of connecting to Chroma (tests pass
        an in-memory one); closed by ``close`` all the same.
    :raises StoreUnavailable: Chroma cannot be reached or opened; ``IndexDamaged`` when a
        file of the index is damaged, ``StoreReadOnly`` for a missing index in a
        read-only folder.
    """

    def __init__(self, settings: Settings, *, vectors: VectorIndex | None = None) -> None:
        self.settings = settings
        self.folder: Path = settings.index_dir
        self.faults = Faults.of(settings)
        if not self.folder.is_dir():
            with self.faults.translated():
                self.folder.mkdir(parents=True, exist_ok=True)
        vecs = vectors if vectors is not None else ChromaVectors.connect(settings)
        server = None
        if settings.chroma_host and isinstance(vecs, ChromaVectors):
            try:  # the server is the record: see ``server_catalog`` and ``mirror``
                server = ServerCatalog(vecs.client, settings.collection, vecs.call)
            except BaseException:
                vecs.close()
                raise
        self._access = Access(settings, vecs, server)
        self._lock = self._access.lock
        self._lexical = LexicalCache(
            lambda: self._access.catalog,
            self.folder / "bm25",
            (settings.bm25_k1, settings.bm25_b),
            self._access.write_lock.attempt,
            serve_stale=server is not None,
        )
        self._closed = False

    def close(self) -> None:
        """Release the SQLite connection and the vector index's client; idempotent."""
        if self._closed:
            return
        self._closed = True
        self._lexical.close()
        self._access.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ other processes

    @property
    def catalog(self) -> Catalog:
        """The SQLite catalog (reopened when a rebuild in another process replaced it)."""
        return self._access.catalog

    @property
    def vectors(self) -> VectorIndex:
        """The vector index (Chroma, or what the constructor was given)."""
        return self._access.vectors

    def refresh(self) -> bool:
        """Catch up with writes by other processes (see ``access``); True if it reopened."""
        return self._access.refresh()

    def writing(self) -> AbstractContextManager[None]:
        """Hold the data folder's write lock for a run of writes (an ingest), so no other
        process writes meanwhile; errors inside become ``StoreFull``, ``StoreReadOnly``
        or ``IndexDamaged`` where they are those.

        :raises StoreReadOnly: the folder can only be read here.
        :raises IndexBusy: another process kept the lock past ``index_lock_timeout``.
        """
        return self._access.writing()

    def ping(self) -> None:
        """Raise ``StoreUnavailable`` (with its message) when the vector index does not answer."""
        self._access.read(self.vectors.chunk_count)

    # ------------------------------------------------------------------ bookkeeping

    def meta(self, key: str) -> str | None:
        """A catalog meta value (e.g. ``embedding_model``), or None."""
        return self.catalog.meta(key)

    @property
    def generation(self) -> int:
        """The catalog's write counter; the BM25 index is rebuilt when it moves."""
        return self.catalog.generation

    def check_model(self, model: str, dim: int) -> None:
        """Record the embedding model of a new index; refuse to mix two models in one.

        :raises IndexMismatch: the index was built with another model or dimension.
        """
        stored = self.catalog.meta("embedding_model")
        if stored is None:
            with self._access.write_step():
                self._access.writes.set_meta({"embedding_model": model, "embedding_dim": str(dim)})
        elif stored != model or int(self.catalog.meta("embedding_dim") or dim) != dim:
            raise IndexMismatch(
                f"The index in {self.folder} was built with the embedding model '{stored}', "
                f"but '{model}' is configured. Run `assistant ingest --rebuild PATH` to "
                "re-embed everything, or set ASSISTANT_EMBEDDING_MODEL back."
            )

    def file_sha(self, path: str) -> str | None:
        """The sha256 recorded for a file, or None if it was never (completely) ingested."""
        return self.catalog.file_sha(path)

    def file_doc_ids(self, path: str) -> list[str]:
        """The document ids recorded for a file."""
        return self.catalog.file_doc_ids(path)

    def check_ids(self) -> None:
        """Mark a new index as holding source-scoped document ids; refuse to add to an
        index written before ids carried their source, where they could collide.

        :raises IndexOutdated: the index has documents but no mark; the message names the
            folders to rebuild it from.
        """
        with self._lock:
            mark = check_id_scheme(self.catalog, self.folder)
        if mark:
            with self._access.write_step():
                self._access.writes.set_meta(mark)

    def files_under(self, roots: Iterable[str]) -> list[str]:
        """Recorded file keys equal to or below any of ``roots`` (keys, see ``file_key``)."""
        return self.catalog.files_under(roots)

    def source_names(self, root: str) -> list[str]:
        """The source names a folder (as ``path_text``) was ingested under, oldest first."""
        return self.catalog.source_names(root)

    def sources(self) -> dict[str, list[str]]:
        """name → folders, for every source recorded in the index."""
        return self.catalog.sources()

    def bind_source(self, name: str, root: str) -> None:
        """Record that the folder ``root`` is ingested under ``name``."""
        with self._access.write_step():
            self._access.writes.bind_source(name, root)

    def doc_hashes(self, doc_ids: list[str]) -> dict[str, tuple[str, str]]:
        """doc_id → (hash, path) for those of the ids the catalog lists."""
        return self.catalog.doc_hashes(doc_ids)

    def counts(self) -> tuple[int, int]:
        """(documents, chunks) the catalog lists, i.e. that count as indexed."""
        return self.catalog.counts()

    # ------------------------------------------------------------------ write path

    def forget(self, doc_ids: list[str], paths: list[str]) -> None:
        """Steps 1–2 of a replace: drop documents from the catalog, then their vectors."""
        if not doc_ids and not paths:
            return
        with self._access.write_step():
            self._access.writes.delete(doc_ids, paths)
            self.vectors.delete_documents(doc_ids)

    def add(
        self,
        docs: Sequence[tuple[Article, str, Sequence[Chunk]]],
        chunk_vectors: np.ndarray,
        sentence_vectors: np.ndarray,
        chunk_terms: Sequence[Sequence[str]],
        files: dict[str, tuple[str, list[str]]],
    ) -> None:
        """Steps 3–4: chunk vectors first, then the catalog rows that make them count
        (with the sentence vectors, which only the catalog keeps).

        :param docs: (article, path, chunks) per document.
        :param chunk_vectors: one per chunk, in the order of ``docs``' chunks.
        :param sentence_vectors: one per ``unique_sentences(chunks)`` of each document.
        :param chunk_terms: each chunk's morphemes (for BM25), in chunk order.
        :param files: path → (sha256, doc_ids) of files complete with this call.
        :raises ValueError: the vectors or terms do not match the chunks and sentences.
        """
        n_chunks = sum(len(chunks) for _, _, chunks in docs)
        n_sentences = sum(len(unique_sentences(chunks)) for _, _, chunks in docs)
        got = (len(chunk_vectors), len(sentence_vectors), len(chunk_terms))
        if got != (n_chunks, n_sentences, n_chunks):
            raise ValueError(
                f"{n_chunks} chunks and {n_sentences} sentences, but {got[0]} chunk vectors, "
                f"{got[1]} sentence vectors and {got[2]} term lists"
            )
        with self._access.write_step():
            self.vectors.add([(article, chunks) for article, _, chunks in docs], chunk_vectors)
            self._access.writes.insert(docs, chunk_terms, files, sentence_vectors)

    def reconcile(self) -> int:
        """Delete vectors the catalog does not list (left by an interrupted run), and
        unlist documents whose vectors are gone (a Chroma folder set aside), with their
        files, so the next ingest embeds them again.

        Documents the catalog does not know lose all their vectors; a listed document
        loses the chunks it no longer has. Returns how many documents and chunks went.
        """
        with self._access.write_step():
            return reconcile(self.catalog, self.vectors, self._access.writes)

    def clear(self) -> None:
        """Drop everything this index holds (``ingest --rebuild``): the catalog first, so
        a crash midway leaves only unlisted vectors, which ``reconcile`` removes."""
        with self._access.write_step():
            self._access.writes.clear()
            self.vectors.clear()
            self._lexical.drop()

    # ------------------------------------------------------------------ read path

    def lexical(self, *, wait: bool = False) -> LexicalIndex:
        """The BM25 index matching the catalog: cached, else loaded from ``bm25/``, else
        rebuilt from the catalog's morphemes (``lexical_cache``). With a Chroma server a
        serving replica answers from its previous index while the next is built, unless
        ``wait``.
        """
        self.refresh()
        with self.faults.translated():
            return self._lexical.get(self._access.epoch, wait=wait)

    def dense_search(
        self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, float]]:
        """Top-k (chunk_id, cosine similarity) from the vector index; may include chunks
        the catalog does not list yet, which ``get_chunks`` leaves out."""
        return self._access.read(lambda: self.vectors.search(vector, k, where))

    def get_chunks(self, chunk_ids: list[str]) -> dict[str, StoredChunk]:
        """chunk_id → chunk with its document, for those of the ids the catalog lists."""
        self.refresh()
        with self.faults.translated():
            return self.catalog.get_chunks(chunk_ids)

    def sentence_vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        """Stored sentence vectors (keys from ``sentence_id``); missing ids are left out."""
        self.refresh()
        keys = {sentence_key(i): i for i in ids}
        with self.faults.translated():
            found = self.catalog.sentence_vectors(list(keys))
        return {keys[k]: v for k, v in found.items()}

    def upgrade(self, *, wait: bool = True) -> int:
        """Move the sentence vectors of an index written before into the catalog, once
        (see ``upgrades``); returns how many moved.

        :param wait: wait for another process's write to end; otherwise (a process that
            only reads, opening the index) leave it to the next writer when one is busy.
        """
        if self.catalog.meta(SENTENCES_KEY) == SENTENCES_HERE or self._access.server:
            return 0  # the usual case (no lock); a server index never had them in Chroma
        if not wait and (self.catalog.read_only or getattr(self.vectors, "read_only", False)):
            return 0
        # without waiting: only if the lock is free now (it is re-entrant, so write_step
        # below takes it again at once)
        lock = nullcontext(True) if wait else self._access.write_lock.attempt()
        with lock as free:
            if not free:
                return 0
            with self._access.write_step():
                return move_sentence_vectors(self.catalog, self.vectors)

    def snapshot(self, data_dir: Path) -> Path:
        """Copy this replica's cache of a Chroma server's index (the catalog, consistent,
        and the BM25 files) into ``data_dir``: a replica started there syncs only what was
        logged since, instead of reading the whole catalog. Returns the folder written.

        :raises ValueError: no Chroma server is set, or the folder holds an index already.
        """
        if self._access.server is None:
            raise ValueError(
                "a snapshot is a replica's cache of a Chroma server's index; without a "
                "server, copy the whole data dir (stopped) instead"
            )
        target = data_dir / self.folder.relative_to(self.settings.data_dir)
        if (target / self.faults.catalog.name).exists():
            raise ValueError(f"{target} already holds an index; choose an empty folder")
        self.refresh()
        with self.faults.translated():
            target.mkdir(parents=True, exist_ok=True)
            self.catalog.backup(target / self.faults.catalog.name)
            if (self.folder / "bm25").is_dir():  # checked against the catalog when loaded
                shutil.copytree(self.folder / "bm25", target / "bm25")
        return target

    def documents(self) -> Iterator[tuple[str, str, str]]:
        """(doc_id, title, source) for every indexed document."""
        return self.catalog.documents()

    def document_text(self, doc_id: str) -> str | None:
        """A document's full text, which chunk and citation offsets refer to; None if unknown."""
        return self.catalog.document_text(doc_id)
