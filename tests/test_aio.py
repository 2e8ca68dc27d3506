"""cancel_all: bounded, never swallowing a cancellation aimed at its caller."""

from __future__ import annotations

import asyncio
import time

import pytest

from dexcex.aio import cancel_all, finish


async def _stubborn(release: asyncio.Event) -> None:
    # what a client library that loses a cancellation looks like from outside (until
    # ``release``, so the test's loop can close)
    while not release.is_set():
        try:
            await release.wait()
        except asyncio.CancelledError:
            continue


async def test_a_task_that_ignores_cancellation_is_left_after_the_timeout() -> None:
    release = asyncio.Event()
    task = asyncio.create_task(_stubborn(release))
    await asyncio.sleep(0)
    t0 = time.monotonic()
    await cancel_all([task], timeout_s=0.2)
    assert 0.15 < time.monotonic() - t0 < 2
    assert not task.done()
    release.set()
    await task


async def test_the_callers_own_cancellation_is_not_swallowed() -> None:
    release = asyncio.Event()
    stubborn = asyncio.create_task(_stubborn(release))
    await asyncio.sleep(0)
    outer = asyncio.create_task(cancel_all([stubborn], timeout_s=30))
    await asyncio.sleep(0.05)
    outer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(outer, 5)
    release.set()
    await stubborn


async def test_a_tasks_own_error_is_raised_and_cancelled_ones_are_quiet() -> None:
    async def fails() -> None:
        raise ValueError("boom")

    bad = asyncio.create_task(fails())
    quiet = asyncio.create_task(asyncio.sleep(10))
    await asyncio.sleep(0)
    with pytest.raises(ValueError, match="boom"):
        await cancel_all([bad, quiet, None])
    assert quiet.cancelled()


async def test_finish_waits_for_a_task_that_stops_by_itself() -> None:
    stop = asyncio.Event()

    async def polite() -> str:
        await stop.wait()
        return "done"

    task = asyncio.create_task(polite())
    asyncio.get_running_loop().call_later(0.05, stop.set)
    await finish(task, grace_s=5)
    assert task.result() == "done"
