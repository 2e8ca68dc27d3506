"""Market data events: what the DEX sources and CEX venues observe.

Units and conventions (converted once, at the edge in ``sources/`` and ``venues/``):

- times are integer milliseconds UTC; every event has ``ts_event`` (the source's own
  timestamp) and ``ts_recv`` (our local receive time);
- prices and sizes of *observed* market data are ``float`` (IEEE double): the analytics
  are numeric and hot. Money we own — orders, fills, balances — is ``Decimal``
  (see ``dexcex.domain.orders``);
- ``side`` is always the taker (aggressor) side of the *base* token: ``BUY`` means
  someone paid quote to get the base token.
"""

from __future__ import annotations

import math
from typing import Self

import msgspec

from dexcex.domain._checks import (
    check_finite,
    check_non_negative,
    check_positive,
    check_text,
    check_time,
)
from dexcex.domain.enums import Chain, Side, VenueId
from dexcex.domain.errors import DomainValidationError

_INF = math.inf

__all__ = [
    "BookLevel",
    "CexTrade",
    "DexFlowDelta",
    "DexPrice",
    "DexSwap",
    "MarketEvent",
    "OrderBook",
    "PoolLiquidity",
]


class DexSwap(msgspec.Struct, frozen=True, gc=False, tag="dex_swap"):
    """One swap in a DEX pool, as the taker saw it.

    ``base_amount`` and ``quote_amount`` are UI units (decimals applied), both > 0;
    ``price_native`` is quote per base, ``price_usd`` the base token's USD price,
    ``usd_value`` the swap's notional in USD.
    """

    asset_id: str
    chain: Chain
    dex: str
    pool: str
    tx_id: str
    trader: str | None
    side: Side
    base_amount: float
    quote_amount: float
    usd_value: float
    price_native: float
    price_usd: float
    ts_event: int
    ts_recv: int
    source: str = "birdeye"

    def __post_init__(self) -> None:
        o = "DexSwap"
        check_text(o, "asset_id", self.asset_id)
        check_text(o, "pool", self.pool)
        check_text(o, "tx_id", self.tx_id)
        check_positive(o, "base_amount", self.base_amount)
        check_positive(o, "quote_amount", self.quote_amount)
        check_non_negative(o, "usd_value", self.usd_value)
        check_positive(o, "price_native", self.price_native)
        check_positive(o, "price_usd", self.price_usd)
        check_time(o, "ts_event", self.ts_event)
        check_time(o, "ts_recv", self.ts_recv)


class DexPrice(msgspec.Struct, frozen=True, gc=False, tag="dex_price"):
    """A DEX price observation of one token (USD per token)."""

    asset_id: str
    chain: Chain
    token: str
    price_usd: float
    ts_event: int
    ts_recv: int
    source: str = "birdeye"

    def __post_init__(self) -> None:
        check_text("DexPrice", "asset_id", self.asset_id)
        check_positive("DexPrice", "price_usd", self.price_usd)
        check_time("DexPrice", "ts_event", self.ts_event)
        check_time("DexPrice", "ts_recv", self.ts_recv)


class PoolLiquidity(msgspec.Struct, frozen=True, gc=False, tag="pool_liquidity"):
    """Liquidity of one pool: total USD value and the reserves in UI units.

    Reserves are ``None`` when the source only reports the USD figure.
    """

    asset_id: str
    chain: Chain
    dex: str
    pool: str
    liquidity_usd: float
    base_reserve: float | None
    quote_reserve: float | None
    ts_event: int
    ts_recv: int
    source: str = "birdeye"
    pool_created_ms: int | None = None

    def __post_init__(self) -> None:
        o = "PoolLiquidity"
        check_text(o, "asset_id", self.asset_id)
        check_text(o, "pool", self.pool)
        check_non_negative(o, "liquidity_usd", self.liquidity_usd)
        if self.base_reserve is not None:
            check_non_negative(o, "base_reserve", self.base_reserve)
        if self.quote_reserve is not None:
            check_non_negative(o, "quote_reserve", self.quote_reserve)
        check_time(o, "ts_event", self.ts_event)
        check_time(o, "ts_recv", self.ts_recv)


class DexFlowDelta(msgspec.Struct, frozen=True, gc=False, tag="dex_flow_delta"):
    """Order flow between two polls of a rolling-aggregate source (DexScreener).

    DexScreener reports rolling windows (m5/h1/h6/h24) of buy/sell counts and USD volume,
    not individual swaps. Differencing two consecutive polls of the 5-minute window gives
    ``buys``/``sells`` that *entered* minus those that *left* the window, so values may be
    negative; over ``interval_ms`` this is a coarse (poll-interval, typically 5–15 s)
    view of the flow, never a per-trade one. ``buy_share`` is the fraction of the
    window's transactions that were buys (0..1), which is what the analytics use.
    """

    asset_id: str
    chain: Chain
    dex: str
    pool: str
    interval_ms: int
    buys: int
    sells: int
    volume_usd: float
    window_buys: int
    window_sells: int
    window_volume_usd: float
    price_usd: float | None
    ts_event: int
    ts_recv: int
    source: str = "dexscreener"

    def __post_init__(self) -> None:
        o = "DexFlowDelta"
        check_text(o, "pool", self.pool)
        if self.interval_ms <= 0:
            raise DomainValidationError(f"{o}.interval_ms={self.interval_ms!r}: must be > 0")
        check_finite(o, "volume_usd", self.volume_usd)
        check_non_negative(o, "window_volume_usd", self.window_volume_usd)
        if self.window_buys < 0 or self.window_sells < 0:
            raise DomainValidationError(f"{o}: window counts must be >= 0")
        if self.price_usd is not None:
            check_positive(o, "price_usd", self.price_usd)
        check_time(o, "ts_event", self.ts_event)
        check_time(o, "ts_recv", self.ts_recv)

    @property
    def buy_share(self) -> float:
        total = self.window_buys + self.window_sells
        return self.window_buys / total if total else 0.5


class CexTrade(msgspec.Struct, frozen=True, gc=False, tag="cex_trade"):
    """One public trade on a CEX market; ``side`` is the taker side."""

    venue: VenueId
    symbol: str
    trade_id: str
    side: Side
    price: float
    size: float
    ts_event: int
    ts_recv: int

    def __post_init__(self) -> None:
        check_text("CexTrade", "symbol", self.symbol)
        check_positive("CexTrade", "price", self.price)
        check_positive("CexTrade", "size", self.size)
        check_time("CexTrade", "ts_event", self.ts_event)
        check_time("CexTrade", "ts_recv", self.ts_recv)


class BookLevel(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """One price level: ``price`` and resting ``size`` in base units (both > 0)."""

    price: float
    size: float

    def __post_init__(self) -> None:
        p, s = self.price, self.size
        # a book carries hundreds of levels a second: the common case without two calls
        if p.__class__ is float and s.__class__ is float and 0.0 < p < _INF and 0.0 < s < _INF:
            return
        check_positive("BookLevel", "price", p)
        check_positive("BookLevel", "size", s)


class OrderBook(msgspec.Struct, frozen=True, gc=False, tag="order_book"):
    """A CEX order book snapshot.

    Invariants (checked on construction): bids strictly descending by price, asks strictly
    ascending, all sizes > 0, and best bid < best ask when both sides are present.
    ``sequence`` is the venue's update id (MEXC version, Bybit ``u``).
    """

    venue: VenueId
    symbol: str
    bids: tuple[BookLevel, ...]
    asks: tuple[BookLevel, ...]
    sequence: int
    ts_event: int
    ts_recv: int

    def __post_init__(self) -> None:
        check_text("OrderBook", "symbol", self.symbol)
        check_time("OrderBook", "ts_event", self.ts_event)
        check_time("OrderBook", "ts_recv", self.ts_recv)
        if self.sequence < 0:
            raise DomainValidationError(f"OrderBook.sequence={self.sequence}: must be >= 0")
        _check_sorted(self.bids, descending=True, side="bids")
        _check_sorted(self.asks, descending=False, side="asks")
        if self.bids and self.asks and self.bids[0].price >= self.asks[0].price:
            raise DomainValidationError(
                f"OrderBook {self.symbol}: crossed book, best bid {self.bids[0].price} "
                f">= best ask {self.asks[0].price}"
            )

    @classmethod
    def from_pairs(
        cls,
        venue: VenueId,
        symbol: str,
        bids: list[tuple[float, float]],
        asks: list[tuple[float, float]],
        sequence: int,
        ts_event: int,
        ts_recv: int,
    ) -> Self:
        """Build from (price, size) pairs in any order; levels are sorted here."""
        return cls(
            venue=venue,
            symbol=symbol,
            bids=tuple(BookLevel(p, s) for p, s in sorted(bids, key=lambda x: -x[0])),
            asks=tuple(BookLevel(p, s) for p, s in sorted(asks, key=lambda x: x[0])),
            sequence=sequence,
            ts_event=ts_event,
            ts_recv=ts_recv,
        )

    @property
    def best_bid(self) -> float | None:
        return self.bids[0].price if self.bids else None

    @property
    def best_ask(self) -> float | None:
        return self.asks[0].price if self.asks else None

    @property
    def mid(self) -> float | None:
        if not self.bids or not self.asks:
            return None
        return (self.bids[0].price + self.asks[0].price) / 2.0

    @property
    def spread_bps(self) -> float | None:
        mid = self.mid
        if mid is None:
            return None
        return (self.asks[0].price - self.bids[0].price) / mid * 1e4

    def depth_quote(self, within_bps: float) -> tuple[float, float]:
        """Quote value resting within ``within_bps`` of the mid: (bid side, ask side)."""
        mid = self.mid
        if mid is None:
            return (0.0, 0.0)
        lo = mid * (1 - within_bps / 1e4)
        hi = mid * (1 + within_bps / 1e4)
        bid = sum(lv.price * lv.size for lv in self.bids if lv.price >= lo)
        ask = sum(lv.price * lv.size for lv in self.asks if lv.price <= hi)
        return (bid, ask)


def _check_sorted(levels: tuple[BookLevel, ...], *, descending: bool, side: str) -> None:
    prev: float | None = None
    for lv in levels:
        if not isinstance(lv, BookLevel):
            raise DomainValidationError(f"OrderBook.{side}: {lv!r} is not a BookLevel")
        if prev is not None and (lv.price >= prev if descending else lv.price <= prev):
            order = "descending" if descending else "ascending"
            raise DomainValidationError(
                f"OrderBook.{side}: prices must be strictly {order} ({prev} then {lv.price})"
            )
        prev = lv.price


MarketEvent = DexSwap | DexPrice | PoolLiquidity | DexFlowDelta | CexTrade | OrderBook
