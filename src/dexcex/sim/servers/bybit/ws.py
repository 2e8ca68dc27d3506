"""Bybit v5 public spot websocket (``/v5/public/spot``): ``subscribe`` / ``unsubscribe``
of ``orderbook.{1|50|200|1000}.SYM``, ``publicTrade.SYM`` and ``tickers.SYM`` (at most
10 per request; a book subscription is answered with a snapshot), ``ping`` → pong."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from aiohttp import web

from dexcex.sim.market.events import SimEvent
from dexcex.sim.servers.bybit.frames import BybitFrames, book_snapshot
from dexcex.sim.servers.common import CexEvent, Hub, WsConn, publish_cex
from dexcex.sim.servers.lifecycle import WsLifecycle
from dexcex.sim.servers.port import ServerWorld
from dexcex.sim.state import CexView

__all__ = ["BybitWs"]

_dumps = msgspec.json.Encoder().encode
_DEPTHS = ("1", "50", "200", "1000")


class BybitWs:
    def __init__(self, world: ServerWorld, hub: Hub, views: dict[str, CexView]) -> None:
        self.world = world
        self.hub = hub
        self.views = views
        self.ex = world.exchanges["bybit"]
        self.frames = BybitFrames(views, self.ex, world.market_now)
        r = world.scenario.realism
        self.lifecycle = WsLifecycle(hub, r, no_ping_s=r.bybit_ws_no_ping_s)

    async def serve(self, request: web.Request) -> web.StreamResponse:
        return await self.hub.serve(request, self.on_text, on_open=self.lifecycle.on_open)

    def on_text(self, conn: WsConn, text: str) -> None:
        conn.state.setdefault("conn_id", str(uuid.uuid4()))
        try:
            msg = msgspec.json.decode(text)
        except msgspec.DecodeError:
            self._reply(conn, {"success": False, "ret_msg": "error:invalid json", "op": ""})
            return
        if not isinstance(msg, dict):
            return
        op, req_id = msg.get("op"), msg.get("req_id", "")
        args = [a for a in msg.get("args", []) if isinstance(a, str)]
        if op == "ping":
            self.lifecycle.on_ping(conn)
            self._reply(conn, {"success": True, "ret_msg": "pong", "req_id": req_id, "op": op})
        elif op == "subscribe":
            self._subscribe(conn, req_id, args)
        elif op == "unsubscribe":
            for a in args:
                self.hub.unsubscribe(conn, a)
            self._reply(conn, {"success": True, "ret_msg": "", "req_id": req_id, "op": op})

    @staticmethod
    def _reply(conn: WsConn, body: dict[str, Any]) -> None:
        conn.send(_dumps({**body, "conn_id": conn.state["conn_id"]}).decode())

    def _subscribe(self, conn: WsConn, req_id: object, args: list[str]) -> None:
        bad = [a for a in args if not self._valid_topic(a)]
        ok = not bad and len(args) <= 10
        self._reply(
            conn,
            {
                "success": ok,
                "ret_msg": "" if ok else f"error:handler not found,topic:{','.join(bad)}",
                "req_id": req_id,
                "op": "subscribe",
            },
        )
        if not ok:
            return
        for a in args:
            self.hub.subscribe(conn, a)
            if a.startswith("orderbook."):
                seq = next(self.frames.cross_seq)
                conn.send(book_snapshot(a, self.ex, self.world.market_now(), seq))

    def _valid_topic(self, topic: str) -> bool:
        parts = topic.split(".")
        if len(parts) == 3 and parts[0] == "orderbook":
            return parts[1] in _DEPTHS and parts[2] in self.views
        return len(parts) == 2 and parts[0] in ("publicTrade", "tickers") and parts[1] in self.views

    def publish(self, ev: SimEvent, what: str) -> None:
        if isinstance(ev, CexEvent):
            publish_cex("bybit", self.hub, self.world.faults, self.frames, ev, what)
