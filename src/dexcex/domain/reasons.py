"""Why a signal was filtered or refused, as codes: what code decides on (alerts, the page,
the dataset), while the text next to each code says it to a person, with its figures."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["FilterReason", "RiskReason"]


class FilterReason(StrEnum):
    """Why the signal layer set a signal aside (``status = filtered``), or why it cannot
    be executed where it targets."""

    STALE_DEX = "stale_dex"
    NO_BOOK = "no_book"
    STALE_BOOK = "stale_book"
    LOW_CONFIDENCE = "low_confidence"
    MOVE_BELOW_COST = "move_below_cost"
    SHORT_ON_SPOT = "short_on_spot"


class RiskReason(StrEnum):
    """Each check of the pre-trade risk layer that can refuse a signal."""

    KILL_SWITCH = "kill_switch"
    SIGNAL_FILTERED = "signal_filtered"
    SHORT_ON_SPOT = "short_on_spot"
    NOT_EXECUTABLE = "not_executable"
    NO_BOOK = "no_book"
    SPREAD = "spread"
    DEPTH = "depth"
    BOOK_TOO_THIN = "book_too_thin"
    SLIPPAGE = "slippage"
    THIN_POOL = "thin_pool"
    YOUNG_POOL = "young_pool"
    LIQUIDITY_DRAIN = "liquidity_drain"
    HOLDERS_CONCENTRATED = "holders_concentrated"
    EXTREME_VOLATILITY = "extreme_volatility"
    MARKET_FALLING = "market_falling"
    EXPOSURE = "exposure"
    ASSET_EXPOSURE = "asset_exposure"
    DAILY_LOSS = "daily_loss"
