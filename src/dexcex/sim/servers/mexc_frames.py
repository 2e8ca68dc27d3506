"""MEXC protobuf push frames (``PushDataV3ApiWrapper``), built from plain values.

Uses the generated classes ccxt ships (the same ones ``ccxt.pro.mexc`` decodes with), so
a frame built here is, byte for byte, what MEXC sends (see the test vector in
``shared/protocols/mexc.md``).
"""

from __future__ import annotations

from ccxt.protobuf.mexc import PushDataV3ApiWrapper_pb2 as pb

__all__ = ["BOOK_TICKER", "DEALS", "DEPTH", "book_ticker_frame", "deals_frame", "depth_frame"]

DEALS = "spot@public.aggre.deals.v3.api.pb"
DEPTH = "spot@public.aggre.depth.v3.api.pb"
BOOK_TICKER = "spot@public.aggre.bookTicker.v3.api.pb"

Deal = tuple[str, str, int, int]  # price, quantity, tradeType (1 buy, 2 sell), time ms


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
