"""Walk-forward folds: in time order, purged so no label overlaps the next window, and
embargoed after each boundary."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from dexcex.models.walkforward import final_split, walk_forward

H = 300_000


@pytest.mark.parametrize("folds", [2, 4, 6])
def test_no_label_reaches_the_next_window(folds: int) -> None:
    ts = np.cumsum(np.random.default_rng(folds).integers(1_000, 60_000, 3_000)).astype(np.int64)
    for f in walk_forward(ts, folds, H, H):
        _, t_cal, t_test, _ = f.bounds_ms
        assert len(f.fit) and len(f.calib) and len(f.test)
        assert (ts[f.fit] + H < t_cal).all()  # purged: fit labels end before calibration
        assert (ts[f.calib] + H < t_test).all()
        assert (ts[f.calib] >= t_cal + H).all()  # embargo after the boundary
        assert (ts[f.test] >= t_test + H).all()
        assert ts[f.fit].max() < ts[f.calib].min() <= ts[f.calib].max() < ts[f.test].min()
        assert f.purged > 0


def test_folds_walk_forward_and_grow() -> None:
    ts = np.arange(0, 2_000 * 10_000, 10_000, dtype=np.int64)
    folds = walk_forward(ts, 4, H, H)
    assert [len(f.fit) for f in folds] == sorted(len(f.fit) for f in folds)
    assert all(a.test.max() < b.test.min() for a, b in itertools.pairwise(folds))
    final = final_split(ts, 4, H, H)
    assert len(final.test) == 0 and final.fit.max() < final.calib.min()
    assert ts[final.calib].min() >= ts[final.fit].max() + H
