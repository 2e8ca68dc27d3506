"""Core budgets on the shared reference stream (1,000,000 taker trades, seed 42, 10
instruments): throughput of ``Core.on_event`` on one core (target ≥ 200,000 events/s) and
per-event tick → signal latency (target p99 < 1 ms).

Each row becomes a ``DexSwap`` of its instrument's pool; a synthetic CEX book around the
last price is interleaved once a second per instrument (the core needs one to score and
risk-check a signal). Events are built before the clock starts: this measures the core,
not CSV parsing.
"""

from __future__ import annotations

import importlib.util
import statistics
import time
from pathlib import Path

from benchmarks import reference_stream
from benchmarks.targets import check
from dexcex.config.core_settings import CoreSettings
from dexcex.core import Core
from dexcex.domain import (
    Asset,
    BookLevel,
    CexMarket,
    Chain,
    DexIdentity,
    DexPool,
    DexSwap,
    ManualClock,
    MarketEvent,
    OrderBook,
    Side,
    VenueId,
)
from dexcex.sim.market.ids import address

TARGET_EVENTS_PER_S = 200_000
TARGET_P99_US = 1000.0
ROWS = 1_000_000
SEED = 42
SHARED = Path(__file__).resolve().parents[2] / "shared" / "bench" / "reference_stream.py"


def _asset(sym: str) -> Asset:
    base = sym.removesuffix("USDT")
    return Asset(
        id=base.lower(),
        symbol=base,
        dex=(
            DexIdentity(
                Chain.SOLANA,
                address(Chain.SOLANA, f"token:{base}"),
                6,
                (DexPool("raydium", address(Chain.SOLANA, f"pool:{base}"), "USDC"),),
            ),
        ),
        cex=(CexMarket(VenueId.MEXC, f"{base}/USDT"),),
    )


def _book(sym: str, mid: float, ts: int, seq: int) -> OrderBook:
    step = mid * 2e-4
    bids = tuple(BookLevel(mid - step * (i + 1), 50.0 + i) for i in range(20))
    asks = tuple(BookLevel(mid + step * (i + 1), 50.0 + i) for i in range(20))
    return OrderBook(VenueId.MEXC, f"{sym.removesuffix('USDT')}/USDT", bids, asks, seq, ts, ts)


def build_events(rows: int = ROWS) -> tuple[list[Asset], list[MarketEvent]]:
    assets = {s: _asset(s) for s in reference_stream.INSTRUMENTS}
    events: list[MarketEvent] = []
    last_book_s: dict[str, int] = {}
    seq = 0
    for n, (ts, sym, raw_price, raw_size, side) in enumerate(reference_stream.generate(rows, SEED)):
        # the CSV the generator writes has 4 decimals: use exactly those values
        price = round(raw_price, 4)
        size = max(round(raw_size, 4), 0.0001)
        sec = ts // 1000
        if last_book_s.get(sym) != sec:
            last_book_s[sym] = sec
            seq += 1
            events.append(_book(sym, price, ts, seq))
        a = assets[sym]
        events.append(
            DexSwap(
                asset_id=a.id,
                chain=Chain.SOLANA,
                dex="raydium",
                pool=a.dex[0].pools[0].address,
                tx_id=f"tx{n}",
                trader=None,
                side=Side.BUY if side == "BUY" else Side.SELL,
                base_amount=size,
                quote_amount=size * price,
                usd_value=size * price,
                price_native=price,
                price_usd=price,
                ts_event=ts,
                ts_recv=ts,
            )
        )
    return list(assets.values()), events


def _check_copy() -> None:
    if not SHARED.exists():
        print("(shared reference_stream.py not found: using the vendored copy)")
        return
    spec = importlib.util.spec_from_file_location("shared_reference_stream", SHARED)
    assert spec is not None and spec.loader is not None
    shared = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shared)
    n = 20_000
    same = list(shared.generate(n, SEED)) == list(reference_stream.generate(n, SEED))
    print(f"vendored generator gives the shared one's first {n:,} rows: {same}")
    if not same:
        raise SystemExit("benchmarks/reference_stream.py differs from the shared generator")


def run() -> None:
    _check_copy()
    t0 = time.perf_counter()
    assets, events = build_events()
    swaps = sum(isinstance(e, DexSwap) for e in events)
    print(
        f"built {swaps:,} swaps + {len(events) - swaps:,} books in {time.perf_counter() - t0:.1f} s"
    )

    # The stream's one-sided bursts keep the trade rate: with the default intensity
    # threshold (×2 the baseline volume) they never trigger. A second configuration
    # triggers on imbalance alone so the signal path (scoring, book walk, risk) is timed.
    default = CoreSettings()
    of = default.analytics.orderflow.model_copy(update={"intensity_threshold": 0.5})
    relaxed = default.model_copy(
        update={"analytics": default.analytics.model_copy(update={"orderflow": of})}
    )
    for name, settings in (("default settings", default), ("intensity ≥ 0.5", relaxed)):
        _throughput(name, assets, events, settings)
    _latency(assets, events, relaxed)


def _throughput(
    name: str, assets: list[Asset], events: list[MarketEvent], settings: CoreSettings
) -> None:
    best = 0.0
    signals = 0
    for _ in range(3):
        clock = ManualClock(0)
        core = Core(assets, settings, clock)
        on_event, set_clock = core.on_event, clock.set
        started = time.perf_counter()
        out = 0
        for ev in events:
            set_clock(ev.ts_event)
            if on_event(ev) is not None:
                out += 1
        best = max(best, len(events) / (time.perf_counter() - started))
        signals = out
    print(
        f"throughput, {name}: {len(events):,} events, {signals:,} signals; best of 3: "
        f"{best:,.0f} events/s (target {TARGET_EVENTS_PER_S:,}; "
        f"ratio {best / TARGET_EVENTS_PER_S:.2f}; "
        f"{check(f'core throughput, {name}', best >= TARGET_EVENTS_PER_S)})",
        flush=True,
    )


def _latency(assets: list[Asset], events: list[MarketEvent], settings: CoreSettings) -> None:
    clock = ManualClock(0)
    core = Core(assets, settings, clock)
    lat: list[float] = []
    sig_lat: list[float] = []
    ns = time.perf_counter_ns
    for ev in events:
        a = ns()
        clock.set(ev.ts_event)
        res = core.on_event(ev)
        us = (ns() - a) / 1000.0
        lat.append(us)
        if res is not None:
            sig_lat.append(us)
    q = statistics.quantiles(lat, n=100)
    print(
        f"latency per event, intensity ≥ 0.5 (event in → readings, and where it triggers the "
        f"signal and risk decision out): p50 {q[49]:.1f} µs, p99 {q[98]:.1f} µs, "
        f"max {max(lat):,.0f} µs (target p99 < {TARGET_P99_US:.0f} µs; "
        f"ratio {TARGET_P99_US / q[98]:.0f}x under; "
        f"{check('core latency p99', q[98] < TARGET_P99_US)})"
    )
    if len(sig_lat) >= 2:
        qs = statistics.quantiles(sig_lat, n=100)
        print(
            f"latency of the {len(sig_lat):,} events that produced a signal: "
            f"p50 {qs[49]:.1f} µs, p99 {qs[98]:.1f} µs (ratio {TARGET_P99_US / qs[98]:.0f}x under)"
        )
