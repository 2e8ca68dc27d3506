"""The synthetic market: deterministic, internally consistent, and DEX really leads CEX."""

from __future__ import annotations

import bisect
import statistics
from pathlib import Path

import pytest

from dexcex.sim.groundtruth import read_log
from dexcex.sim.market.events import Burst, CexBbo, CexBookDelta, CexMove, DexSwapEv, SimEvent
from dexcex.sim.market.model import MarketSim
from dexcex.sim.scenario import load_scenario
from dexcex.sim.world import SimWorld

HOUR = 3_600_000


def _log(tmp: Path, name: str, seed: int, minutes: int = 10) -> bytes:
    sc = load_scenario("default", seed=seed)
    world = SimWorld(sc, log_path=tmp / name)
    world.run_virtual(sc.start_ms + minutes * 60_000)
    assert world.log is not None
    world.log.close()
    return (tmp / name).read_bytes()


def test_same_seed_gives_a_byte_identical_log(tmp_path: Path) -> None:
    a = _log(tmp_path, "a.jsonl", seed=42)
    b = _log(tmp_path, "b.jsonl", seed=42)
    c = _log(tmp_path, "c.jsonl", seed=43)
    assert len(a) > 1_000_000
    assert a == b
    assert a != c


def test_log_round_trips_with_per_stream_sequences(tmp_path: Path) -> None:
    sc = load_scenario("default")
    world = SimWorld(sc, log_path=tmp_path / "gt.jsonl.zst")
    seen: list[SimEvent] = []
    world.market.sinks.append(seen.append)
    world.run_virtual(sc.start_ms + 120_000)
    assert world.log is not None
    world.log.close()
    records = list(read_log(tmp_path / "gt.jsonl.zst"))
    assert [r[3] for r in records] == seen
    assert [r[0] for r in records] == list(range(1, len(records) + 1))
    last: dict[str, int] = {}
    for _, stream, n, _ in records:
        assert n == last.get(stream, 0) + 1
        last[stream] = n
    assert any(s.startswith("mexc:depth:") for s in last)
    assert any(s.startswith("dex:swaps:") for s in last)


def test_book_deltas_rebuild_the_book_and_never_cross() -> None:
    sc = load_scenario("default")
    m = MarketSim(sc)
    local: dict[tuple[str, str], tuple[dict[float, float], dict[float, float]]] = {}
    last_version: dict[tuple[str, str], int] = {}

    def apply(ev: SimEvent) -> None:
        if not isinstance(ev, CexBookDelta):
            return
        key = (ev.venue, ev.symbol)
        if key in last_version:
            assert ev.first == last_version[key] + 1  # consecutive versions
        last_version[key] = ev.last
        bids, asks = local.setdefault(key, ({}, {}))
        for side, changes in ((bids, ev.bids), (asks, ev.asks)):
            for p, q in changes:
                if q == 0:
                    side.pop(p, None)
                else:
                    side[p] = q
        if bids and asks:
            assert max(bids) < min(asks)

    m.sinks.append(apply)
    m.run_until(sc.start_ms + 300_000)
    for a in m.assets.values():
        for venue, book in a.books.items():
            bids, asks = local[(venue, a.specs[venue].venue_symbol)]
            ref_b, ref_a = book.snapshot(book.levels)
            assert sorted(bids.items(), reverse=True) == ref_b
            assert sorted(asks.items()) == ref_a
            assert len(ref_b) == len(ref_a) == book.levels


@pytest.fixture(scope="module")
def hour() -> tuple[MarketSim, list[SimEvent]]:
    sc = load_scenario("default")
    m = MarketSim(sc)
    events: list[SimEvent] = []
    m.sinks.append(lambda e: events.append(e) if not isinstance(e, (CexBookDelta,)) else None)
    m.run_until(sc.start_ms + HOUR)
    return m, events


def _mid_series(m: MarketSim, events: list[SimEvent]) -> dict[str, tuple[list[int], list[float]]]:
    sym_asset = {a.specs["mexc"].venue_symbol: a.id for a in m.assets.values()}
    out: dict[str, tuple[list[int], list[float]]] = {}
    for e in events:
        if isinstance(e, CexBbo) and e.venue == "mexc":
            ts, mids = out.setdefault(sym_asset[e.symbol], ([], []))
            ts.append(e.t)
            mids.append((e.bid + e.ask) / 2)
    return out


def test_informed_bursts_lead_cex_moves_by_the_configured_lag_and_decoys_do_not(
    hour: tuple[MarketSim, list[SimEvent]],
) -> None:
    """Measured from the generated data alone: for each burst, find the window (of the
    move's length) within the next two minutes where the CEX mid moved most in the
    burst's direction. Followed bursts: that window starts at the configured lag, and
    its return is the configured move. Decoys: no move of that size."""
    m, events = hour
    sc = m.scenario
    series = _mid_series(m, events)

    def mid_at(asset: str, t: int) -> float:
        ts, mids = series[asset]
        return mids[max(0, bisect.bisect_right(ts, t) - 1)]

    bursts = [e for e in events if isinstance(e, Burst) and e.t + 130_000 < sc.start_ms + HOUR]
    followed = [b for b in bursts if b.followed]
    decoys = [b for b in bursts if b.kind == "decoy"]
    assert len(followed) >= 20 and len(decoys) >= 10
    lo, hi = sc.informed.lag_ms

    lag_errors, moves, decoy_best = [], [], []
    for b in bursts:
        width = b.move_duration_ms if b.followed else int(sum(sc.informed.move_duration_ms) / 2)
        best_ret, best_tau = max(
            (
                (mid_at(b.asset_id, b.t + tau + width) / mid_at(b.asset_id, b.t + tau) - 1)
                * 1e4
                * b.direction,
                tau,
            )
            for tau in range(0, 120_001, 500)
        )
        if b.followed:
            assert lo <= b.lag_ms <= hi
            lag_errors.append(abs(best_tau - b.lag_ms))
            moves.append(best_ret / b.move_bps)
        elif b.kind == "decoy":
            decoy_best.append(best_ret)
    # the onset is found within 3 s of the configured lag for most followed bursts
    assert sum(e <= 3000 for e in lag_errors) / len(lag_errors) >= 0.8
    # and the move found is the configured one (noise aside)
    assert 0.8 <= statistics.median(moves) <= 1.5
    # decoys: the best same-length window is ordinary noise, far below the move sizes
    assert statistics.median(decoy_best) < sc.informed.move_bps[0] / 3


def test_cex_moves_come_only_from_followed_informed_bursts(
    hour: tuple[MarketSim, list[SimEvent]],
) -> None:
    _, events = hour
    bursts = {e.episode: e for e in events if isinstance(e, Burst)}
    moves = [e for e in events if isinstance(e, CexMove)]
    assert moves
    for mv in moves:
        b = bursts[mv.episode]
        assert b.kind == "informed" and b.followed
        assert mv.t == b.t + b.lag_ms
        assert mv.bps == pytest.approx(b.direction * b.move_bps)


def test_burst_flow_is_one_sided_and_informed_flow_comes_from_repeat_wallets(
    hour: tuple[MarketSim, list[SimEvent]],
) -> None:
    _, events = hour
    bursts = {e.episode: e for e in events if isinstance(e, Burst)}
    by_ep: dict[int, list[DexSwapEv]] = {}
    for e in events:
        if isinstance(e, DexSwapEv) and e.episode:
            by_ep.setdefault(e.episode, []).append(e)
    informed_wallets, decoy_wallets, one_sided = [], [], []
    for ep, swaps in by_ep.items():
        b = bursts[ep]
        if len(swaps) < 5:
            continue
        with_dir = sum(1 for s in swaps if (s.side == "buy") == (b.direction > 0))
        one_sided.append(with_dir / len(swaps))
        ratio = len({s.owner for s in swaps}) / len(swaps)
        (informed_wallets if b.kind == "informed" else decoy_wallets).append(ratio)
    assert statistics.mean(one_sided) > 0.75
    assert statistics.median(informed_wallets) < 0.5 < statistics.median(decoy_wallets)


def test_arbitrage_keeps_dex_prices_near_the_cex(hour: tuple[MarketSim, list[SimEvent]]) -> None:
    m, events = hour
    series = _mid_series(m, events)
    devs = []
    for e in events:
        if isinstance(e, DexSwapEv) and e.flow == "noise":
            ts, mids = series[e.asset_id]
            mid = mids[max(0, bisect.bisect_right(ts, e.t) - 1)]
            devs.append(abs(e.price_usd / mid - 1) * 1e4)
    assert statistics.median(devs) < 80  # bps: within a little more than the arb band
