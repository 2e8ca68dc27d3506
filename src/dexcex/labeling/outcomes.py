"""What happened after a signal: CEX mid returns at 30 s, 1 m, 5 m, 15 m and 60 m.

For each horizon h, measured from the first mid *after* the signal (the first price a
trade could have got — no look-ahead):

- ``ret``: mid return in the signal's direction, bps;
- ``mfe`` / ``mae``: the most favourable / most adverse move within (t, t + h], bps,
  both in the signal's direction (mae ≤ 0 ≤ mfe);
- ``net``: ``ret`` minus the round-trip cost the signal estimated (fees, spread and the
  slippage of its size);
- ``label``: ``net > 0`` — profitable after fees and estimated slippage.

A horizon the data does not reach yet (or has a gap over) stays empty, with the reason.
Pure: a series of mids in, numbers out.
"""

from __future__ import annotations

import bisect
import itertools
from array import array

import msgspec

__all__ = ["HORIZONS", "MidSeries", "Outcomes", "label_signal"]

HORIZONS: dict[str, int] = {"30s": 30, "1m": 60, "5m": 300, "15m": 900, "60m": 3600}


class MidSeries:
    """One market's mids, at most one per second (the last of the second), in time order."""

    __slots__ = ("mids", "times")

    def __init__(self) -> None:
        self.times = array("q")
        self.mids = array("d")

    def add(self, ts: int, mid: float) -> None:
        times = self.times
        if times and ts // 1000 == times[-1] // 1000:
            self.mids[-1] = mid  # same second: keep the last
            times[-1] = ts
            return
        if times and ts < times[-1]:
            return  # out of order: the series only moves forward
        times.append(ts)
        self.mids.append(mid)

    def __len__(self) -> int:
        return len(self.times)

    def trim_before(self, ts: int) -> None:
        """Drop mids older than ``ts`` (in chunks: arrays shift on every delete)."""
        i = bisect.bisect_left(self.times, ts)
        if i >= 256 or (i and i == len(self.times)):
            del self.times[:i]
            del self.mids[:i]

    def resolution_s(self) -> float:
        """Median spacing of the mids, seconds (0 with fewer than two)."""
        if len(self.times) < 2:
            return 0.0
        step = max(1, len(self.times) // 10_000)  # a sample is enough for a median
        t = self.times[::step] if step > 1 else self.times
        diffs = sorted(b - a for a, b in itertools.pairwise(t))
        return diffs[len(diffs) // 2] / 1000.0 / step

    @property
    def last_ts(self) -> int:
        return self.times[-1] if self.times else 0

    def first_after(self, ts: int) -> int:
        """Index of the first mid strictly after ``ts`` (len if none)."""
        return bisect.bisect_right(self.times, ts)

    def index_at_or_before(self, ts: int) -> int:
        return bisect.bisect_right(self.times, ts) - 1


class Outcomes(msgspec.Struct, frozen=True):
    entry_ts: int | None
    entry_mid: float | None
    values: dict[
        str, float | bool | None
    ]  # ret_5m_bps, net_5m_bps, mfe_5m_bps, mae_5m_bps, label_5m …
    complete: bool  # every horizon is filled
    note: str | None


def label_signal(
    ts: int,
    direction: int,
    cost_bps: float,
    series: MidSeries,
    *,
    max_gap_s: int = 120,
    horizons: dict[str, int] = HORIZONS,
) -> Outcomes:
    """Outcomes of a signal at ``ts`` in ``direction`` (+1 long, −1 short)."""
    values: dict[str, float | bool | None] = {}
    for name in horizons:
        for kind in ("ret", "net", "mfe", "mae"):
            values[f"{kind}_{name}_bps"] = None
        values[f"label_{name}"] = None
    i0 = series.first_after(ts)
    if i0 >= len(series):
        return Outcomes(None, None, values, False, "no CEX mid after the signal yet")
    t0, m0 = series.times[i0], series.mids[i0]
    if t0 - ts > max_gap_s * 1000:
        return Outcomes(None, None, values, False, f"first CEX mid {(t0 - ts) / 1000:.0f} s late")
    d = float(direction)
    notes: list[str] = []
    best = worst = 0.0
    j = i0
    times, mids = series.times, series.mids
    n = len(series)
    complete = True
    for name, h in sorted(horizons.items(), key=lambda kv: kv[1]):
        end = t0 + h * 1000
        while j + 1 < n and times[j + 1] <= end:
            j += 1
            r = (mids[j] / m0 - 1.0) * 1e4 * d
            best = r if r > best else best
            worst = r if r < worst else worst
        if series.last_ts < end:
            complete = False
            notes.append(f"{name}: data ends before the horizon")
            continue
        if end - times[j] > max_gap_s * 1000:
            complete = False
            notes.append(f"{name}: no mid within {max_gap_s} s of the horizon")
            continue
        ret = (mids[j] / m0 - 1.0) * 1e4 * d
        values[f"ret_{name}_bps"] = ret
        values[f"net_{name}_bps"] = ret - cost_bps
        values[f"mfe_{name}_bps"] = best
        values[f"mae_{name}_bps"] = worst
        values[f"label_{name}"] = ret - cost_bps > 0
    return Outcomes(t0, m0, values, complete, "; ".join(notes) or None)
