"""MEXC spot v3, simulated: REST (``/api/v3``) and the protobuf market-data websocket.

Wire format per ``shared/protocols/mexc.md``; the pieces: ``auth`` (signatures and
``recvWindow``), ``rest`` (public market data), ``trading`` (signed endpoints), ``ws``
(the websocket protocol) and ``frames`` (every wire shape, built from simulator state).
"""

from __future__ import annotations

from aiohttp import web

from dexcex.sim.market.events import SimEvent
from dexcex.sim.servers.common import BaseVenueServer, fault_middleware
from dexcex.sim.servers.mexc.auth import MexcAuth
from dexcex.sim.servers.mexc.frames import err
from dexcex.sim.servers.mexc.rest import MexcMarketRest
from dexcex.sim.servers.mexc.trading import MexcTrading
from dexcex.sim.servers.mexc.ws import MexcWs
from dexcex.sim.servers.port import ServerWorld

__all__ = ["MexcServer"]


class MexcServer(BaseVenueServer):
    name = "mexc"

    def __init__(self, world: ServerWorld) -> None:
        super().__init__(world)
        views = {sym: v for (venue, sym), v in world.cex_views.items() if venue == "mexc"}
        self.market = MexcMarketRest(world, views)
        self.trading = MexcTrading(world, views, MexcAuth(world))
        self.stream = MexcWs(world, self.hub, views)
        self.background.append(self.stream.lifecycle.run)
        app = web.Application(
            middlewares=[
                fault_middleware(
                    "mexc",
                    world.faults,
                    rate_limited=lambda s: err(
                        429, 429, "Too Many Requests", {"Retry-After": str(s)}
                    ),
                    server_error=lambda st: web.Response(status=st, text="Service Unavailable"),
                )
            ]
        )
        self.market.routes(app.router)
        self.trading.routes(app.router)
        app.router.add_get("/ws", self.stream.serve)
        self.serve(app)

    def url_map(self, port: int) -> dict[str, str]:
        return {"mexc_rest": f"http://127.0.0.1:{port}", "mexc_ws": f"ws://127.0.0.1:{port}/ws"}

    def publish(self, ev: SimEvent, what: str) -> None:
        self.stream.publish(ev, what)
