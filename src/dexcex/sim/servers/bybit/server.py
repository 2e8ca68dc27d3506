"""Bybit v5, simulated: REST with the ``retCode/retMsg/result`` envelope and header
signing, and the public spot websocket.

Wire format per ``shared/protocols/bybit.md``; the pieces: ``auth`` (signatures and
``recvWindow``), ``rest`` (public market data), ``trading`` (signed endpoints), ``ws``
(the websocket protocol) and ``frames`` (every wire shape, built from simulator state).
"""

from __future__ import annotations

from aiohttp import web

from dexcex.sim.market.events import SimEvent
from dexcex.sim.servers.bybit.auth import BybitAuth
from dexcex.sim.servers.bybit.limits import BybitLimits
from dexcex.sim.servers.bybit.rest import BybitMarketRest
from dexcex.sim.servers.bybit.trading import BybitTrading
from dexcex.sim.servers.bybit.ws import BybitWs
from dexcex.sim.servers.common import BaseVenueServer, fault_middleware
from dexcex.sim.servers.port import ServerWorld

__all__ = ["BybitServer"]


class BybitServer(BaseVenueServer):
    name = "bybit"

    def __init__(self, world: ServerWorld) -> None:
        super().__init__(world)
        views = {sym: v for (venue, sym), v in world.cex_views.items() if venue == "bybit"}
        self.market = BybitMarketRest(world, views)
        self.trading = BybitTrading(world, views, BybitAuth(world))
        self.stream = BybitWs(world, self.hub, views)
        self.background.append(self.stream.lifecycle.run)
        self.limits = BybitLimits(world)
        app = web.Application(
            middlewares=[
                self.limits.middleware(),
                fault_middleware(
                    "bybit",
                    world.faults,
                    rate_limited=lambda s: web.Response(
                        status=429,
                        text="System level frequency protection. Please retry.",
                        headers={"Retry-After": str(s)},
                    ),
                    server_error=lambda st: web.Response(status=st, text="Bad Gateway"),
                ),
            ]
        )
        self.market.routes(app.router)
        self.trading.routes(app.router)
        app.router.add_get("/v5/public/spot", self.stream.serve)
        self.serve(app)

    def url_map(self, port: int) -> dict[str, str]:
        return {
            "bybit_rest": f"http://127.0.0.1:{port}",
            "bybit_ws": f"ws://127.0.0.1:{port}/v5/public/spot",
        }

    def publish(self, ev: SimEvent, what: str) -> None:
        self.stream.publish(ev, what)
