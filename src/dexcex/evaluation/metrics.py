"""How good were the signals: hit rate and net returns with bootstrap confidence
intervals, two baselines that have no DEX information, and — on simulator data, where
the truth is known — precision and recall of the anomalies."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

import msgspec
import numpy as np

from dexcex.labeling.outcomes import HORIZONS, MidSeries, Outcomes, label_signal
from dexcex.sim.market.events import Burst

__all__ = [
    "Entry",
    "GroupStats",
    "HorizonStats",
    "bootstrap_ci",
    "detection",
    "momentum_entries",
    "random_entries",
    "summarize",
]


class Entry(msgspec.Struct, frozen=True):
    asset_id: str
    ts: int
    direction: int
    cost_bps: float


class HorizonStats(msgspec.Struct, frozen=True):
    labeled: int
    hit_rate: float | None
    mean_net_bps: float | None
    mean_ci: tuple[float, float] | None
    median_net_bps: float | None
    median_ci: tuple[float, float] | None


class GroupStats(msgspec.Struct, frozen=True):
    name: str
    entries: int
    horizons: dict[str, HorizonStats]


def bootstrap_ci(
    values: Sequence[float], stat: str = "mean", n: int = 2000, seed: int = 0, level: float = 0.95
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of the mean or median; None for fewer than 5 values."""
    if len(values) < 5:
        return None
    arr = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(arr), size=(n, len(arr)))
    samples = arr[idx]
    stats = samples.mean(axis=1) if stat == "mean" else np.median(samples, axis=1)
    lo, hi = np.quantile(stats, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(lo), float(hi)


def summarize(
    name: str,
    outcomes: list[Outcomes],
    seed: int = 0,
    skip: set[str] | frozenset[str] = frozenset(),
) -> GroupStats:
    """Per horizon: hit rate, mean and median net return with bootstrap CIs. Horizons in
    ``skip`` (finer than the data can measure) stay empty."""
    horizons: dict[str, HorizonStats] = {}
    for h in HORIZONS:
        if h in skip:
            horizons[h] = HorizonStats(0, None, None, None, None, None)
            continue
        nets = [o.values[f"net_{h}_bps"] for o in outcomes if o.values[f"net_{h}_bps"] is not None]
        vals = [float(v) for v in nets]  # type: ignore[arg-type]
        if not vals:
            horizons[h] = HorizonStats(0, None, None, None, None, None)
            continue
        horizons[h] = HorizonStats(
            labeled=len(vals),
            hit_rate=sum(v > 0 for v in vals) / len(vals),
            mean_net_bps=float(np.mean(vals)),
            mean_ci=bootstrap_ci(vals, "mean", seed=seed),
            median_net_bps=float(np.median(vals)),
            median_ci=bootstrap_ci(vals, "median", seed=seed),
        )
    return GroupStats(name, len(outcomes), horizons)


def label_entries(entries: list[Entry], mids: dict[str, MidSeries]) -> list[Outcomes]:
    out = []
    for e in entries:
        series = mids.get(e.asset_id)
        if series is not None:
            out.append(label_signal(e.ts, e.direction, e.cost_bps, series))
    return out


def random_entries(
    entries: list[Entry], first_ts: int, last_ts: int, seed: int, spread_s: int = 1800
) -> list[Entry]:
    """Baseline 1: as many entries at random times near each signal's time of day (±30
    min) in a random direction, same asset and cost — luck with the same timing."""
    rng = random.Random(seed)
    out = []
    for e in entries:
        lo, hi = max(first_ts, e.ts - spread_s * 1000), min(last_ts, e.ts + spread_s * 1000)
        out.append(Entry(e.asset_id, rng.randint(lo, max(lo, hi)), rng.choice((1, -1)), e.cost_bps))
    return out


def momentum_entries(
    mids: dict[str, MidSeries],
    costs: dict[str, float],
    *,
    window_s: int = 60,
    k_sigma: float = 2.0,
    cooldown_s: int = 90,
    warmup_s: int = 600,
) -> list[Entry]:
    """Baseline 2, CEX only: enter in the direction of the last ``window_s`` mid move when
    it exceeds ``k_sigma`` of that move's usual size (EWMA), one entry per cooldown."""
    out: list[Entry] = []
    for aid, s in mids.items():
        times, values = s.times, s.mids
        var, n_seen, last_entry, j = 0.0, 0, -(10**15), 0
        for i in range(len(times)):
            t = times[i]
            while j < i and times[j] < t - window_s * 1000:
                j += 1
            if j == i or times[i] - times[j] < window_s * 1000 * 0.8:
                continue
            r = math.log(values[i] / values[j]) * 1e4
            if n_seen > 0 and t - times[0] > warmup_s * 1000:
                sd = math.sqrt(var)
                if sd > 0 and abs(r) > k_sigma * sd and t - last_entry > cooldown_s * 1000:
                    out.append(Entry(aid, t, 1 if r > 0 else -1, costs.get(aid, 10.0)))
                    last_entry = t
            var += 0.01 * (r * r - var)
            n_seen += 1
    return sorted(out, key=lambda e: e.ts)


def detection(entries: list[Entry], bursts: list[Burst]) -> dict[str, float | int]:
    """Precision and recall against the simulator's truth.

    A signal is right when it falls inside an informed burst that a CEX move followed —
    after the burst began and before the move started — in the burst's direction. Recall
    is the share of such bursts that got at least one right signal in time.
    """
    followed = [b for b in bursts if b.followed]
    hits: set[int] = set()
    true_pos = 0
    by_asset: dict[str, list[Burst]] = {}
    for b in followed:
        by_asset.setdefault(b.asset_id, []).append(b)
    for e in entries:
        match = next(
            (
                b
                for b in by_asset.get(e.asset_id, ())
                if b.t <= e.ts < b.t + b.lag_ms and e.direction == b.direction
            ),
            None,
        )
        if match is not None:
            true_pos += 1
            hits.add(match.episode)
    decoys = [b for b in bursts if b.kind == "decoy"]
    decoy_hit = sum(
        1
        for b in decoys
        if any(e.asset_id == b.asset_id and b.t <= e.ts <= b.end + 30_000 for e in entries)
    )
    return {
        "signals": len(entries),
        "true_positives": true_pos,
        "precision": true_pos / len(entries) if entries else 0.0,
        "followed_bursts": len(followed),
        "recall": len(hits) / len(followed) if followed else 0.0,
        "decoys": len(decoys),
        "decoys_signalled": decoy_hit,
    }
