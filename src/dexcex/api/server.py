"""The page's server inside a running engine: uvicorn on the engine's event loop, fed by
the bus (prices), the engine (stored signals), execution (orders) and health."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import uvicorn

from dexcex.api.app import (
    Glance,
    _signal_out,
    create_app,
    order_out,
    snapshot_live,
)
from dexcex.api.hub import Hub
from dexcex.api.schemas import AssetOut, PositionOut, StatusOut
from dexcex.api.token import load_or_create_token
from dexcex.core import CoreOutput
from dexcex.domain import Order
from dexcex.logs import get_logger
from dexcex.store.signal_store import risk_values, signal_to_row

__all__ = ["ApiServer", "GlanceServer", "signal_message", "start_uvicorn"]

_log = get_logger("dexcex.api")


def signal_message(out: CoreOutput) -> dict[str, Any]:
    """A stored signal and its risk verdict, as the page's signal row."""
    row = signal_to_row(out.signal)
    row.update(risk_values(out.decision, out.signal.status))
    return _signal_out(row).model_dump()


async def start_uvicorn(
    app: Any, host: str, port: int
) -> tuple[uvicorn.Server, asyncio.Task[None], int]:
    """uvicorn on this event loop; returns the server, its task and the port it got."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        ws_ping_interval=20,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(), name="api")
    try:
        async with asyncio.timeout(10):
            while not server.started:
                if task.done():  # e.g. the port is taken
                    task.result()
                    raise OSError(f"the page's server did not start on http://{host}:{port}")
                await asyncio.sleep(0.02)
    except BaseException:  # a stop during start-up included: no server left behind
        server.should_exit = True
        with contextlib.suppress(BaseException):
            await asyncio.shield(task)
        raise
    if port == 0:
        port = int(server.servers[0].sockets[0].getsockname()[1])
    return server, task, port


class GlanceServer:
    def __init__(self, pipeline: Any, *, host: str | None = None, port: int | None = None) -> None:
        s = pipeline.settings
        if pipeline.db is None:
            raise ValueError("the page needs the database")
        self.token, self.token_created = load_or_create_token(s.data_dir)
        self.hub = Hub(pipeline.clock, price_every_ms=s.api.price_every_ms)
        self.glance = Glance(s, pipeline.db, pipeline.clock, self.hub, self.token, pipeline)
        self.app = create_app(self.glance)
        self.pipeline = pipeline
        self.host = host or s.api.host
        self.port = port if port is not None else s.api.port
        self._signals = pipeline.subscribe()
        pipeline.metrics.extra["hub"] = self.hub
        if pipeline.alerts is not None:
            pipeline.alerts.publish = self.hub.publish
        pipeline.bus.taps.append(self.hub.on_market)
        if pipeline.execution is not None:
            pipeline.execution.listeners.append(self._on_order)
        self._server: uvicorn.Server | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._last_status: Any = None
        # set when API processes elsewhere show this engine's page (``--role api``): then
        # the periodic state goes out even with no browser connected here
        self.relayed = False

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        self._server, task, self.port = await start_uvicorn(self.app, self.host, self.port)
        self._tasks = [
            task,
            asyncio.create_task(self._forward_signals(), name="api-signals"),
            asyncio.create_task(self._periodic(), name="api-periodic"),
        ]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        for t in self._tasks[1:]:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t

    # --- feeding the hub -----------------------------------------------------------------------

    def _on_order(self, order: Order) -> None:
        self.hub.publish("order", order_out(order).model_dump())

    async def _forward_signals(self) -> None:
        while True:
            out = await self._signals.get()
            self.hub.publish("signal", signal_message(out))
            lag = self.pipeline.clock.now_ms() - out.signal.ts
            self.pipeline.metrics.signal_to_screen.observe(max(0, lag) / 1000)

    async def _periodic(self) -> None:
        tick = 0
        while True:
            await asyncio.sleep(0.05)
            self.hub.flush_prices()
            tick += 1
            if tick % 20:
                continue
            if not self.hub.clients and not self.relayed:
                continue
            live = snapshot_live(self.glance)
            status = live["status"]
            lights = [(x["name"], x["light"], x["state"]) for x in status["sources"]]
            if lights != self._last_status or tick % 100 == 0:
                self._last_status = lights
                self.hub.publish("status", status)
            self.hub.publish("assets", live["assets"])
            self.hub.publish("positions", live["positions"])


class ApiServer:
    """``--role api``: the page, REST and WebSocket of an engine running elsewhere, read
    from the shared store and the Redis page stream (``dexcex.api.relay``)."""

    def __init__(self, settings: Any, db: Any, redis: Any) -> None:
        from dexcex.api.relay import RemoteEngine
        from dexcex.clock import SystemClock

        self.token, self.token_created = load_or_create_token(settings.data_dir)
        clock = SystemClock()
        self.hub = Hub(clock, price_every_ms=settings.api.price_every_ms)
        # the state it keeps is what its REST answers are built from: checked on arrival
        self.remote = RemoteEngine(
            redis,
            self.hub,
            validate={
                "status": StatusOut.model_validate,
                "assets": lambda d: [AssetOut.model_validate(a) for a in d],
                "positions": lambda d: [PositionOut.model_validate(p) for p in d],
            },
        )
        self.glance = Glance(settings, db, clock, self.hub, self.token, remote=self.remote)
        self.app = create_app(self.glance)
        self.host: str = settings.api.host
        self.port: int = settings.api.port
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        await self.remote.start()
        self._server, self._task, self.port = await start_uvicorn(self.app, self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self.remote.stop()
