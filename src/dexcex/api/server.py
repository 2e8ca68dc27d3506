"""The page's server: uvicorn on the engine's event loop, and what keeps its WebSocket hub
fed — stored signals as they come, prices (the hub paces them), and once a second the
status, assets, positions and the risk strip. What feeds it is wired by the composition
root (``roots.page``); this module only serves."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
from collections.abc import Callable
from typing import Any

import uvicorn

from dexcex.api.hub import Hub
from dexcex.api.service import Glance
from dexcex.api.views import signal_view
from dexcex.core import CoreOutput
from dexcex.domain import Clock, PortInUse
from dexcex.logs import get_logger
from dexcex.pipeline.bus import ControlChannel

__all__ = ["GlanceServer", "start_uvicorn"]

_log = get_logger("dexcex.api")


async def start_uvicorn(
    app: Any, host: str, port: int
) -> tuple[uvicorn.Server, asyncio.Task[None], int]:
    """uvicorn on this event loop; returns the server, its task and the port it got."""
    _port_free(host, port)
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


def _port_free(host: str, port: int) -> None:
    """One line when the port is taken, before uvicorn (which logs Errno 98 and exits)."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(
                    f"port {port} on {host} is in use (another dexcex?): "
                    "stop it, or choose another with --port N (or api.port)"
                ) from None
            raise


class GlanceServer:
    def __init__(
        self,
        glance: Glance,
        hub: Hub,
        app: Any,
        token: str,
        host: str,
        port: int,
        *,
        clock: Clock,
        signals: ControlChannel[CoreOutput] | None = None,
        on_shown: Callable[[int], None] | None = None,
    ) -> None:
        self.glance = glance
        self.hub = hub
        self.app = app
        self.token = token
        self.host = host
        self.port = port
        self.clock = clock
        self._signals = signals  # None: the hub is fed from elsewhere (an API process)
        self._on_shown = on_shown  # signal stored → sent to the page, ms
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
        self._tasks = [task]
        if self._signals is not None:
            self._tasks += [
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

    async def _forward_signals(self) -> None:
        assert self._signals is not None
        while True:
            out = await self._signals.get()
            self.hub.publish("signal", signal_view(out).model_dump())
            if self._on_shown is not None:
                self._on_shown(max(0, self.clock.now_ms() - out.signal.ts))

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
            live = self.glance.snapshot_live()
            status = live["status"]
            lights = [(x["name"], x["light"], x["state"]) for x in status["sources"]]
            if lights != self._last_status or tick % 100 == 0:
                self._last_status = lights
                self.hub.publish("status", status)
            for kind in ("assets", "positions", "risk"):
                if live.get(kind) is not None:
                    self.hub.publish(kind, live[kind])
