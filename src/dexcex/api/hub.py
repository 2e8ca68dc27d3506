"""What the page is told, as it happens: one sequence of typed messages for every client.

Each message is ``{"seq": n, "type": …, "ts": ms, "data": {…}}`` with ``seq`` increasing
by one per message. A client gets a ``snapshot`` (carrying the current ``seq``) when it
connects, then every later message; a page that sees a gap in ``seq`` (it was away)
reconnects and gets a fresh snapshot. A client too slow to keep up is disconnected
rather than allowed to hold memory — it comes back with a snapshot.

Types: ``signal`` (a stored signal and its risk decision), ``order`` (paper or live, each
state change), ``price`` (CEX mid of a market / DEX price of an asset, at most one per
market per ``price_every_ms``: the first at once, a value held back during the interval
when it ends), ``assets`` and ``positions`` (each second), ``status`` (when a light
changes, else every few seconds), ``alert``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from dexcex.domain import Clock, DexPrice, DexSwap, MarketEvent, OrderBook

__all__ = ["Client", "Hub"]

_enc = msgspec.json.Encoder()


@dataclass(eq=False)  # identity: each connection is its own client
class Client:
    queue: asyncio.Queue[bytes]
    dropped: bool = False  # fell behind: to be disconnected


@dataclass
class Hub:
    clock: Clock
    price_every_ms: int = 25
    client_queue: int = 2_000
    seq: int = 0
    clients: set[Client] = field(default_factory=set)
    sent: int = 0
    # told every message as it is published (the page relay to API processes elsewhere)
    listeners: list[Callable[[str, Any], None]] = field(default_factory=list)
    _last_price: dict[tuple[str, str], int] = field(default_factory=dict)
    _pending: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    # --- clients -------------------------------------------------------------------------------

    def connect(self) -> tuple[Client, int]:
        """A new client, and the ``seq`` its snapshot stands for: every later message is
        queued for it from this moment, so nothing falls between snapshot and stream."""
        client = Client(asyncio.Queue(self.client_queue))
        self.clients.add(client)
        return client, self.seq

    def snapshot_message(self, seq: int, data: Any) -> bytes:
        return _enc.encode(
            {"seq": seq, "type": "snapshot", "ts": self.clock.now_ms(), "data": data}
        )

    def disconnect(self, client: Client) -> None:
        self.clients.discard(client)

    # --- publishing ----------------------------------------------------------------------------

    def publish(self, kind: str, data: Any) -> None:
        self.seq += 1
        msg = _enc.encode({"seq": self.seq, "type": kind, "ts": self.clock.now_ms(), "data": data})
        for c in self.clients:
            if c.dropped:
                continue
            try:
                c.queue.put_nowait(msg)
            except asyncio.QueueFull:
                c.dropped = True
        self.sent += 1
        for listener in self.listeners:
            listener(kind, data)

    def on_market(self, ev: MarketEvent) -> None:
        """Bus tap: prices as they arrive (before the engine's reorder window)."""
        if isinstance(ev, OrderBook):
            mid = ev.mid
            if mid is None:
                return
            data = {
                "kind": "cex",
                "venue": ev.venue.value,
                "symbol": ev.symbol,
                "price": mid,
                "bid": ev.best_bid,
                "ask": ev.best_ask,
                "ts_event": ev.ts_event,
            }
            self._price((ev.venue.value, ev.symbol), data, ev.ts_event)
        elif isinstance(ev, DexSwap | DexPrice):
            data = {
                "kind": "dex",
                "asset_id": ev.asset_id,
                "price": ev.price_usd,
                "ts_event": ev.ts_event,
            }
            self._price(("dex", ev.asset_id), data, ev.ts_event)

    def _price(self, key: tuple[str, str], data: dict[str, Any], ts_event: int) -> None:
        now = self.clock.now_ms()
        last = self._last_price.get(key)
        if last is None or now - last >= self.price_every_ms:
            self._last_price[key] = now
            self._pending.pop(key, None)
            self.publish("price", data)
        else:
            first_held = key not in self._pending
            self._pending[key] = data  # the trailing value, sent when the interval ends
            if first_held:
                self._schedule(key, self.price_every_ms - (now - last))

    def _schedule(self, key: tuple[str, str], wait_ms: int) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (a synchronous caller): ``flush_prices`` sends it
        loop.call_later(max(wait_ms, 0) / 1000, self._send_held, key)

    def _send_held(self, key: tuple[str, str]) -> None:
        data = self._pending.pop(key, None)
        if data is not None:
            self._last_price[key] = self.clock.now_ms()
            self.publish("price", {**data, "trailing": True})

    def flush_prices(self) -> None:
        """Send the latest held-back price of every market whose interval has passed (a
        safety net behind the timers, and the way synchronous callers flush)."""
        if not self._pending:
            return
        now = self.clock.now_ms()
        for key in list(self._pending):
            if now - self._last_price.get(key, 0) >= self.price_every_ms:
                self._last_price[key] = now
                self.publish("price", {**self._pending.pop(key), "trailing": True})
