from __future__ import annotations

import math

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dexcex.analytics.orderflow import OrderFlow
from dexcex.config.core_settings import OrderFlowSettings

T = 1_700_000_000_000  # ms


def flow(**kw: object) -> OrderFlow:
    return OrderFlow("wif", OrderFlowSettings(**kw))  # type: ignore[arg-type]


def add(
    f: OrderFlow,
    ts: int,
    buy: bool,
    usd: float,
    *,
    pool: str = "p1",
    trader: str | None = None,
    tx: str | None = None,
    reverting: bool = False,
    price: float = 10.0,
) -> bool:
    return f.add(ts, pool, buy, usd / price, usd, trader, tx, reverting)


def test_windows_by_hand() -> None:
    f = flow()
    add(f, T, True, 100.0)
    add(f, T + 10, True, 300.0)
    add(f, T + 20, False, 200.0)
    r = f.reading(T + 20)
    w10 = r.window(10)
    assert (w10.buy_usd, w10.sell_usd, w10.buys, w10.sells) == (400.0, 200.0, 2, 1)
    assert (w10.buy_base, w10.sell_base) == (40.0, 20.0)
    assert w10.imbalance == pytest.approx(1 / 3)
    # 12 s later the first three trades have left the 10 s window, not the 20 s one
    add(f, T + 12_000, False, 100.0)
    r = f.reading(T + 12_000)
    assert r.window(10).imbalance == -1.0
    assert (r.window(10).buy_usd, r.window(10).sell_usd) == (0.0, 100.0)
    assert r.window(20).imbalance == pytest.approx((400 - 300) / 700)
    # and 31 s after the last one, every window is empty again
    add(f, T + 43_000, True, 50.0)
    r = f.reading(T + 43_000)
    assert [w.buy_usd + w.sell_usd for w in r.windows] == [50.0, 50.0, 50.0]


def test_pools_and_asset_merge() -> None:
    f = flow()
    add(f, T, True, 100.0, pool="a")
    add(f, T + 1, False, 40.0, pool="b")
    assert f.reading(T, "a").window(10).imbalance == 1.0
    assert f.reading(T, "b").window(10).imbalance == -1.0
    assert f.reading(T).window(10).imbalance == pytest.approx(60 / 140)


def test_a_pool_split_off_its_asset_reads_as_if_tracked_alone_from_the_start() -> None:
    """While one pool trades, its tracker is the asset's; once a second pool trades the
    first gets its own, in the same state as a tracker that saw only its trades."""
    f, alone = flow(), flow()
    for i in range(200):  # a minute of pool "a" alone, with traders and a revert
        ts, buy = T + i * 300, i % 3 != 0
        add(f, ts, buy, 10.0 + i, pool="a", trader=f"w{i % 7}", reverting=i == 50)
        add(alone, ts, buy, 10.0 + i, pool="a", trader=f"w{i % 7}", reverting=i == 50)
    assert f.reading(T, "a") == msgspec.structs.replace(f.reading(T), key="a")
    for i in range(200, 400):
        ts = T + i * 300
        add(f, ts, True, 5.0, pool="b", trader="x")
        add(f, ts + 1, i % 2 == 0, 20.0, pool="a", trader=f"w{i % 7}")
        add(alone, ts + 1, i % 2 == 0, 20.0, pool="a", trader=f"w{i % 7}")
        now = ts + 1
        assert f.reading(now, "a") == msgspec.structs.replace(alone.reading(now), key="a")
    assert f.reading(now, "b").window(30).buy_usd == pytest.approx(5.0 * 100)
    assert f.reading(now).window(30).buy_usd > f.reading(now, "a").window(30).buy_usd


def test_reverting_trades_count_as_volume_not_pressure() -> None:
    f = flow()
    add(f, T, True, 100.0)
    add(f, T + 1, False, 500.0, reverting=True)
    w = f.reading(T).window(10)
    assert (w.buy_usd, w.sell_usd, w.reverting_usd, w.imbalance) == (100.0, 0.0, 500.0, 1.0)


def test_large_trade_share() -> None:
    f = flow()
    for i in range(30):
        add(f, T + i, True, 100.0)
    assert f.reading(T).window(10).large_share == 0.0  # too few sizes seen to call any large
    assert f.large_threshold_usd() == pytest.approx(100.0)
    add(f, T + 40, False, 1000.0)
    assert f.reading(T).window(10).large_share == pytest.approx(1000 / 4000)


def test_distinct_buyers_and_concentration_only_with_trader_ids() -> None:
    f = flow()
    add(f, T, True, 10.0)
    r = f.reading(T)
    assert (r.distinct_buyers, r.buy_concentration, r.sell_concentration) == (None, None, None)
    add(f, T + 1, True, 10.0, trader="A")
    add(f, T + 2, True, 10.0, trader="B")
    add(f, T + 3, True, 10.0, trader="A")
    add(f, T + 4, True, 10.0, trader="A")
    add(f, T + 5, False, 10.0, trader="C")  # a seller is not a buyer
    r = f.reading(T + 5)
    assert r.distinct_buyers == 2
    assert r.buy_concentration == pytest.approx(1 - 2 / 4)  # 4 buys from 2 wallets
    assert r.sell_concentration == 0.0  # 1 sell from 1 wallet
    add(f, T + 25_000, True, 10.0, trader="D")  # the rest fell out of the 20 s window
    r = f.reading(T + 25_000)
    assert (r.distinct_buyers, r.buy_concentration, r.sell_concentration) == (1, 0.0, None)


def test_pools_past_the_cap_count_in_the_asset_only() -> None:
    f = flow(max_pools=2)
    for i in range(5):
        add(f, T + i, True, 10.0, pool=f"p{i}")
    assert set(f.pools) == {"p0", "p1"}
    assert f.reading(T).window(10).buy_usd == 50.0


@pytest.mark.parametrize(
    ("base", "usd"),
    [
        (math.nan, 1.0),
        (1.0, math.nan),
        (math.inf, 1.0),
        (1.0, -math.inf),
        (-1.0, 1.0),
        (1.0, -5.0),
        (0.0, 1.0),
        (1.0, 0.0),
    ],
)
def test_bad_amounts_are_rejected_and_counted(base: float, usd: float) -> None:
    f = flow()
    add(f, T, True, 100.0)
    assert f.add(T + 1, "p1", True, base, usd, None, None) is False
    assert f.rejected == 1
    w = f.reading(T).window(10)
    assert (w.buy_usd, w.buys) == (100.0, 1)
    assert all(math.isfinite(x) for x in (w.buy_base, w.imbalance, w.large_share))


def test_duplicates_are_dropped_and_counted() -> None:
    f = flow()
    assert add(f, T, True, 100.0, tx="sig1")
    assert not add(f, T + 5, True, 100.0, tx="sig1")
    assert f.duplicates == 1
    assert f.reading(T).window(10).buy_usd == 100.0
    assert add(f, T + 6, True, 100.0)  # no tx id: cannot be a duplicate


def test_dedup_memory_is_bounded() -> None:
    f = flow(dedup_size=100)
    for i in range(1000):
        add(f, T + i, True, 1.0, tx=f"tx{i}")
    assert len(f._seen) == 100
    assert add(f, T + 2000, True, 1.0, tx="tx0")  # long forgotten: accepted again


def test_late_events_rule() -> None:
    """Late by up to ``max_late_s``: counted in the current second; later still: rejected."""
    f = flow(max_late_s=30)
    add(f, T + 60_000, True, 100.0)
    assert add(f, T + 35_000, False, 50.0)  # 25 s late: accepted, lands in the current second
    assert f.reading(T + 60_000).window(10).sell_usd == 50.0
    assert not add(f, T + 20_000, False, 50.0)  # 40 s late: rejected
    assert f.late == 1
    assert f.reading(T + 60_000).window(30).sell_usd == 50.0


def test_zscore_intensity_and_trigger_by_hand() -> None:
    # One-second window and a one-second half-life make every step hand-computable:
    # the baseline EWMA weight of a new second is 1 - 2^-1 = 0.5.
    f = flow(
        windows_s=[1],
        trigger_window_s=1,
        baseline_half_life_s=1.0,
        imbalance_threshold=0.9,
        intensity_threshold=1.0,
        z_threshold=1.5,
        min_trades=2,
    )
    s0, s1, s2 = T, T + 1000, T + 2000
    add(f, s0, True, 3.0)
    add(f, s0 + 1, False, 1.0)  # second 0: imbalance +0.5, volume 4
    add(f, s1, True, 1.0)
    add(f, s1 + 1, False, 3.0)  # second 1: imbalance -0.5, volume 4
    for i in range(4):
        add(f, s2 + i, True, 1.0)  # second 2: imbalance +1, volume 4
    # imbalance baseline: mean 0.5 → 0.5 + 0.5·(−1) = 0, variance 0.5·(0 + (−1)(−0.5)) = 0.25
    base = f.asset.baseline_imbalance
    assert (base.mean, base.var) == (0.0, 0.25)
    r = f.reading(s2)
    assert r.imbalance_z == pytest.approx(2.0)  # (1 − 0) / 0.5
    assert r.intensity == pytest.approx(1.0)  # 4 USD against a baseline of 4 USD/s × 1 s
    assert r.baseline_usd_per_s == pytest.approx(4.0)
    assert r.triggered and r.direction == 1


def test_trigger_needs_min_trades() -> None:
    f = flow(
        windows_s=[1],
        trigger_window_s=1,
        baseline_half_life_s=1.0,
        imbalance_threshold=0.9,
        intensity_threshold=0.5,
        z_threshold=0.5,
        min_trades=5,
    )
    add(f, T, True, 3.0)
    add(f, T + 1, False, 1.0)
    add(f, T + 1000, True, 1.0)
    add(f, T + 1001, False, 3.0)
    add(f, T + 2000, True, 4.0)  # one big trade: imbalance 1, but one trade only
    r = f.reading(T + 2000)
    assert not r.triggered and r.direction == 0


trade = st.tuples(
    st.integers(0, 120_000),  # ms offset
    st.booleans(),
    st.one_of(
        st.floats(0.01, 1e7),
        st.sampled_from([math.nan, math.inf, -math.inf, -1.0, 0.0]),
    ),
    st.sampled_from(["p1", "p2"]),
)


@given(st.lists(trade, max_size=200))
def test_imbalance_bounded_and_bad_input_never_propagates(trades: list[tuple]) -> None:
    f = flow()
    trades.sort(key=lambda t: t[0])
    bad = 0
    for ts, buy, usd, pool in trades:
        ok = f.add(T + ts, pool, buy, 1.0, usd, None, None)
        good = math.isfinite(usd) and usd > 0
        bad += not good
        assert ok == good
        r = f.reading(T + ts)
        for w in r.windows:
            assert -1.0 <= w.imbalance <= 1.0
            assert 0.0 <= w.large_share <= 1.0 + 1e-9
            assert math.isfinite(w.buy_usd) and math.isfinite(w.sell_usd)
        assert math.isfinite(r.imbalance_z) and math.isfinite(r.intensity)
    assert f.rejected == bad


@given(
    st.lists(st.tuples(st.integers(0, 90_000), st.booleans(), st.floats(0.01, 1e6)), max_size=150)
)
def test_window_equals_recount_of_its_span(trades: list[tuple[int, bool, float]]) -> None:
    """Every window holds exactly the trades of its last N seconds (it forgets the rest)."""
    f = flow()
    trades.sort(key=lambda t: t[0])
    for i, (ts, buy, usd) in enumerate(trades):
        f.add(T + ts, "p1", buy, 1.0, usd, None, None)
        now_s = (T + ts) // 1000
        r = f.reading(T + ts)
        for w in r.windows:
            inside = [t for t in trades[: i + 1] if (T + t[0]) // 1000 > now_s - w.span_s]
            b = sum(u for _, is_buy, u in inside if is_buy)
            s = sum(u for _, is_buy, u in inside if not is_buy)
            assert w.buy_usd == pytest.approx(b, rel=1e-9, abs=1e-6)
            assert w.sell_usd == pytest.approx(s, rel=1e-9, abs=1e-6)


def test_trader_history_keeps_only_the_longest_window() -> None:
    f = flow()
    for i in range(200):
        add(f, T + i * 1000, i % 2 == 0, 10.0, trader=f"w{i}")
    # 30 s window, second-bucketed: the current second and the 30 before it at most
    assert len(f.asset._recent) <= 31
    assert f.reading(T + 199_000).distinct_buyers == 10
