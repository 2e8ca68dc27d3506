"""Birdeye wire shapes, built from simulator state: websocket ``TXS_DATA`` /
``PRICE_DATA`` frames, REST items (transactions, prices), and the error answer.

A swap has two legs, ``from`` (what the owner paid, negative change) and ``to`` (what
the owner received); amounts are raw integers consistent with ``decimals`` and UI
floats; timestamps are seconds.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import msgspec
from aiohttp import web

from dexcex.sim.market.events import DexSwapEv
from dexcex.sim.servers.common import json_response
from dexcex.sim.state import QUOTE_TOKENS, PoolView

__all__ = ["err", "malformed", "price_frame", "price_obj", "tx_item", "txs_frame"]

_dumps = msgspec.json.Encoder().encode


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def err(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return json_response({"success": False, "message": message}, status=status, headers=headers)


def side_item(ev: DexSwapEv, view: PoolView, give: bool) -> dict[str, Any]:
    """One leg of a swap: ``give`` is what the owner paid (negative change)."""
    quote_addr, quote_dec = QUOTE_TOKENS.get((ev.chain, view.pool.quote_symbol), ("", 9))
    if (ev.side == "sell") == give:  # the token leg
        sym, addr, dec = view.symbol, view.pool.token, view.decimals
        ui, price = ev.base_amount, ev.price_usd
    else:
        sym, addr, dec = view.pool.quote_symbol, quote_addr, quote_dec
        ui, price = ev.quote_amount, view.pool.quote_usd
    raw = round(ui * 10**dec)
    sign = -1 if give else 1
    return {
        "symbol": sym,
        "decimals": dec,
        "address": addr,
        "amount": raw,
        "uiAmount": ui,
        "price": price,
        "nearestPrice": price,
        "changeAmount": sign * raw,
        "uiChangeAmount": sign * ui,
        "isScaledUiToken": False,
        "multiplier": None,
        "type": "transfer",
        "typeSwap": "from" if give else "to",
    }


def tx_parts(ev: DexSwapEv, multi_swap: bool) -> list[DexSwapEv]:
    """The swaps Birdeye reports for one simulated swap. With ``multi_swap`` every third
    transaction is a split route: two swaps (60 % and 40 %) under one ``txHash``, as
    aggregators send them — a client keying swaps by transaction loses the second."""
    if not multi_swap or int(hashlib.blake2b(ev.tx.encode(), digest_size=2).hexdigest(), 16) % 3:
        return [ev]
    return [
        msgspec.structs.replace(
            ev, base_amount=ev.base_amount * f, quote_amount=ev.quote_amount * f, usd=ev.usd * f
        )
        for f in (0.6, 0.4)
    ]


def tx_item(ev: DexSwapEv, view: PoolView, *, pair: bool) -> dict[str, Any]:
    """One item of ``/defi/txs/token`` (``pair=False``) or ``/defi/txs/pair``."""
    frm, to = side_item(ev, view, True), side_item(ev, view, False)
    item: dict[str, Any] = {
        "txHash": ev.tx,
        "source": ev.dex,
        "blockUnixTime": ev.t // 1000,
        "txType": "swap",
        "owner": ev.owner,
        "from": frm,
        "to": to,
    }
    if pair:
        item["address"] = ev.pool
        return item
    token, quote = (to, frm) if ev.side == "buy" else (frm, to)
    item.update(
        {
            "quote": token,
            "base": quote,
            "basePrice": quote["price"],
            "quotePrice": token["price"],
            "side": ev.side,
            "alias": None,
            "pricePair": ev.price_native,
            "tokenPrice": ev.price_usd,
            "poolId": ev.pool,
        }
    )
    return item


def price_obj(views: list[PoolView], with_liq: bool, now: int) -> dict[str, Any]:
    """A token's price as ``/defi/price`` and ``/defi/multi_price`` give it."""
    main = views[0]
    past = main.buckets.price_at(now - 86_400_000) or main.pool.price_usd
    out: dict[str, Any] = {
        "isScaledUiToken": False,
        "value": main.pool.price_usd,
        "updateUnixTime": (main.last_trade_ms or now) // 1000,
        "updateHumanTime": iso(main.last_trade_ms or now),
        "priceChange24h": (main.pool.price_usd / past - 1) * 100,
        "priceInNative": main.pool.price_native,
    }
    if with_liq:
        out["liquidity"] = sum(v.pool.liquidity_usd for v in views)
    return out


def txs_frame(ev: DexSwapEv, view: PoolView, *, pair: bool, simple: bool) -> str:
    """A ``TXS_DATA`` push; simple token subscriptions say ``side`` relative to the token,
    complex ones say ``"swap"``."""
    frm, to = side_item(ev, view, True), side_item(ev, view, False)
    frm["feeInfo"] = to["feeInfo"] = None
    data: dict[str, Any] = {
        "blockUnixTime": ev.t // 1000,
        "owner": ev.owner,
        "source": ev.dex,
        "txHash": ev.tx,
        "alias": None,
        "isTradeOnBe": False,
        "platform": ev.dex,
        "volumeUSD": ev.usd,
        "from": frm,
        "to": to,
        "network": ev.chain,
        "poolId": ev.pool,
        "priceMark": True,
        "tokenPrice": ev.price_usd,
    }
    if not simple:
        data["side"] = "swap"
    elif not pair:
        data.update({"side": ev.side, "tokenAddress": ev.token, "pricePair": ev.price_native})
    return _dumps({"type": "TXS_DATA", "data": data}).decode()


def price_frame(view: PoolView, addr: str) -> str:
    """A ``PRICE_DATA`` push: the current 1-minute candle of the pool."""
    b = view.buckets.buckets[-1]
    data = {
        "o": b.o,
        "h": b.h,
        "l": b.l,
        "c": b.c,
        "eventType": "ohlcv",
        "type": "1m",
        "unixTime": b.minute * 60,
        "v": b.v_base,
        "symbol": view.symbol,
        "address": addr,
    }
    return _dumps({"type": "PRICE_DATA", "data": data}).decode()


def malformed(variant: str) -> str:
    if variant == "bad_json":
        return '{"type":"TXS_DATA","data":{"blockUnixTime":'
    if variant == "wrong_types":
        data = {"blockUnixTime": "soon", "side": 3, "volumeUSD": "lots", "from": [], "to": None}
        return _dumps({"type": "TXS_DATA", "data": data}).decode()
    if variant == "missing_fields":
        return _dumps({"type": "TXS_DATA", "data": {"owner": "x"}}).decode()
    return '{"type":"TXS_DATA","data":{"blockUnixTime":1,"volumeUSD":NaN}}'
