"""Walk-forward folds by time, purged and embargoed — never a random k-fold.

The rows (in time order) are cut into ``folds + 2`` consecutive chunks of equal size.
Fold k fits on chunks 0..k, calibrates on chunk k+1 and is tested on chunk k+2: the
model always predicts a future it has not seen, and its calibration comes from a
stretch that neither the fit nor the test saw.

At every boundary between two windows:

* purging drops the rows of the earlier window whose label window (signal time +
  horizon) reaches past the boundary — no label may overlap the next window;
* the embargo drops the rows of the later window within ``embargo_ms`` (by default the
  horizon) after the boundary, whose features still share the market moments that the
  earlier window's last labels measured.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Fold", "final_split", "walk_forward"]

Idx = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Fold:
    index: int
    fit: Idx
    calib: Idx
    test: Idx
    bounds_ms: tuple[int, int, int, int]  # fit start, calibration start, test start, test end
    purged: int  # rows dropped at the boundaries


def walk_forward(
    ts: npt.NDArray[np.int64], folds: int, horizon_ms: int, embargo_ms: int
) -> list[Fold]:
    """``folds`` walk-forward folds over times ``ts`` (sorted)."""
    n = len(ts)
    edges = [round(i * n / (folds + 2)) for i in range(folds + 3)]
    out: list[Fold] = []
    for k in range(folds):
        b_cal, b_test, b_end = edges[k + 1], edges[k + 2], edges[k + 3]
        out.append(_fold(k, ts, 0, b_cal, b_test, b_end, horizon_ms, embargo_ms))
    return out


def final_split(ts: npt.NDArray[np.int64], folds: int, horizon_ms: int, embargo_ms: int) -> Fold:
    """The split of the model that is kept: fit on every chunk but the last, calibrated on
    the last (no test: its evidence is the walk-forward folds')."""
    n = len(ts)
    b_cal = round((folds + 1) * n / (folds + 2))
    return _fold(folds, ts, 0, b_cal, n, n, horizon_ms, embargo_ms)


def _fold(
    k: int, ts: npt.NDArray[np.int64], a: int, b: int, c: int, d: int, h_ms: int, emb_ms: int
) -> Fold:
    t_cal = int(ts[b]) if b < len(ts) else int(ts[-1]) + 1
    t_test = int(ts[c]) if c < len(ts) else int(ts[-1]) + 1
    idx = np.arange(len(ts), dtype=np.int64)
    fit = idx[a:b][ts[a:b] + h_ms < t_cal]
    calib_all = idx[b:c]
    calib = calib_all[(ts[b:c] + h_ms < t_test) & (ts[b:c] >= t_cal + emb_ms)]
    test = idx[c:d][ts[c:d] >= t_test + emb_ms] if d > c else idx[c:d]
    purged = (b - a - len(fit)) + (c - b - len(calib)) + (d - c - len(test))
    end = int(ts[d - 1]) if d > c else t_test
    return Fold(k, fit, calib, test, (int(ts[a]), t_cal, t_test, end), purged)
