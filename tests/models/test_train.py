"""Training: a planted edge is found and beats the rule, with CIs; no edge is not
claimed; too little data is refused with the reason."""

from __future__ import annotations

import numpy as np
import pytest

from dexcex.models.data import TooFewRows, frame_of, rows_of_db
from dexcex.models.train import TrainConfig, Trained, train
from tests.models.synth import signal_rows


def _train(n: int, edge: float, folds: int = 4) -> Trained:
    rows, digest = rows_of_db(signal_rows(n, edge=edge))
    fr = frame_of(rows, "label_5m", "dex", digest)
    return train(fr, TrainConfig(reps=300, folds=folds))


def test_a_planted_edge_is_found_out_of_sample_and_beats_the_rule() -> None:
    t = _train(3_000, edge=25.0)
    assert t.evidence["lgbm"]["passes"] and t.evidence["logistic"]["passes"]
    assert not t.evidence["rule"]["passes"]
    lo = t.comparisons["lgbm_vs_rule"]["net_bps_per_offered"]["ci"][0]
    assert lo > 0
    assert all(f["metrics"]["lgbm"]["auc"] > 0.6 for f in t.folds)
    assert t.importance["imbalance_z"] == max(t.importance.values())


def test_no_edge_is_not_claimed() -> None:
    t = _train(2_000, edge=0.0)
    for k in ("lgbm", "logistic", "rule"):
        assert not t.evidence[k]["passes"]


def test_too_few_rows_are_refused_with_the_reason() -> None:
    with pytest.raises(TooFewRows, match="training needs at least 200"):
        _train(120, edge=25.0)


def test_calibrated_probabilities_are_probabilities() -> None:
    t = _train(2_000, edge=25.0)
    p = np.array([b[0] for b in t.oos["lgbm"]["bins"]])
    assert ((p > 0) & (p < 1)).all()
    assert t.calibrator.kind == "isotonic"
