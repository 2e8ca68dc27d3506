"""The page's WebSocket on a real uvicorn server (the minor items of issue 21):

- a client that sends a frame is not dropped when the keep-alive pings come due (it was
  dropped 40 s later: ping interval + timeout, with a short interval here);
- 500 idle clients do not slow ``/api/status`` (p95 under 0.5 s) and those over the cap
  are refused, each one counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from dexcex.api.app import create_app
from dexcex.api.hub import Hub
from dexcex.config import load_settings
from tests.api.test_api import make_glance

PING_S = 0.5  # uvicorn's ws_ping_interval and ws_ping_timeout (20 s each in the product)


@contextlib.asynccontextmanager
async def served(tmp_path: Path, **api: Any) -> AsyncIterator[tuple[int, Hub, Any, str]]:
    """The page's app on uvicorn, as ``api.server.start_uvicorn`` serves it, but with
    short keep-alive pings."""
    base = load_settings()
    s = base.model_copy(update={"api": base.api.model_copy(update=api)})
    g, _service, hub, token = await asyncio.to_thread(make_glance, tmp_path, s)
    app = create_app(g, hub, token)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        access_log=False,
        lifespan="off",
        ws_ping_interval=PING_S,
        ws_ping_timeout=PING_S,
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not task.done(), "the server did not start"
            await asyncio.sleep(0.02)
        port = int(server.servers[0].sockets[0].getsockname()[1])
        yield port, hub, app, token
    finally:
        server.should_exit = True
        await task
        g.stored.db.close()


async def test_a_client_that_sends_a_frame_outlives_the_keepalive(tmp_path: Path) -> None:
    async with (
        served(tmp_path) as (port, hub, _app, _token),
        websockets.connect(f"ws://127.0.0.1:{port}/ws", ping_interval=None) as ws,
    ):
        assert '"snapshot"' in str(await ws.recv())
        await ws.send("hello")  # any frame from the page
        deadline = time.monotonic() + 8 * (2 * PING_S)  # eight ping rounds
        n = 0
        while time.monotonic() < deadline:
            n += 1
            hub.publish("status", {"n": n})
            try:
                got = await asyncio.wait_for(ws.recv(), 5)
            except ConnectionClosed as exc:
                raise AssertionError(f"dropped after it sent a frame: {exc}") from None
            assert '"status"' in str(got)
            await asyncio.sleep(0.2)


async def _status_latencies(port: int, n: int) -> list[float]:
    out = []
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as c:
        for _ in range(n):
            t0 = time.perf_counter()
            r = await c.get("/api/status")
            out.append(time.perf_counter() - t0)
            assert r.status_code == 200
    return out


async def test_500_idle_clients_do_not_slow_status_and_those_over_the_cap_are_refused(
    tmp_path: Path,
) -> None:
    cap = 50
    async with served(tmp_path, ws_max_clients=cap) as (port, hub, app, _token):
        url = f"ws://127.0.0.1:{port}/ws"

        clients: list[Any] = []
        refused: list[int] = []

        async def idle() -> None:
            try:  # connected and silent; the library answers the server's pings
                clients.append(await websockets.connect(url, open_timeout=60))
            except InvalidStatus as exc:
                refused.append(exc.response.status_code)

        try:
            async with asyncio.timeout(120):
                for _ in range(10):  # 500 in waves of 50, as browsers reconnecting would
                    await asyncio.gather(*(idle() for _ in range(50)))
            pushing = asyncio.create_task(_push(hub))
            try:
                lat = await _status_latencies(port, 40)
            finally:
                pushing.cancel()
            p95 = statistics.quantiles(lat, n=20)[-1]
            why = f"{len(clients)} open, {len(refused)} refused, /api/status p95 {p95:.3f} s"
            assert p95 < 0.5, why
            assert len(clients) == cap and len(refused) == 500 - cap, why
            assert set(refused) == {403}  # closed before accept: an HTTP 403
            assert app.state.guard.refused["ws_clients"] == 500 - cap
        except TimeoutError:
            raise AssertionError(f"500 clients not answered in 120 s ({len(clients)})") from None
        finally:
            closing = asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(closing, 30)


async def _push(hub: Hub) -> None:
    """What the engine sends every connected page: the status, twice a second."""
    n = 0
    while True:
        n += 1
        hub.publish("status", {"n": n, "pad": "x" * 2_000})
        await asyncio.sleep(0.5)
