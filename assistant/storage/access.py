"""How one process reads and writes an index that other processes may write too.

``assistant serve`` keeps its catalog connection, Chroma client and BM25 index open while
``assistant ingest`` in another process writes the same DATA_DIR. Chroma's embedded
client caches its view of the folder and, once another process has written, fails with
``Error finding id`` or misses the new records; SQLite reads are always current, but a
rebuild may replace the catalog file under an open connection.

So writers hold the data folder's ``WriteLock`` (waiting for each other, never for
readers), and every read first ``refresh``-es: it compares the catalog's generation (one
SQLite row) and file identity (one ``stat``) with what this process last saw and, when
another process moved them, reopens the Chroma client (and the catalog, if its file was
replaced) and bumps ``epoch`` so the store drops its cached BM25 index. A Chroma read
that still meets a stale view is retried once after reopening. This process's own writes
move what it saw along with them, so they cause no reopen.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import TypeVar

from assistant.errors import IndexDamaged, StaleIndex, StoreReadOnly
from assistant.settings import Settings
from assistant.storage.catalog import Catalog
from assistant.storage.faults import Faults, damaged_message, read_only_message
from assistant.storage.vectors import VectorIndex
from assistant.storage.write_lock import WriteLock

log = logging.getLogger(__name__)
T = TypeVar("T")
Seen = tuple[int, tuple[int, int] | None]  # catalog generation, catalog file (device, inode)


class Access:
    """The catalog and vector index of one store, kept in step with other processes.

    :param settings: where the index lives, and the write lock's timeout.
    :param vectors: the open vector index; closed by ``close``, and by this constructor
        if the catalog cannot be opened.
    :raises IndexDamaged: the catalog file is damaged.
    """

    def __init__(self, settings: Settings, vectors: VectorIndex) -> None:
        self.settings = settings
        self.faults = Faults.of(settings)
        self.vectors = vectors
        try:
            with self.faults.translated():
                self.catalog = Catalog(self.faults.catalog)
        except BaseException:
            vectors.close()
            raise
        self.write_lock = WriteLock(settings.data_dir, settings.index_lock_timeout)
        self.lock = threading.RLock()  # in-process: writes, reopening and vector reads
        self.epoch = 0  # how many times this process reopened after another's writes
        self._seen = self._look()

    def close(self) -> None:
        """Close the catalog connection and the vector index."""
        try:
            self.catalog.close()
        finally:
            self.vectors.close()

    def _look(self) -> Seen:
        try:
            st = os.stat(self.faults.catalog)
            file: tuple[int, int] | None = (st.st_dev, st.st_ino)
        except OSError:
            file = None
        with self.faults.translated():
            return self.catalog.generation, file

    def refresh(self) -> bool:
        """Catch up with another process's writes; returns whether anything was reopened."""
        if self._look() == self._seen:
            return False
        with self.lock:
            now = self._look()
            if now == self._seen:
                return False
            if now[1] != self._seen[1]:  # a rebuild replaced the catalog file
                self.catalog.close()
                with self.faults.translated():
                    self.catalog = Catalog(self.faults.catalog)
            log.info("another process changed the index in %s; reopening it", self.faults.catalog)
            self.vectors.reopen()
            self.epoch += 1
            self._seen = self._look()
            return True

    def read(self, read: Callable[[], T]) -> T:
        """Run a vector read on a fresh view; a stale one is reopened and read again once.

        :raises IndexDamaged: still stale after reopening, so Chroma's own files disagree.
        """
        self.refresh()
        with self.lock, self.faults.translated("chroma"):
            try:
                return read()
            except StaleIndex:
                log.info("Chroma's view was stale; reopening it and reading again")
                self.vectors.reopen()
                self.epoch += 1
                try:
                    return read()
                except StaleIndex as exc:
                    where = self.faults.chroma or self.settings.data_dir
                    raise IndexDamaged(damaged_message(where, str(exc))) from exc

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the write lock (re-entrant in a thread) after catching up with what other
        processes wrote; low-level errors inside become the assistant's own.

        :raises StoreReadOnly: the catalog, or the Chroma folder, can only be read here.
        :raises IndexBusy: another process kept the lock past ``index_lock_timeout``.
        """
        if self.catalog.read_only or getattr(self.vectors, "read_only", False):
            raise StoreReadOnly(read_only_message(self.settings.data_dir))
        with self.faults.translated(), self.write_lock.held():
            self.refresh()
            yield

    @contextmanager
    def write_step(self) -> Iterator[None]:
        """One write, under the write lock and the in-process lock, refused before it starts
        when the disk is nearly full (``Faults.check_space``); what this process saw moves
        along with it."""
        with self.writing(), self.lock:
            self.faults.check_space()
            try:
                yield
            finally:
                with suppress(Exception):  # never hide the write's own error
                    self._seen = self._look()
