"""MEXC wire shapes, built from simulator state: the protobuf push frames
(``PushDataV3ApiWrapper``), the REST bodies, and the error answers.

Push frames use the generated classes ccxt ships (the same ones ``ccxt.pro.mexc`` decodes
with), so a frame built here is, byte for byte, what MEXC sends (see the test vector in
``shared/protocols/mexc.md``).
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web
from ccxt.protobuf.mexc import PushDataV3ApiWrapper_pb2 as pb

from dexcex.sim.exchange import SimExchange, SimOrder, SimReject
from dexcex.sim.market.events import CexBookDelta, CexTradeEv
from dexcex.sim.market.specs import CexMarketSpec
from dexcex.sim.servers.common import CexEvent, json_response
from dexcex.sim.state import CexView

__all__ = [
    "BOOK_TICKER",
    "DEALS",
    "DEPTH",
    "MexcFrames",
    "book_ticker_frame",
    "deals_frame",
    "depth_frame",
    "err",
    "order_json",
    "reject",
    "symbol_info",
    "ticker_json",
]

DEALS = "spot@public.aggre.deals.v3.api.pb"
DEPTH = "spot@public.aggre.depth.v3.api.pb"
BOOK_TICKER = "spot@public.aggre.bookTicker.v3.api.pb"

Deal = tuple[str, str, int, int]  # price, quantity, tradeType (1 buy, 2 sell), time ms

# Business errors: HTTP status and MEXC code per rejection reason.
_REJECT = {
    "bad_symbol": (400, -1121, "Invalid symbol."),
    "duplicate_client_id": (400, -2010, "Duplicate newClientOrderId"),  # simulated code
    "bad_param": (400, 700004, "Mandatory parameter missing or illegal"),
    "min_qty": (400, 30002, "Minimum transaction volume cannot be less than"),
    "min_cost": (400, 30002, "Minimum transaction volume cannot be less than"),
    "insufficient": (400, 30004, "Insufficient position"),
    "unknown_order": (400, -2011, "Order does not exist"),
    "not_open": (400, -2011, "Order cancelled or filled"),
}
STATUS = {
    "new": "NEW",
    "partially_filled": "PARTIALLY_FILLED",
    "filled": "FILLED",
    "canceled": "CANCELED",
    "partially_canceled": "PARTIALLY_CANCELED",
}


def err(status: int, code: int, msg: str, headers: dict[str, str] | None = None) -> web.Response:
    """MEXC's error body: ``{"code", "msg"}`` with an HTTP 4xx status."""
    return json_response({"code": code, "msg": msg}, status=status, headers=headers)


def reject(exc: SimReject) -> web.Response:
    status, code, msg = _REJECT.get(exc.reason, (400, 400, str(exc)))
    return err(status, code, msg)


# --- websocket push frames -------------------------------------------------------------------


def deals_frame(symbol: str, deals: list[Deal], send_time: int, interval: str = "100ms") -> bytes:
    msg = pb.PushDataV3ApiWrapper()
    msg.channel = f"{DEALS}@{interval}@{symbol}"
    msg.symbol = symbol
    msg.sendTime = send_time
    body = msg.publicAggreDeals
    for price, qty, side, t in deals:
        d = body.deals.add()
        d.price, d.quantity, d.tradeType, d.time = price, qty, side, t
    body.eventType = f"{DEALS}@{interval}"
    return bytes(msg.SerializeToString())


def depth_frame(
    symbol: str,
    bids: list[tuple[str, str]],
    asks: list[tuple[str, str]],
    from_version: int,
    to_version: int,
    send_time: int,
    interval: str = "100ms",
) -> bytes:
    msg = pb.PushDataV3ApiWrapper()
    msg.channel = f"{DEPTH}@{interval}@{symbol}"
    msg.symbol = symbol
    msg.sendTime = send_time
    body = msg.publicAggreDepths
    for p, q in asks:
        lv = body.asks.add()
        lv.price, lv.quantity = p, q
    for p, q in bids:
        lv = body.bids.add()
        lv.price, lv.quantity = p, q
    body.eventType = f"{DEPTH}@{interval}"
    body.fromVersion = str(from_version)
    body.toVersion = str(to_version)
    return bytes(msg.SerializeToString())


def book_ticker_frame(
    symbol: str,
    bid: str,
    bid_qty: str,
    ask: str,
    ask_qty: str,
    send_time: int,
    interval: str = "100ms",
) -> bytes:
    msg = pb.PushDataV3ApiWrapper()
    msg.channel = f"{BOOK_TICKER}@{interval}@{symbol}"
    msg.symbol = symbol
    msg.sendTime = send_time
    bt = msg.publicAggreBookTicker
    bt.bidPrice, bt.bidQuantity, bt.askPrice, bt.askQuantity = bid, bid_qty, ask, ask_qty
    return bytes(msg.SerializeToString())


class MexcFrames:
    """Market events → MEXC push frames (the ``CexFrames`` of MEXC)."""

    def __init__(self, views: dict[str, CexView]) -> None:
        self.views = views

    def channels(self, ev: CexEvent) -> list[str]:
        if isinstance(ev, CexBookDelta):
            return [f"{DEPTH}@{ev.symbol}"]
        if isinstance(ev, CexTradeEv):
            return [f"{DEALS}@{ev.symbol}"]
        return [f"{BOOK_TICKER}@{ev.symbol}"]

    def encode(self, ev: CexEvent, channel: str) -> bytes:
        spec = self.views[ev.symbol].spec
        fp, fq = spec.fmt_price, spec.fmt_qty
        if isinstance(ev, CexBookDelta):
            return depth_frame(
                ev.symbol,
                [(fp(p), fq(q)) for p, q in ev.bids],
                [(fp(p), fq(q)) for p, q in ev.asks],
                ev.first,
                ev.last,
                ev.t,
            )
        if isinstance(ev, CexTradeEv):
            side = 1 if ev.side == "buy" else 2
            return deals_frame(ev.symbol, [(fp(ev.price), fq(ev.size), side, ev.t)], ev.t)
        return book_ticker_frame(
            ev.symbol, fp(ev.bid), fq(ev.bid_size), fp(ev.ask), fq(ev.ask_size), ev.t
        )

    def malformed(self, variant: str, ev: CexEvent, channel: str) -> str | bytes:
        if variant == "bad_json":
            return '{"c":"spot@public.aggre.deals.v3.api.pb@100ms@' + ev.symbol + '","d":{'
        if variant == "bad_encoding":
            return b"\x0a\xff\xff\xff\xff\x0f" + time.time_ns().to_bytes(8, "big")[:3]
        msg = pb.PushDataV3ApiWrapper()
        msg.symbol = ev.symbol
        msg.sendTime = ev.t
        if isinstance(ev, CexTradeEv) or variant == "wrong_types":
            msg.channel = f"{DEALS}@100ms@{ev.symbol}"
            deal = msg.publicAggreDeals.deals.add()
            if variant == "wrong_types":
                deal.price, deal.quantity = "abc", "-1e999"
                deal.tradeType = 7
            deal.time = ev.t
        else:  # missing_fields: a depth push without versions
            msg.channel = f"{DEPTH}@100ms@{ev.symbol}"
            lv = msg.publicAggreDepths.asks.add()
            lv.price = "1"
        return bytes(msg.SerializeToString())


# --- REST bodies -----------------------------------------------------------------------------


def symbol_info(spec: CexMarketSpec, ex: SimExchange) -> dict[str, Any]:
    """One entry of ``exchangeInfo.symbols``."""
    return {
        "symbol": spec.venue_symbol,
        "status": "1",
        "baseAsset": spec.base,
        "baseAssetPrecision": spec.amount_dp,
        "quoteAsset": spec.quote,
        "quotePrecision": spec.price_dp,
        "quoteAssetPrecision": spec.price_dp,
        "baseCommissionPrecision": spec.amount_dp,
        "quoteCommissionPrecision": spec.price_dp,
        "orderTypes": ["LIMIT", "MARKET", "LIMIT_MAKER"],
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "quoteAmountPrecision": f"{spec.min_cost:g}",
        "baseSizePrecision": spec.fmt_qty(spec.min_qty),
        "permissions": ["SPOT"],
        "filters": [],
        "maxQuoteAmount": "2000000",
        "makerCommission": f"{ex.maker_fee:g}",
        "takerCommission": f"{ex.taker_fee:g}",
        "quoteAmountPrecisionMarket": f"{spec.min_cost:g}",
        "maxQuoteAmountMarket": "100000",
        "fullName": spec.base,
        "tradeSideType": 1,
    }


def ticker_json(view: CexView, ex: SimExchange, now: int) -> dict[str, Any]:
    """``/api/v3/ticker/24hr`` for one symbol, summed from the last day's buckets."""
    spec = view.spec
    sym = spec.venue_symbol
    day = view.buckets.window(now, 1440)
    bid, bq, ask, aq = ex.books[sym].best()
    last = view.trades[-1].price if view.trades else (bid + ask) / 2
    open_ = day[0].o if day else last
    return {
        "symbol": sym,
        "priceChange": spec.fmt_price(last - open_),
        "priceChangePercent": f"{(last / open_ - 1):.4f}",
        "prevClosePrice": spec.fmt_price(open_),
        "lastPrice": spec.fmt_price(last),
        "bidPrice": spec.fmt_price(bid),
        "bidQty": spec.fmt_qty(bq),
        "askPrice": spec.fmt_price(ask),
        "askQty": spec.fmt_qty(aq),
        "openPrice": spec.fmt_price(open_),
        "highPrice": spec.fmt_price(max([b.h for b in day], default=last)),
        "lowPrice": spec.fmt_price(min([b.l for b in day], default=last)),
        "volume": spec.fmt_qty(sum(b.v_base for b in day)),
        "quoteVolume": f"{sum(b.v_quote for b in day):.2f}",
        "openTime": now - 86_400_000,
        "closeTime": now,
        "count": None,
    }


def order_json(o: SimOrder, spec: CexMarketSpec, *, full: bool = True) -> dict[str, Any]:
    """An order as ``/api/v3/order`` shows it; ``full=False``: the terse create answer."""
    out: dict[str, Any] = {
        "symbol": o.symbol,
        "orderId": o.id,
        "orderListId": -1,
        "price": spec.fmt_price(o.price or 0.0),
        "origQty": spec.fmt_qty(o.qty),
        "type": o.type.upper(),
        "side": o.side.upper(),
        "transactTime": o.time,
    }
    if full:
        out.update(
            {
                "clientOrderId": o.client_id or None,
                "executedQty": spec.fmt_qty(o.executed),
                "cummulativeQuoteQty": f"{o.cum_quote:.8f}",
                "status": STATUS[o.status],
                "timeInForce": o.tif,
                "stopPrice": "0",
                "time": o.time,
                "updateTime": o.update_time,
                "isWorking": o.is_open,
                "origQuoteOrderQty": f"{o.quote_qty or 0:.8f}",
            }
        )
    return out
