"""When an open position is closed: the same rule for paper and live positions."""

from __future__ import annotations

from dexcex.config.models import ExecutionSettings
from dexcex.domain import Direction

__all__ = ["exit_reason"]


def exit_reason(
    p: ExecutionSettings, direction: Direction, entry_price: float, mid: float, age_s: float
) -> str | None:
    """Take-profit or stop-loss on the mid (bps from the entry price), else the time exit;
    None while the position should stay open."""
    d = 1.0 if direction is Direction.LONG else -1.0
    ret = d * (mid / entry_price - 1.0) * 1e4
    if ret >= p.take_profit_bps:
        return f"take profit ({ret:+.0f} bps)"
    if ret <= -p.stop_loss_bps:
        return f"stop loss ({ret:+.0f} bps)"
    if age_s >= p.exit_after_s:
        return f"time exit ({age_s:.0f} s)"
    return None
