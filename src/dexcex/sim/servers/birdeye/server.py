"""Birdeye, simulated: DeFi REST and the websocket (``/socket/{chain}``).

Wire format per ``shared/protocols/birdeye.md``: ``X-API-KEY`` and ``x-chain`` headers,
``{"success": true, "data": …}`` envelope, timestamps in *seconds*, floats for amounts.
The pieces: ``auth`` (key and rate), ``rest``, ``ws`` and ``frames`` (every wire shape).
"""

from __future__ import annotations

from aiohttp import web

from dexcex.sim.market.events import SimEvent
from dexcex.sim.servers.birdeye.auth import BirdeyeAuth
from dexcex.sim.servers.birdeye.frames import err
from dexcex.sim.servers.birdeye.rest import BirdeyeRest
from dexcex.sim.servers.birdeye.ws import BirdeyeWs
from dexcex.sim.servers.common import BaseVenueServer, fault_middleware
from dexcex.sim.servers.port import ServerWorld

__all__ = ["BirdeyeServer"]


class BirdeyeServer(BaseVenueServer):
    name = "birdeye"

    def __init__(self, world: ServerWorld) -> None:
        super().__init__(world)
        sc = world.scenario
        auth = BirdeyeAuth({a.api_key for a in sc.accounts}, sc.birdeye_rate_per_s)
        self.rest = BirdeyeRest(world, auth)
        self.stream = BirdeyeWs(world, self.hub, auth)
        app = web.Application(
            middlewares=[
                fault_middleware(
                    "birdeye",
                    world.faults,
                    rate_limited=lambda s: err(429, "Too many requests", {"Retry-After": str(s)}),
                    server_error=lambda st: err(st, "Internal server error"),
                )
            ]
        )
        self.rest.routes(app.router)
        app.router.add_get("/socket/{chain}", self.stream.serve)
        self.serve(app)

    def url_map(self, port: int) -> dict[str, str]:
        return {
            "birdeye_rest": f"http://127.0.0.1:{port}",
            "birdeye_ws": f"ws://127.0.0.1:{port}/socket",
        }

    def publish(self, ev: SimEvent, what: str) -> None:
        self.stream.publish(ev, what)
