"""MEXC market-data websocket (``/ws``): JSON control messages, protobuf data pushes.

``SUBSCRIPTION`` / ``UNSUBSCRIPTION`` of ``spot@public.aggre.{deals,depth,bookTicker}
.v3.api.pb@{100ms|10ms}@SYMBOL`` (at most 30 per connection), ``PING`` → ``PONG``.
"""

from __future__ import annotations

import msgspec
from aiohttp import web

from dexcex.sim.market.events import SimEvent
from dexcex.sim.servers.common import CexEvent, Hub, WsConn, publish_cex
from dexcex.sim.servers.lifecycle import WsLifecycle
from dexcex.sim.servers.mexc.frames import BOOK_TICKER, DEALS, DEPTH, MexcFrames
from dexcex.sim.servers.port import ServerWorld
from dexcex.sim.state import CexView

__all__ = ["MexcWs"]

_MAX_SUBS = 30
_dumps = msgspec.json.Encoder().encode


def _reply(msg_id: object, text: str) -> str:
    return _dumps({"id": msg_id, "code": 0, "msg": text}).decode()


class MexcWs:
    def __init__(self, world: ServerWorld, hub: Hub, views: dict[str, CexView]) -> None:
        self.world = world
        self.hub = hub
        self.views = views
        self.frames = MexcFrames(views)
        r = world.scenario.realism
        self.lifecycle = WsLifecycle(
            hub,
            r,
            no_sub_s=r.mexc_ws_no_sub_s,
            no_data_s=r.mexc_ws_no_data_s,
            max_age_s=r.mexc_ws_max_age_s,
        )

    async def serve(self, request: web.Request) -> web.StreamResponse:
        return await self.hub.serve(request, self.on_text, on_open=self.lifecycle.on_open)

    def on_text(self, conn: WsConn, text: str) -> None:
        try:
            msg = msgspec.json.decode(text)
        except msgspec.DecodeError:
            conn.send(_reply(0, "Not Subscribed successfully! [] "))
            return
        if not isinstance(msg, dict):
            return
        method = str(msg.get("method", "")).upper()
        params = [p for p in msg.get("params", []) if isinstance(p, str)]
        if method == "PING":
            conn.send(_reply(0, "PONG"))
        elif method == "SUBSCRIPTION":
            self._subscribe(conn, msg.get("id", 0), params)
        elif method == "UNSUBSCRIPTION":
            for ch in params:
                parts = ch.split("@")
                if len(parts) == 4:
                    self.hub.unsubscribe(conn, f"{parts[0]}@{parts[1]}@{parts[3]}")
            conn.send(_reply(msg.get("id", 0), ",".join(params)))

    def _subscribe(self, conn: WsConn, msg_id: object, params: list[str]) -> None:
        ok = []
        for ch in params:
            parts = ch.split("@")
            valid = (
                len(parts) == 4
                and "@".join(parts[:2]) in (DEALS, DEPTH, BOOK_TICKER)
                and parts[2] in ("100ms", "10ms")
                and parts[3] in self.views
                and len(conn.subs) < _MAX_SUBS
            )
            if valid:
                self.hub.subscribe(conn, f"{parts[0]}@{parts[1]}@{parts[3]}")
                ok.append(ch)
        reply = ",".join(ok) if ok else f"Not Subscribed successfully! [{','.join(params)}]."
        conn.send(_reply(msg_id, reply))

    def publish(self, ev: SimEvent, what: str) -> None:
        if isinstance(ev, CexEvent):
            publish_cex("mexc", self.hub, self.world.faults, self.frames, ev, what)
