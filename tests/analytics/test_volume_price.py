from __future__ import annotations

import math
import random

import pytest

from dexcex.analytics.volume_price import VolumePrice
from dexcex.config.core_settings import VolumePriceSettings

T = 1_700_000_000_000


def vp(**kw: object) -> VolumePrice:
    return VolumePrice("wif", VolumePriceSettings(**kw))  # type: ignore[arg-type]


def steady(v: VolumePrice, seconds: int, usd: float = 10.0, price: float = 1.0) -> int:
    """One $usd trade per second, alternating buy and sell; returns the next second's ts."""
    for i in range(seconds):
        v.add_trade(T + i * 1000, i % 2 == 0, usd, price, None)
    return T + seconds * 1000


def test_surge_and_absorption_by_hand() -> None:
    v = vp(surge_window_s=60, baseline_half_life_s=600)
    now = steady(v, 600)
    v.add_trade(now, True, 10.0, 1.0, None)  # this second's regular trade
    v.add_trade(now + 1, True, 1200.0, 1.0, None)
    r = v.reading(now + 1, liquidity_usd=1_000_000.0, large_usd=math.inf)
    # 60 s window: 59 s of 10 USD + this second's 1210 = 1800 against 10 USD/s × 60 s
    assert r.surge == pytest.approx(3.0)
    assert r.price_change_bps == 0.0
    # net buying in the window: 1210 + seconds 541…599 (29 even-second buys, 30 sells)
    net = 1210.0 + 10.0 * (29 - 30)

    assert r.expected_impact_bps == pytest.approx(4 * net / 1e6 * 1e4)
    assert r.absorption == pytest.approx(1.0 * math.log2(3.0) / 2)


def test_no_absorption_when_price_moved_as_expected() -> None:
    v = vp(surge_window_s=60, baseline_half_life_s=600)
    now = steady(v, 600)
    v.add_trade(now, True, 1800.0, 1.0072, None)  # +72 bps, what 4·N/L predicts
    r = v.reading(now, liquidity_usd=1_000_000.0, large_usd=math.inf)
    assert r.price_change_bps == pytest.approx(72.0)
    assert r.absorption < 0.05


def test_accumulation_is_the_signed_share_of_volume() -> None:
    v = vp(accumulation_window_s=300)
    v.add_trade(T, True, 300.0, 1.0, None)
    v.add_trade(T + 1, False, 100.0, 1.0, None)
    v.add_trade(T + 2, False, 1000.0, 1.0, None, reverting=True)  # arbitrage: not counted
    assert v.reading(T + 2, None, math.inf).accumulation == pytest.approx(0.5)
    v.add_trade(T + 301_000, False, 100.0, 1.0, None)  # the first two left the window
    assert v.reading(T + 301_000, None, math.inf).accumulation == -1.0


def test_smart_money_is_repeat_wallets_net_buying() -> None:
    v = vp(smart_window_s=60, repeat_wallet_trades=2)
    assert v.reading(T, None, math.inf).smart_money is None  # no trader ids: unknown
    for i in range(3):
        v.add_trade(T + i * 1000, True, 100.0, 1.0, "A")  # repeat buyer
    v.add_trade(T + 4000, True, 500.0, 1.0, "B")  # one trade only
    v.add_trade(T + 5000, False, 50.0, 1.0, "C")
    v.add_trade(T + 6000, False, 50.0, 1.0, "C")  # repeat seller
    v.add_trade(T + 7000, True, 999.0, 1.0, "A", reverting=True)  # arbitrage: not counted
    r = v.reading(T + 7000, None, math.inf)
    assert r.smart_money == pytest.approx((300 - 100) / 900)
    # a minute later A's and C's trades are outside the window
    v.add_trade(T + 70_000, True, 10.0, 1.0, "D")
    assert v.reading(T + 70_000, None, math.inf).smart_money == 0.0


def test_wallet_memory_is_bounded() -> None:
    v = vp(max_wallets=100)
    for i in range(5000):
        v.add_trade(T + i, True, 1.0, 1.0, f"w{i % 1000}")
    assert len(v._wallets) == 100
    assert all(len(d) <= 64 for d in v._wallets.values())


def test_lead_lag_finds_a_dex_lead() -> None:
    v = vp(leadlag_window_s=300, leadlag_max_lag_s=20, leadlag_every_s=1)
    rng = random.Random(3)
    rets = [rng.gauss(0.0, 1e-3) for _ in range(700)]
    dex = cex = 1.0
    for s in range(700):
        dex *= math.exp(rets[s])
        cex *= math.exp(rets[s - 5]) if s >= 5 else 1.0  # the CEX repeats the DEX 5 s later
        v.add_dex_price(T + s * 1000, dex)
        v.add_cex_mid(T + s * 1000 + 10, cex)
    lead = v.lead_lag(T + 699_000)
    assert lead is not None
    assert lead.best_lag_s == 5
    assert lead.best_corr == pytest.approx(1.0, abs=0.02)
    assert abs(lead.corr_at_zero) < 0.2
    assert lead.significant


def test_lead_lag_needs_two_minutes_of_both_prices() -> None:
    v = vp(leadlag_every_s=1)
    for s in range(100):
        v.add_dex_price(T + s * 1000, 1.0 + s * 1e-4)
        v.add_cex_mid(T + s * 1000, 1.0 + s * 1e-4)
    assert v.lead_lag(T + 99_000) is None


def test_bad_prices_are_ignored() -> None:
    v = vp()
    v.add_dex_price(T, math.nan)
    v.add_cex_mid(T, -1.0)
    v.add_cex_mid(T, math.inf)
    assert v.dex.now_s == -1 and v.cex.now_s == -1


def test_wallets_gone_quiet_are_forgotten() -> None:
    v = vp(smart_window_s=60)
    v.add_trade(T, True, 100.0, 1.0, "early")
    for i in range(100):
        v.add_trade(T + 1000 + i * 1000, True, 10.0, 1.0, f"w{i % 5}")
    assert "early" not in v._wallets  # its last trade left the window
    # each wallet keeps only its trades of the last window (as of its own last trade)
    assert all(t >= T + 100_000 - 65_000 for d in v._wallets.values() for t, _ in d)
