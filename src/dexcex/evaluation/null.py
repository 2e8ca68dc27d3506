"""What the signals are compared with: random timing, and CEX momentum at the same times.

**Permutation null.** Each draw keeps every signal's asset, direction, cost and latency
and moves only its time: each block of signals (one asset, one hour) is moved as one,
keeping the signals' spacing, to a random moment of that asset's data at which the same
freshness filter would have let a signal through (the last CEX mid no older than the
stale-book limit the run used) and whose horizon the data covers, inside the span in
which the detector saw the asset's DEX flow. ``draws`` such timings give the
distribution of the mean net return that timing luck alone produces; the p-value is the
share of draws at least as good as the signals (with the +1 correction), and the paired
difference compares each signal with the mean of its own random-timing twins.

**CEX momentum, paired.** At each signal's own time, the direction a CEX-only momentum
rule would take — the sign of the mid's move over the live baseline rule's
``lookback_s`` (at least one bar on candle data) — with the same cost and latency; no
move means no trade (net 0). The paired difference says whether the DEX flow picked
the direction better than the CEX price alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dexcex.evaluation.data import Prices
from dexcex.evaluation.returns import direction_ret_bps, forward_ret_bps
from dexcex.evaluation.stats import hits

__all__ = ["Entries", "NullResult", "momentum_net", "permutation_null"]

F = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Entries:
    """A group's signals as arrays (one row per signal)."""

    assets: list[str]
    ts: I64
    direction: F
    cost_bps: F
    latency_ms: I64

    def __len__(self) -> int:
        return len(self.assets)

    def rows_of(self, asset: str) -> I64:
        return np.asarray([i for i, a in enumerate(self.assets) if a == asset], dtype=np.int64)


@dataclass(frozen=True, slots=True)
class NullResult:
    draws: int
    null_means: F  # mean net return of each draw
    null_hit_rates: F
    twin_net: F  # per signal: the mean net of its random-timing twins
    p_mean: float  # P(null mean >= observed mean)
    p_hit: float


def _eligible(p: Prices, lo: int, hi: int, reach_ms: int) -> I64:
    """Indices of mids inside [lo, hi] from which a horizon of ``reach_ms`` fits."""
    t = p.times
    k = np.nonzero((t >= lo) & (t <= hi) & (t + reach_ms <= t[-1]))[0]
    return np.asarray(k, dtype=np.int64)


def _shifted_times(
    p: Prices,
    ts: I64,
    blocks: I64,
    span: tuple[int, int],
    reach_ms: int,
    stale_ms: int,
    draws: int,
    rng: np.random.Generator,
) -> I64 | None:
    """(draws × len(ts)) times: each block of signals moved, as one, to a random moment.

    Signals of one block (one asset, one hour) fire close together and share most of
    their outcome; scattering them one by one would make the null's mean far steadier
    than the signals' own, and noise would look significant. Moving each block by a
    common offset keeps that structure: only *when* the block happened is random."""
    k = _eligible(p, span[0], span[1], reach_ms)
    if len(k) == 0:
        return None
    ids, first = np.unique(blocks, return_index=True)
    inv = np.searchsorted(ids, blocks)
    pick = k[rng.integers(0, len(k), size=(draws, len(ids)))]
    nxt = np.minimum(pick + 1, len(p.times) - 1)
    room = np.maximum(np.minimum(p.times[nxt] - p.times[pick], stale_ms), 1)
    anchor = p.times[pick] + (rng.random(pick.shape) * room).astype(np.int64)
    offset = anchor - ts[first][None, :]
    return np.asarray(ts[None, :] + offset[:, inv], dtype=np.int64)


def permutation_null(
    e: Entries,
    net_bps: F,
    ret_bps: F,
    prices: dict[str, Prices],
    horizon_s: int,
    *,
    spans: dict[str, tuple[int, int]],
    stale_ms: int,
    blocks: I64 | None = None,
    draws: int = 1000,
    seed: int = 0,
) -> NullResult:
    """``draws`` random-timing versions of the group ``e`` (see the module doc).
    ``net_bps``/``ret_bps`` are the signals' own outcomes (NaN: not measurable)."""
    rng = np.random.default_rng(seed)
    n = len(e)
    blk = blocks if blocks is not None else np.arange(n, dtype=np.int64)
    null_net = np.full((draws, n), np.nan)
    null_ret = np.full((draws, n), np.nan)
    for asset in sorted(set(e.assets)):
        p = prices.get(asset)
        rows = e.rows_of(asset)
        rows = rows[~np.isnan(net_bps[rows])]
        if p is None or len(rows) == 0:
            continue
        reach = horizon_s * 1000 + int(e.latency_ms[rows].max())
        span = spans.get(asset, (0, 1 << 62))
        times = _shifted_times(p, e.ts[rows], blk[rows], span, reach, stale_ms, draws, rng)
        if times is None:
            continue
        r = forward_ret_bps(
            p, times, e.direction[rows][None, :], horizon_s, e.latency_ms[rows][None, :]
        )
        null_ret[:, rows] = r
        null_net[:, rows] = r - e.cost_bps[rows][None, :]
    measured = ~np.isnan(net_bps)
    obs_mean = float(np.nanmean(net_bps)) if measured.any() else float("nan")
    obs_hit = float(hits(ret_bps[measured]).mean()) if measured.any() else float("nan")
    with np.errstate(all="ignore"):
        means = _nanmean_rows(null_net)
        null_h = np.where(np.isnan(null_ret), np.nan, hits(np.nan_to_num(null_ret)))
        hit_rates = _nanmean_rows(null_h)
        twins = _nanmean_rows(null_net.T)
    ok = ~np.isnan(means)
    p_mean = (1 + np.sum(means[ok] >= obs_mean)) / (ok.sum() + 1) if ok.any() else 1.0
    p_hit = (1 + np.sum(hit_rates[ok] >= obs_hit)) / (ok.sum() + 1) if ok.any() else 1.0
    return NullResult(int(ok.sum()), means, hit_rates, twins, float(p_mean), float(p_hit))


def _nanmean_rows(m: F) -> F:
    cnt = np.sum(~np.isnan(m), axis=1)
    tot = np.nansum(m, axis=1)
    return np.asarray(np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan), dtype=np.float64)


def momentum_net(e: Entries, prices: dict[str, Prices], horizon_s: int, lookback_s: int) -> F:
    """Net return per signal had its direction been the CEX momentum's at that time."""
    out = np.full(len(e), np.nan)
    for asset in sorted(set(e.assets)):
        p = prices.get(asset)
        if p is None:
            continue
        rows = e.rows_of(asset)
        look = max(lookback_s, p.resolution_ms // 1000)
        d = direction_ret_bps(p, e.ts[rows], look)
        r = forward_ret_bps(p, e.ts[rows], d, horizon_s, e.latency_ms[rows])
        out[rows] = np.where(d == 0, np.where(np.isnan(r), np.nan, 0.0), r - e.cost_bps[rows])
    return out
