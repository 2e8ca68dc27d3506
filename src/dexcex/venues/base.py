"""The one interface every CEX venue implements, and the values it returns."""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol, runtime_checkable

import msgspec

from dexcex.domain import CexTrade, Order, OrderBook, OrderType, Side, SourceHealth, VenueId

__all__ = ["Balance", "BookUpdate", "KeyPermissions", "MarketRules", "Venue"]


class MarketRules(msgspec.Struct, frozen=True):
    """Trading rules of one market: price tick, quantity step, minimums (quote units)."""

    symbol: str
    venue_symbol: str
    base: str
    quote: str
    tick_size: Decimal
    qty_step: Decimal
    min_qty: Decimal
    min_notional: Decimal
    taker_fee: Decimal
    maker_fee: Decimal
    active: bool = True

    def round_qty(self, qty: Decimal) -> Decimal:
        """Round down to the quantity step (never order more than decided)."""
        return (qty / self.qty_step).to_integral_value(rounding="ROUND_DOWN") * self.qty_step

    def round_price(self, price: Decimal, side: Side) -> Decimal:
        """Round a limit price to the tick, never more aggressive than asked."""
        rounding = "ROUND_DOWN" if side is Side.BUY else "ROUND_UP"
        return (price / self.tick_size).to_integral_value(rounding=rounding) * self.tick_size


class BookUpdate(msgspec.Struct, frozen=True):
    """One validated order-book message from a venue stream, before it is applied.

    ``first``..``last`` are the venue's update ids it covers (MEXC fromVersion..toVersion;
    Bybit ``u`` for both); levels are (price, size) with size 0 meaning "remove".
    """

    symbol: str  # the venue's symbol, "WIFUSDT"
    snapshot: bool
    first: int
    last: int
    bids: list[tuple[float, float]]
    asks: list[tuple[float, float]]
    ts: int


class KeyPermissions(msgspec.Struct, frozen=True):
    """What an API key may do, as the venue reports it."""

    trade: bool
    withdraw: bool


class Balance(msgspec.Struct, frozen=True):
    asset: str
    free: Decimal
    locked: Decimal

    @property
    def total(self) -> Decimal:
        return self.free + self.locked


@runtime_checkable
class Venue(Protocol):
    """A CEX venue. Every error raised is a ``DexcexError`` (see ``dexcex.domain.errors``);
    symbols are unified (``WIF/USDT``)."""

    id: VenueId

    async def load_markets(self) -> dict[str, MarketRules]: ...

    async def watch_order_book(self, symbol: str) -> OrderBook:
        """The next state of the local book (waits for the next update)."""
        ...

    async def watch_trades(self, symbol: str) -> list[CexTrade]:
        """Public trades that arrived since the last call (waits for at least one)."""
        ...

    async def fetch_order_book(self, symbol: str, limit: int = 50) -> OrderBook: ...

    async def fetch_balance(self) -> dict[str, Balance]: ...

    async def create_order(
        self,
        client_order_id: str,
        symbol: str,
        side: Side,
        type_: OrderType,
        qty: Decimal,
        price: Decimal | None = None,
        *,
        read_fill: bool = True,
    ) -> Order:
        """Place an order at most once: on a lost answer it looks the order up by its
        client order id before any retry; a retry with the same id never places twice.
        ``read_fill`` off: answered at the venue's acknowledgement, before the fill state
        of a market order is known (the caller follows the order)."""
        ...

    async def fetch_order_by_client_id(self, client_order_id: str, symbol: str) -> Order | None: ...

    async def cancel_order(self, client_order_id: str, symbol: str) -> Order: ...

    def health(self) -> SourceHealth: ...

    async def close(self) -> None: ...
