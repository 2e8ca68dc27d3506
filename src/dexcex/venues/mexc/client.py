"""MEXC over ccxt (REST) and ccxt.pro (protobuf websocket), with integrity checks.

ccxt.pro keeps the local book (REST snapshot after 25 buffered pushes, then deltas); the
hooks here validate every push before ccxt sees it, check that versions are consecutive
(``fromVersion == previous toVersion + 1``), and on a gap or a crossed book reset the
book so ccxt buffers again and re-snapshots — counted as a resync.
"""

from __future__ import annotations

from typing import Any

import ccxt.async_support as ccxt_rest
import ccxt.pro as ccxt_pro

from dexcex.domain import InvalidInput, VenueId
from dexcex.edge.health import HealthTracker
from dexcex.venues.base import KeyPermissions
from dexcex.venues.ccxt_venue import CcxtVenue
from dexcex.venues.errors import AnnotateErrors
from dexcex.venues.guard import GuardedMessages
from dexcex.venues.mexc import constants
from dexcex.venues.mexc.parse import parse_deals_push, parse_depth_push, sequence_verdict

__all__ = ["MexcVenue"]


class _MexcRest(AnnotateErrors, ccxt_rest.mexc):  # type: ignore[misc]
    pass


class _MexcPro(GuardedMessages, AnnotateErrors, ccxt_pro.mexc):  # type: ignore[misc]
    dexcex_last: dict[str, int]

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.dexcex_last = {}

    def is_data_frame(self, data: Any) -> bool:
        return isinstance(data, bytes)  # data is protobuf; text frames are control

    def _track(self) -> HealthTracker | None:
        return self.dexcex_tracker

    def _resync(self, symbol: str, reason: str) -> None:
        self.dexcex_last.pop(symbol, None)
        book = self.order_book()
        self.orderbooks[symbol] = book  # nonce None: ccxt buffers, then re-snapshots
        if (t := self._track()) is not None:
            t.on_resync(f"{symbol}: {reason}")

    def handle_order_book_subscription(self, client: Any, message: Any) -> None:
        super().handle_order_book_subscription(client, message)
        parts = str(message.get("msg", "")).split("@")
        if len(parts) > 2:
            symbol = self.safe_symbol(parts[-1])
            self.dexcex_last.pop(symbol, None)
            # A (re)subscription continues from the venue's current version: a book kept
            # from before a disconnect would miss every change in between.
            book = self.orderbooks.get(symbol)
            if book is not None and book["nonce"] is not None:
                self._resync(symbol, "resubscribed")

    def handle_order_book(self, client: Any, message: Any) -> None:
        try:
            update = parse_depth_push(message)
        except InvalidInput as exc:
            self.dexcex_reject("bad_depth_push", str(exc))
            return
        symbol = self.safe_symbol(update.symbol)
        verdict = sequence_verdict(self.dexcex_last.get(symbol), update)
        if verdict == "old":
            return
        if verdict == "gap":
            self._resync(symbol, f"version gap: {self.dexcex_last.get(symbol)} then {update.first}")
        self.dexcex_last[symbol] = update.last
        super().handle_order_book(client, message)
        book = self.orderbooks.get(symbol)
        synced = book is not None and book["nonce"] is not None
        if synced and book["bids"] and book["asks"] and book["bids"][0][0] >= book["asks"][0][0]:
            self._resync(symbol, "crossed book")

    # ccxt keys MEXC's aggregated deltas by ``fromVersion``: a delta whose range straddles
    # the REST snapshot's version (from <= snapshot < to) is skipped whole, and the levels
    # it changed after the snapshot stay stale. Depth quantities are absolute, so the
    # right rule is: apply every delta that reaches past the book's version.
    def get_cache_index(self, orderbook: Any, cache: Any) -> int:
        nonce = self.safe_integer(orderbook, "nonce")
        if nonce is None or not cache:
            return -1
        first = self.safe_integer(cache[0], "fromVersion")
        if first is not None and nonce < first - 1:
            return -1  # the snapshot is older than anything cached: take another
        for i, delta in enumerate(cache):
            last = self.safe_integer_n(delta, ["toVersion", "version", "r"])
            if last is not None and last > nonce:
                return i
        return len(cache)

    def handle_book_delta(self, orderbook: Any, delta: Any) -> None:
        existing = self.safe_integer(orderbook, "nonce")
        last = self.safe_integer_n(delta, ["toVersion", "version", "r"])
        if last is not None and existing is not None and last <= existing:
            return
        orderbook["nonce"] = last
        self.handle_bookside_delta(orderbook["asks"], self.safe_list(delta, "asks", []))
        self.handle_bookside_delta(orderbook["bids"], self.safe_list(delta, "bids", []))

    def handle_trades(self, client: Any, message: Any) -> None:
        try:
            _, deals, bad = parse_deals_push(message)
        except InvalidInput as exc:
            self.dexcex_reject("bad_deals_push", str(exc))
            return
        for reason in bad:
            self.dexcex_reject("bad_deal", reason)
        if not deals:
            return
        if bad:  # hand ccxt only the valid deals
            body = dict(message["publicAggreDeals"])
            body["deals"] = [d for d in body["deals"] if _valid_deal(d)]
            message = {**message, "publicAggreDeals": body}
        super().handle_trades(client, message)


def _valid_deal(d: Any) -> bool:
    try:
        parse_deals_push({"channel": "x", "symbol": "x", "publicAggreDeals": {"deals": [d]}})
    except InvalidInput:
        return False
    return True


class MexcVenue(CcxtVenue):
    id = VenueId.MEXC
    codes = constants.CODES
    limits = constants.LIMITS
    costs = constants.COSTS
    rate_limit_class = "ip"
    ws_markets_per_connection = 14  # 28 of the 30 subscriptions MEXC allows per connection

    def _make_rest(self, config: dict[str, Any]) -> Any:
        ex = _MexcRest(config)
        constants.trade_only_options(ex)
        constants.apply_base_urls(ex, self.settings.rest_url, None)
        return ex

    def _make_pro(self, config: dict[str, Any]) -> Any:
        ex = _MexcPro(config)
        constants.trade_only_options(ex)
        constants.apply_base_urls(ex, self.settings.rest_url, self.settings.ws_url)
        # ccxt waits for 25 deltas before it takes the REST snapshot; on a quiet market
        # that is minutes without a book. Our cache rule (``get_cache_index``) retries a
        # snapshot older than the first cached delta, so a short wait is safe.
        ex.options.setdefault("watchOrderBook", {})["snapshotDelay"] = 3
        return ex

    def _lookup_params(self, client_order_id: str) -> dict[str, Any]:
        return {"clientOrderId": client_order_id}

    async def key_permissions(self) -> KeyPermissions:
        # /api/v3/account says what the key may do (canTrade, canWithdraw)
        raw = await self._call("fetch_balance", self.rest.spotPrivateGetAccount)
        return KeyPermissions(
            trade=raw.get("canTrade") is True, withdraw=raw.get("canWithdraw") is True
        )

    def book_sequence(self, symbol: str) -> int:
        return int(self.pro_for(symbol).dexcex_last.get(symbol, 0))

    def force_resync(self, symbol: str, reason: str) -> bool:
        pro = self.pro_for(symbol)
        if symbol not in pro.orderbooks:
            return False
        pro._resync(symbol, reason)
        return True
