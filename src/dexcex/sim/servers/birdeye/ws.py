"""Birdeye websocket (``/socket/{chain}``, subprotocol ``echo-protocol``).

``SUBSCRIBE_TXS`` → ``TXS_DATA`` per swap, ``SUBSCRIBE_PRICE`` → ``PRICE_DATA`` (1-minute
candle updates), simple or complex (``address = … OR pairAddress = …``, at most 100)
queries; a new subscription of a kind replaces the previous one. ``SUBSCRIBE_NEW_PAIR``
is accepted (no new pairs appear in the simulation).
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from aiohttp import web

from dexcex.sim.market.events import DexSwapEv, SimEvent
from dexcex.sim.servers.birdeye.auth import BirdeyeAuth
from dexcex.sim.servers.birdeye.frames import malformed, price_frame, tx_parts, txs_frame
from dexcex.sim.servers.common import Hub, WsConn
from dexcex.sim.servers.port import ServerWorld

__all__ = ["BirdeyeWs"]

_dumps = msgspec.json.Encoder().encode
_COND = re.compile(r"(address|pairAddress)\s*=\s*([A-Za-z0-9]+)")


def _error(message: str) -> str:
    return _dumps({"type": "ERROR", "data": {"message": message}}).decode()


class BirdeyeWs:
    def __init__(self, world: ServerWorld, hub: Hub, auth: BirdeyeAuth) -> None:
        self.world = world
        self.hub = hub
        self.auth = auth

    async def serve(self, request: web.Request) -> web.StreamResponse:
        refused = self.auth.websocket(request)
        if refused is not None:
            return refused
        chain = request.match_info["chain"]

        def opened(conn: WsConn) -> None:
            conn.state["chain"] = chain
            conn.send(_dumps({"type": "WELCOME", "data": None}).decode())

        return await self.hub.serve(
            request, self.on_text, protocols=("echo-protocol",), heartbeat=30.0, on_open=opened
        )

    def on_text(self, conn: WsConn, text: str) -> None:
        try:
            msg = msgspec.json.decode(text)
        except msgspec.DecodeError:
            conn.send(_error("invalid json"))
            return
        if not isinstance(msg, dict):
            return
        kind, data = msg.get("type"), msg.get("data") or {}
        chain = conn.state["chain"]
        if kind in ("SUBSCRIBE_TXS", "SUBSCRIBE_PRICE"):
            self._subscribe(conn, str(kind), data, chain)
        elif kind in ("UNSUBSCRIBE_TXS", "UNSUBSCRIBE_PRICE"):
            prefix = "txs:" if kind == "UNSUBSCRIBE_TXS" else "price:"
            for ch in [c for c in conn.subs if c.startswith(prefix)]:
                self.hub.unsubscribe(conn, ch)
        elif kind == "SUBSCRIBE_NEW_PAIR":
            self.hub.subscribe(conn, f"newpair:{chain}")

    def _subscribe(self, conn: WsConn, kind: str, data: dict[str, Any], chain: str) -> None:
        stream = "txs" if kind == "SUBSCRIBE_TXS" else "price"
        for ch in [c for c in conn.subs if c.startswith(f"{stream}:")]:
            self.hub.unsubscribe(conn, ch)  # a new subscription replaces the old one
        targets = _targets(data)
        if targets is None or len(targets) > 100:
            conn.send(_error(f"bad {kind} query"))
            return
        for field, addr in targets:
            self.hub.subscribe(conn, f"{stream}:{chain}:{field}:{addr}")
        conn.state[f"{stream}_simple"] = data.get("queryType", "simple") == "simple"

    def publish(self, ev: SimEvent, what: str) -> None:
        if not isinstance(ev, DexSwapEv):
            return
        faults = self.world.faults
        if faults.is_down("birdeye") or faults.is_stale("birdeye"):
            return
        variant = faults.take_malformed("birdeye", ev.t, what)
        dup = faults.take_duplicate("birdeye", ev.t, what)
        view = self.world.pool_views[ev.pool]
        parts = tx_parts(ev, self.world.scenario.realism.multi_swap_tx)
        for field, addr in (("token", ev.token), ("pair", ev.pool)):
            txs = f"txs:{ev.chain}:{field}:{addr}"
            for conn in list(self.hub.by_channel.get(txs, ())):
                simple = conn.state.get("txs_simple", True)
                for part in parts:
                    frame = (
                        malformed(variant)
                        if variant
                        else txs_frame(part, view, pair=field == "pair", simple=simple)
                    )
                    conn.send(frame)
                    if dup:
                        conn.send(frame)
            price = f"price:{ev.chain}:{field}:{addr}"
            if self.hub.has(price):
                frame = malformed(variant) if variant else price_frame(view, addr)
                self.hub.publish(price, frame)
                if dup:
                    self.hub.publish(price, frame)


def _targets(data: dict[str, Any]) -> list[tuple[str, str]] | None:
    """(field, address) pairs a subscription asks for; None when it names none."""
    if data.get("queryType", "simple") == "complex":
        found = _COND.findall(str(data.get("query", "")))
        return [("pair" if f == "pairAddress" else "token", a) for f, a in found] or None
    if data.get("pairAddress"):
        return [("pair", str(data["pairAddress"]))]
    if data.get("address"):
        field = "pair" if data.get("currency") == "pair" else "token"
        return [(field, str(data["address"]))]
    return None
