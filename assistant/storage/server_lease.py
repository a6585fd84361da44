"""One writer per Chroma server index: a lease record that writers on any machine take.

The data folder's file lock (``write_lock``) keeps writers of one machine apart; replicas
on other machines share only the server, so a writer there also takes the lease record
``lease`` in ``NAME-state``: who holds it and until when. A holder renews it as it writes
(every third of ``LEASE_SECONDS``) and deletes it when done; a holder that died leaves a
lease that simply runs out. Chroma has no compare-and-set, so a taker writes its claim,
waits a moment and reads it back: of two claims written together the later one wins and
the earlier taker sees that and waits. Two writers at once would not corrupt the server's
records, but one's log entry could hide the other's changes from replicas until their
next full read; the lease is what prevents that.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from assistant.errors import IndexBusy

log = logging.getLogger(__name__)
LEASE_ID = "lease"
LEASE_SECONDS = 120.0
SETTLE = 0.3  # seconds between writing a claim and reading it back


class ServerLease:
    """The write lease of one server index; re-entrant within this object.

    :param state: the ``NAME-state`` collection.
    :param call: runs one Chroma request (mapping failures to the assistant's errors).
    :param timeout: seconds to wait for another holder before ``IndexBusy``.
    :param where: names the server in messages (``http://host:port``).
    """

    def __init__(self, state: Any, call: Callable[..., Any], timeout: float, where: str) -> None:
        self.state = state
        self.call = call
        self.timeout = timeout
        self.where = where
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._depth = 0
        self._renewed = 0.0

    def _read(self) -> tuple[str, float] | None:
        got = self.call(self.state.get, ids=[LEASE_ID], include=["metadatas"])
        if not got["ids"]:
            return None
        meta = got["metadatas"][0]
        return str(meta["holder"]), float(meta["until"])

    def _claim(self) -> None:
        self._renewed = time.time()
        meta = {"kind": "lease", "holder": self.holder, "until": self._renewed + LEASE_SECONDS}
        self.call(self.state.upsert, ids=[LEASE_ID], metadatas=[meta], embeddings=[[1.0]])

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lease for a run of writes, waiting up to ``timeout`` for another holder.

        :raises IndexBusy: another writer still holds it after ``timeout`` seconds.
        """
        if self._depth == 0:
            self._acquire()
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                self._release()

    def renew(self) -> None:
        """Push the lease's end further out if a third of it has passed (call per write)."""
        if self._depth and time.time() - self._renewed > LEASE_SECONDS / 3:
            self._claim()

    def _acquire(self) -> None:
        deadline = time.monotonic() + self.timeout
        warned = False
        while True:
            lease = self._read()
            if lease is None or lease[0] == self.holder or lease[1] < time.time():
                self._claim()
                time.sleep(SETTLE)
                lease = self._read()
                if lease is not None and lease[0] == self.holder:
                    return
            if not warned:
                log.warning("%s holds the write lease of %s; waiting", lease, self.where)
                warned = True
            if time.monotonic() > deadline:
                who = lease[0] if lease else "another writer"
                raise IndexBusy(
                    f"{who} is still writing the index on the Chroma server at {self.where} "
                    f"after {self.timeout:.0f} s. Try again when it has finished; a writer "
                    f"that stopped loses its lease within {LEASE_SECONDS:.0f} s."
                )
            time.sleep(1.0)

    def _release(self) -> None:
        try:
            lease = self._read()
            if lease is not None and lease[0] == self.holder:
                self.call(self.state.delete, ids=[LEASE_ID])
        except Exception as exc:  # it runs out by itself
            log.warning("could not release the write lease on %s: %s", self.where, exc)
