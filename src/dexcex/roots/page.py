"""The page, wired: the One Glance server of an engine in this process (``engine_page``)
or of an engine elsewhere (``api_page``, ``--role api``), and the relay that lets API
processes show and command an engine (``relay_page``)."""

from __future__ import annotations

from typing import Any

from dexcex.api.app import create_app
from dexcex.api.hub import Hub
from dexcex.api.relay import CommandServer, PageRelay, RemoteEngine
from dexcex.api.schemas import AssetOut, ExitIn, KillIn, PositionOut, RiskOut, StatusOut
from dexcex.api.server import GlanceServer
from dexcex.api.service import Answer, Glance, LocalGlance, RemoteGlance, StoredReads
from dexcex.api.token import load_or_create_token
from dexcex.api.views import order_out
from dexcex.clock import SystemClock
from dexcex.config import Settings
from dexcex.domain import Order
from dexcex.roots.engine import Pipeline
from dexcex.store import Database

__all__ = ["api_page", "command_handler", "engine_page", "relay_page"]


def engine_page(
    pipe: Pipeline, *, host: str | None = None, port: int | None = None
) -> GlanceServer:
    """The page of ``pipe``: its hub fed by the bus (prices), the engine (stored signals),
    execution (orders) and alerts; its routes over the engine itself."""
    s = pipe.settings
    if pipe.db is None:
        raise ValueError("the page needs the database")
    token, _created = load_or_create_token(s.data_dir)
    hub = Hub(pipe.clock, price_every_ms=s.api.price_every_ms)
    glance = LocalGlance(pipe, StoredReads(s, pipe.db))
    pipe.bus.taps.append(hub.on_market)
    if pipe.alerts is not None:
        pipe.alerts.publish = hub.publish
    if pipe.execution is not None:

        def on_order(order: Order) -> None:
            hub.publish("order", order_out(order).model_dump())

        pipe.execution.listeners.append(on_order)
    app = create_app(glance, hub, token)
    sources = pipe.metrics.sources
    if sources is not None:
        sources.page_clients = lambda: len(hub.clients)
        limits = app.state.guard
        sources.refused = lambda: limits.refused  # the page's defences, on /metrics
    screen = pipe.metrics.signal_to_screen
    return GlanceServer(
        glance,
        hub,
        app,
        token,
        host or s.api.host,
        port if port is not None else s.api.port,
        clock=pipe.clock,
        signals=pipe.subscribe(),
        on_shown=lambda ms: screen.observe(ms / 1000),
    )


def command_handler(glance: Glance) -> Any:
    """What an engine does with a command an API process forwarded."""

    async def handle(op: str, args: dict[str, Any]) -> Answer:
        if op == "execute":
            return await glance.execute(str(args["signal_id"]), bool(args.get("confirm")))
        if op == "auto":
            return await glance.set_auto(bool(args.get("on")))
        if op == "exit":
            return await glance.force_exit(ExitIn.model_validate(args))
        return await glance.kill(KillIn.model_validate(args))

    return handle


async def relay_page(settings: Settings, server: GlanceServer) -> tuple[Any, PageRelay, Any]:
    """An engine's page, also for API processes elsewhere: its hub's messages to Redis,
    their commands from Redis. Returns (redis, relay, commands), started."""
    import redis.asyncio as aioredis

    redis = aioredis.Redis.from_url(settings.bus.redis_url)
    relay = PageRelay(redis, server.hub)
    commands = CommandServer(redis, command_handler(server.glance))
    server.relayed = True
    await relay.start()
    await commands.start()
    return redis, relay, commands


def api_page(settings: Settings, db: Database, redis: Any) -> tuple[GlanceServer, RemoteEngine]:
    """``--role api``: the page, REST and WebSocket of an engine running elsewhere, read
    from the shared store and the Redis page stream."""
    token, _created = load_or_create_token(settings.data_dir)
    clock = SystemClock()
    hub = Hub(clock, price_every_ms=settings.api.price_every_ms)
    # the state it keeps is what its REST answers are built from: checked on arrival
    remote = RemoteEngine(
        redis,
        hub,
        validate={
            "status": StatusOut.model_validate,
            "assets": lambda d: [AssetOut.model_validate(a) for a in d],
            "positions": lambda d: [PositionOut.model_validate(p) for p in d],
            "risk": RiskOut.model_validate,
        },
    )
    glance = RemoteGlance(remote, StoredReads(settings, db))
    server = GlanceServer(
        glance,
        hub,
        create_app(glance, hub, token),
        token,
        settings.api.host,
        settings.api.port,
        clock=clock,
    )
    return server, remote
