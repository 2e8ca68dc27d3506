"""What the risk layer is told about the world besides the signal (values, no I/O)."""

from __future__ import annotations

import msgspec

__all__ = ["PoolState", "PortfolioState"]


class PortfolioState(msgspec.Struct, frozen=True):
    """Open exposure and today's PnL (quote currency, USD-like), from execution."""

    exposure_usd: float = 0.0
    by_asset_usd: dict[str, float] = msgspec.field(default_factory=dict)
    daily_pnl_usd: float = 0.0
    kill_switch: bool = False


class PoolState(msgspec.Struct, frozen=True):
    """The DEX side of an asset as the risk layer sees it (its main pool)."""

    liquidity_usd: float | None = None
    created_ms: int | None = None
    drain: bool = False
    drawdown_pct: float = 0.0
    holder_concentration: float | None = None  # share of supply in the top holders, if known
