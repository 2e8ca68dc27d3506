"""The portfolio limits — total exposure, per-asset exposure, the day's loss — as one pure
check: the risk engine applies it when it decides on a signal, and execution again just
before an entry is sent (a burst of signals is decided against one portfolio)."""

from __future__ import annotations

from dexcex.config.core_settings import RiskSettings
from dexcex.domain import RiskReason
from dexcex.risk.state import PortfolioState

__all__ = ["limit_reasons"]


def limit_reasons(
    p: RiskSettings, portfolio: PortfolioState, asset_id: str, notional: float
) -> list[tuple[RiskReason, str]]:
    """Every limit that ``notional`` more of ``asset_id`` would break, with its reason."""
    out: list[tuple[RiskReason, str]] = []
    total = portfolio.exposure_usd + notional
    if total > p.max_exposure_usd:
        out.append((RiskReason.EXPOSURE, f"exposure {total:,.0f} > {p.max_exposure_usd:,.0f}"))
    asset = portfolio.by_asset_usd.get(asset_id, 0.0) + notional
    if asset > p.max_per_asset_usd:
        out.append(
            (
                RiskReason.ASSET_EXPOSURE,
                f"{asset_id} exposure {asset:,.0f} > {p.max_per_asset_usd:,.0f}",
            )
        )
    if portfolio.daily_pnl_usd <= -p.max_daily_loss_usd:
        out.append(
            (RiskReason.DAILY_LOSS, f"daily loss {portfolio.daily_pnl_usd:,.2f} hit the limit")
        )
    return out
