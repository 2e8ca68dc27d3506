"""Data accuracy: shares per source, blame only when it is clear, exclusion from the
core until the source agrees again."""

from __future__ import annotations

from typing import Any

from dexcex.domain import (
    BookLevel,
    Chain,
    DexFlowDelta,
    DexPrice,
    DexSwap,
    ManualClock,
    OrderBook,
    Side,
    VenueId,
)
from dexcex.monitor.accuracy import AccuracyMonitor, AccuracySettings
from dexcex.pipeline.engine import Engine

T0 = 1_700_000_000_000


def dex(source: str, px: float, ts: int) -> DexPrice:
    return DexPrice("wif", Chain.SOLANA, "tok", px, ts, ts, source=source)


def book(mid: float, ts: int) -> OrderBook:
    return OrderBook(
        VenueId.MEXC,
        "WIF/USDT",
        (BookLevel(mid * 0.999, 10.0),),
        (BookLevel(mid * 1.001, 10.0),),
        1,
        ts,
        ts,
    )


def run(
    mon: AccuracyMonitor, clock: ManualClock, seconds: int, bird: float, screener: float | None
) -> None:
    for _ in range(seconds):
        clock.advance(1_000)
        now = clock.now_ms()
        mon.observe(dex("birdeye", bird, now))
        if screener is not None:
            mon.observe(dex("dexscreener", screener, now))
        mon.observe(book(2.51, now))  # a steady 40 bps basis over the DEX


def monitor() -> tuple[AccuracyMonitor, ManualClock, list[tuple[str, bool]]]:
    clock = ManualClock(T0)
    mon = AccuracyMonitor(
        clock, lambda v, s: "wif" if s == "WIF/USDT" else None, AccuracySettings(min_samples=10)
    )
    changes: list[tuple[str, bool]] = []
    mon.on_change.append(lambda src, ex, _share: changes.append((src, ex)))
    return mon, clock, changes


def test_agreeing_sources_score_full_marks() -> None:
    mon, clock, changes = monitor()
    run(mon, clock, 120, 2.50, 2.501)
    assert mon.share("birdeye") == 1.0 and mon.share("dexscreener") == 1.0
    assert mon.excluded == set() and changes == []


def test_the_source_that_alone_disagrees_is_excluded_until_it_agrees() -> None:
    mon, clock, changes = monitor()
    run(mon, clock, 60, 2.50, 2.50)  # the basis is learned while all agree
    run(mon, clock, 120, 2.58, 2.50)  # Birdeye 3.2 % off both DexScreener and the CEX
    assert mon.excluded == {"birdeye"} and changes == [("birdeye", True)]
    assert mon.share("dexscreener") == 1.0  # not blamed for Birdeye's error
    assert (mon.share("birdeye") or 1.0) < 0.95
    run(mon, clock, 1_000, 2.50, 2.50)  # fixed: its share climbs back
    assert mon.excluded == set() and changes[-1] == ("birdeye", False)


def test_two_sources_that_disagree_blame_no_one() -> None:
    clock = ManualClock(T0)
    mon = AccuracyMonitor(clock, lambda v, s: None, AccuracySettings(min_samples=5))
    for _ in range(100):
        clock.advance(1_000)
        mon.observe(dex("birdeye", 2.6, clock.now_ms()))
        mon.observe(dex("dexscreener", 2.5, clock.now_ms()))
    assert mon.excluded == set() and mon.share("birdeye") is None


def test_book_checks_count_for_the_venue() -> None:
    mon, _, changes = monitor()
    for i in range(30):
        mon.book_check("mexc", i % 3 != 0)
    assert mon.share("mexc") == 20 / 30 and ("mexc", True) in changes


class _Core:
    def __init__(self) -> None:
        self.seen: list[Any] = []

    def on_event(self, ev: Any) -> None:
        self.seen.append(ev)


def test_the_engine_keeps_an_excluded_source_from_the_core() -> None:
    core = _Core()
    clock = ManualClock(T0)
    eng = Engine(core, clock, reorder_ms=0)  # type: ignore[arg-type]
    taps: list[Any] = []
    eng.listeners.append(taps.append)
    monitor = AccuracyMonitor(clock, lambda _v, _s: "wif")
    monitor.excluded.add("birdeye")
    eng.exclusion = monitor
    evs = [dex("birdeye", 2.5, T0), dex("dexscreener", 2.5, T0 + 1), book(2.5, T0 + 2)]
    eng.step(evs, T0 + 10)
    assert [getattr(e, "source", "book") for e in core.seen] == ["dexscreener", "book"]
    assert len(taps) == 3 and eng.excluded_events == 1


# --- like with like: pool by pool, at one moment ---------------------------------------------


def swap(pool: str, px: float, ts: int) -> DexSwap:
    return DexSwap(
        "wif", Chain.SOLANA, "raydium", pool, f"tx{ts}{pool}", "w", Side.BUY, 1.0, px, px,
        px, px, ts, ts,
    )  # fmt: skip


def snapshot(pool: str, px: float, ts: int) -> DexFlowDelta:
    return DexFlowDelta(
        "wif", Chain.SOLANA, "raydium", pool, 20_000, 1, 1, 10.0, 5, 5, 100.0, px, ts, ts
    )


def polled_world(
    mon: AccuracyMonitor, clock: ManualClock, seconds: int, pools: dict[str, float], *,
    spike_every_s: int = 0, screener_off: float = 0.0,
) -> None:  # fmt: skip
    """Birdeye streams a swap per pool per second; DexScreener polls every 20 s; the CEX
    book sits 40 bp over. ``spike_every_s``: a large swap moves the first pool 3 % for
    3 s, until arbitrage brings it back."""
    first = next(iter(pools))
    for i in range(seconds):
        clock.advance(1_000)
        now = clock.now_ms()
        for pool, px in pools.items():
            spiking = spike_every_s and pool == first and i % spike_every_s < 3
            mon.observe(swap(pool, px * 1.03 if spiking else px, now))
            if i % 20 == 0:
                mon.observe(snapshot(pool, px * (1 + screener_off), now - 1_500))
        mon.observe(book(2.51, now))


def test_a_polled_snapshot_is_not_held_against_the_swaps_that_came_after_it() -> None:
    # Compared latest with latest, every spike of the streamed pool would count against
    # Birdeye (the snapshot seconds older does not show it): at one moment, no one is wrong.
    mon, clock, changes = monitor()
    polled_world(mon, clock, 1_200, {"poolA": 2.50}, spike_every_s=15)
    assert mon.share("birdeye") == 1.0 and mon.share("dexscreener") == 1.0
    assert changes == []


def test_pools_of_one_token_are_compared_pool_by_pool() -> None:
    # a thin pool 1.6 % over the main one: each source is right about each pool
    mon, clock, changes = monitor()
    polled_world(mon, clock, 1_200, {"main": 2.50, "thin": 2.54})
    assert mon.share("birdeye") == 1.0 and mon.share("dexscreener") == 1.0
    assert changes == []


def test_a_source_wrong_about_a_pool_is_still_excluded() -> None:
    mon, clock, changes = monitor()
    polled_world(mon, clock, 120, {"main": 2.50})  # the basis is learned while all agree
    polled_world(mon, clock, 1_200, {"main": 2.50}, screener_off=0.03)
    assert ("dexscreener", True) in changes and "birdeye" not in mon.excluded
    assert mon.share("birdeye") == 1.0
