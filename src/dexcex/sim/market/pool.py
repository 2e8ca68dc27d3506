"""A constant-product (x·y = k) DEX pool with a swap fee."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Pool"]


@dataclass(slots=True)
class Pool:
    asset_id: str
    chain: str
    dex: str
    address: str
    token: str
    quote_symbol: str
    quote_usd: float
    base: float  # reserve of the asset's token, UI units
    quote: float  # reserve of the quote token, UI units
    fee: float = 0.0025
    created_ms: int = 0
    target_quote: float = 0.0  # the depth LPs drift back to (0: the first one seen)

    def __post_init__(self) -> None:
        if self.target_quote <= 0:
            self.target_quote = self.quote

    @property
    def price_native(self) -> float:
        return self.quote / self.base

    @property
    def price_usd(self) -> float:
        return self.quote / self.base * self.quote_usd

    @property
    def liquidity_usd(self) -> float:
        return 2.0 * self.quote * self.quote_usd

    def buy_with_quote(self, quote_in: float) -> float:
        """Taker buys the token paying ``quote_in``; returns the token amount received."""
        eff = quote_in * (1.0 - self.fee)
        out = self.base * eff / (self.quote + eff)
        self.quote += quote_in
        self.base -= out
        return out

    def sell_base(self, base_in: float) -> float:
        """Taker sells ``base_in`` of the token; returns the quote amount received."""
        eff = base_in * (1.0 - self.fee)
        out = self.quote * eff / (self.base + eff)
        self.base += base_in
        self.quote -= out
        return out

    def quote_to_reach(self, target_price_native: float) -> float:
        """Quote to add (>0, a buy) or remove (<0, via a sell) to move the price to the target,
        ignoring the fee (the arbitrageur's sizing rule)."""
        k = self.base * self.quote
        return math.sqrt(k * target_price_native) - self.quote

    def scale(self, fraction: float) -> tuple[float, float]:
        """Add (fraction > 0) or remove (< 0) liquidity pro rata; returns (d_base, d_quote)."""
        db, dq = self.base * fraction, self.quote * fraction
        self.base += db
        self.quote += dq
        return db, dq
