"""Forward returns of entries, vectorised: the one labelling rule every group, baseline
and null draw of the evaluation uses.

An entry at time ``t`` in direction ``d`` (+1 long, −1 short) with latency ``L`` enters
at the first CEX mid strictly after ``t + L`` (the first price a trade sent then could
get) and exits at the last mid at or before entry + horizon. It is not measurable (NaN)
when the first mid comes more than ``max_gap`` after ``t + L``, when the data ends before
the horizon, or when the exit mid is more than ``max_gap`` before the horizon's end —
the same rules as ``labeling.outcomes.label_signal`` (equal to it at zero latency).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from dexcex.evaluation.data import Prices

__all__ = ["direction_ret_bps", "forward_ret_bps"]

F = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


def forward_ret_bps(
    p: Prices,
    ts: I64,
    direction: npt.NDArray[np.float64] | npt.NDArray[np.int64],
    horizon_s: int,
    latency_ms: int | I64 = 0,
) -> F:
    """Gross return in the entry's direction, bps (NaN where not measurable). ``ts``,
    ``direction`` and ``latency_ms`` broadcast together (any shape)."""
    times, mids = p.times, p.mids
    n = len(times)
    out = np.full(np.broadcast(ts, direction, latency_ms).shape, np.nan)
    if n < 2:
        return out
    want = np.asarray(ts, dtype=np.int64) + np.asarray(latency_ms, dtype=np.int64)
    i0 = np.searchsorted(times, want, side="right")
    ok = i0 < n
    i0c = np.minimum(i0, n - 1)
    t0 = times[i0c]
    end = t0 + horizon_s * 1000
    j = np.searchsorted(times, end, side="right") - 1
    gap = p.max_gap_ms
    ok &= t0 - want <= gap
    ok &= times[-1] >= end
    ok &= end - times[np.clip(j, 0, n - 1)] <= gap
    ret = (mids[np.clip(j, 0, n - 1)] / mids[i0c] - 1.0) * 1e4 * np.asarray(direction)
    out = np.where(ok, ret, np.nan)
    return np.asarray(out, dtype=np.float64)


def direction_ret_bps(p: Prices, ts: I64, lookback_s: int) -> F:
    """Sign of the CEX mid's move over the ``lookback_s`` before each time (+1/−1, 0 when
    flat or unknown): the direction a CEX-only momentum rule would take then."""
    times, mids = p.times, p.mids
    n = len(times)
    if n < 2:
        return np.zeros(np.shape(ts))
    i1 = np.searchsorted(times, ts, side="right") - 1
    i0 = np.searchsorted(times, np.asarray(ts) - lookback_s * 1000, side="right") - 1
    ok = (i1 >= 0) & (i0 >= 0) & (i1 > i0)
    r = mids[np.clip(i1, 0, n - 1)] / mids[np.clip(i0, 0, n - 1)] - 1.0
    return np.asarray(np.where(ok, np.sign(r), 0.0), dtype=np.float64)
