"""The admission gate: so many run, so many wait, the rest are refused at once (429)."""

from __future__ import annotations

import asyncio

import pytest

from assistant.interfaces.api.admission import Gate, Overloaded


def test_running_waiting_and_refused() -> None:
    async def scenario() -> tuple[list[str], int]:
        gate = Gate(concurrency=1, queue=1, timeout=5)
        order: list[str] = []
        release = asyncio.Event()

        async def job(name: str) -> None:
            async with gate.slot():
                order.append(name)
                await release.wait()

        first = asyncio.create_task(job("first"))
        await asyncio.sleep(0.01)
        second = asyncio.create_task(job("second"))
        await asyncio.sleep(0.01)
        try:
            assert (gate.running, gate.waiting) == (1, 1)
            with pytest.raises(Overloaded) as refused:
                async with gate.slot():
                    pass
        finally:
            release.set()
        await asyncio.gather(first, second)
        assert (gate.running, gate.waiting) == (0, 0)
        return order, refused.value.retry_after

    order, retry_after = asyncio.run(scenario())
    assert order == ["first", "second"] and retry_after >= 1


def test_waiting_too_long_is_refused() -> None:
    async def scenario() -> None:
        gate = Gate(concurrency=1, queue=5, timeout=0.05)
        async with gate.slot():
            with pytest.raises(Overloaded):
                async with gate.slot():
                    pass
        assert (gate.running, gate.waiting) == (0, 0)
        async with gate.slot():  # the slot was given back
            assert gate.running == 1

    asyncio.run(scenario())
