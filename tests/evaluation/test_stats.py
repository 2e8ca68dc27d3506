"""The statistics on hand-made data: labelling equals the labeller, the bootstrap and
the null behave as documented, adjustment and SPA come from the libraries."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dexcex.evaluation.data import Prices
from dexcex.evaluation.null import Entries, permutation_null
from dexcex.evaluation.returns import forward_ret_bps
from dexcex.evaluation.stats import adjust, block_ids, bootstrap_mean, hits, spa_pvalue
from dexcex.evaluation.verdict import Verdict, reason
from dexcex.labeling.outcomes import HORIZONS, MidSeries, label_signal


def _series(mids: list[float], step_ms: int = 1000, t0: int = 1_700_000_000_000) -> MidSeries:
    s = MidSeries()
    for i, m in enumerate(mids):
        s.add(t0 + i * step_ms, m)
    return s


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(90, 110), min_size=50, max_size=400),
    st.integers(0, 500_000),
    st.sampled_from([1, -1]),
)
def test_forward_returns_equal_the_labeller(mids: list[float], offset: int, d: int) -> None:
    s = _series(mids)
    p = Prices.of(s)
    ts = 1_700_000_000_000 + offset
    out = label_signal(ts, d, 0.0, s)
    for h, secs in HORIZONS.items():
        got = forward_ret_bps(p, np.asarray([ts]), np.asarray([d]), secs)[0]
        want = out.values[f"ret_{h}_bps"]
        if want is None:
            assert np.isnan(got)
        else:
            assert got == pytest.approx(want)


def test_latency_moves_the_entry_to_a_later_mid() -> None:
    s = _series([100.0] * 10 + [101.0] * 400)
    p = Prices.of(s)
    t = np.asarray([1_700_000_000_000 + 5_000])
    assert forward_ret_bps(p, t, np.asarray([1]), 30)[0] == pytest.approx(100.0)  # 100 → 101
    assert forward_ret_bps(p, t, np.asarray([1]), 30, 10_000)[0] == pytest.approx(0.0)  # too late


def test_hits_count_flat_as_half() -> None:
    assert hits(np.asarray([1.0, -2.0, 0.0])).tolist() == [1.0, 0.0, 0.5]


def test_block_bootstrap_is_wider_than_iid_on_clustered_values() -> None:
    rng = np.random.default_rng(1)
    shared = np.repeat(rng.normal(0, 10, 20), 10)  # 20 blocks of 10 identical outcomes
    blocks = np.repeat(np.arange(20), 10)
    blocked = bootstrap_mean(shared, blocks, reps=1000)
    iid = bootstrap_mean(shared, np.arange(200), reps=1000)
    assert blocked.ci is not None and iid.ci is not None
    assert (blocked.ci[1] - blocked.ci[0]) > 2.5 * (iid.ci[1] - iid.ci[0])
    assert blocked.blocks == 20 and blocked.n == 200


def test_bootstrap_p_values() -> None:
    rng = np.random.default_rng(2)
    blocks = np.arange(100)
    assert bootstrap_mean(rng.normal(5, 10, 100), blocks).p < 0.01
    assert bootstrap_mean(rng.normal(-5, 10, 100), blocks).p > 0.9
    few = bootstrap_mean(rng.normal(50, 1, 6), np.arange(6))
    assert few.p == 1.0 and few.ci is not None  # too few blocks to test, CI still shown
    assert bootstrap_mean(np.asarray([np.nan]), np.asarray([0])).value is None
    assert block_ids(["a", "a", "b", "a"], [0, 10, 10, 3_600_000], 3_600_000).tolist() == [
        0,
        0,
        1,
        2,
    ]


def test_too_few_blocks_say_so_instead_of_a_p_value() -> None:
    """A positive mean over fewer blocks than the plan needs is not "not significant":
    it is untested, and the verdict line says so rather than print p = 1."""
    rng = np.random.default_rng(4)
    few = bootstrap_mean(rng.normal(30, 10, 12), np.repeat(np.arange(5), [3, 3, 2, 2, 2]))
    assert few.blocks == 5 and few.p == 1.0
    why = reason(False, few, 0.05, 8)
    assert why == "too few independent blocks to test (5 asset × hour blocks; the plan needs 8)"
    v = Verdict(False, "DEX: risk-approved", "5m", 12, few, few, few, None, None, None, 0.05, why)
    assert ", p = 1.000" in v.line()  # without the plan's minimum: the bare p-value
    v = dataclasses.replace(v, min_blocks=8)
    assert ", p = n/a;" in v.line() and v.line().endswith(why)
    enough = bootstrap_mean(rng.normal(30, 10, 12), np.arange(12))
    assert reason(False, enough, 0.05, 8).startswith("not significant")
    losing = bootstrap_mean(-np.linspace(1.0, 12.0, 12), np.arange(12))
    assert reason(False, losing, 0.05, 8) == "the mean net return is not positive"


def test_adjusted_p_values_come_from_statsmodels() -> None:
    assert adjust([0.01, 0.04, 0.03], "holm") == pytest.approx([0.03, 0.06, 0.06])
    assert adjust([0.01, 0.04, 0.03], "fdr_bh") == pytest.approx([0.03, 0.04, 0.04])


def test_spa_finds_a_real_winner_and_not_a_lucky_one() -> None:
    rng = np.random.default_rng(3)
    noise = rng.normal(0, 10, (200, 5))
    lucky = spa_pvalue(noise, seed=1)
    assert lucky is not None and lucky > 0.1
    good = noise.copy()
    good[:, 2] += 6.0
    real = spa_pvalue(good, seed=1)
    assert real is not None and real < 0.05
    assert spa_pvalue(noise[:5]) is None


def test_null_keeps_blocks_together_and_finds_no_edge_in_a_random_walk() -> None:
    rng = np.random.default_rng(4)
    mids = 100 * np.exp(np.cumsum(rng.normal(0, 2e-4, 20_000)))
    s = _series(mids.tolist())
    p = Prices.of(s)
    t0 = 1_700_000_000_000
    ts = np.sort(rng.integers(t0, t0 + 19_000_000, 60))
    e = Entries(
        ["x"] * 60, ts, rng.choice([-1.0, 1.0], 60), np.full(60, 5.0), np.zeros(60, np.int64)
    )
    ret = forward_ret_bps(p, e.ts, e.direction, 300)
    null = permutation_null(
        e,
        ret - 5.0,
        ret,
        {"x": p},
        300,
        spans={},
        stale_ms=15_000,
        blocks=block_ids(e.assets, ts.tolist(), 3_600_000),
        draws=300,
        seed=1,
    )
    assert null.draws == 300
    assert 0.01 < null.p_mean < 0.99
    # the null's entries pay the same costs: its mean sits near −cost, not near 0
    assert np.nanmean(null.null_means) == pytest.approx(-5.0, abs=3.0)
