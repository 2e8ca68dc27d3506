"""Small asyncio helpers shared by the long-running services."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from dexcex.logs import get_logger

__all__ = ["cancel_all", "finish"]

_log = get_logger("dexcex.aio")


async def cancel_all(tasks: Iterable[asyncio.Task[Any] | None], *, timeout_s: float = 10.0) -> None:
    """Cancel the tasks and wait until each has finished, ``timeout_s`` at most in all.

    A task's own cancellation is swallowed; its other exceptions are raised. A task
    still running after ``timeout_s`` is logged and left behind rather than waited for
    forever — a client library that loses a cancellation (redis-py's asyncio client
    does, inside a blocking read) must not keep the whole process from stopping. A
    cancellation of the caller is never swallowed (``asyncio.wait`` raises it).
    """
    live = [t for t in tasks if t is not None]
    for t in live:
        t.cancel()
    if not live:
        return
    done, pending = await asyncio.wait(live, timeout=timeout_s)
    for t in pending:
        _log.warning("task ignored its cancellation: left behind", task=t.get_name())
    for t in live:
        if t in done and not t.cancelled():
            t.result()


async def finish(
    task: asyncio.Task[Any] | None, *, grace_s: float = 5.0, timeout_s: float = 5.0
) -> None:
    """Wait ``grace_s`` for a task that was asked to stop (by a flag it checks), then
    cancel it (see ``cancel_all``)."""
    if task is None:
        return
    await asyncio.wait([task], timeout=grace_s)
    await cancel_all([task], timeout_s=timeout_s)
