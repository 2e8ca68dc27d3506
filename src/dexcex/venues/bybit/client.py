"""Bybit v5 over ccxt (REST) and ccxt.pro (spot websocket), with integrity checks.

ccxt.pro applies snapshots and deltas but does not check ``u``; the hooks here validate
every message, require consecutive ``u`` on deltas, and on a gap (or a crossed book)
resubscribe the topic — Bybit answers a new subscription with a fresh snapshot — and
drop deltas until it arrives. Each of these is counted as a resync.
"""

from __future__ import annotations

import itertools
from typing import Any

import ccxt.async_support as ccxt_rest
import ccxt.pro as ccxt_pro

from dexcex.domain import InvalidInput, Order, VenueId
from dexcex.venues.base import KeyPermissions
from dexcex.venues.bybit import constants
from dexcex.venues.bybit.parse import parse_book_message, parse_trade_message, sequence_verdict
from dexcex.venues.ccxt_parse import order_from_ccxt
from dexcex.venues.ccxt_venue import CcxtVenue
from dexcex.venues.errors import AnnotateErrors
from dexcex.venues.guard import GuardedMessages

__all__ = ["BybitVenue"]

_req_ids = itertools.count(1)


class _BybitRest(AnnotateErrors, ccxt_rest.bybit):  # type: ignore[misc]
    pass


class _BybitPro(GuardedMessages, AnnotateErrors, ccxt_pro.bybit):  # type: ignore[misc]
    dexcex_last: dict[str, int]
    dexcex_resyncing: set[str]

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.dexcex_last = {}
        self.dexcex_resyncing = set()
        self.dexcex_topics: dict[str, tuple[Any, str]] = {}  # symbol → (client, book topic)

    def _resync(self, client: Any, topic: str, symbol: str, reason: str) -> None:
        self.dexcex_last.pop(symbol, None)
        self.dexcex_resyncing.add(symbol)
        if self.dexcex_tracker is not None:
            self.dexcex_tracker.on_resync(f"{symbol}: {reason}")
        self.spawn(self._resubscribe, client, topic)

    async def _resubscribe(self, client: Any, topic: str) -> None:
        # Raw frames with our own req_id: ccxt's subscription bookkeeping is untouched.
        await client.send({"op": "unsubscribe", "args": [topic], "req_id": f"dx{next(_req_ids)}"})
        await client.send({"op": "subscribe", "args": [topic], "req_id": f"dx{next(_req_ids)}"})

    def handle_order_book(self, client: Any, message: Any) -> None:
        try:
            update = parse_book_message(message)
        except InvalidInput as exc:
            self.dexcex_reject("bad_book_message", str(exc))
            return
        symbol = self.safe_symbol(update.symbol, None, None, "spot")
        topic = str(message["topic"])
        self.dexcex_topics[symbol] = (client, topic)
        verdict = sequence_verdict(self.dexcex_last.get(symbol), update)
        if verdict == "reset":
            self.dexcex_resyncing.discard(symbol)
        elif verdict in ("old", "wait") or symbol in self.dexcex_resyncing:
            return
        elif verdict == "gap":
            self._resync(
                client, topic, symbol, f"u gap: {self.dexcex_last.get(symbol)} then {update.last}"
            )
            return
        self.dexcex_last[symbol] = update.last
        super().handle_order_book(client, message)
        book = self.orderbooks.get(symbol)
        if (
            book is not None
            and book["bids"]
            and book["asks"]
            and book["bids"][0][0] >= book["asks"][0][0]
        ):
            self._resync(client, topic, symbol, "crossed book")

    def handle_trades(self, client: Any, message: Any) -> None:
        try:
            trades, bad = parse_trade_message(message)
        except InvalidInput as exc:
            self.dexcex_reject("bad_trade_message", str(exc))
            return
        for reason in bad:
            self.dexcex_reject("bad_trade", reason)
        if not trades:
            return
        if bad:
            keep = {t.trade_id for t in trades}
            message = {**message, "data": [d for d in message["data"] if str(d.get("i")) in keep]}
        super().handle_trades(client, message)


class BybitVenue(CcxtVenue):
    id = VenueId.BYBIT
    codes = constants.CODES
    limits = constants.LIMITS
    costs = constants.COSTS
    rate_limit_class = "ip"

    def _make_rest(self, config: dict[str, Any]) -> Any:
        ex = _BybitRest(config)
        if self.settings.testnet:
            ex.set_sandbox_mode(True)  # api-testnet.bybit.com; explicit URLs still win
        constants.spot_only_options(ex)
        constants.apply_base_urls(ex, self.settings.rest_url, None)
        return ex

    def _make_pro(self, config: dict[str, Any]) -> Any:
        ex = _BybitPro(config)
        if self.settings.testnet:
            ex.set_sandbox_mode(True)
        constants.spot_only_options(ex)
        constants.apply_base_urls(ex, self.settings.rest_url, self.settings.ws_url)
        return ex

    def _lookup_params(self, client_order_id: str) -> dict[str, Any]:
        return {"orderLinkId": client_order_id, "acknowledged": True}

    async def fetch_order_by_client_id(self, client_order_id: str, symbol: str) -> Order | None:
        """``orderLinkId`` alone on the wire. ccxt's ``fetch_order(None, …)`` sends
        ``orderId=None`` too, and on ``/v5/order/realtime`` "orderId has priority over
        orderLinkId": the order would never be found (docs/venues-reality.md)."""
        market = self.rest.market(symbol)
        query = {"category": "spot", "symbol": market["id"], "orderLinkId": client_order_id}
        # realtime holds open orders and the recent closed ones; history the older ones
        for fn in (self.rest.privateGetV5OrderRealtime, self.rest.privateGetV5OrderHistory):
            raw = await self._call("fetch_order", fn, query)
            rows = (raw.get("result") or {}).get("list") or []
            mine = [r for r in rows if r.get("orderLinkId") == client_order_id]
            if mine:
                parsed = self.rest.parse_order(mine[0], market)
                return order_from_ccxt(parsed, self.id, mode=self.mode, ts_now=self.clock.now_ms())
        return None

    async def key_permissions(self) -> KeyPermissions:
        # /v5/user/query-api: readOnly 1 cannot trade; "Withdraw" sits under Wallet
        raw = await self._call("fetch_balance", self.rest.privateGetV5UserQueryApi)
        info = raw.get("result") or {}
        perms = info.get("permissions") or {}
        trade = str(info.get("readOnly")) == "0" and "SpotTrade" in (perms.get("Spot") or [])
        return KeyPermissions(trade=trade, withdraw="Withdraw" in (perms.get("Wallet") or []))

    def book_sequence(self, symbol: str) -> int:
        return int(self.pro_for(symbol).dexcex_last.get(symbol, 0))

    def force_resync(self, symbol: str, reason: str) -> bool:
        pro = self.pro_for(symbol)
        where = pro.dexcex_topics.get(symbol)
        if where is None:
            return False
        pro._resync(where[0], where[1], symbol, reason)
        return True
