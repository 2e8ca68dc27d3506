"""Market regime from CEX mids: volatility (EWMA of 1 s log returns, in bps per √s),
trend (EWMA of returns, bps per minute), per asset and for the market as a whole: the
``reference_asset`` (e.g. the SOL or ETH market) once it has a minute of data, else the
average over the watched assets."""

from __future__ import annotations

import math

import msgspec

from dexcex.analytics.stats import alpha_for
from dexcex.config.core_settings import RiskSettings
from dexcex.domain import Regime

__all__ = ["MarketRegime", "RegimeState", "VolTracker"]


class RegimeState(msgspec.Struct, frozen=True):
    regime: Regime
    vol_bps_sqrt_s: float
    trend_bps_min: float
    market_vol_bps_sqrt_s: float
    market_trend_bps_min: float
    samples: int

    def sigma_bps(self, horizon_s: float) -> float:
        """Expected standard deviation of the mid over ``horizon_s``, in bps."""
        return self.vol_bps_sqrt_s * math.sqrt(horizon_s)


class VolTracker:
    """Per-asset volatility and trend from the mid, sampled once per second."""

    __slots__ = ("_last_mid", "_last_s", "p", "samples", "trend", "var")

    def __init__(self, p: RiskSettings) -> None:
        self.p = p
        self._last_mid = 0.0
        self._last_s = -1
        self.var = 0.0  # of 1 s log returns, in bps²
        self.trend = 0.0  # mean 1 s log return, bps
        self.samples = 0

    def add_mid(self, ts: int, mid: float) -> None:
        sec = ts // 1000
        if sec <= self._last_s or not (mid > 0 and math.isfinite(mid)):
            return
        if self._last_s >= 0:
            dt = sec - self._last_s
            raw = math.log(mid / self._last_mid) * 1e4  # bps over dt seconds
            a = alpha_for(float(dt), self.p.regime_half_life_s)
            self.var += a * (raw * raw / dt - self.var)  # variance per second
            at = alpha_for(float(dt), self.p.trend_half_life_s)
            self.trend += at * (raw / dt - self.trend)  # drift per second
            self.samples += 1
        self._last_mid, self._last_s = mid, sec

    @property
    def vol(self) -> float:
        return math.sqrt(self.var)


class MarketRegime:
    """Regimes of every asset and of the market (mean over assets with enough data)."""

    MIN_SAMPLES = 60  # a minute of mids before a regime is called

    def __init__(self, p: RiskSettings) -> None:
        self.p = p
        self.assets: dict[str, VolTracker] = {}

    def tracker(self, asset_id: str) -> VolTracker:
        t = self.assets.get(asset_id)
        if t is None:
            t = self.assets[asset_id] = VolTracker(self.p)
        return t

    def classify(self, vol: float) -> Regime:
        p = self.p
        if vol < p.calm_below:
            return Regime.CALM
        if vol < p.normal_below:
            return Regime.NORMAL
        if vol < p.volatile_below:
            return Regime.VOLATILE
        return Regime.EXTREME

    def state(self, asset_id: str) -> RegimeState:
        t = self.tracker(asset_id)
        ref = self.assets.get(self.p.reference_asset or "")
        if ref is not None and ref.samples >= self.MIN_SAMPLES:
            ready = [ref]
        else:
            ready = [x for x in self.assets.values() if x.samples >= self.MIN_SAMPLES]

        m_vol = sum(x.vol for x in ready) / len(ready) if ready else 0.0
        m_trend = sum(x.trend for x in ready) / len(ready) * 60 if ready else 0.0
        regime = self.classify(t.vol) if t.samples >= self.MIN_SAMPLES else Regime.UNKNOWN
        return RegimeState(regime, t.vol, t.trend * 60, m_vol, m_trend, t.samples)
