from __future__ import annotations

import asyncio
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dexcex.domain import DexPrice
from dexcex.pipeline.backoff import Backoff
from dexcex.pipeline.bus import ControlChannel, MarketBus, Reorderer
from tests.factories import T0, make_asset

TOKEN = make_asset().dex[0].token_address


def price(ts: int, recv: int | None = None) -> DexPrice:
    return DexPrice("wif", make_asset().dex[0].chain, TOKEN, 1.0, ts, recv or ts)


def test_backoff_doubles_up_to_the_cap_with_full_jitter() -> None:
    b = Backoff(0.5, 8.0, random.Random(1))
    assert [b.ceiling(n) for n in range(1, 8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    delays = [b.delay(3) for _ in range(500)]
    assert min(delays) >= 0.0 and max(delays) <= 2.0
    assert max(delays) - min(delays) > 1.5  # spread, not one fixed value
    with pytest.raises(ValueError):
        Backoff(2.0, 1.0)


def test_market_bus_drops_the_oldest_and_counts() -> None:
    bus = MarketBus(3)
    for i in range(5):
        bus.publish(price(T0 + i))
    assert bus.dropped == 2 and bus.published == 5
    assert [e.ts_event for e in bus.drain()] == [T0 + 2, T0 + 3, T0 + 4]
    assert bus.drain() == []


async def test_market_bus_wakes_a_waiting_consumer() -> None:
    bus = MarketBus(10)

    async def later() -> None:
        await asyncio.sleep(0.05)
        bus.publish(price(T0))

    task = asyncio.create_task(later())
    await asyncio.wait_for(bus.wait(), 1.0)
    assert len(bus.drain()) == 1
    await task


def test_reorderer_releases_in_event_time_after_the_window() -> None:
    r = Reorderer(250)
    r.push(price(T0 + 100))
    r.push(price(T0 + 50))  # arrived later, happened earlier
    r.push(price(T0 + 400))
    assert r.release(T0 + 300) == [price(T0 + 50)]  # only what is 250 ms old
    assert [e.ts_event for e in r.release(T0 + 700)] == [T0 + 100, T0 + 400]
    r.push(price(T0 + 10))  # far too late: released at once, counted
    assert [e.ts_event for e in r.release(T0 + 700)] == [T0 + 10]
    assert r.late == 1
    r.push(price(T0 + 800))
    assert [e.ts_event for e in r.flush()] == [T0 + 800] and len(r) == 0


@given(st.lists(st.integers(0, 5000), max_size=200), st.integers(0, 1000))
def test_reorderer_output_is_sorted_within_the_window(offsets: list[int], window: int) -> None:
    """Events that arrive at most ``window`` late come out in time order; none is lost."""
    r = Reorderer(window)
    out: list[int] = []
    arrivals = sorted((t + (t * 7919 % (window + 1)), t) for t in offsets)  # delay <= window
    for arrival, t in arrivals:
        r.push(price(T0 + t))
        out += [e.ts_event - T0 for e in r.release(T0 + arrival)]
    out += [e.ts_event - T0 for e in r.flush()]
    assert sorted(out) == sorted(offsets)
    assert out == sorted(out)
    assert r.late == 0


async def test_control_channel_never_drops_it_makes_the_publisher_wait() -> None:
    ch: ControlChannel[int] = ControlChannel(2)
    await ch.put(1)
    await ch.put(2)
    blocked = asyncio.create_task(ch.put(3))
    await asyncio.sleep(0.05)
    assert not blocked.done() and ch.waited == 1
    assert await ch.get() == 1
    await asyncio.wait_for(blocked, 1.0)
    assert [await ch.get(), await ch.get()] == [2, 3]
