"""Positions and the day's P/L from every fill execution reports — paper and live alike.

This is what the risk layer sees (``PortfolioState``): the exposure limit, the per-asset
limit and the daily-loss limit bind on it. It is kept by the execution service from the
fills themselves, so both executors feed one ledger with one rule, and the page shows
the same figures risk decides on.

An entry on its way to the venue counts at its approved notional from the moment it is
sent until it fills or ends (a *reservation*): otherwise every signal in the order's
latency would see the exposure of before it, and a burst could overrun the limit.

The day is the UTC day of the clock: at midnight the realised P/L so far becomes the
day's base. Unrealised P/L is at the last mid of each position's market; a position
whose market has no mark yet counts at its entry price (exposure) and 0 (P/L).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from dexcex.domain import Fill
from dexcex.execution.positions import Position, PositionBook
from dexcex.risk.state import PortfolioState

__all__ = ["Ledger", "PositionView"]

_DAY_MS = 86_400_000
ZERO = Decimal(0)


@dataclass(frozen=True)
class PositionView:
    """One open (or today closed) position as the page and the API show it."""

    asset_id: str
    origin: str
    qty: Decimal  # > 0 long, < 0 short
    avg_price: Decimal
    mark: Decimal | None
    unrealized: Decimal | None
    realized: Decimal
    fees: Decimal
    opened_ms: int | None
    signal_id: str | None


@dataclass
class Ledger:
    book: PositionBook = field(default_factory=PositionBook)
    marks: dict[str, Decimal] = field(default_factory=dict)  # asset → last mid
    day: int = -1
    realized_at_day_start: Decimal = ZERO
    fills: int = 0
    reserved: dict[str, tuple[str, float]] = field(default_factory=dict)  # signal → (asset, $)

    def reserve(self, signal_id: str, asset_id: str, notional_usd: float) -> None:
        """An entry of ``signal_id`` is on its way: count its notional until it resolves."""
        self.reserved[signal_id] = (asset_id, notional_usd)

    def consume(self, signal_id: str, filled_usd: float) -> None:
        """Part of the entry filled: that part counts as position now, the rest stays
        reserved until the order ends."""
        held = self.reserved.get(signal_id)
        if held is not None:
            self.reserved[signal_id] = (held[0], max(0.0, held[1] - filled_usd))

    def release(self, signal_id: str) -> bool:
        """The entry filled (its position counts now) or ended without a fill."""
        return self.reserved.pop(signal_id, None) is not None

    def apply(self, fill: Fill, asset_id: str, origin: str, signal_id: str) -> None:
        """Book one fill of a signal's order (entry or exit)."""
        self._roll(fill.ts_event)
        pos = self.book.get(asset_id, origin)
        pos.apply(fill.side, fill.qty, fill.price, fill.fee, fill.ts_event)
        if pos.qty != 0 and pos.signal_id is None:
            pos.signal_id = signal_id
        if pos.qty == 0:
            pos.signal_id = None
        self.fills += 1

    def mark(self, asset_id: str, mid: float) -> bool:
        """A new mid for an asset; True when a position is open in it (the P/L moved)."""
        self.marks[asset_id] = Decimal(str(mid))
        return any(p.qty != 0 for (a, _), p in self.book.positions.items() if a == asset_id)

    def holds(self, asset_id: str) -> bool:
        return any(p.qty != 0 for (a, _), p in self.book.positions.items() if a == asset_id)

    def _roll(self, now_ms: int) -> None:
        day = now_ms // _DAY_MS
        if day != self.day:
            self.day = day
            self.realized_at_day_start = self.realized()

    def realized(self) -> Decimal:
        return sum((p.realized for p in self.book.positions.values()), ZERO)

    def unrealized(self) -> Decimal:
        return sum((self._unrealized(p) or ZERO for p in self.book.open()), ZERO)

    def _unrealized(self, p: Position) -> Decimal | None:
        mark = self.marks.get(p.asset_id)
        return p.unrealized(mark) if mark is not None and p.qty != 0 else None

    def day_pnl(self, now_ms: int) -> Decimal:
        self._roll(now_ms)
        return self.realized() - self.realized_at_day_start + self.unrealized()

    def state(self, now_ms: int, *, kill_switch: bool) -> PortfolioState:
        """What the risk layer is told: gross exposure (reservations included), per asset,
        the day's P/L."""
        by_asset: dict[str, float] = {}
        for p in self.book.open():
            mark = self.marks.get(p.asset_id, p.avg_price)
            by_asset[p.asset_id] = by_asset.get(p.asset_id, 0.0) + float(abs(p.qty) * mark)
        for asset_id, notional in self.reserved.values():
            by_asset[asset_id] = by_asset.get(asset_id, 0.0) + notional
        return PortfolioState(
            exposure_usd=sum(by_asset.values()),
            by_asset_usd=by_asset,
            daily_pnl_usd=float(self.day_pnl(now_ms)),
            kill_switch=kill_switch,
        )

    def views(self) -> list[PositionView]:
        """Open positions, and closed ones that made or lost something."""
        out = []
        for p in self.book.positions.values():
            if p.qty == 0 and p.realized == 0:
                continue
            out.append(
                PositionView(
                    p.asset_id,
                    p.origin,
                    p.qty,
                    p.avg_price,
                    self.marks.get(p.asset_id),
                    self._unrealized(p),
                    p.realized,
                    p.fees,
                    p.opened_ms,
                    p.signal_id,
                )
            )
        return out
