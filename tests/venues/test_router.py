"""Failover: MEXC primary, Bybit backup, with hysteresis."""

from __future__ import annotations

import asyncio
import contextlib
from decimal import Decimal
from typing import Any

from pydantic import SecretStr

from dexcex.config import VenueSettings
from dexcex.domain import (
    CexMarket,
    DexcexError,
    FailoverEvent,
    ManualClock,
    OrderType,
    Side,
    SourceKind,
    VenueId,
)
from dexcex.edge.health import HealthTracker
from dexcex.sim.scenario import Fault, FaultKind, load_scenario
from dexcex.sim.world import run_sim
from dexcex.venues.bybit.client import BybitVenue
from dexcex.venues.mexc.client import MexcVenue
from dexcex.venues.router import FailoverPolicy, VenueRouter

T0 = 1_700_000_000_000


class FakeVenue:
    def __init__(self, vid: VenueId, clock: ManualClock) -> None:
        self.id = vid
        self.tracker = HealthTracker(
            vid.value, SourceKind.CEX_VENUE, clock.now_ms, stale_after_ms=5000
        )
        self.tracker.on_connect()
        self.tracker.on_message()


def make() -> tuple[VenueRouter, ManualClock, dict[VenueId, FakeVenue], list[FailoverEvent]]:
    clock = ManualClock(T0)
    venues = {v: FakeVenue(v, clock) for v in VenueId}
    events: list[FailoverEvent] = []
    router = VenueRouter(
        venues,
        VenueId.MEXC,
        clock,  # type: ignore[arg-type]
        FailoverPolicy(unhealthy_after_s=3, healthy_after_s=15),
        events.append,
    )
    return router, clock, venues, events


def tick(
    router: VenueRouter,
    clock: ManualClock,
    venues: dict[VenueId, FakeVenue],
    s: int,
    alive: dict[VenueId, bool],
) -> None:
    for _ in range(s * 10):
        clock.advance(100)
        for vid, v in venues.items():
            if alive[vid]:
                if not v.tracker.connected:
                    v.tracker.on_connect()
                v.tracker.on_message()
            elif v.tracker.connected:
                v.tracker.on_disconnect("down")
        router.assess()


def test_switches_after_the_primary_is_bad_long_enough_and_back_after_the_longer_wait() -> None:
    router, clock, venues, events = make()
    up = {VenueId.MEXC: True, VenueId.BYBIT: True}
    tick(router, clock, venues, 5, up)
    assert router.active is VenueId.MEXC and not events
    up[VenueId.MEXC] = False
    tick(router, clock, venues, 2, up)
    assert router.active is VenueId.MEXC  # 2 s bad: not yet
    tick(router, clock, venues, 2, up)
    assert router.active is VenueId.BYBIT and events[0].to_venue is VenueId.BYBIT
    assert "mexc down" in events[0].reason
    assert not venues[VenueId.MEXC].tracker.active and venues[VenueId.BYBIT].tracker.active
    up[VenueId.MEXC] = True
    tick(router, clock, venues, 10, up)
    assert router.active is VenueId.BYBIT  # healthy 10 s < 15 s: stay
    tick(router, clock, venues, 6, up)
    assert router.active is VenueId.MEXC and len(events) == 2


def test_a_flickering_primary_does_not_flap() -> None:
    router, clock, venues, events = make()
    up = {VenueId.MEXC: True, VenueId.BYBIT: True}
    for _ in range(20):  # 2 s down, 2 s up, over and over
        up[VenueId.MEXC] = False
        tick(router, clock, venues, 2, up)
        up[VenueId.MEXC] = True
        tick(router, clock, venues, 2, up)
    assert events == []  # never bad for 3 s in a row
    for _ in range(10):  # now 4 s down, 4 s up
        up[VenueId.MEXC] = False
        tick(router, clock, venues, 4, up)
        up[VenueId.MEXC] = True
        tick(router, clock, venues, 4, up)
    assert len(events) == 1 and router.active is VenueId.BYBIT  # out once, never healthy 15 s


def test_a_venue_still_starting_is_not_failed_over() -> None:
    clock = ManualClock(T0)
    venues = {v: FakeVenue(v, clock) for v in VenueId}
    fresh = HealthTracker("mexc", SourceKind.CEX_VENUE, clock.now_ms)  # never connected
    venues[VenueId.MEXC].tracker = fresh
    router = VenueRouter(
        venues,
        VenueId.MEXC,
        clock,  # type: ignore[arg-type]
        FailoverPolicy(unhealthy_after_s=3, startup_grace_s=20),
    )
    for _ in range(150):
        clock.advance(100)
        venues[VenueId.BYBIT].tracker.on_message()
        router.assess()
    assert router.active is VenueId.MEXC  # 15 s without data, still in the grace period
    for _ in range(100):
        clock.advance(100)
        venues[VenueId.BYBIT].tracker.on_message()
        router.assess()
    assert router.active is VenueId.BYBIT  # never came up: now it is a failure


def test_no_switch_to_a_backup_that_is_down_too() -> None:
    router, clock, venues, events = make()
    tick(router, clock, venues, 10, {VenueId.MEXC: False, VenueId.BYBIT: False})
    assert router.active is VenueId.MEXC and events == []


def test_error_rate_counts_as_unhealthy() -> None:
    router, _clock, _venues, _ = make()
    for _ in range(5):
        router.record(VenueId.MEXC, ok=False)
    router.record(VenueId.MEXC, ok=True)
    assert router.problem(VenueId.MEXC) == "mexc error rate 83% over 6 requests"
    assert router.problem(VenueId.BYBIT) is None


async def test_failover_on_the_simulator_moves_orders_and_data_and_comes_back_once() -> None:
    speed = 2.0
    down = Fault(at_s=20, kind=FaultKind.DOWN, target="mexc", duration_s=30)
    sc = load_scenario("default").model_copy(update={"faults": [down], "assets": ["wif"]})
    async with run_sim(sc, speed=speed) as world:
        assert world.clock is not None
        clock = world.clock
        venues: dict[VenueId, Any] = {}
        for cls in (MexcVenue, BybitVenue):
            vid = cls.id.value
            s = VenueSettings(
                rest_url=world.urls[f"{vid}_rest"],
                ws_url=world.urls[f"{vid}_ws"],
                api_key=SecretStr("sim-key"),
                api_secret=SecretStr("sim-secret"),
                timeout_s=2.0,
                ccxt_throttle=False,
            )
            venues[cls.id] = cls(s, [CexMarket(cls.id, "WIF/USDT")], clock)
            await venues[cls.id].load_markets()
        events: list[FailoverEvent] = []
        policy = FailoverPolicy(unhealthy_after_s=2.0, healthy_after_s=6.0)
        router = VenueRouter(venues, VenueId.MEXC, clock, policy, events.append)

        async def feed(v: Any) -> None:  # a minimal supervisor: the pipeline's is richer
            while True:
                try:
                    await v.watch_order_book("WIF/USDT")
                except DexcexError:
                    await asyncio.sleep(0.2)

        end = world.scenario.start_ms + 80_000

        async def assess() -> None:  # health runs on its own, never behind an order
            while clock.now_ms() < end:
                router.assess()
                await asyncio.sleep(0.1)

        placed: list[tuple[int, VenueId]] = []

        async def orders() -> None:
            n = 0
            while clock.now_ms() < end:
                n += 1
                sent = clock.now_ms()  # routed when sent (a lookup may follow, -2013)
                with contextlib.suppress(DexcexError):
                    o = await router.create_order(
                        f"dxfo{n}", "WIF/USDT", Side.BUY, OrderType.MARKET, Decimal(5)
                    )
                    placed.append((sent, o.venue))
                await asyncio.sleep(0.5)

        feeds = [asyncio.create_task(feed(v)) for v in venues.values()]
        try:
            async with asyncio.timeout(60):
                await asyncio.gather(assess(), orders())
        finally:
            for t in feeds:
                t.cancel()
            for v in venues.values():
                await v.close()

    t_down = world.scenario.start_ms + 20_000
    t_up = t_down + 30_000
    assert [(e.from_venue, e.to_venue) for e in events] == [
        (VenueId.MEXC, VenueId.BYBIT),
        (VenueId.BYBIT, VenueId.MEXC),
    ]
    out, back = events
    # bound: unhealthy_after_s of wall time after the venue went down, plus detection (1 s)
    assert 0 <= out.ts - t_down <= (policy.unhealthy_after_s + 1.0) * 1000 * speed
    assert back.ts - t_up >= policy.healthy_after_s * 1000 * speed * 0.9
    for ts, venue in placed:
        expected = VenueId.BYBIT if out.ts < ts < back.ts else VenueId.MEXC
        if abs(ts - out.ts) > 1500 and abs(ts - back.ts) > 1500:
            assert venue is expected, (ts, venue)
    on_bybit = [
        o for o in world.exchanges["bybit"].orders.values() if o.client_id.startswith("dxfo")
    ]
    assert on_bybit and all(out.ts - 2000 <= o.time <= back.ts + 2000 for o in on_bybit)
