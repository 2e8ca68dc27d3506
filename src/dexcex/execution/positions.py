"""Positions, average price and PnL, per asset and per signal origin (average cost).

Quantities are base units, prices quote per base, money in the quote currency (USDT —
treated as USD). Fees are charged in the quote currency and count against realized PnL.
A fill that crosses zero (sell more than held) closes the position and opens the rest
the other way — only possible where shorting is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from dexcex.domain import Side

__all__ = ["Position", "PositionBook"]

ZERO = Decimal(0)


@dataclass
class Position:
    asset_id: str
    origin: str
    qty: Decimal = ZERO  # > 0 long, < 0 short
    avg_price: Decimal = ZERO
    realized: Decimal = ZERO  # after fees
    fees: Decimal = ZERO
    opened_ms: int | None = None
    signal_id: str | None = None  # the signal that opened it

    def apply(self, side: Side, qty: Decimal, price: Decimal, fee: Decimal, ts: int) -> Decimal:
        """Book one fill; returns the realized PnL it produced (fee included)."""
        signed = qty if side is Side.BUY else -qty
        realized = -fee
        self.fees += fee
        if self.qty == 0 or (self.qty > 0) == (signed > 0):  # opening or adding
            total = self.qty + signed
            self.avg_price = (self.avg_price * abs(self.qty) + price * qty) / abs(total)
            self.qty = total
            if self.opened_ms is None:
                self.opened_ms = ts
        else:  # reducing, closing, maybe flipping
            closing = min(qty, abs(self.qty))
            direction = Decimal(1) if self.qty > 0 else Decimal(-1)
            realized += (price - self.avg_price) * closing * direction
            self.qty += signed
            if self.qty == 0:
                self.avg_price = ZERO
                self.opened_ms = None
            elif (self.qty > 0) != (direction > 0):  # flipped: the rest opened at this price
                self.avg_price = price
                self.opened_ms = ts
        self.realized += realized
        return realized

    def unrealized(self, mid: Decimal) -> Decimal:
        return (mid - self.avg_price) * self.qty if self.qty else ZERO


@dataclass
class PositionBook:
    positions: dict[tuple[str, str], Position] = field(default_factory=dict)

    def get(self, asset_id: str, origin: str) -> Position:
        key = (asset_id, origin)
        pos = self.positions.get(key)
        if pos is None:
            pos = self.positions[key] = Position(asset_id, origin)
        return pos

    def exposure(self, marks: dict[str, Decimal]) -> Decimal:
        """Gross notional of every open position at the given marks (by asset)."""
        return sum(
            (abs(p.qty) * marks.get(p.asset_id, p.avg_price) for p in self.positions.values()),
            ZERO,
        )

    def open(self) -> list[Position]:
        return [p for p in self.positions.values() if p.qty != 0]
