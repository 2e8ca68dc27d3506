"""DexScreener, simulated: the keyless polling REST API (no websocket, no keys).

Wire format per ``shared/protocols/dexscreener.md``; the pieces: ``rest`` (endpoints,
per-minute budget) and ``frames`` (the Pair object and the 429).
"""

from __future__ import annotations

from aiohttp import web

from dexcex.sim.market.events import SimEvent
from dexcex.sim.servers.common import BaseVenueServer, fault_middleware
from dexcex.sim.servers.dexscreener.frames import too_many
from dexcex.sim.servers.dexscreener.rest import DexScreenerRest
from dexcex.sim.servers.port import ServerWorld

__all__ = ["DexScreenerServer"]


class DexScreenerServer(BaseVenueServer):
    name = "dexscreener"

    def __init__(self, world: ServerWorld) -> None:
        super().__init__(world)
        self.rest = DexScreenerRest(world)
        app = web.Application(
            middlewares=[
                fault_middleware(
                    "dexscreener",
                    world.faults,
                    # behind Cloudflare a 429 often has no Retry-After: clients must cope
                    rate_limited=lambda _s: too_many(None),
                    server_error=lambda st: web.Response(status=st, text="upstream error"),
                )
            ]
        )
        self.rest.routes(app.router)
        self.serve(app)

    def url_map(self, port: int) -> dict[str, str]:
        return {"dexscreener_rest": f"http://127.0.0.1:{port}"}

    def disconnect_all(self) -> None:
        return None  # no websocket

    def publish(self, ev: SimEvent, what: str) -> None:
        # Polled, not pushed: a malformed-frame fault corrupts the next polled answers.
        if self.world.faults.take_malformed("dexscreener", ev.t, what):
            self.rest.malformed_pending += 1
