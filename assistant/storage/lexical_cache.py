"""The BM25 index a store serves: kept in memory, loaded from ``bm25/``, rebuilt from the
catalog when it no longer matches it.

A rebuild reads every chunk's morphemes (seconds at 100,000 chunks, about a minute at a
million). Where the catalog moves under a serving process all the time — a replica whose
cache follows a Chroma server while ingests run — ``serve_stale`` lets questions use the
index it has while a new one is built in a background thread. That stays correct: a
chunk the old index finds but the catalog no longer lists is dropped by ``get_chunks``,
and a new chunk is found by the dense side until the rebuild lands. The first index, and
any index asked for with ``wait``, is built before returning.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from assistant.storage.catalog import Catalog
from assistant.storage.lexical import LexicalIndex

log = logging.getLogger(__name__)


class LexicalCache:
    """One store's BM25 index, matched to its catalog's generation.

    :param catalog: the current catalog (a getter: a rebuild elsewhere may replace it).
    :param folder: where the index is saved (``INDEX_DIR/bm25``).
    :param params: BM25's (k1, b).
    :param may_save: holds the write lock if it is free right now (yields whether it is):
        an index is saved only then, as a writer saves the index it ends with.
    :param serve_stale: answer from the previous index while a new one is built.
    """

    def __init__(
        self,
        catalog: Callable[[], Catalog],
        folder: Path,
        params: tuple[float, float],
        may_save: Callable[[], AbstractContextManager[bool]],
        *,
        serve_stale: bool = False,
    ) -> None:
        self.catalog = catalog
        self.folder = folder
        self.params = params
        self.may_save = may_save
        self.serve_stale = serve_stale
        self._lock = threading.Lock()
        self._index: tuple[int, LexicalIndex] | None = None  # (epoch, index)
        self._building: threading.Thread | None = None
        self._closed = False

    def close(self) -> None:
        """Stop caring about a background rebuild still running (the store is closing);
        it ends at its next read of the closed catalog, quietly."""
        self._closed = True

    def drop(self) -> None:
        """Forget the index held (the catalog was emptied)."""
        with self._lock:
            self._index = None

    def get(self, epoch: int, *, wait: bool = False) -> LexicalIndex:
        """The index for the catalog's current generation (see the module's note on
        ``serve_stale``).

        :param epoch: how often the store reopened after another process's writes; an
            index of another epoch is not trusted as current.
        :param wait: build a stale index's successor before returning, even when serving
            stale ones is allowed (the end of an ingest).
        """
        gen = self.catalog().generation
        with self._lock:
            held = self._index
            if held is not None and held[0] == epoch and held[1].generation == gen:
                return held[1]
            if held is not None and self.serve_stale and not wait:
                self._start_rebuild(epoch)
                return held[1]
            index = self._load_or_build(gen)
            self._index = (epoch, index)
            return index

    def _load_or_build(self, gen: int) -> LexicalIndex:
        catalog = self.catalog()
        index = LexicalIndex.load(self.folder)
        if (
            index is None
            or (index.generation, index.params) != (gen, self.params)
            or set(index.chunk_ids) != catalog.chunk_ids()
        ):
            index = LexicalIndex.build(catalog.lexical_rows(), gen, *self.params)
            self._save(index)
        return index

    def _start_rebuild(self, epoch: int) -> None:
        if self._building is not None and self._building.is_alive():
            return

        def rebuild() -> None:
            try:
                gen = self.catalog().generation
                index = LexicalIndex.build(self.catalog().lexical_rows(), gen, *self.params)
                self._save(index)
                with self._lock:
                    self._index = (epoch, index)
                log.info("BM25 index rebuilt in the background (generation %d)", gen)
            except Exception as exc:  # the old index keeps serving; the next question retries
                if not self._closed:
                    log.warning("the BM25 index could not be rebuilt: %s", exc)

        self._building = threading.Thread(target=rebuild, name="bm25-rebuild", daemon=True)
        self._building.start()

    def _save(self, index: LexicalIndex) -> None:
        if self.catalog().read_only:
            return
        with self.may_save() as free:
            if not free:  # another process is writing: it saves the index it ends with
                return
            try:
                index.save(self.folder)
            except OSError as exc:
                log.warning("the BM25 index was not saved in %s: %s", self.folder, exc)
