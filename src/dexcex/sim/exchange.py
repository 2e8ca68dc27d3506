"""Accounts and order matching on the simulated venues.

Orders match against the simulated book: a market order (or the marketable part of a
limit order) walks the levels from the touch and fills level by level — partially when
depth runs out — paying the taker fee; the rest of a limit order rests and fills, as
maker, when the book moves through its price. Our orders do not move the simulated
market (they are small next to it). Fees are charged in the quote currency.

Client order ids are unique per account and venue: a second order with the same id is
refused, which is what makes a client's "query before retry" safe.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from dexcex.sim.market.book import SimBook
from dexcex.sim.market.specs import CexMarketSpec

__all__ = ["Account", "SimExchange", "SimFill", "SimOrder", "SimReject"]

# Taker, maker fee rates of the simulated venues (the venues' published spot schedules).
FEES = {"mexc": (0.0005, 0.0), "bybit": (0.001, 0.001)}
_EPS = 1e-12


class SimReject(Exception):
    """An order request the venue refuses; ``reason`` maps to each venue's error code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(slots=True)
class SimFill:
    trade_id: str
    price: float
    qty: float
    fee: float
    maker: bool
    time: int


@dataclass(slots=True)
class SimOrder:
    id: str
    client_id: str
    venue: str
    account: str
    symbol: str  # venue symbol, "WIFUSDT"
    side: str  # "buy" | "sell"
    type: str  # "market" | "limit"
    qty: float  # base quantity (0 for a market buy by quote amount)
    price: float | None
    quote_qty: float | None  # market buy by quote amount
    tif: str
    time: int
    status: str = (
        "new"  # new | partially_filled | filled | canceled | partially_canceled | rejected
    )
    executed: float = 0.0
    cum_quote: float = 0.0
    fee: float = 0.0
    update_time: int = 0
    fills: list[SimFill] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.status in ("new", "partially_filled")

    @property
    def avg_price(self) -> float | None:
        return self.cum_quote / self.executed if self.executed > 0 else None


@dataclass(slots=True)
class Account:
    api_key: str
    api_secret: str
    free: dict[str, float]
    locked: dict[str, float] = field(default_factory=dict)
    permissions: frozenset[str] = frozenset({"read", "trade"})

    def available(self, asset: str) -> float:
        return self.free.get(asset, 0.0)

    def move(self, asset: str, delta: float) -> None:
        self.free[asset] = self.free.get(asset, 0.0) + delta


class SimExchange:
    """Orders of every account on one venue."""

    def __init__(
        self,
        venue: str,
        accounts: list[Account],
        books: dict[str, SimBook],
        specs: dict[str, CexMarketSpec],
        clock: Callable[[], int],
    ) -> None:
        self.venue = venue
        self.accounts = {a.api_key: a for a in accounts}
        self.books = books  # by venue symbol
        self.specs = specs
        self._clock = clock
        self._ids = itertools.count(1)
        self._trade_ids = itertools.count(1)
        self.orders: dict[str, SimOrder] = {}
        self._by_client: dict[tuple[str, str], SimOrder] = {}
        self._resting: dict[str, list[SimOrder]] = {}
        self.taker_fee, self.maker_fee = FEES.get(venue, (0.001, 0.001))

    # --- requests ---------------------------------------------------------------------------

    def place(
        self,
        api_key: str,
        symbol: str,
        side: str,
        type_: str,
        qty: float | None,
        price: float | None,
        quote_qty: float | None,
        client_id: str | None,
        tif: str = "GTC",
    ) -> SimOrder:
        acct = self.accounts[api_key]
        spec = self._validate(api_key, symbol, side, type_, qty, price, quote_qty, client_id)
        book = self.books[symbol]
        ref = price if price else (book.best()[2] if side == "buy" else book.best()[0])
        notional = quote_qty if quote_qty else (qty or 0.0) * ref
        if notional + _EPS < spec.min_cost:
            raise SimReject("min_cost", f"order value below minimum {spec.min_cost}")
        if side == "buy" and acct.available(spec.quote) < notional * (1 + self.taker_fee) - _EPS:
            raise SimReject("insufficient", f"insufficient {spec.quote} balance")
        if side == "sell" and acct.available(spec.base) < (qty or 0.0) - _EPS:
            raise SimReject("insufficient", f"insufficient {spec.base} balance")
        now = self._clock()
        order = SimOrder(
            id=f"C02__{next(self._ids):018d}",
            client_id=client_id or "",
            venue=self.venue,
            account=api_key,
            symbol=symbol,
            side=side,
            type=type_,
            qty=qty or 0.0,
            price=price,
            quote_qty=quote_qty if type_ == "market" else None,
            tif=tif,
            time=now,
            update_time=now,
        )
        self.orders[order.id] = order
        if client_id:
            self._by_client[(api_key, client_id)] = order
        self._take(order, acct, spec, book)
        if order.type == "limit" and order.is_open:
            if tif in ("IOC", "FOK"):
                self._close(order, acct, spec)
            else:
                self._lock(order, acct, spec)
                self._resting.setdefault(symbol, []).append(order)
        elif order.type == "market" and order.is_open:
            self._close(order, acct, spec)  # depth ran out: the rest is canceled
        return order

    def _validate(
        self,
        api_key: str,
        symbol: str,
        side: str,
        type_: str,
        qty: float | None,
        price: float | None,
        quote_qty: float | None,
        client_id: str | None,
    ) -> CexMarketSpec:
        spec = self.specs.get(symbol)
        if spec is None:
            raise SimReject("bad_symbol", f"invalid symbol {symbol}")
        if client_id and (api_key, client_id) in self._by_client:
            raise SimReject("duplicate_client_id", f"duplicate client order id {client_id}")
        if side not in ("buy", "sell") or type_ not in ("market", "limit"):
            raise SimReject("bad_param", "side/type invalid")
        if type_ == "limit" and (price is None or price <= 0 or not qty or qty <= 0):
            raise SimReject("bad_param", "limit order needs quantity and price")
        if type_ == "market" and not ((qty and qty > 0) or (quote_qty and quote_qty > 0)):
            raise SimReject("bad_param", "market order needs quantity or quote amount")
        if qty is not None and qty > 0 and qty + _EPS < spec.min_qty:
            raise SimReject("min_qty", f"quantity below minimum {spec.min_qty}")
        return spec

    def get(
        self,
        api_key: str,
        order_id: str | None,
        client_id: str | None,
        *,
        order_id_first: bool = False,
    ) -> SimOrder | None:
        """One order of ``api_key``; with ``order_id_first`` (Bybit) an order id given
        wins over the client id, as on the venue."""
        if client_id and not (order_id_first and order_id):
            o = self._by_client.get((api_key, client_id))
        else:
            o = self.orders.get(order_id or "")
        return o if o and o.account == api_key else None

    def cancel(self, api_key: str, order_id: str | None, client_id: str | None) -> SimOrder:
        o = self.get(api_key, order_id, client_id)
        if o is None:
            raise SimReject("unknown_order", "order does not exist")
        if not o.is_open:
            raise SimReject("not_open", f"order is {o.status}")
        acct = self.accounts[api_key]
        self._unlock(o, acct, self.specs[o.symbol])
        o.status = "partially_canceled" if o.executed > 0 else "canceled"
        o.update_time = self._clock()
        return o

    def open_orders(self, api_key: str, symbol: str | None = None) -> list[SimOrder]:
        return [
            o
            for o in self.orders.values()
            if o.account == api_key and o.is_open and (symbol is None or o.symbol == symbol)
        ]

    def my_trades(self, api_key: str, symbol: str) -> list[tuple[SimOrder, SimFill]]:
        return [
            (o, f)
            for o in self.orders.values()
            if o.account == api_key and o.symbol == symbol
            for f in o.fills
        ]

    # --- matching ---------------------------------------------------------------------------

    def _take(self, o: SimOrder, acct: Account, spec: CexMarketSpec, book: SimBook) -> None:
        """Fill what is marketable now, walking the book from the touch."""
        bids, asks = book.snapshot(book.levels)
        levels = asks if o.side == "buy" else bids
        remaining = o.qty - o.executed if o.qty else None
        budget = o.quote_qty
        for px, size in levels:
            if o.price is not None and (px > o.price if o.side == "buy" else px < o.price):
                break
            if remaining is not None:
                take = min(size, remaining)
            else:
                assert budget is not None
                take = min(size, round((budget - o.cum_quote) / px, spec.amount_dp))
            if take <= _EPS:
                break
            self._fill(o, acct, spec, px, take, maker=False)
            if remaining is not None:
                remaining -= take
                if remaining <= _EPS:
                    break
            elif budget is not None and budget - o.cum_quote < px * spec.step:
                break

    def _fill(
        self, o: SimOrder, acct: Account, spec: CexMarketSpec, px: float, qty: float, maker: bool
    ) -> None:
        now = self._clock()
        quote = px * qty
        fee = quote * (self.maker_fee if maker else self.taker_fee)
        if o.side == "buy":
            acct.move(spec.quote, -(quote + fee))
            acct.move(spec.base, qty)
        else:
            acct.move(spec.base, -qty)
            acct.move(spec.quote, quote - fee)
        o.executed += qty
        o.cum_quote += quote
        o.fee += fee
        o.update_time = now
        o.fills.append(SimFill(f"T{next(self._trade_ids):012d}", px, qty, fee, maker, now))
        full = o.qty and o.executed >= o.qty - _EPS
        budget_done = o.quote_qty and o.quote_qty - o.cum_quote < px * spec.step
        o.status = "filled" if (full or budget_done) else "partially_filled"

    def _lock(self, o: SimOrder, acct: Account, spec: CexMarketSpec) -> None:
        rest = o.qty - o.executed
        if o.side == "buy":
            amount = rest * (o.price or 0.0) * (1 + self.maker_fee)
            acct.move(spec.quote, -amount)
            acct.locked[spec.quote] = acct.locked.get(spec.quote, 0.0) + amount
        else:
            acct.move(spec.base, -rest)
            acct.locked[spec.base] = acct.locked.get(spec.base, 0.0) + rest

    def _unlock(self, o: SimOrder, acct: Account, spec: CexMarketSpec) -> None:
        rest = o.qty - o.executed
        if o.side == "buy":
            amount = rest * (o.price or 0.0) * (1 + self.maker_fee)
            acct.locked[spec.quote] = acct.locked.get(spec.quote, 0.0) - amount
            acct.move(spec.quote, amount)
        else:
            acct.locked[spec.base] = acct.locked.get(spec.base, 0.0) - rest
            acct.move(spec.base, rest)

    def _close(self, o: SimOrder, acct: Account, spec: CexMarketSpec) -> None:
        o.status = "partially_canceled" if o.executed > 0 else "canceled"

    def on_book(self, symbol: str) -> None:
        """Fill resting limit orders the book has moved through (as maker, at their price)."""
        book = self.books[symbol]
        if book.top_bid is None:
            return
        resting = self._resting.get(symbol)
        if not resting:
            return
        bid, _, ask, _ = book.best()
        for o in list(resting):
            if not o.is_open or o.price is None:
                resting.remove(o)
                continue
            if (o.side == "buy" and ask <= o.price) or (o.side == "sell" and bid >= o.price):
                acct = self.accounts[o.account]
                spec = self.specs[symbol]
                self._unlock(o, acct, spec)
                self._fill(o, acct, spec, o.price, o.qty - o.executed, maker=True)
