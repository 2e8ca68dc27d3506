"""Start and stop a whole engine run: the simulator when asked for, the database, the
pipeline — and stop cleanly on SIGINT/SIGTERM (streams closed, the bus drained, the
recorder flushed, exit 0)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from dexcex.clock import SystemClock
from dexcex.config import Settings
from dexcex.domain import ConfigError
from dexcex.logs import get_logger
from dexcex.pipeline.app import Pipeline, sim_endpoints
from dexcex.store import Database

__all__ = ["open_database", "running_pipeline", "serve_until_stopped"]

_log = get_logger("dexcex.run")


def open_database(settings: Settings) -> Database:
    """The configured database; the embedded SQLite one is created and migrated on first
    use, a server database must be migrated with ``dexcex db upgrade`` first."""
    url = settings.database_url()
    embedded = url.startswith("sqlite")
    if embedded:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        return Database.open(url, migrate=embedded, pool_size=settings.store.pool_size)
    except ConfigError:
        raise
    except Exception as exc:  # driver errors: one clear line, not a traceback
        raise ConfigError(f"cannot open the database: {exc}") from exc


@asynccontextmanager
async def running_pipeline(
    settings: Settings, *, with_core: bool = True, record: bool = False, use_db: bool = True
) -> AsyncIterator[Pipeline]:
    """A started pipeline (and simulator, when ``pipeline.market = "sim"``)."""
    db = open_database(settings) if use_db else None
    try:
        if settings.pipeline.market == "sim":
            from dexcex.sim.world import run_sim

            p = settings.pipeline
            async with run_sim(p.sim_scenario, speed=p.sim_speed) as world:
                assert world.clock is not None
                account = world.scenario.accounts[0]
                wired = sim_endpoints(settings, world.urls, account.api_key, account.api_secret)
                pipe = Pipeline(wired, world.clock, with_core=with_core, db=db, record=record)
                pipe.sim = world
                await pipe.start()
                try:
                    yield pipe
                finally:
                    await pipe.stop()
        else:
            pipe = Pipeline(settings, SystemClock(), with_core=with_core, db=db, record=record)
            await pipe.start()
            try:
                yield pipe
            finally:
                await pipe.stop()
    finally:
        if db is not None:
            db.close()


async def serve_until_stopped(
    body: Callable[[asyncio.Event], Awaitable[None]], seconds: float | None = None
) -> None:
    """Run ``body(stop)`` until SIGINT/SIGTERM (or ``seconds``) sets ``stop``."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    if seconds is not None:
        loop.call_later(seconds, stop.set)
    try:
        await body(stop)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
