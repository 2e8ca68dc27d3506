from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dexcex.analytics.liquidity import LiquidityTracker
from dexcex.analytics.stats import alpha_for
from dexcex.config.core_settings import LiquiditySettings

T = 1_700_000_000_000


def tracker(**kw: object) -> LiquidityTracker:
    return LiquidityTracker("pool", LiquiditySettings(**kw))  # type: ignore[arg-type]


def test_swaps_do_not_look_like_liquidity_changes() -> None:
    """With reserves, the level is sqrt(base·quote): a swap keeps the product, so nothing moves."""
    t = tracker()
    assert t.update(T, 2000.0, 1000.0, 1000.0) is None  # first snapshot: a level, no change
    r = t.update(T + 1000, 2000.0, 1100.0, 1000.0 * 1000.0 / 1100.0)
    assert r is not None
    assert r.basis == "reserves"
    assert r.velocity_usd_s == pytest.approx(0.0, abs=1e-9)
    assert (r.adds_usd, r.removals_usd, r.drain) == (0.0, pytest.approx(0.0, abs=1e-9), False)


def test_removal_velocity_and_drain_by_hand() -> None:
    t = tracker(half_life_s=60.0, drain_pct=10.0, drain_window_s=180.0)
    t.update(T, 2000.0, 1000.0, 1000.0)
    r = t.update(T + 1000, 1600.0, 800.0, 800.0)  # LPs take 20 % out
    assert r is not None
    # change = −20 % of today's 1600 USD = −320 USD in 1 s
    a = alpha_for(1.0, 60.0)
    assert r.velocity_usd_s == pytest.approx(a * -320.0)
    assert r.acceleration_usd_s2 == pytest.approx(a * (a * -320.0))
    assert r.removals_usd == pytest.approx(320.0)
    # drawdown: 320 pulled out of the 1920 there was before it
    assert r.drawdown_pct == pytest.approx(320 / 1920 * 100)
    assert r.drain
    # an add later in the window counts as an add; the removal is still in the window
    r = t.update(T + 2000, 1800.0, 900.0, 900.0)
    assert r is not None
    assert r.adds_usd == pytest.approx(0.125 * 1800.0)
    assert r.removals_usd == pytest.approx(320.0)
    # 180 s later the removal has left the window: no drain any more
    r = t.update(T + 200_000, 1800.0, 900.0, 900.0)
    assert r is not None and not r.drain and r.removals_usd == 0.0


def test_usd_basis_drawdown_from_the_window_high() -> None:
    t = tracker(drain_pct=10.0)
    t.update(T, 1000.0, None, None)
    r1 = t.update(T + 1000, 950.0, None, None)
    r2 = t.update(T + 2000, 880.0, None, None)
    assert r1 is not None and r2 is not None
    assert r1.basis == "usd" and not r1.drain
    assert r2.drawdown_pct == pytest.approx(12.0)
    assert r2.drain


def test_cusum_flags_a_sudden_removal_not_the_noise() -> None:
    t = tracker(cusum_k=0.5, cusum_h=6.0)
    base = quote = 1000.0
    t.update(T, 2 * base, base, quote)
    suddens = []
    for i in range(1, 200):  # LP noise: ±0.1 % alternating
        f = 1.001 if i % 2 else 1 / 1.001
        base, quote = base * f, quote * f
        r = t.update(T + i * 1000, 2 * base, base, quote)
        assert r is not None
        suddens.append(r.sudden)
    assert not any(suddens)
    r = t.update(T + 300_000, 2 * base * 0.9, base * 0.9, quote * 0.9)
    assert r is not None and r.sudden == -1
    assert t.cusum_neg == 0.0  # reset after the alarm


def test_bad_and_out_of_order_snapshots_are_rejected_and_counted() -> None:
    t = tracker()
    t.update(T, 1000.0, None, None)
    assert t.update(T + 1000, math.nan, None, None) is None
    assert t.update(T + 1000, -5.0, None, None) is None
    assert t.update(T + 1000, 1000.0, math.inf, 5.0) is None
    assert t.update(T, 900.0, None, None) is None  # not newer than what we have
    assert t.rejected == 4
    r = t.update(T + 2000, 1000.0, None, None)
    assert r is not None and r.liquidity_usd == 1000.0


def test_history_is_capped() -> None:
    t = tracker(history=16, drain_window_s=1e9)
    for i in range(1000):
        t.update(T + i * 1000, 1000.0 + i, None, None)
    assert len(t._hist) == 16


@given(
    st.lists(
        st.tuples(
            st.integers(1, 5000), st.floats(0.0, 1e9), st.floats(1.0, 1e6), st.floats(1.0, 1e6)
        ),
        max_size=80,
    )
)
def test_readings_stay_finite(updates: list[tuple[int, float, float, float]]) -> None:
    t = tracker()
    ts = T
    for dt, usd, b, q in updates:
        ts += dt
        r = t.update(ts, usd, b, q)
        if r is not None:
            for v in (r.velocity_usd_s, r.acceleration_usd_s2, r.change_z, r.drawdown_pct):
                assert math.isfinite(v)
            assert r.adds_usd >= 0 and r.removals_usd >= 0
