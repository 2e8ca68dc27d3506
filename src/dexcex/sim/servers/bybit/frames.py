"""Bybit v5 wire shapes, built from simulator state: the public websocket messages, the
REST bodies inside the ``retCode/retMsg/result`` envelope, and the error answers."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import msgspec
from aiohttp import web

from dexcex.sim.exchange import Account, SimExchange, SimFill, SimOrder, SimReject
from dexcex.sim.market.events import CexBookDelta, CexTradeEv
from dexcex.sim.market.specs import CexMarketSpec
from dexcex.sim.servers.common import CexEvent, json_response, wall_ms
from dexcex.sim.state import CexView

__all__ = [
    "BybitFrames",
    "book_snapshot",
    "env",
    "execution_json",
    "instrument_json",
    "order_json",
    "reject",
    "ticker_json",
    "wallet_coins",
]

_dumps = msgspec.json.Encoder().encode
_REJECT = {
    "bad_symbol": (170121, "Invalid symbol."),
    "duplicate_client_id": (110072, "OrderLinkedID is duplicate"),
    "bad_param": (10001, "request parameter error"),
    "min_qty": (170136, "Order quantity is lower than the minimum."),
    "min_cost": (170140, "Order value exceeded lower limit."),
    "insufficient": (170131, "Insufficient balance."),
    "unknown_order": (110001, "Order does not exist"),
    "not_open": (110001, "Order does not exist"),
}
_STATUS = {
    "new": "New",
    "partially_filled": "PartiallyFilled",
    "filled": "Filled",
    "canceled": "Cancelled",
    "partially_canceled": "PartiallyFilledCanceled",
}
_BOOK_DEPTHS = ("50", "200", "1000")  # deltas; orderbook.1 carries the top as snapshots
_TICKER_KEYS = (
    "symbol",
    "lastPrice",
    "highPrice24h",
    "lowPrice24h",
    "prevPrice24h",
    "volume24h",
    "turnover24h",
    "price24hPcnt",
    "usdIndexPrice",
)


def env(
    result: Any, code: int = 0, msg: str = "OK", headers: dict[str, str] | None = None
) -> web.Response:
    """Bybit's envelope; business errors are HTTP 200 with a non-zero ``retCode``."""
    return json_response(
        {"retCode": code, "retMsg": msg, "result": result, "retExtInfo": {}, "time": wall_ms()},
        headers=headers,
    )


def reject(exc: SimReject) -> web.Response:
    code, msg = _REJECT.get(exc.reason, (10001, str(exc)))
    return env({}, code, msg)


def _levels(spec: CexMarketSpec, levels: list[tuple[float, float]]) -> list[list[str]]:
    return [[spec.fmt_price(p), spec.fmt_qty(q)] for p, q in levels]


# --- websocket messages ----------------------------------------------------------------------


def book_snapshot(topic: str, ex: SimExchange, now: int, seq: int) -> str:
    """The snapshot Bybit sends on an ``orderbook.{depth}.{symbol}`` subscription."""
    _, depth, sym = topic.split(".")
    book = ex.books[sym]
    bids, asks = book.snapshot(int(depth))
    data = {
        "s": sym,
        "b": _levels(book.spec, bids),
        "a": _levels(book.spec, asks),
        "u": book.version,
        "seq": seq,
    }
    msg = {"topic": topic, "type": "snapshot", "ts": now, "data": data, "cts": now}
    return _dumps(msg).decode()


class BybitFrames:
    """Market events → Bybit public spot messages (the ``CexFrames`` of Bybit).

    Book messages and tickers carry a cross-sequence ``seq``/``cs`` that rises with
    every message sent, as on the real stream."""

    def __init__(self, views: dict[str, CexView], ex: SimExchange, now: Callable[[], int]) -> None:
        self.views = views
        self.ex = ex
        self._now = now
        self.cross_seq = itertools.count(7_000_000_000, 3)

    def channels(self, ev: CexEvent) -> list[str]:
        if isinstance(ev, CexBookDelta):
            return [f"orderbook.{d}.{ev.symbol}" for d in _BOOK_DEPTHS]
        if isinstance(ev, CexTradeEv):
            return [f"publicTrade.{ev.symbol}"]
        return [f"orderbook.1.{ev.symbol}", f"tickers.{ev.symbol}"]

    def encode(self, ev: CexEvent, channel: str) -> str:
        spec = self.views[ev.symbol].spec
        msg: dict[str, Any]
        if isinstance(ev, CexBookDelta):
            data = {
                "s": ev.symbol,
                "b": _levels(spec, ev.bids),
                "a": _levels(spec, ev.asks),
                "u": ev.last,
                "seq": next(self.cross_seq),
            }
            msg = {"topic": channel, "type": "delta", "ts": ev.t, "data": data, "cts": ev.t}
        elif isinstance(ev, CexTradeEv):
            msg = {"topic": channel, "type": "snapshot", "ts": ev.t, "data": [_trade(ev, spec)]}
        elif channel.startswith("orderbook."):
            top = {
                "s": ev.symbol,
                "b": _levels(spec, [(ev.bid, ev.bid_size)]),
                "a": _levels(spec, [(ev.ask, ev.ask_size)]),
                "u": ev.t // 100,
                "seq": next(self.cross_seq),
            }
            msg = {"topic": channel, "type": "snapshot", "ts": ev.t, "data": top, "cts": ev.t}
        else:
            full = ticker_json(self.views[ev.symbol], self.ex, self._now())
            ticker = {k: v for k, v in full.items() if k in _TICKER_KEYS}
            msg = {"topic": channel, "ts": ev.t, "type": "snapshot", "data": ticker}
            msg["cs"] = next(self.cross_seq)
        return _dumps(msg).decode()

    def malformed(self, variant: str, ev: CexEvent, channel: str) -> str:
        if variant == "bad_json":
            return '{"topic":"' + channel + '","type":"delta","data":{"b":[["1.0"'
        if variant == "wrong_types":
            bad = {"s": 42, "b": [["abc", None]], "a": "x", "u": "?"}
            return _dumps(
                {"topic": channel, "type": "delta", "ts": "yesterday", "data": bad}
            ).decode()
        if variant == "missing_fields":
            return _dumps({"topic": channel, "type": "delta"}).decode()
        return "\udcff not utf-8 \x00".encode("utf-8", "surrogateescape").decode("latin-1")


def _trade(ev: CexTradeEv, spec: CexMarketSpec) -> dict[str, Any]:
    return {
        "i": str(ev.trade_id),
        "T": ev.t,
        "p": spec.fmt_price(ev.price),
        "v": spec.fmt_qty(ev.size),
        "S": "Buy" if ev.side == "buy" else "Sell",
        "s": ev.symbol,
        "BT": False,
        "RPI": False,
        "seq": ev.trade_id,
    }


# --- REST bodies -----------------------------------------------------------------------------


def instrument_json(spec: CexMarketSpec) -> dict[str, Any]:
    """One spot entry of ``/v5/market/instruments-info``."""
    return {
        "symbol": spec.venue_symbol,
        "baseCoin": spec.base,
        "quoteCoin": spec.quote,
        "innovation": "0",
        "status": "Trading",
        "marginTrading": "none",
        "stTag": "0",
        "lotSizeFilter": {
            "basePrecision": spec.fmt_qty(spec.step),
            "quotePrecision": "0.00000001",
            "minOrderQty": spec.fmt_qty(spec.min_qty),
            "maxOrderQty": "100000000000",
            "minOrderAmt": f"{spec.min_cost:g}",
            "maxOrderAmt": "2000000",
        },
        "priceFilter": {"tickSize": spec.fmt_price(spec.tick)},
        "riskParameters": {"priceLimitRatioX": "0.05", "priceLimitRatioY": "0.1"},
    }


def ticker_json(view: CexView, ex: SimExchange, now: int) -> dict[str, Any]:
    """``/v5/market/tickers`` for one spot symbol, summed from the last day's buckets."""
    spec = view.spec
    day = view.buckets.window(now, 1440)
    bid, bq, ask, aq = ex.books[spec.venue_symbol].best()
    last = view.trades[-1].price if view.trades else (bid + ask) / 2
    prev = day[0].o if day else last
    return {
        "symbol": spec.venue_symbol,
        "bid1Price": spec.fmt_price(bid),
        "bid1Size": spec.fmt_qty(bq),
        "ask1Price": spec.fmt_price(ask),
        "ask1Size": spec.fmt_qty(aq),
        "lastPrice": spec.fmt_price(last),
        "prevPrice24h": spec.fmt_price(prev),
        "price24hPcnt": f"{last / prev - 1:.4f}",
        "highPrice24h": spec.fmt_price(max([b.h for b in day], default=last)),
        "lowPrice24h": spec.fmt_price(min([b.l for b in day], default=last)),
        "turnover24h": f"{sum(b.v_quote for b in day):.4f}",
        "volume24h": spec.fmt_qty(sum(b.v_base for b in day)),
        "usdIndexPrice": spec.fmt_price(last),
    }


def order_json(o: SimOrder, spec: CexMarketSpec) -> dict[str, Any]:
    """An order as ``/v5/order/realtime`` and ``/v5/order/history`` show it."""
    return {
        "orderId": o.id,
        "orderLinkId": o.client_id,
        "symbol": o.symbol,
        "price": spec.fmt_price(o.price or 0.0),
        "qty": spec.fmt_qty(o.qty) if o.qty else f"{o.quote_qty or 0:.8f}",
        "side": "Buy" if o.side == "buy" else "Sell",
        "isLeverage": "0",
        "positionIdx": 0,
        "orderStatus": _STATUS[o.status],
        "cancelType": "UNKNOWN",
        "rejectReason": "EC_NoError",
        "avgPrice": f"{o.avg_price:.10g}" if o.avg_price else "",
        "leavesQty": spec.fmt_qty(max(0.0, o.qty - o.executed)) if o.is_open else "0",
        "leavesValue": "0",
        "cumExecQty": spec.fmt_qty(o.executed),
        "cumExecValue": f"{o.cum_quote:.8f}",
        "cumExecFee": f"{o.fee:.8f}",
        "timeInForce": o.tif,
        "orderType": "Limit" if o.type == "limit" else "Market",
        "stopOrderType": "",
        "triggerPrice": "0",
        "createdTime": str(o.time),
        "updatedTime": str(o.update_time),
    }


def execution_json(o: SimOrder, f: SimFill, spec: CexMarketSpec, fee_rate: float) -> dict[str, Any]:
    """One fill as ``/v5/execution/list`` shows it."""
    return {
        "symbol": o.symbol,
        "orderId": o.id,
        "orderLinkId": o.client_id,
        "side": "Buy" if o.side == "buy" else "Sell",
        "orderPrice": spec.fmt_price(o.price or 0),
        "orderQty": spec.fmt_qty(o.qty),
        "orderType": "Limit" if o.type == "limit" else "Market",
        "execFee": f"{f.fee:.8f}",
        "execId": f.trade_id,
        "execPrice": spec.fmt_price(f.price),
        "execQty": spec.fmt_qty(f.qty),
        "execType": "Trade",
        "execValue": f"{f.price * f.qty:.8f}",
        "execTime": str(f.time),
        "isMaker": f.maker,
        "feeRate": f"{fee_rate:g}",
    }


def wallet_coins(acct: Account) -> list[dict[str, Any]]:
    """The ``coin`` list of ``/v5/account/wallet-balance`` (unified account)."""
    zero = [
        "usdValue",
        "borrowAmount",
        "accruedInterest",
        "totalOrderIM",
        "totalPositionIM",
        "totalPositionMM",
        "unrealisedPnl",
        "cumRealisedPnl",
        "bonus",
        "spotBorrow",
        "spotHedgingQty",
    ]
    coins = []
    for c in sorted(set(acct.free) | set(acct.locked)):
        free, locked = acct.free.get(c, 0.0), acct.locked.get(c, 0.0)
        total = free + locked
        coin: dict[str, Any] = {
            "coin": c,
            "equity": f"{total:.8f}",
            "walletBalance": f"{total:.8f}",
            "locked": f"{locked:.8f}",
            "availableToWithdraw": f"{free:.8f}",
            "collateralSwitch": True,
            "marginCollateral": True,
        }
        coin.update(dict.fromkeys(zero, "0"))
        coins.append(coin)
    return coins
