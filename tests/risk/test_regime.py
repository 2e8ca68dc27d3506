from __future__ import annotations

import math

import pytest

from dexcex.config.core_settings import RiskSettings
from dexcex.domain import Regime
from dexcex.risk.regime import MarketRegime, VolTracker

T = 1_700_000_000_000


def test_vol_and_trend_by_hand() -> None:
    p = RiskSettings(regime_half_life_s=1.0, trend_half_life_s=1.0)
    t = VolTracker(p)
    t.add_mid(T, 100.0)
    t.add_mid(T + 1000, 100.0 * math.exp(2e-4))  # +2 bps in 1 s; weight 0.5
    assert t.var == pytest.approx(0.5 * 4.0)
    assert t.trend == pytest.approx(0.5 * 2.0)
    t.add_mid(T + 1500, 1.0)  # same second: ignored
    t.add_mid(T + 3000, 100.0 * math.exp(2e-4))  # flat over 2 s; weight 0.75
    assert t.var == pytest.approx(2.0 + 0.75 * (0.0 - 2.0))
    assert t.samples == 2


def test_regime_needs_a_minute_then_classifies() -> None:
    p = RiskSettings(calm_below=1.0, normal_below=2.5, volatile_below=6.0)
    m = MarketRegime(p)
    tr = m.tracker("wif")
    mid = 100.0
    for s in range(59):
        mid *= math.exp(3e-4 if s % 2 else -3e-4)  # ±3 bps a second
        tr.add_mid(T + s * 1000, mid)
    assert m.state("wif").regime is Regime.UNKNOWN
    for s in range(59, 2000):
        mid *= math.exp(3e-4 if s % 2 else -3e-4)
        tr.add_mid(T + s * 1000, mid)
    st = m.state("wif")
    assert st.vol_bps_sqrt_s == pytest.approx(3.0, rel=0.01)
    assert st.regime is Regime.VOLATILE
    assert [m.classify(v) for v in (0.5, 2.0, 5.0, 9.0)] == [
        Regime.CALM,
        Regime.NORMAL,
        Regime.VOLATILE,
        Regime.EXTREME,
    ]


def test_broad_market_from_the_reference_asset() -> None:
    m = MarketRegime(RiskSettings(reference_asset="sol"))
    for s in range(300):
        m.tracker("sol").add_mid(T + s * 1000, 100.0 * math.exp(-1e-4 * s))  # −1 bps/s
        m.tracker("wif").add_mid(T + s * 1000, 1.0)
    st = m.state("wif")
    assert st.market_trend_bps_min == pytest.approx(m.tracker("sol").trend * 60)
    assert st.market_trend_bps_min < -10
    assert st.trend_bps_min == 0.0
