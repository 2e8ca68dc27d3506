"""Trading rules of a simulated CEX market, derived from the price scale."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["CexMarketSpec", "spec_for"]


@dataclass(frozen=True, slots=True)
class CexMarketSpec:
    venue: str
    symbol: str  # unified, "WIF/USDT"
    venue_symbol: str  # "WIFUSDT"
    base: str
    quote: str
    price_dp: int  # price decimals: tick = 10 ** -price_dp
    amount_dp: int  # quantity decimals: step = 10 ** -amount_dp
    min_qty: float
    min_cost: float

    @property
    def tick(self) -> float:
        return 10.0**-self.price_dp

    @property
    def step(self) -> float:
        return 10.0**-self.amount_dp

    def fmt_price(self, p: float) -> str:
        return f"{p:.{self.price_dp}f}"

    def fmt_qty(self, q: float) -> str:
        return f"{q:.{self.amount_dp}f}"


def spec_for(venue: str, symbol: str, price: float) -> CexMarketSpec:
    """A tick of ~0.1–1 bp of the price and a quantity step of ~1 cent of notional."""
    base, quote = symbol.split("/")
    price_dp = max(0, min(12, -math.floor(math.log10(price * 1e-4))))
    amount_dp = max(0, min(8, math.floor(math.log10(price)) + 2))
    step = 10.0**-amount_dp
    return CexMarketSpec(
        venue=venue,
        symbol=symbol,
        venue_symbol=f"{base}{quote}",
        base=base,
        quote=quote,
        price_dp=price_dp,
        amount_dp=amount_dp,
        min_qty=step,
        min_cost=1.0,
    )
