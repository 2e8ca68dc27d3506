"""Start and stop a whole engine run: the simulator when asked for, the database, the
pipeline — and stop cleanly on SIGINT/SIGTERM (streams closed, the bus drained, the
recorder flushed, exit 0), during start-up as well as after it (``dexcex.stopping``).

Each step of start-up is logged (``start-up`` with its ``phase``) and registered with the
stop latch; whatever a step had started is closed by its ``finally``, so a stop that
cancels start-up half-way leaves nothing running."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

from dexcex.clock import SystemClock
from dexcex.config import Settings
from dexcex.domain import Clock, ConfigError
from dexcex.logs import get_logger
from dexcex.pipeline.app import Pipeline, sim_endpoints
from dexcex.stopping import LATCH
from dexcex.store import Database

__all__ = [
    "open_database",
    "running_pipeline",
    "serve_until_stopped",
    "shard_of",
    "shard_settings",
    "starting",
]

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


def starting(phase: str) -> None:
    """Log a step of start-up; a stop signal from now on cancels it (``dexcex.stopping``)."""
    _log.info("start-up", phase=phase)
    LATCH.starting(phase)


@asynccontextmanager
async def running_pipeline(
    settings: Settings,
    *,
    with_core: bool = True,
    record: bool = False,
    use_db: bool = True,
    role: Literal["all", "collector", "engine"] = "all",
) -> AsyncIterator[Pipeline]:
    """A started pipeline (and simulator, when ``pipeline.market = "sim"``, unless
    ``pipeline.sim_connect`` names one that is already running)."""
    starting("database")
    db = open_database(settings) if use_db and role != "collector" else None
    try:
        if settings.pipeline.market == "sim" and settings.pipeline.sim_connect is not None:
            from dexcex.sim.world import SimClock

            desc = _sim_description(settings.pipeline.sim_connect)
            clock = SimClock(int(desc["start_ms"]), int(desc["wall0_ms"]), float(desc["speed"]))
            wired = sim_endpoints(settings, desc, "sim-key", "sim-secret")
            async with _started(wired, clock, with_core, db, record, role) as pipe:
                yield pipe
        elif settings.pipeline.market == "sim":
            from dexcex.sim.world import run_sim

            p = settings.pipeline
            starting("simulator")
            async with run_sim(p.sim_scenario, speed=p.sim_speed) as world:
                assert world.clock is not None
                account = world.scenario.accounts[0]
                wired = sim_endpoints(settings, world.urls, account.api_key, account.api_secret)
                async with _started(
                    wired, world.clock, with_core, db, record, role, sim=world
                ) as pipe:
                    yield pipe
        else:
            async with _started(settings, SystemClock(), with_core, db, record, role) as pipe:
                yield pipe
    finally:
        if db is not None:
            db.close()


@asynccontextmanager
async def _started(
    settings: Settings,
    clock: Clock,
    with_core: bool,
    db: Database | None,
    record: bool,
    role: Literal["all", "collector", "engine"],
    *,
    sim: Any = None,
) -> AsyncIterator[Pipeline]:
    """The pipeline started, and stopped again whatever happens — a start cut short by a
    stop signal included (``Pipeline.stop`` copes with a partial start)."""
    starting("connectors")
    pipe = Pipeline(settings, clock, with_core=with_core, db=db, record=record, role=role)
    pipe.sim = sim
    try:
        starting("streams")
        await pipe.start()
        yield pipe
    finally:
        await pipe.stop()


def _sim_description(path: Path) -> dict[str, Any]:
    try:
        desc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"pipeline.sim_connect: cannot read {path}: {exc}") from None
    if not isinstance(desc, dict) or "start_ms" not in desc:
        raise ConfigError(f"pipeline.sim_connect: {path} is not what `dexcex sim` prints")
    return desc


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
