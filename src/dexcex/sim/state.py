"""What the simulated venues remember, for their REST endpoints: recent trades and swaps,
and per-minute buckets from which every rolling window (24 h tickers, DexScreener's
m5/h1/h6/h24, Birdeye's OHLCV) is summed."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from dexcex.sim.market.events import CexTradeEv, DexSwapEv
from dexcex.sim.market.pool import Pool
from dexcex.sim.market.specs import CexMarketSpec

__all__ = ["QUOTE_TOKENS", "Bucket", "CexView", "MinuteBuckets", "PoolView"]

MINUTE = 60_000
DAY_MINUTES = 1440
# (address, decimals) of the quote tokens the simulated pools trade against, per chain.
QUOTE_TOKENS: dict[tuple[str, str], tuple[str, int]] = {
    ("solana", "SOL"): ("So11111111111111111111111111111111111111112", 9),
    ("solana", "USDC"): ("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v", 6),
    ("ethereum", "WETH"): ("0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2", 18),
    ("bsc", "WBNB"): ("0xbb4cdb9cbd36b01bd1cbaebf2de08d9173bc095c", 18),
    ("polygon", "USDC"): ("0x3c499c542cef5e3811e1192ce70d8cc03d5c3359", 6),
}


@dataclass(slots=True)
class Bucket:
    """One minute of trading: OHLC (USD for DEX, quote for CEX), volumes, counts."""

    minute: int
    o: float
    h: float
    l: float  # noqa: E741 - the conventional candle field name
    c: float
    v_base: float = 0.0
    v_quote: float = 0.0  # USD for DEX pools
    buys: int = 0
    sells: int = 0
    buy_quote: float = 0.0
    sell_quote: float = 0.0
    wallets: set[str] = field(default_factory=set)


class MinuteBuckets:
    """The last 24 h in one-minute buckets (older ones fall off)."""

    def __init__(self) -> None:
        self.buckets: deque[Bucket] = deque(maxlen=DAY_MINUTES + 1)

    def add(self, t: int, price: float, base: float, quote: float, buy: bool, who: str) -> None:
        m = t // MINUTE
        if not self.buckets or self.buckets[-1].minute != m:
            self.buckets.append(Bucket(m, price, price, price, price))
        b = self.buckets[-1]
        b.h = max(b.h, price)
        b.l = min(b.l, price)
        b.c = price
        b.v_base += base
        b.v_quote += quote
        if buy:
            b.buys += 1
            b.buy_quote += quote
        else:
            b.sells += 1
            b.sell_quote += quote
        if who:
            b.wallets.add(who)

    def window(self, now: int, minutes: int) -> list[Bucket]:
        """Buckets whose minute lies in the last ``minutes`` minutes (current one included)."""
        first = now // MINUTE - minutes + 1
        out = []
        for b in reversed(self.buckets):
            if b.minute < first:
                break
            out.append(b)
        out.reverse()
        return out

    def price_at(self, t: int) -> float | None:
        """Close of the last bucket at or before ``t`` (None when there is no history)."""
        m = t // MINUTE
        for b in reversed(self.buckets):
            if b.minute <= m:
                return b.c
        return self.buckets[0].o if self.buckets else None


@dataclass(slots=True)
class CexView:
    spec: CexMarketSpec
    trades: deque[CexTradeEv] = field(default_factory=lambda: deque(maxlen=1000))
    buckets: MinuteBuckets = field(default_factory=MinuteBuckets)

    def on_trade(self, ev: CexTradeEv) -> None:
        self.trades.append(ev)
        self.buckets.add(ev.t, ev.price, ev.size, ev.size * ev.price, ev.side == "buy", "")


@dataclass(slots=True)
class PoolView:
    pool: Pool
    symbol: str
    decimals: int
    swaps: deque[DexSwapEv] = field(default_factory=lambda: deque(maxlen=2000))
    buckets: MinuteBuckets = field(default_factory=MinuteBuckets)
    last_trade_ms: int = 0

    def on_swap(self, ev: DexSwapEv) -> None:
        self.swaps.append(ev)
        self.buckets.add(ev.t, ev.price_usd, ev.base_amount, ev.usd, ev.side == "buy", ev.owner)
        self.last_trade_ms = ev.t
