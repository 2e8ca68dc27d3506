"""The pipeline against the simulator, one fault kind at a time.

For each fault the test runs the whole pipeline (every stream of two assets on both
venues and both DEX sources), then checks against the simulator's ground-truth log:

- it recovered by itself: every stream is delivering again within RECOVERY_S of the
  fault's end;
- nothing the simulator sent while we were connected was lost or duplicated: the only
  missing swaps and trades lie inside the stream's own outage (between the last event
  before and the first after it), and no event arrived twice;
- after a resync the local order book equals the simulator's, level for level;
- malformed frames were rejected and counted, not passed on.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dexcex.config import load_settings
from dexcex.config.models import PipelineSettings
from dexcex.domain import CexTrade, DexSwap, HealthState, MarketEvent, OrderBook, VenueId
from dexcex.roots.connectors import sim_endpoints
from dexcex.roots.engine import Pipeline
from dexcex.sim.groundtruth import read_log
from dexcex.sim.market.events import CexTradeEv, DexSwapEv, FaultEv
from dexcex.sim.scenario import Fault, FaultKind, load_scenario
from dexcex.sim.world import SimWorld, run_sim
from tests.waiting import until
from tests.waiting import until_market as until_clock

SPEED = 5.0
FAULT_AT_S = 8.0
RECOVERY_S = 15.0  # market seconds after a fault ends by which every stream delivers again
ASSETS = ("wif", "bonk")


@dataclass
class Run:
    world: SimWorld
    pipe: Pipeline
    received: list[MarketEvent] = field(default_factory=list)
    log: Path | None = None
    # market time the faults count from: when every stream had delivered (they are armed
    # then, so a busy machine's slow start cannot make a fault hit nobody)
    t0: int = 0


@asynccontextmanager
async def pipeline_on_sim(tmp_path: Path, *faults: Fault) -> AsyncIterator[Run]:
    sc = load_scenario("default").model_copy(update={"faults": [], "assets": list(ASSETS)})
    log = tmp_path / "truth.jsonl"
    async with run_sim(sc, speed=SPEED, log_path=log) as world:
        assert world.clock is not None
        base = load_settings()
        base = base.model_copy(
            update={
                "assets": [a for a in base.assets if a.id in ASSETS],
                "pipeline": PipelineSettings(
                    backoff_initial_s=0.2,
                    backoff_max_s=1.5,
                    stale_book_s=5.0,
                    stale_trades_s=60.0,
                    stale_dex_ws_s=30.0,
                    book_check_s=2.0,
                ),
                "sources": base.sources.model_copy(
                    update={
                        "dexscreener": base.sources.dexscreener.model_copy(
                            update={"poll_interval_s": 1.0}
                        ),
                        "birdeye": base.sources.birdeye.model_copy(
                            update={"liquidity_poll_s": 1.0}
                        ),
                    }
                ),
            }
        )
        settings = sim_endpoints(base, world.urls, "sim-key", "sim-secret")
        pipe = Pipeline(settings, world.clock)
        run = Run(world, pipe, log=log)
        publish = pipe.bus.publish

        def tap(ev: MarketEvent) -> None:
            run.received.append(ev)
            publish(ev)

        pipe.bus.publish = tap  # type: ignore[method-assign]
        await pipe.start()
        try:
            sup = pipe.supervisor

            def delivering() -> bool:
                return all(
                    st.state is HealthState.OK and st.last_msg_ms is not None
                    for name, st in sup.status.items()
                    if sup.streams[name].emits
                )

            await until(delivering, 150, "every stream delivering")  # a busy machine starts slowly
            run.t0 = world.clock.now_ms()
            world.faults.arm(list(faults), run.t0, world.market.schedule)
            yield run
        finally:
            await pipe.stop()


async def until_market(run: Run, at_s: float) -> None:
    """Until ``at_s`` market seconds after the faults' base time."""
    await until_clock(run.world, run.t0 + int(at_s * 1000))


def truth(log: Path) -> tuple[list[DexSwapEv], list[CexTradeEv], list[FaultEv], dict[str, object]]:
    swaps, trades, faults = [], [], []
    by_ref: dict[str, object] = {}
    for _, stream, n, ev in read_log(log):
        by_ref[f"{stream}#{n}"] = ev
        if isinstance(ev, DexSwapEv):
            swaps.append(ev)
        elif isinstance(ev, CexTradeEv):
            trades.append(ev)
        elif isinstance(ev, FaultEv):
            faults.append(ev)
    return swaps, trades, faults, by_ref


def _trade_key(venue: str, symbol: str, t: int, price: float, size: float, side: str) -> tuple:
    return (venue, symbol.replace("/", ""), t, round(price, 10), round(size, 10), side)


def check_no_loss_no_dup(run: Run, end_s: float, exempt: set[object] = frozenset()) -> dict:
    """Swaps of watched pools and trades of watched markets: no duplicates; anything
    missing lies strictly inside one of the stream's outages. Returns the outages."""
    assert run.log is not None
    swaps, trades, _, _ = truth(run.log)
    assets = run.pipe.settings.domain_assets()
    pools = {p.address.lower() for a in assets for d in a.dex for p in d.pools}
    got_swaps = Counter(e.tx_id for e in run.received if isinstance(e, DexSwap))
    # a swap's id is its transaction's hash and a digest of its legs (one transaction
    # may hold several swaps): the truth knows transactions
    got_txs = {tx_id.split(":")[0] for tx_id in got_swaps}
    got_trades = Counter(
        _trade_key(e.venue.value, e.symbol, e.ts_event, e.price, e.size, e.side.value)
        for e in run.received
        if isinstance(e, CexTrade)
    )
    dup_s = [k for k, n in got_swaps.items() if n > 1]
    dup_t = [k for k, n in got_trades.items() if n > 1]
    assert not dup_s, f"duplicated swaps: {dup_s[:5]}"
    assert not dup_t, f"duplicated trades: {dup_t[:5]}"

    streams: dict[str, list[tuple[int, bool]]] = {}
    for ev in swaps:
        if ev.pool.lower() in pools and ev not in exempt:
            streams.setdefault(f"swaps:{ev.chain}", []).append((ev.t, ev.tx in got_txs))
    markets = {m.symbol.replace("/", "") for a in assets for m in a.cex}
    for ev in trades:
        if ev.symbol in markets:
            key = _trade_key(ev.venue, ev.symbol, ev.t, ev.price, ev.size, ev.side)
            streams.setdefault(f"trades:{ev.venue}", []).append((ev.t, key in got_trades))
    end = run.t0 + int((end_s - 3) * 1000)  # in flight at the end: not judged
    outages: dict[str, list[tuple[int, int]]] = {}
    for name, seq in streams.items():
        seq.sort()
        got_times = [t for t, ok in seq if ok]
        assert got_times, f"{name}: nothing received"
        first = got_times[0] + 2000  # subscribing takes a moment: judged from then on
        holes = [t for t, ok in seq if not ok and first <= t <= end]
        # each run of missing events must sit between two received ones: an outage, as
        # (last received before, first received after, first missing, last missing)
        gaps: list[tuple[int, int, int, int]] = []
        for t in holes:
            before = max((g for g in got_times if g < t), default=None)
            after = min((g for g in got_times if g > t), default=None)
            assert before is not None and after is not None, f"{name}: lost {t} at an edge"
            if gaps and gaps[-1][:2] == (before, after):
                gaps[-1] = (before, after, gaps[-1][2], t)
            else:
                gaps.append((before, after, t, t))
        outages[name] = gaps
    return outages


def assert_recovered(run: Run, fault_end_s: float) -> None:
    """Every stream is up, its current connection began delivering within RECOVERY_S of
    the fault's end, and it is still delivering."""
    assert run.world.clock is not None
    now = run.world.clock.now_ms()
    bound = run.t0 + int((fault_end_s + RECOVERY_S) * 1000)
    for st in run.pipe.supervisor.status.values():
        why = (st.name, st.state, st.last_error, st.history[-5:])
        assert st.state is HealthState.OK, why
        assert st.up_since_ms is not None and st.up_since_ms <= bound, why
        if run.pipe.supervisor.streams[st.name].emits:
            assert st.last_msg_ms is not None and now - st.last_msg_ms < 10_000, why


async def assert_books_equal_truth(run: Run) -> None:
    """Freeze the market, let the last deltas land, compare every book to the truth."""
    run.world.pause()

    def books() -> list[tuple[object, ...]]:
        out = []
        for venue in (VenueId.MEXC, VenueId.BYBIT):
            ex = run.world.exchanges[venue.value]
            for sym in ("WIF/USDT", "BONK/USDT"):
                local = run.pipe.venues[venue].local_book(sym)
                truth_b, truth_a = ex.books[sym.replace("/", "")].snapshot(20)
                ours = (
                    None
                    if local is None
                    else (
                        [(lv.price, lv.size) for lv in local.bids[:20]],
                        [(lv.price, lv.size) for lv in local.asks[:20]],
                    )
                )
                out.append((venue, sym, ours, (truth_b, truth_a)))
        return out

    try:
        # the deltas in flight land: then every book equals the truth (or never does)
        with contextlib.suppress(AssertionError):
            await until(lambda: all(ours == truth for *_, ours, truth in books()), 10)
        for venue, sym, ours, truth in books():
            assert ours is not None, (venue, sym)
            assert ours == truth, (venue, sym)
    finally:
        run.world.resume()


def fault(kind: FaultKind, target: str, **kw: object) -> Fault:
    return Fault(at_s=FAULT_AT_S, kind=kind, target=target, **kw)  # type: ignore[arg-type]


async def test_ws_disconnect_reconnects_resubscribes_and_loses_only_the_outage(
    tmp_path: Path,
) -> None:
    async with pipeline_on_sim(tmp_path, fault(FaultKind.WS_DISCONNECT, "mexc")) as run:
        await until_market(run, FAULT_AT_S + RECOVERY_S + 5)
        restarted = {n for n, st in run.pipe.supervisor.status.items() if st.restarts}
        assert {"mexc:book:WIF/USDT", "mexc:trades:WIF/USDT"} <= restarted, restarted
        assert_recovered(run, FAULT_AT_S)
        await assert_books_equal_truth(run)
    outages = check_no_loss_no_dup(run, FAULT_AT_S + RECOVERY_S + 5)
    assert not outages["swaps:solana"] and not outages["trades:bybit"]  # not disturbed
    for a, b, lost_from, _ in outages["trades:mexc"]:  # what was sent while disconnected
        assert run.t0 + FAULT_AT_S * 1000 - 500 <= lost_from and b - a < RECOVERY_S * 1000


@pytest.mark.parametrize(
    ("kind", "target", "kw"),
    [
        (FaultKind.RATE_LIMIT, "bybit", {"duration_s": 10, "retry_after_s": 2}),
        (FaultKind.SERVER_ERROR, "birdeye", {"duration_s": 8, "status": 503}),
        (FaultKind.SLOW, "mexc", {"duration_s": 8, "delay_ms": 1500}),
        (FaultKind.DOWN, "dexscreener", {"duration_s": 8}),
    ],
)
async def test_rest_faults_are_waited_out_and_streams_lose_nothing(
    tmp_path: Path, kind: FaultKind, target: str, kw: dict[str, object]
) -> None:
    f = fault(kind, target, **kw)
    end = FAULT_AT_S + f.duration_s
    async with pipeline_on_sim(tmp_path, f) as run:
        await until_market(run, end + RECOVERY_S)
        assert_recovered(run, end)
        pollers = {
            "bybit": "cex:bookcheck",
            "mexc": "cex:bookcheck",
            "birdeye": "birdeye:liquidity:solana",
            "dexscreener": "dexscreener:poll",
        }
        st = run.pipe.supervisor.status[pollers[target]]
        if kind is not FaultKind.SLOW:  # slow answers are late, not failures
            assert st.restarts >= 1, (st.name, st.history)
        assert st.state is HealthState.OK
    outages = check_no_loss_no_dup(run, end + RECOVERY_S)
    assert all(not gaps for gaps in outages.values()), outages


async def test_stale_feed_is_detected_and_reconnected(tmp_path: Path) -> None:
    f = fault(FaultKind.STALE, "bybit", duration_s=10)
    end = FAULT_AT_S + f.duration_s
    async with pipeline_on_sim(tmp_path, f) as run:
        await until_market(run, end + RECOVERY_S)
        st = run.pipe.supervisor.status["bybit:book:WIF/USDT"]
        assert st.stale_restarts >= 1, st.history
        assert_recovered(run, end)
        await assert_books_equal_truth(run)
    outages = check_no_loss_no_dup(run, end + RECOVERY_S)
    for _, b, lost_from, _ in outages["trades:bybit"]:  # the only loss: what was never pushed
        assert run.t0 + FAULT_AT_S * 1000 - 500 <= lost_from
        assert b <= run.t0 + (end + RECOVERY_S) * 1000
    assert not outages["trades:mexc"] and not outages["swaps:solana"]


@pytest.mark.parametrize("target", ["mexc", "bybit"])
async def test_sequence_gap_resyncs_to_the_true_book(tmp_path: Path, target: str) -> None:
    async with pipeline_on_sim(tmp_path, fault(FaultKind.SEQ_GAP, target)) as run:
        await until_market(run, FAULT_AT_S + RECOVERY_S)
        venue = run.pipe.venues[VenueId(target)]
        assert venue.tracker.resyncs >= 2  # one per watched symbol
        assert_recovered(run, FAULT_AT_S)
        await assert_books_equal_truth(run)
    outages = check_no_loss_no_dup(run, FAULT_AT_S + RECOVERY_S)
    assert all(not gaps for gaps in outages.values()), outages


async def test_malformed_frames_are_rejected_counted_and_the_rest_flows(tmp_path: Path) -> None:
    async with pipeline_on_sim(tmp_path, fault(FaultKind.MALFORMED, "birdeye", count=4)) as run:
        await until_market(run, FAULT_AT_S + RECOVERY_S)
        assert run.pipe.birdeye is not None
        rejected = run.pipe.birdeye.tracker.rejected
        assert_recovered(run, FAULT_AT_S)
    assert run.log is not None
    _, _, faults, by_ref = truth(run.log)
    hit = [by_ref[f.detail.split()[0]] for f in faults if f.kind == "malformed" and "#" in f.detail]
    assert len(hit) == 4
    watched = [h for h in hit if isinstance(h, DexSwapEv) and h.asset_id in ASSETS]
    assert sum(rejected.values()) >= len(watched), rejected
    got = {e.tx_id for e in run.received if isinstance(e, DexSwap)}
    assert not any(h.tx in got for h in watched)  # a corrupted frame is never passed on
    outages = check_no_loss_no_dup(run, FAULT_AT_S + RECOVERY_S, exempt=set(hit))
    assert all(not gaps for gaps in outages.values()), outages


async def test_duplicate_frames_are_dropped(tmp_path: Path) -> None:
    async with pipeline_on_sim(tmp_path, fault(FaultKind.DUPLICATE, "bybit", count=6)) as run:
        await until_market(run, FAULT_AT_S + 10)
        assert run.pipe.venues[VenueId.BYBIT].tracker.rejected["duplicate_frame"] >= 1
    outages = check_no_loss_no_dup(run, FAULT_AT_S + 10)
    assert all(not gaps for gaps in outages.values()), outages
    books = [e for e in run.received if isinstance(e, OrderBook)]
    assert books
