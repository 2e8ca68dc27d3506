"""Starting and stopping a whole run: the database, the simulator when asked for, then
the engine (``roots.engine.Pipeline``) or a collector (``roots.collector``) — each step
logged and registered with the stop latch, and whatever a step had started closed by its
``finally``, so a stop that cancels start-up half-way leaves nothing running."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

from dexcex.clock import SystemClock
from dexcex.config import Settings
from dexcex.domain import Clock, ConfigError, DatabaseUnreachable
from dexcex.logs import get_logger
from dexcex.pipeline.runner import starting
from dexcex.roots.collector import Collector
from dexcex.roots.connectors import sim_endpoints
from dexcex.roots.engine import Pipeline
from dexcex.store import Database

__all__ = ["open_database", "running_collector", "running_pipeline", "running_world"]

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
        raise DatabaseUnreachable(f"cannot open the database: {_first_line(exc)}") from exc


def _first_line(exc: BaseException) -> str:
    """The driver's own words, first line: SQLAlchemy wraps them with the statement and a
    "Background on this error" link, which say nothing to the person at the terminal."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@asynccontextmanager
async def running_world(settings: Settings) -> AsyncIterator[tuple[Settings, Clock, Any]]:
    """The market this run connects to: (settings pointed at it, its clock, the simulated
    world or None). A simulator is started when ``pipeline.market = "sim"``, unless
    ``pipeline.sim_connect`` names one that is already running."""
    p = settings.pipeline
    if p.market == "sim" and p.sim_connect is not None:
        from dexcex.sim.world import SimClock

        desc = _sim_description(p.sim_connect)
        clock = SimClock(int(desc["start_ms"]), int(desc["wall0_ms"]), float(desc["speed"]))
        yield sim_endpoints(settings, desc, "sim-key", "sim-secret"), clock, None
    elif p.market == "sim":
        from dexcex.sim.world import run_sim

        starting("simulator")
        async with run_sim(p.sim_scenario, speed=p.sim_speed) as world:
            assert world.clock is not None
            account = world.scenario.accounts[0]
            wired = sim_endpoints(settings, world.urls, account.api_key, account.api_secret)
            yield wired, world.clock, world
    else:
        yield settings, SystemClock(), None


@asynccontextmanager
async def running_pipeline(
    settings: Settings,
    *,
    with_core: bool = True,
    record: bool = False,
    use_db: bool = True,
    role: Literal["all", "engine"] = "all",
) -> AsyncIterator[Pipeline]:
    """A started engine (``all``: with its streams; ``engine``: fed from Redis) on the
    configured market; stopped and closed when the block ends, however it ends."""
    starting("database")
    db = open_database(settings) if use_db else None
    try:
        async with running_world(settings) as (wired, clock, world):
            starting("connectors")
            pipe = Pipeline(wired, clock, with_core=with_core, db=db, record=record, role=role)
            pipe.sim = world
            async with _started(pipe):
                yield pipe
    finally:
        if db is not None:
            db.close()


@asynccontextmanager
async def running_collector(settings: Settings) -> AsyncIterator[Collector]:
    """A started collector of ``settings``' shard on the configured market."""
    async with running_world(settings) as (wired, clock, _world):
        starting("connectors")
        async with _started(Collector(wired, clock)) as collector:
            yield collector


class _Startable(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


S = TypeVar("S", bound=_Startable)


@asynccontextmanager
async def _started(part: S) -> AsyncIterator[S]:
    """Started, and stopped again whatever happens — a start cut short by a stop signal
    included (``stop`` copes with a partial start)."""
    try:
        starting("streams")
        await part.start()
        yield part
    finally:
        await part.stop()


def _sim_description(path: Path) -> dict[str, Any]:
    try:
        desc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"pipeline.sim_connect: cannot read {path}: {exc}") from None
    if not isinstance(desc, dict) or "start_ms" not in desc:
        raise ConfigError(f"pipeline.sim_connect: {path} is not what `dexcex sim` prints")
    return desc
