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

With a Chroma server the server is the record and the local catalog a cache of it
(``mirror``): it is synced when the store opens, before every write, and on reads at
most every ``server_sync_seconds``, so a replica sees another's ingest within that time
(plus the sync itself) without a restart. A server that does not answer the check leaves
the cache as it was; reads go on, and the check is tried again at the next interval.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from typing import TypeVar

from assistant.errors import (
    IndexDamaged,
    StaleIndex,
    StoreFull,
    StoreReadOnly,
    StoreUnavailable,
)
from assistant.settings import Settings
from assistant.storage import mirror
from assistant.storage.catalog import Catalog
from assistant.storage.faults import (
    Faults,
    damaged_message,
    disk_full_message,
    read_only_message,
)
from assistant.storage.server_catalog import ServerCatalog
from assistant.storage.server_lease import ServerLease
from assistant.storage.vectors import VectorIndex
from assistant.storage.write_lock import WriteLock
from assistant.storage.writes import ServerWrites, Writes

log = logging.getLogger(__name__)
T = TypeVar("T")
Seen = tuple[int, tuple[int, int] | None]  # catalog generation, catalog file (device, inode)


class Access:
    """The catalog and vector index of one store, kept in step with other processes.

    :param settings: where the index lives, and the write lock's timeout.
    :param vectors: the open vector index; closed by ``close``, and by this constructor
        if the catalog cannot be opened.
    :param server: the Chroma server's catalog, when the server is the record; the local
        catalog is then synced from it here, before writes and at most every
        ``server_sync_seconds`` on reads.
    :raises IndexDamaged: the catalog file is damaged.
    """

    def __init__(
        self, settings: Settings, vectors: VectorIndex, server: ServerCatalog | None = None
    ) -> None:
        self.settings = settings
        self.faults = Faults.of(settings)
        self.vectors = vectors
        self.server = server
        try:
            with self.faults.translated():
                self.catalog = Catalog(self.faults.catalog)
        except BaseException:
            vectors.close()
            raise
        self.write_lock = WriteLock(settings.data_dir, settings.index_lock_timeout)
        self.lock = threading.RLock()  # in-process: writes, reopening and vector reads
        self.epoch = 0  # how many times this process reopened after another's writes
        self._synced = -float("inf")  # when the cache was last checked against the server
        self.lease: ServerLease | None = None
        if server is not None:
            where = f"http://{settings.chroma_host}:{settings.chroma_port}"
            self.lease = server.lease(settings.index_lock_timeout, where)
        if server is not None:
            try:
                with self.faults.translated(), self.write_lock.held():
                    self._sync()
            except BaseException:
                self.close()
                raise
        self._seen = self._look()

    @property
    def writes(self) -> Writes:
        """Where catalog writes go: the server's catalog, or the local one."""
        if self.server is not None:
            return ServerWrites(self.server, self.catalog)
        return self.catalog

    def _sync(self) -> bool:
        assert self.server is not None
        self._synced = time.monotonic()
        return mirror.sync(self.catalog, self.server)

    def _poll(self) -> None:
        """Sync the cache from the server if ``server_sync_seconds`` have passed."""
        if time.monotonic() - self._synced < self.settings.server_sync_seconds:
            return
        with self.lock, self.write_lock.attempt() as free:
            if not free:  # this data dir's writer syncs as it writes
                return
            try:
                with self.faults.translated():
                    self._sync()
            except StoreUnavailable as exc:
                log.warning("could not check the Chroma server for changes: %s", exc)

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
        if self.server is not None:
            self._poll()
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
        if getattr(self.vectors, "disk_full", False):  # opened from a copy (chroma_client)
            raise StoreFull(disk_full_message(self.settings.data_dir))
        if self.catalog.read_only or getattr(self.vectors, "read_only", False):
            raise StoreReadOnly(read_only_message(self.settings.data_dir))
        lease = self.lease.held() if self.lease is not None else nullcontext()
        with self.faults.translated(), self.write_lock.held(), lease:
            if self.server is not None:
                with self.lock:
                    self._sync()
            self.refresh()
            yield

    @contextmanager
    def write_step(self) -> Iterator[None]:
        """One write, under the write lock and the in-process lock, refused before it starts
        when the disk is nearly full (``Faults.check_space``); what this process saw moves
        along with it."""
        with self.writing(), self.lock:
            self.faults.check_space()
            if self.lease is not None:
                self.lease.renew()
            try:
                yield
            finally:
                with suppress(Exception):  # never hide the write's own error
                    self._seen = self._look()
