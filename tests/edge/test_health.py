from __future__ import annotations

import asyncio
import time

from dexcex.domain import HealthState, ManualClock, SourceKind
from dexcex.edge.health import HealthTracker, LatencyWindow
from dexcex.edge.ratelimit import RateLimit, RateLimiter


def test_states_counts_and_rates() -> None:
    clock = ManualClock(1_700_000_000_000)
    t = HealthTracker("mexc", SourceKind.CEX_VENUE, clock.now_ms, stale_after_ms=5000)
    assert t.state() is HealthState.DOWN
    t.on_connect()
    for _ in range(50):
        clock.advance(100)
        t.on_message(clock.now_ms() - 20)
    h = t.snapshot()
    assert h.state is HealthState.OK and h.msg_rate == 5.0 and h.latency_p50_ms == 20
    clock.advance(6000)
    assert t.state() is HealthState.STALE
    t.on_rate_limited(3)
    assert t.state() is HealthState.RATE_LIMITED
    clock.advance(3001)
    t.on_disconnect("closed")
    t.on_connect()
    assert t.reconnects == 1
    for _ in range(1000):
        t.reject("bad_json", "x")
    t.reject("bad_txs")
    assert t.rejected_total == 1001 and t.snapshot().rejected == 1001


def test_latency_percentiles() -> None:
    w = LatencyWindow(100)
    for i in range(1, 201):
        w.add(float(i))
    # the last 100 samples (101..200) remain; nearest-rank percentiles
    assert len(w) == 100 and w.percentile(50) == 151.0 and w.percentile(99) == 199.0


async def test_rate_limiter_paces_and_blocks() -> None:
    lim = RateLimiter((RateLimit("ip", 10, 1.0),))
    started = time.monotonic()
    for _ in range(15):
        await lim.acquire({"ip": 1})
    elapsed = time.monotonic() - started
    assert 0.4 <= elapsed <= 0.8  # 10 free, then 5 more at 10/s
    lim.block("ip", 0.3)
    started = time.monotonic()
    await lim.acquire({"ip": 1})
    assert time.monotonic() - started >= 0.3
    await asyncio.sleep(0)
