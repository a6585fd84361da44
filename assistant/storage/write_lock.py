"""One writer per data folder: a file lock that ingests and rebuilds hold across processes.

Two ingests into one DATA_DIR at once would each reconcile away the vectors the other had
written but not yet listed, and Chroma's embedded store is not made for two writers. The
lock is ``DATA_DIR/.index.lock`` (the Chroma folder is shared by every collection there);
a second writer waits for it, saying so, and gives up with ``IndexBusy`` after the
timeout. Readers never take it, except to save a rebuilt BM25 index when no one writes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from assistant.errors import IndexBusy

log = logging.getLogger(__name__)
LOCK_NAME = ".index.lock"


class WriteLock:
    """The data folder's write lock; re-entrant within a thread.

    :param data_dir: the folder whose index it guards.
    :param timeout: seconds to wait for another writer before ``IndexBusy``.
    """

    def __init__(self, data_dir: Path, timeout: float) -> None:
        self.path = data_dir / LOCK_NAME
        self.timeout = timeout
        self._lock = FileLock(self.path)

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lock for a write, waiting up to the timeout for another writer.

        :raises IndexBusy: another process still holds it after ``timeout`` seconds.
        :raises OSError: the lock file cannot be created (e.g. a read-only folder).
        """
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            log.warning(
                "another process is writing the index in %s; waiting up to %.0f s for it",
                self.path.parent,
                self.timeout,
            )
            try:
                self._lock.acquire(timeout=self.timeout)
            except Timeout as exc:
                raise IndexBusy(
                    f"Another process is still writing the index in {self.path.parent} after "
                    f"{self.timeout:.0f} s (it holds {self.path}). Try again when it has "
                    f"finished. If no ingest or rebuild is running anywhere, delete {self.path}."
                ) from exc
        try:
            yield
        finally:
            self._lock.release()

    @contextmanager
    def attempt(self) -> Iterator[bool]:
        """Hold the lock if it is free right now: yields True, else False without waiting
        (also when the lock file cannot be created, as in a read-only folder)."""
        try:
            self._lock.acquire(timeout=0)
        except (Timeout, OSError):
            yield False
            return
        try:
            yield True
        finally:
            self._lock.release()
