"""How many answers run at once, how many wait, and a 429 for the rest.

Answering holds a CPU for tens of milliseconds; a burst beyond what the machine can do
would only make every client slower. ``Gate`` lets ``concurrency`` requests run, keeps at
most ``queue`` waiting (each at most ``timeout`` seconds), and answers any more at once
with ``Overloaded`` (429 with ``Retry-After``) instead of a hang.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class Overloaded(Exception):
    """No slot now; ``retry_after`` is a whole number of seconds worth waiting."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"overloaded; retry after {retry_after} s")
        self.retry_after = retry_after


class Gate:
    """Admission for the answering routes of one server (its own event loop).

    :param concurrency: requests answered at once.
    :param queue: requests that may wait for a slot; more are refused at once.
    :param timeout: seconds a request waits before it is refused.
    """

    def __init__(self, concurrency: int, queue: int, timeout: float) -> None:
        self.concurrency, self.queue, self.timeout = concurrency, queue, timeout
        self.running = 0
        self.waiting = 0
        self._slots: asyncio.Semaphore | None = None

    @property
    def retry_after(self) -> int:
        """A hint for refused clients: about one queue timeout's share, at least 1 s."""
        return max(1, math.ceil(self.timeout / 4))

    def check(self) -> None:
        """Raise ``Overloaded`` if a request arriving now could not even wait."""
        if self.running >= self.concurrency and self.waiting >= self.queue:
            raise Overloaded(self.retry_after)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one slot while the block runs; ``Overloaded`` if none comes in time."""
        self.check()
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.concurrency)
        self.waiting += 1
        try:
            async with asyncio.timeout(self.timeout):  # not wait_for: it can swallow a cancel
                await self._slots.acquire()
        except TimeoutError:
            raise Overloaded(self.retry_after) from None
        finally:
            self.waiting -= 1
        self.running += 1
        try:
            yield
        finally:
            self.running -= 1
            self._slots.release()
