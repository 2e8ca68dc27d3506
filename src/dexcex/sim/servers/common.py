"""Pieces every simulated venue server shares: JSON replies, websocket fan-out with
bounded per-connection queues, REST fault injection, token-bucket rate limits, and the
one path by which CEX market events become websocket frames (``publish_cex``)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import msgspec
from aiohttp import WSMsgType, web
from aiohttp.typedefs import Middleware

from dexcex.sim.faults import FaultController
from dexcex.sim.market.events import CexBbo, CexBookDelta, CexTradeEv
from dexcex.sim.scenario import FaultKind
from dexcex.sim.servers.port import ServerWorld

__all__ = [
    "BaseVenueServer",
    "CexEvent",
    "CexFrames",
    "Handler",
    "Hub",
    "Server",
    "TokenBucket",
    "WsConn",
    "fault_middleware",
    "json_response",
    "publish_cex",
    "wall_ms",
]

_json = msgspec.json.Encoder()
SEND_QUEUE = 20_000  # frames buffered per connection before a slow client is cut off

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CexEvent = CexBookDelta | CexTradeEv | CexBbo


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=_json.encode(data), status=status, content_type="application/json", headers=headers
    )


class TokenBucket:
    """``capacity`` tokens refilled continuously over ``period_s``."""

    def __init__(
        self, capacity: float, period_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.capacity = capacity
        self.rate = capacity / period_s
        self.tokens = capacity
        self.clock = clock  # seconds; injected by tests, so a limit is checked exactly
        self.stamp = clock()

    def take(self, cost: float = 1.0) -> float:
        """Take ``cost`` tokens; returns 0 on success, else seconds until enough are back."""
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= cost:
            self.tokens -= cost
            return 0.0
        return (cost - self.tokens) / self.rate


@dataclass(eq=False)
class WsConn:
    """One websocket client: its subscriptions and a bounded queue drained by a writer."""

    ws: web.WebSocketResponse
    subs: set[str] = field(default_factory=set)
    state: dict[str, Any] = field(default_factory=dict)
    queue: asyncio.Queue[str | bytes | None] = field(
        default_factory=lambda: asyncio.Queue(maxsize=SEND_QUEUE)
    )
    sent: int = 0
    closed: bool = False

    def send(self, frame: str | bytes) -> None:
        if self.closed:
            return
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.close()  # a client that cannot keep up is cut off, like on a real venue

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            with contextlib.suppress(asyncio.QueueFull):
                self.queue.put_nowait(None)

    async def writer(self) -> None:
        try:
            while True:
                frame = await self.queue.get()
                if frame is None:
                    break
                if isinstance(frame, bytes):
                    await self.ws.send_bytes(frame)
                else:
                    await self.ws.send_str(frame)
                self.sent += 1
        except (ConnectionError, RuntimeError):
            pass
        finally:
            self.closed = True
            with contextlib.suppress(Exception):
                await self.ws.close()


class Hub:
    """Connections and who subscribed to which channel."""

    def __init__(self) -> None:
        self.conns: set[WsConn] = set()
        self.by_channel: dict[str, set[WsConn]] = {}

    def subscribe(self, conn: WsConn, channel: str) -> None:
        conn.subs.add(channel)
        self.by_channel.setdefault(channel, set()).add(conn)

    def unsubscribe(self, conn: WsConn, channel: str) -> None:
        conn.subs.discard(channel)
        subs = self.by_channel.get(channel)
        if subs:
            subs.discard(conn)

    def has(self, channel: str) -> bool:
        return bool(self.by_channel.get(channel))

    def publish(self, channel: str, frame: str | bytes) -> None:
        for conn in self.by_channel.get(channel, ()):
            conn.send(frame)

    def drop(self, conn: WsConn) -> None:
        self.conns.discard(conn)
        for ch in conn.subs:
            subs = self.by_channel.get(ch)
            if subs:
                subs.discard(conn)

    def close_all(self) -> None:
        for conn in list(self.conns):
            conn.close()

    async def serve(
        self,
        request: web.Request,
        on_text: Callable[[WsConn, str], None],
        *,
        protocols: tuple[str, ...] = (),
        heartbeat: float | None = None,
        on_open: Callable[[WsConn], None] | None = None,
    ) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(protocols=protocols, heartbeat=heartbeat, max_msg_size=1 << 20)
        await ws.prepare(request)
        conn = WsConn(ws)
        self.conns.add(conn)
        writer = asyncio.create_task(conn.writer())
        if on_open is not None:
            on_open(conn)
        try:
            async for msg in ws:
                if conn.closed:
                    break
                if msg.type == WSMsgType.TEXT:
                    on_text(conn, msg.data)
                elif msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                    break
        finally:
            conn.close()
            self.drop(conn)
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(writer, 2.0)
        return ws


def fault_middleware(
    target: str,
    faults: FaultController,
    *,
    rate_limited: Callable[[int], web.StreamResponse],
    server_error: Callable[[int], web.StreamResponse],
    skip_paths: tuple[str, ...] = (),
) -> Middleware:
    """Apply the target's open REST fault windows: down, 5xx, 429 and slow answers.

    A slow answer is processed first and delivered late: an order placed during a slow
    window exists at the venue even if the client gave up waiting.
    """

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in skip_paths:
            return await handler(request)
        if faults.is_down(target):
            if request.headers.get("Upgrade", "").lower() == "websocket":
                raise web.HTTPServiceUnavailable()
            return server_error(503)
        f = faults.window(target, FaultKind.SERVER_ERROR)
        if f is not None:
            return server_error(f.status)
        f = faults.window(target, FaultKind.RATE_LIMIT)
        if f is not None:
            return rate_limited(f.retry_after_s)
        response = await handler(request)
        f = faults.window(target, FaultKind.SLOW)
        if f is not None:
            await asyncio.sleep(f.delay_ms / 1000)
        return response

    return middleware


class Server:
    """An aiohttp application listening on 127.0.0.1 (port 0 = any free port)."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.runner = web.AppRunner(app, access_log=None, handle_signals=False)
        self.port = 0

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        await self.runner.setup()
        site = web.TCPSite(self.runner, host, port, reuse_address=True)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self.port = int(sockets[0].getsockname()[1]) if sockets else port
        return self.port

    async def stop(self) -> None:
        await self.runner.cleanup()


class BaseVenueServer:
    """What every simulated venue server has: its world, a websocket hub and an app."""

    name = "venue"

    def __init__(self, world: ServerWorld) -> None:
        self.world = world
        self.hub = Hub()
        self.server: Server | None = None
        # what runs beside the server while it listens (e.g. the websocket lifecycle)
        self.background: list[Callable[[], Awaitable[None]]] = []
        self._tasks: list[asyncio.Task[None]] = []

    def serve(self, app: web.Application) -> None:
        self.server = Server(app)

    async def start(self, host: str, port: int = 0) -> int:
        assert self.server is not None, "call serve(app) in __init__"
        port = await self.server.start(host, port)
        self._tasks = [asyncio.ensure_future(run()) for run in self.background]
        return port

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.server is not None:
            await self.server.stop()

    def disconnect_all(self) -> None:
        self.hub.close_all()


class CexFrames(Protocol):
    """How one CEX venue puts market events on its websocket (MEXC and Bybit alike)."""

    def channels(self, ev: CexEvent) -> list[str]:
        """Every hub channel this event feeds."""
        ...

    def encode(self, ev: CexEvent, channel: str) -> str | bytes: ...

    def malformed(self, variant: str, ev: CexEvent, channel: str) -> str | bytes: ...


def publish_cex(
    venue: str, hub: Hub, faults: FaultController, frames: CexFrames, ev: CexEvent, what: str
) -> None:
    """Send one market event to the subscribers of every channel it feeds, through the
    venue's open stream faults: down or stale (nothing), a sequence gap (one book delta
    skipped), a malformed frame (sent instead), a duplicate (sent twice)."""
    if ev.venue != venue or faults.is_down(venue) or faults.is_stale(venue):
        return
    if isinstance(ev, CexBookDelta) and faults.take_gap(venue, ev.symbol, ev.t, what):
        return
    variant = faults.take_malformed(venue, ev.t, what)
    dup = faults.take_duplicate(venue, ev.t, what)
    for channel in frames.channels(ev):
        if not hub.has(channel):
            continue
        frame = frames.malformed(variant, ev, channel) if variant else frames.encode(ev, channel)
        hub.publish(channel, frame)
        if dup:
            hub.publish(channel, frame)
