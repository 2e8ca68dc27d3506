"""ccxt's unified structures (order book, trade, order, balance, market) → domain values.

Both venues go through ccxt, so one set of conversions serves both; what differs per
venue (raw wire validation, sequence rules) lives in each venue's ``parse.py``. Every
function either returns a domain value or raises ``InvalidInput`` with the reason.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Any

from dexcex.domain import (
    BookLevel,
    CexTrade,
    InvalidInput,
    Order,
    OrderBook,
    OrderStatus,
    OrderType,
    Side,
    TradingMode,
    VenueId,
)
from dexcex.domain.errors import DomainValidationError
from dexcex.venues.base import Balance, MarketRules

__all__ = [
    "balances_from_ccxt",
    "book_from_ccxt",
    "dec",
    "order_from_ccxt",
    "rules_from_ccxt",
    "trade_from_ccxt",
]


def dec(value: Any, what: str) -> Decimal:
    """A finite Decimal from a ccxt number or string (via ``str``, never float maths)."""
    if value is None or isinstance(value, bool):
        raise InvalidInput(f"{what}: missing")
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"{what}: not a number: {value!r}") from None
    if not d.is_finite():
        raise InvalidInput(f"{what}: not finite: {value!r}")
    return d


def _num(value: Any, what: str) -> float:
    if value is None or isinstance(value, bool):
        raise InvalidInput(f"{what}: missing")
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{what}: not a number: {value!r}") from None
    if not math.isfinite(f):
        raise InvalidInput(f"{what}: not finite: {value!r}")
    return f


def book_from_ccxt(
    ob: Any, venue: VenueId, symbol: str, sequence: int, ts_recv: int, depth: int = 50
) -> OrderBook:
    if not isinstance(ob, dict):
        raise InvalidInput(f"{venue} book {symbol}: not an object")
    try:
        bids = tuple(
            BookLevel(_num(p, "bid"), _num(q, "bid size")) for p, q, *_ in ob["bids"][:depth]
        )
        asks = tuple(
            BookLevel(_num(p, "ask"), _num(q, "ask size")) for p, q, *_ in ob["asks"][:depth]
        )
        ts = ob.get("timestamp") or ts_recv
        return OrderBook(venue, symbol, bids, asks, sequence, int(ts), ts_recv)
    except (KeyError, TypeError, ValueError, OverflowError, DomainValidationError) as exc:
        raise InvalidInput(f"{venue} book {symbol}: {exc}") from None


def trade_from_ccxt(t: Any, venue: VenueId, ts_recv: int) -> CexTrade:
    """A public trade. MEXC's websocket deals carry no id: one is derived from what is
    there (time, price, size, side), which is also what makes a duplicate recognisable."""
    if not isinstance(t, dict):
        raise InvalidInput(f"{venue} trade: not an object")
    side = t.get("side")
    if side not in ("buy", "sell"):
        raise InvalidInput(f"{venue} trade: side {side!r}")
    price, size = _num(t.get("price"), "price"), _num(t.get("amount"), "amount")
    ts = t.get("timestamp")
    if not isinstance(ts, int):
        raise InvalidInput(f"{venue} trade: timestamp {ts!r}")
    tid = t.get("id") or f"{ts}-{t['price']}-{t['amount']}-{side}"
    try:
        return CexTrade(venue, str(t.get("symbol")), str(tid), Side(side), price, size, ts, ts_recv)
    except DomainValidationError as exc:
        raise InvalidInput(f"{venue} trade: {exc}") from None


_CCXT_STATUS = {
    "open": OrderStatus.OPEN,
    "closed": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELED,
    "cancelled": OrderStatus.CANCELED,
    "expired": OrderStatus.EXPIRED,
    "rejected": OrderStatus.REJECTED,
}


def order_from_ccxt(
    o: Any,
    venue: VenueId,
    *,
    mode: TradingMode,
    fallback: Order | None = None,
    ts_now: int,
) -> Order:
    """A venue order as we know it. ``fallback`` (what we sent) fills what a terse create
    answer leaves out (MEXC's POST /order returns neither status nor client id)."""
    if not isinstance(o, dict):
        raise InvalidInput(f"{venue} order: not an object")
    cid = o.get("clientOrderId") or (fallback.client_order_id if fallback else None)
    if not cid:
        raise InvalidInput(f"{venue} order {o.get('id')}: no client order id")
    amount = o.get("amount")
    qty = dec(amount, "amount") if amount else (fallback.qty if fallback else None)
    if qty is None or qty <= 0:
        raise InvalidInput(f"{venue} order {cid}: no quantity")
    filled = dec(o["filled"], "filled") if o.get("filled") is not None else Decimal(0)
    status = _CCXT_STATUS.get(str(o.get("status")))
    if status is None:
        status = fallback.status if fallback is not None else OrderStatus.OPEN
    if status is OrderStatus.OPEN and filled > 0:
        status = OrderStatus.PARTIALLY_FILLED
    if status is OrderStatus.FILLED and filled < qty:
        qty = filled if filled > 0 else qty  # venues report market-by-cost orders this way
    price = o.get("price")
    avg = o.get("average")
    fee = o.get("fee")
    fee_cost = fee.get("cost") if isinstance(fee, dict) else None
    side = str(o.get("side") or (fallback.side.value if fallback else ""))
    otype = str(o.get("type") or (fallback.type.value if fallback else ""))
    try:
        return Order(
            client_order_id=str(cid),
            venue=venue,
            symbol=str(o.get("symbol") or (fallback.symbol if fallback else "")),
            side=Side(side),
            type=OrderType(otype),
            qty=qty,
            price=dec(price, "price") if price else (fallback.price if fallback else None),
            status=status,
            mode=mode,
            ts_created=_ms(o.get("timestamp"), fallback.ts_created if fallback else ts_now),
            signal_id=fallback.signal_id if fallback else None,
            venue_order_id=str(o["id"]) if o.get("id") is not None else None,
            filled_qty=min(filled, qty),
            avg_price=dec(avg, "average") if avg else None,
            fee_quote=dec(fee_cost, "fee") if fee_cost is not None else Decimal(0),
            ts_sent=fallback.ts_sent if fallback else None,
            ts_ack=fallback.ts_ack if fallback else None,
            ts_updated=_ms(o.get("lastUpdateTimestamp") or o.get("timestamp"), ts_now),
        )
    except (ValueError, TypeError, DomainValidationError) as exc:
        raise InvalidInput(f"{venue} order {cid}: {exc}") from None


def _ms(value: Any, default: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return default


def balances_from_ccxt(b: Any) -> dict[str, Balance]:
    if not isinstance(b, dict):
        raise InvalidInput("balance: not an object")
    free, used = b.get("free") or {}, b.get("used") or {}
    out: dict[str, Balance] = {}
    for asset in set(free) | set(used):
        f, u = free.get(asset), used.get(asset)
        out[asset] = Balance(
            asset,
            dec(f, f"{asset} free") if f is not None else Decimal(0),
            dec(u, f"{asset} used") if u is not None else Decimal(0),
        )
    return out


def rules_from_ccxt(m: Any, taker_bps: float, maker_bps: float) -> MarketRules:
    """Trading rules; fees come from our configuration (the account's real schedule)."""
    if not isinstance(m, dict):
        raise InvalidInput("market: not an object")
    prec = m.get("precision") or {}
    limits = m.get("limits") or {}
    tick, step = (
        dec(prec.get("price"), "price precision"),
        dec(prec.get("amount"), "amount precision"),
    )
    min_qty = (limits.get("amount") or {}).get("min")
    min_cost = (limits.get("cost") or {}).get("min")
    return MarketRules(
        symbol=str(m["symbol"]),
        venue_symbol=str(m["id"]),
        base=str(m["base"]),
        quote=str(m["quote"]),
        tick_size=tick,
        qty_step=step,
        min_qty=dec(min_qty, "min amount") if min_qty is not None else step,
        min_notional=dec(min_cost, "min cost") if min_cost is not None else Decimal(0),
        taker_fee=Decimal(str(taker_bps)) / Decimal(10_000),
        maker_fee=Decimal(str(maker_bps)) / Decimal(10_000),
        active=bool(m.get("active", True)),
    )
