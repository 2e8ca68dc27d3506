"""Websocket connections closed as the venues close them (docs/venues-reality.md):
MEXC after 30 s without a subscription, 60 s without data (a PING and its PONG count),
and 24 h after opening whatever happens; Bybit after 10 minutes without a ping. Every
limit is divided by ``Realism.ws_time_scale``; ``ws_lifecycle = false`` keeps every
connection open."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from dexcex.sim.scenario import Realism
from dexcex.sim.servers.common import Hub, WsConn

__all__ = ["WsLifecycle"]


class WsLifecycle:
    def __init__(
        self,
        hub: Hub,
        realism: Realism,
        *,
        no_sub_s: float | None = None,
        no_data_s: float | None = None,
        max_age_s: float | None = None,
        no_ping_s: float | None = None,
    ) -> None:
        self.hub = hub
        self.on = realism.ws_lifecycle
        k = realism.ws_time_scale
        self.no_sub_s = no_sub_s / k if no_sub_s else None
        self.no_data_s = no_data_s / k if no_data_s else None
        self.max_age_s = max_age_s / k if max_age_s else None
        self.no_ping_s = no_ping_s / k if no_ping_s else None
        self.closed: Counter[str] = Counter()  # connections closed, by reason

    def on_open(self, conn: WsConn) -> None:
        now = time.monotonic()
        conn.state.update(opened=now, active=now, pinged=now, sent_seen=0)

    def on_ping(self, conn: WsConn) -> None:
        conn.state["pinged"] = time.monotonic()

    def reason_to_close(self, conn: WsConn, now: float) -> str | None:
        st = conn.state
        if "opened" not in st:
            return None
        if conn.sent != st["sent_seen"]:
            st["sent_seen"], st["active"] = conn.sent, now
        if self.max_age_s and now - st["opened"] >= self.max_age_s:
            return "max_age"
        if self.no_sub_s and not conn.subs and now - st["opened"] >= self.no_sub_s:
            return "no_subscription"
        if self.no_data_s and conn.subs and now - st["active"] >= self.no_data_s:
            return "no_data"
        if self.no_ping_s and now - st["pinged"] >= self.no_ping_s:
            return "no_ping"
        return None

    def sweep(self) -> None:
        now = time.monotonic()
        for conn in list(self.hub.conns):
            why = self.reason_to_close(conn, now)
            if why is not None and not conn.closed:
                self.closed[why] += 1
                conn.close()

    async def run(self) -> None:
        """Sweep until cancelled (a server's background task)."""
        if not self.on:
            return
        limits = [x for x in (self.no_sub_s, self.no_data_s, self.max_age_s, self.no_ping_s) if x]
        period = min([0.5, *(x / 10 for x in limits)])
        while True:
            await asyncio.sleep(period)
            self.sweep()
