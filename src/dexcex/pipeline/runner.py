"""Running until stopped: the steps of start-up (each logged and registered with the stop
latch, ``dexcex.stopping``), the wait for SIGINT/SIGTERM, and the shard of an asset.

A stop during start-up cancels it (whatever a step had started is closed by its
``finally``); after it, a stop ends ``serve_until_stopped``. Either way the run exits 0
with its shutdown logged."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import zlib
from collections.abc import Awaitable, Callable

from dexcex.config import Settings
from dexcex.domain import ConfigError
from dexcex.logs import get_logger
from dexcex.stopping import LATCH

__all__ = ["serve_until_stopped", "shard_of", "shard_settings", "starting"]

_log = get_logger("dexcex.run")


def starting(phase: str) -> None:
    """Log a step of start-up; a stop signal from now on cancels it (``dexcex.stopping``)."""
    _log.info("start-up", phase=phase)
    LATCH.starting(phase)


def shard_of(asset_id: str, shards: int) -> int:
    """The stable shard of an asset (the same on every machine and every run)."""
    return zlib.crc32(asset_id.encode()) % shards


def shard_settings(settings: Settings, k: int, n: int) -> Settings:
    """The settings of collector ``k`` of ``n``: only its assets."""
    if not 0 <= k < n:
        raise ConfigError(f"--shard {k}/{n}: K must be in 0..{n - 1}")
    mine = [a for a in settings.assets if shard_of(a.id, n) == k]
    bus = settings.bus.model_copy(update={"shard": f"{k}/{n}"})
    return settings.model_copy(update={"assets": mine, "bus": bus})


async def serve_until_stopped(
    body: Callable[[asyncio.Event], Awaitable[None]], seconds: float | None = None
) -> None:
    """Run ``body(stop)`` until SIGINT/SIGTERM (or ``seconds``) sets ``stop``.

    Start-up is over when this is called. With the stop latch installed (the CLI) its
    event is the stop, so a signal that came during start-up stops at once and a second
    one during shutdown cannot kill the process; without it (an embedding host, tests in
    one process) the loop's own signal handlers are used."""
    loop = asyncio.get_running_loop()
    own_handlers = not LATCH.installed
    if own_handlers:
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            # no signal handlers on Windows event loops or outside the main thread: Ctrl-C
            # then ends the run through KeyboardInterrupt instead
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
    else:
        stop = LATCH.attach()
    LATCH.started()
    if seconds is not None:
        loop.call_later(seconds, stop.set)
    try:
        await body(stop)
    finally:
        if LATCH.requested():
            _log.info("stop requested", signal=LATCH.signal_name)
        if own_handlers:
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(sig)
