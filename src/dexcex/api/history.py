"""The trade history the page shows: round trips with why each closed, the equity curve,
and performance per asset and per origin (DEX-led vs the CEX-only baseline), from the
stored orders — so it survives a reload and a restart."""

from __future__ import annotations

from dexcex.api.schemas import AssetPerformance, HistoryOut, OriginPerformance, TradeOut
from dexcex.config.models import ExecutionSettings
from dexcex.domain import TradingMode
from dexcex.execution.report import OriginStats, RoundTrip, performance, summary
from dexcex.store import Database

__all__ = ["exit_reason_of", "history"]


def exit_reason_of(t: RoundTrip, p: ExecutionSettings) -> str:
    """Which exit rule closed it, read from the fills (the broker does not store it): the
    time exit by the duration; take profit or stop loss by the return, with half the
    threshold's margin for the exit's slippage past the trigger on the mid."""
    moved = (t.exit - t.entry) * t.qty
    direction = -1.0 if moved and (t.pnl + t.fees) * moved < 0 else 1.0
    ret = direction * float(t.exit / t.entry - 1) * 1e4 if t.entry else 0.0
    if (t.closed_ms - t.opened_ms) / 1000 >= p.exit_after_s:
        return "time exit"
    if ret >= 0.5 * p.take_profit_bps:
        return "take profit"
    if ret <= -0.5 * p.stop_loss_bps:
        return "stop loss"
    return "closed early (kill switch)"


def _trade(t: RoundTrip, p: ExecutionSettings) -> TradeOut:
    return TradeOut(
        signal_id=t.signal_id,
        origin=t.origin,
        asset_id=t.asset_id,
        opened_ms=t.opened_ms,
        closed_ms=t.closed_ms,
        duration_s=(t.closed_ms - t.opened_ms) / 1000,
        qty=float(t.qty),
        entry=float(t.entry),
        exit=float(t.exit),
        fees=float(t.fees),
        pnl=float(t.pnl),
        pnl_bps=t.pnl_bps,
        exit_reason=exit_reason_of(t, p),
    )


def _by_asset(trips: list[RoundTrip]) -> list[AssetPerformance]:
    groups: dict[str, list[RoundTrip]] = {}
    for t in trips:
        groups.setdefault(t.asset_id, []).append(t)
    out = [
        AssetPerformance(
            asset_id=a,
            trades=len(ts),
            hit_rate=sum(t.pnl > 0 for t in ts) / len(ts),
            pnl=float(sum(t.pnl for t in ts)),
        )
        for a, ts in groups.items()
    ]
    return sorted(out, key=lambda x: x.pnl, reverse=True)


def history(db: Database, mode: TradingMode, p: ExecutionSettings, limit: int) -> HistoryOut:
    stats: dict[str, OriginStats] = performance(db, mode)
    trips = sorted((t for s in stats.values() for t in s.trades), key=lambda t: t.closed_ms)
    equity, run = [], 0.0
    for t in trips:
        run += float(t.pnl)
        equity.append((t.closed_ms, round(run, 6)))
    return HistoryOut(
        mode=mode.value,
        trades=[_trade(t, p) for t in reversed(trips[-limit:])],
        equity=equity,
        by_asset=_by_asset(trips),
        by_origin={k: OriginPerformance.model_validate(v) for k, v in summary(stats).items()},
    )
