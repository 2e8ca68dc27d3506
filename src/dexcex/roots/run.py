"""``dexcex run``, ``demo`` and ``record`` as they start and stop: each role's root, its
page (and relay), or a collector's own metrics — until a stop signal (or ``seconds``).

The CLI only parses and prints: it hands ``show`` (called once everything is up, with
what it should print) and, for the engine, a ``body`` that runs beside it (the live
status view). A stop during start-up ends the run cleanly too (``until_stopped``)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Literal

from dexcex.api.server import GlanceServer
from dexcex.config import Settings
from dexcex.logs import get_logger
from dexcex.pipeline.runner import serve_until_stopped, starting
from dexcex.roots.collector import Collector
from dexcex.roots.engine import Pipeline
from dexcex.roots.page import api_page, engine_page, relay_page
from dexcex.roots.running import running_collector, running_pipeline
from dexcex.stopping import LATCH
from dexcex.store import Database

__all__ = ["PageInfo", "run_api", "run_collector", "run_engine", "run_recorder", "until_stopped"]

_log = get_logger("dexcex.run")
Body = Callable[[asyncio.Event], Awaitable[None]]


@dataclass(frozen=True)
class PageInfo:
    url: str
    token: str


def until_stopped(main: Coroutine[Any, Any, object]) -> str | None:
    """Run ``main``. A stop signal before or during its start-up is a clean stop too: the
    start-up is cancelled, what it had started is closed; returns what to say then
    (None when it ran and stopped as usual)."""
    if LATCH.requested():  # before anything started: nothing to close
        main.close()
        return f"stopped before start-up ({LATCH.signal_name})"
    try:
        asyncio.run(main)
    except asyncio.CancelledError:
        if not LATCH.requested():
            raise
        _log.info("stopped during start-up", signal=LATCH.signal_name, phase=LATCH.phase)
        return f"stopped during start-up ({LATCH.signal_name} at {LATCH.phase})"
    finally:
        LATCH.detach()
    return None


async def run_engine(
    settings: Settings,
    *,
    record: bool,
    seconds: float | None,
    page: bool,
    role: Literal["all", "engine"],
    show: Callable[[Pipeline, PageInfo | None], Body],
) -> Pipeline:
    """The engine (with its streams, or fed from Redis), its page when asked for, until
    stopped. ``show(pipe, page)`` is called once all is up and returns the body to run."""
    LATCH.attach()
    async with (
        running_pipeline(settings, record=record, role=role) as pipe,
        contextlib.AsyncExitStack() as servers,  # closed before the pipeline, whatever happens
    ):
        info = None
        if page and pipe.db is not None:
            server = await _serve_page(pipe, servers)
            if role == "engine" and settings.bus.page_relay:
                await _relay(settings, server, servers)
            info = PageInfo(server.url, server.token)
        await serve_until_stopped(show(pipe, info), seconds)
    return pipe


async def _serve_page(pipe: Pipeline, servers: contextlib.AsyncExitStack) -> GlanceServer:
    starting("page")
    server = engine_page(pipe)

    async def stop_page() -> None:
        _log.info("stopping: page")
        await server.stop()

    servers.push_async_callback(stop_page)
    await server.start()
    return server


async def _relay(
    settings: Settings, server: GlanceServer, servers: contextlib.AsyncExitStack
) -> None:
    redis, relay, commands = await relay_page(settings, server)

    async def stop_relay() -> None:
        _log.info("stopping: page relay")
        await relay.stop()
        await commands.stop()
        await close_redis(redis)

    servers.push_async_callback(stop_relay)


async def run_collector(
    settings: Settings, seconds: float | None, show: Callable[[str | None], None]
) -> Collector:
    """A collector of its shard, its own /metrics when ``bus.metrics_port`` is set."""
    LATCH.attach()
    async with running_collector(settings) as collector, contextlib.AsyncExitStack() as servers:
        url = None
        if settings.bus.metrics_port:
            from dexcex.api.metrics_server import MetricsServer

            starting("metrics")
            metrics = MetricsServer(collector, settings.api.host, settings.bus.metrics_port)
            servers.push_async_callback(metrics.stop)
            await metrics.start()
            url = metrics.url
        show(url)
        await serve_until_stopped(_wait, seconds)
    return collector


async def run_recorder(
    settings: Settings, seconds: float | None, show: Callable[[Pipeline], None]
) -> Pipeline:
    """Only the recorder: every normalised event to files, no core, no database."""
    LATCH.attach()
    async with running_pipeline(settings, with_core=False, record=True, use_db=False) as pipe:
        show(pipe)
        await serve_until_stopped(_wait, seconds)
    return pipe


async def run_api(
    settings: Settings, seconds: float | None, show: Callable[[PageInfo], None]
) -> None:
    """``--role api``: the page of an engine in another process. The engine owns the
    schema (this one only reads it) and answers the commands."""
    import redis.asyncio as aioredis

    LATCH.attach()
    starting("database")
    db = Database.open(settings.database_url(), pool_size=settings.store.pool_size)
    redis = aioredis.Redis.from_url(settings.bus.redis_url)
    server, remote = api_page(settings, db, redis)
    try:
        starting("page")
        await remote.start()
        await server.start()
        show(PageInfo(server.url, server.token))
        await serve_until_stopped(_wait, seconds)
    finally:
        _log.info("stopping: page")
        await server.stop()
        await remote.stop()
        await close_redis(redis)
        db.close()


async def _wait(stop: asyncio.Event) -> None:
    await stop.wait()


async def close_redis(redis: Any) -> None:
    try:
        async with asyncio.timeout(3):
            await redis.aclose()
    except (TimeoutError, OSError) as exc:
        _log.warning("redis connection not closed cleanly", error=str(exc) or "timeout")
