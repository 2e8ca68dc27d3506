"""Memory is bounded: millions of events for one asset, every structure within its cap.

Two million (about 1.7 market hours) in the default suite: every cap (8,192 trade ids,
5,000 wallets, 16 pools) fills within the first hundred thousand. `make soak` runs ten
million (about 9 hours).
"""

from __future__ import annotations

import resource
from pathlib import Path

import pytest

from dexcex.config.core_settings import CoreSettings
from dexcex.core import Core
from dexcex.domain import (
    Chain,
    DexPrice,
    DexSwap,
    ManualClock,
    PoolLiquidity,
    Side,
)
from tests.factories import T0, make_asset, make_book


def _rss_mb() -> float:
    """The current resident set (the peak, where /proc is missing): the peak alone could be
    an earlier test's, and then no growth here would show."""
    statm = Path("/proc/self/statm")
    if statm.exists():
        return int(statm.read_text().split()[1]) * resource.getpagesize() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize(
    "events", [2_000_000, pytest.param(10_000_000, marks=pytest.mark.soak)], ids=["2M", "10M"]
)
def test_millions_of_events_stay_within_the_caps(events: int) -> None:
    s = CoreSettings()
    clock = ManualClock(T0)
    asset = make_asset()
    core = Core([asset], s, clock)
    main_pool = asset.dex[0].pools[0].address
    pools = [main_pool] + [f"extra-pool-{i}" for i in range(40)]  # more pools than the cap
    token = asset.dex[0].token_address
    rss_after_warmup = 0.0
    ts = T0
    buy, sell = Side.BUY, Side.SELL
    sol = Chain.SOLANA
    on_event = core.on_event
    for i in range(events):
        ts += 3  # ~330 events/s: 10 M events span ~9 hours
        k = i % 1000
        if k == 0:
            ev: object = make_book(2.0 + (i % 7) * 1e-3, ts=ts)
        elif k == 1:
            ev = PoolLiquidity(
                "wif", sol, "raydium", pools[i % 41], 1e6 + i % 997, 5e5, 2.5e5, ts, ts
            )
        elif k == 2:
            ev = DexPrice("wif", sol, token, 2.0, ts, ts)
        else:
            # every trade from a new wallet and with a new tx id: the worst case for memory
            ev = DexSwap(
                "wif",
                sol,
                "raydium",
                pools[k % 41],
                f"tx{i}",
                f"w{i}",
                buy if (i // 5000) % 3 else sell,
                1.0,
                2.0,
                2.0,
                2.0,
                2.0,
                ts,
                ts,
            )
        clock.set(ts)
        on_event(ev)  # type: ignore[arg-type]
        if i == events // 10:
            rss_after_warmup = _rss_mb()
    st = core._assets["wif"]
    of, vp = s.analytics.orderflow, s.analytics.volume_price
    assert st.flow.asset.trades > events * 0.99
    assert len(st.flow._seen) <= of.dedup_size
    assert len(st.flow.pools) <= of.max_pools
    assert len(st.liq) <= of.max_pools
    for tracker in [st.flow.asset, *st.flow.pools.values()]:
        assert len(tracker._recent) <= of.max_traders

        assert len(tracker.w._ring) == max(of.windows_s) + 1
    assert len(st.vp._wallets) <= vp.max_wallets
    assert all(len(d) <= 64 for d in st.vp._wallets.values())
    assert len(st.vp.dex._ring) <= vp.leadlag_window_s + 2 * vp.leadlag_max_lag_s + 2
    assert len(st.vp.cex._ring) <= vp.leadlag_window_s + 2 * vp.leadlag_max_lag_s + 2
    for lt in st.liq.values():
        assert len(lt._hist) <= s.analytics.liquidity.history
    assert len(core.signals._quiet_until) <= 2
    # and nothing else grew: the process did not gain more than 64 MB after the first tenth
    assert _rss_mb() - rss_after_warmup < 64, (rss_after_warmup, _rss_mb())
