"""Parameters of the pure core (analytics, signals, risk), with defaults and units.

Plain values: the core reads them, never the environment or files.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "AnalyticsSettings",
    "BaselineSettings",
    "CoreSettings",
    "LiquiditySettings",
    "OrderFlowSettings",
    "RiskSettings",
    "ScoreWeights",
    "SignalSettings",
    "VolumePriceSettings",
]

Pos = Annotated[float, Field(gt=0)]


class _Section(BaseModel):
    # no inf or nan anywhere: an "infinite" cap is no cap
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class OrderFlowSettings(_Section):
    """Rolling windows of aggressive DEX flow; a trigger needs all four conditions."""

    windows_s: Annotated[list[Annotated[int, Field(ge=1, le=600)]], Field(min_length=1)] = [
        10,
        20,
        30,
    ]
    trigger_window_s: Annotated[int, Field(ge=1, le=600)] = 20
    baseline_half_life_s: Pos = 900.0  # the "slower baseline" the z-score is against
    imbalance_threshold: Annotated[float, Field(gt=0, le=1)] = 0.55
    intensity_threshold: Pos = 2.0  # window USD volume ÷ (baseline USD/s × window)
    z_threshold: Pos = 1.0
    min_trades: Annotated[int, Field(ge=1)] = 5
    large_trade_quantile: Annotated[float, Field(gt=0.5, lt=1)] = 0.9
    max_traders: Annotated[int, Field(ge=100, le=1_000_000)] = 5000
    max_late_s: Annotated[int, Field(ge=0)] = 30  # older than this: rejected as late
    # a trade pulling a DEX price more than this far from the CEX mid back towards it is
    # arbitrage ("reverting"), kept out of the pressure measures
    revert_bps: Annotated[float, Field(ge=0)] = 15.0
    dedup_size: Annotated[int, Field(ge=100)] = 8192
    max_pools: Annotated[int, Field(ge=1, le=1000)] = 16  # per asset, tracked one by one

    @model_validator(mode="after")
    def _trigger_is_a_window(self) -> OrderFlowSettings:
        if self.trigger_window_s not in self.windows_s:
            raise ValueError(f"trigger_window_s {self.trigger_window_s} not in windows_s")
        return self


class LiquiditySettings(_Section):
    half_life_s: Pos = 60.0  # EWMA of velocity and acceleration
    cusum_k: Annotated[float, Field(ge=0)] = 0.5  # slack, in standard deviations
    cusum_h: Pos = 6.0  # alarm threshold, in standard deviations
    drain_pct: Pos = 10.0  # a fall of this many % of liquidity …
    drain_window_s: Pos = 180.0  # … within this long is a drain
    history: Annotated[int, Field(ge=8, le=100_000)] = 512


class VolumePriceSettings(_Section):
    surge_window_s: Annotated[int, Field(ge=5, le=3600)] = 60
    accumulation_window_s: Annotated[int, Field(ge=10, le=7200)] = 300
    smart_window_s: Annotated[int, Field(ge=5, le=3600)] = 60
    repeat_wallet_trades: Annotated[int, Field(ge=2)] = 2

    baseline_half_life_s: Pos = 1800.0
    leadlag_max_lag_s: Annotated[int, Field(ge=1, le=300)] = 60
    leadlag_window_s: Annotated[int, Field(ge=60, le=86_400)] = 1800
    leadlag_every_s: Annotated[int, Field(ge=1)] = 30
    max_wallets: Annotated[int, Field(ge=100)] = 5000


class AnalyticsSettings(_Section):
    orderflow: OrderFlowSettings = Field(default_factory=OrderFlowSettings)
    liquidity: LiquiditySettings = Field(default_factory=LiquiditySettings)
    volume_price: VolumePriceSettings = Field(default_factory=VolumePriceSettings)


class ScoreWeights(_Section):
    """Weights of the logistic confidence (see ``signals.scoring``). Fitted by a logistic
    regression on the simulator's labelled candidates (seed 7), rounded, checked on seed 8;
    kept ≥ 0 so confidence is monotone in every score."""

    bias: float = -1.5
    orderflow: Annotated[float, Field(ge=0)] = 0.1
    liquidity: Annotated[float, Field(ge=0)] = 0.4
    volume_price: Annotated[float, Field(ge=0)] = 0.1
    smart_money: Annotated[float, Field(ge=0)] = 0.7
    concentration: Annotated[float, Field(ge=0)] = 1.2
    lead: Annotated[float, Field(ge=0)] = 0.2


class BaselineSettings(_Section):
    """The CEX-only momentum rule traded alongside, for comparison (``signals.baseline``)."""

    enabled: bool = True
    lookback_s: Annotated[int, Field(ge=5, le=3600)] = 60
    k_sigma: Pos = 3.0
    cooldown_s: Pos = 300.0


class SignalSettings(_Section):
    weights: ScoreWeights = Field(default_factory=ScoreWeights)
    baseline: BaselineSettings = Field(default_factory=BaselineSettings)
    min_confidence: Annotated[float, Field(ge=0, le=1)] = 0.6
    cooldown_s: Pos = 90.0  # per asset and direction, after a signal that passed
    recheck_s: Pos = 10.0  # after a filtered one
    horizon_s: Annotated[int, Field(ge=30)] = 300  # expected move is over this horizon
    move_multiplier: Pos = 2.0  # expected move = (2c − 1) × σ(horizon) × this
    expiry_s: Pos = 120.0  # a signal not acted on by then is expired
    stale_dex_s: Pos = 60.0
    stale_cex_s: Pos = 15.0


class RiskSettings(_Section):
    order_notional_usd: Pos = 100.0
    max_slippage_bps: Pos = 30.0
    max_spread_bps: Pos = 40.0
    min_depth_multiple: Annotated[float, Field(ge=0)] = 3.0  # depth within 1 % ÷ order notional
    min_pool_liquidity_usd: Annotated[float, Field(ge=0)] = 100_000.0
    min_pool_age_h: Annotated[float, Field(ge=0)] = 72.0
    block_on_drain: bool = True
    max_exposure_usd: Pos = 1000.0
    max_per_asset_usd: Pos = 300.0
    max_daily_loss_usd: Pos = 100.0
    kill_switch: bool = False
    # CEX volatility regime: bps per sqrt(second) of the mid, upper bounds
    calm_below: Pos = 1.0
    normal_below: Pos = 2.5
    volatile_below: Pos = 6.0
    block_extreme: bool = True
    reference_asset: str | None = None  # broad-market state from this asset's CEX mid

    regime_half_life_s: Pos = 300.0
    trend_half_life_s: Pos = 900.0
    taker_fee_bps: Annotated[float, Field(ge=0)] = 5.0


class CoreSettings(_Section):
    analytics: AnalyticsSettings = Field(default_factory=AnalyticsSettings)
    signals: SignalSettings = Field(default_factory=SignalSettings)
    risk: RiskSettings = Field(default_factory=RiskSettings)
