"""Performance of what was traded: DEX-led signals next to the CEX-only baseline.

From the stored orders (entries and exits per signal) and signals: per origin, the
round trips (entry fills, exit fills, fees), hit rate (net PnL > 0), net expectancy (mean
net PnL per trade, in USDT and in bps of the entry notional), total PnL, the PnL curve
over exit times, its maximum drawdown, and the realized entry slippage distribution.
Positions still open at the end are reported as open, not as trades.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from dexcex.domain import Order, OrderLeg, Side, TradingMode
from dexcex.store import Database

__all__ = ["OriginStats", "RoundTrip", "performance", "write_chart"]


@dataclass(frozen=True)
class RoundTrip:
    signal_id: str
    origin: str
    asset_id: str
    opened_ms: int
    closed_ms: int
    qty: Decimal
    entry: Decimal
    exit: Decimal
    fees: Decimal
    pnl: Decimal  # after fees, quote

    @property
    def pnl_bps(self) -> float:
        notional = self.entry * self.qty
        return float(self.pnl / notional * 10_000) if notional else 0.0


@dataclass
class OriginStats:
    origin: str
    trades: list[RoundTrip] = field(default_factory=list)
    open_positions: int = 0
    slippage_bps: list[float] = field(default_factory=list)
    signals: int = 0
    executed: int = 0

    @property
    def hit_rate(self) -> float | None:
        return sum(t.pnl > 0 for t in self.trades) / len(self.trades) if self.trades else None

    @property
    def total(self) -> Decimal:
        return sum((t.pnl for t in self.trades), Decimal(0))

    @property
    def expectancy(self) -> Decimal | None:
        return self.total / len(self.trades) if self.trades else None

    @property
    def expectancy_bps(self) -> float | None:
        return statistics.fmean(t.pnl_bps for t in self.trades) if self.trades else None

    def curve(self) -> list[tuple[int, float]]:
        out, run = [], 0.0
        for t in sorted(self.trades, key=lambda t: t.closed_ms):
            run += float(t.pnl)
            out.append((t.closed_ms, run))
        return out

    @property
    def max_drawdown(self) -> float:
        peak = dd = 0.0
        for _, v in self.curve():
            peak = max(peak, v)
            dd = max(dd, peak - v)
        return dd

    def slippage_quantiles(self) -> tuple[float, float, float] | None:
        s = sorted(self.slippage_bps)
        if not s:
            return None
        return tuple(s[min(len(s) - 1, int(p * len(s)))] for p in (0.1, 0.5, 0.9))  # type: ignore[return-value]


def _trip(signal_id: str, origin: str, asset: str, orders: list[Order]) -> RoundTrip | None:
    entries = [o for o in orders if o.leg is OrderLeg.ENTRY and o.filled_qty > 0]
    exits = [o for o in orders if o.leg is OrderLeg.EXIT and o.filled_qty > 0]
    if not entries:
        return None
    e = entries[0]
    assert e.avg_price is not None
    qty_in = e.filled_qty
    qty_out = sum((x.filled_qty for x in exits), Decimal(0))
    if qty_out < qty_in:
        return None  # still open
    exit_value = sum((x.filled_qty * (x.avg_price or Decimal(0)) for x in exits), Decimal(0))
    exit_avg = exit_value / qty_out
    sign = Decimal(1) if e.side is Side.BUY else Decimal(-1)
    fees = e.fee_quote + sum((x.fee_quote for x in exits), Decimal(0))
    pnl = (exit_avg - e.avg_price) * qty_in * sign - fees
    closed = max((x.ts_updated or x.ts_created) for x in exits)
    return RoundTrip(
        signal_id, origin, asset, e.ts_created, closed, qty_in, e.avg_price, exit_avg, fees, pnl
    )


def performance(db: Database, mode: TradingMode = TradingMode.PAPER) -> dict[str, OriginStats]:
    by_signal: dict[str, list[Order]] = {}
    for o in db.orders.with_signal(mode):
        assert o.signal_id is not None
        by_signal.setdefault(o.signal_id, []).append(o)
    stats: dict[str, OriginStats] = {}
    for row in db.signals.iter_range():
        origin = row["origin"]
        st = stats.setdefault(origin, OriginStats(origin))
        st.signals += 1
        orders = by_signal.get(row["id"])
        if not orders:
            continue
        st.executed += 1
        if row.get("realized_slippage_bps") is not None:
            st.slippage_bps.append(float(row["realized_slippage_bps"]))
        trip = _trip(row["id"], origin, row["asset_id"], orders)
        if trip is None:
            st.open_positions += 1
        else:
            st.trades.append(trip)
    return stats


def write_chart(stats: dict[str, OriginStats], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8), dpi=110)
    for name, st in sorted(stats.items()):
        curve = st.curve()
        if curve:
            t0 = curve[0][0]
            ax1.plot(
                [(t - t0) / 3_600_000 for t, _ in curve],
                [v for _, v in curve],
                label=f"{name} ({len(st.trades)} trades)",
            )
        if st.slippage_bps:
            ax2.hist(st.slippage_bps, bins=30, alpha=0.6, label=name)
    ax1.axhline(0, color="black", linewidth=0.8)
    ax1.set_xlabel("hours")
    ax1.set_ylabel("cumulative net PnL, USDT")
    ax1.set_title("PnL after fees and slippage")
    ax1.legend(fontsize=8)
    ax2.set_xlabel("entry slippage vs mid at signal time, bps")
    ax2.set_title("realized slippage")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def summary(stats: dict[str, OriginStats]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, st in stats.items():
        q = st.slippage_quantiles()
        out[name] = {
            "signals": st.signals,
            "executed": st.executed,
            "round_trips": len(st.trades),
            "open_positions": st.open_positions,
            "hit_rate": st.hit_rate,
            "expectancy_usdt": float(st.expectancy) if st.expectancy is not None else None,
            "expectancy_bps": st.expectancy_bps,
            "total_pnl_usdt": float(st.total),
            "max_drawdown_usdt": st.max_drawdown,
            "slippage_bps_p10_p50_p90": q,
        }
    return out
