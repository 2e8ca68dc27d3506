"""model train --target net_5m: a regression of the net return through the classifier's
purged walk-forward folds, judged by IC and the top decile's net with CIs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dexcex.cli.main import main
from dexcex.dataset.export import export_rows
from dexcex.models.data import TooFewRows, frame_of, is_regression, rows_of_db
from dexcex.models.regress import TrainedRegression, ic_terms, train_regression
from dexcex.models.train import TrainConfig
from tests.models.synth import signal_rows


def _train(n: int, edge: float) -> TrainedRegression:
    rows, digest = rows_of_db(signal_rows(n, edge=edge))
    fr = frame_of(rows, "net_5m", "dex", digest)
    return train_regression(fr, TrainConfig(target="net_5m", reps=300))


def test_targets() -> None:
    assert is_regression("net_5m") and is_regression("net_5m_bps")
    assert not is_regression("label_5m")
    with pytest.raises(ValueError, match="unknown target"):
        is_regression("net_7m")


def test_ic_terms_average_to_the_correlations() -> None:
    from scipy.stats import pearsonr, spearmanr

    rng = np.random.default_rng(1)
    x = rng.normal(size=500)
    y = x + rng.normal(size=500) ** 3
    assert np.mean(ic_terms(x, y, rank=True)) == pytest.approx(spearmanr(x, y).statistic)
    assert np.mean(ic_terms(x, y, rank=False)) == pytest.approx(pearsonr(x, y).statistic)


def test_a_planted_edge_is_forecast_out_of_sample_with_cis() -> None:
    t = _train(3_000, edge=25.0)
    for k in ("lgbm", "ridge"):
        ic = t.oos[k]["ic_spearman"]
        assert ic["ci"][0] > 0.3, (k, ic)
        assert t.evidence[k]["passes"], (k, t.evidence[k])
        assert all(f["metrics"][k]["ic_spearman"]["value"] > 0.3 for f in t.folds)
    rule = t.oos["rule"]["ic_spearman"]
    assert rule["ci"][0] < 0 < rule["ci"][1]  # the stored confidence is noise here
    assert not t.evidence["rule"]["passes"]
    assert t.comparisons["lgbm_vs_rule"]["net_bps_per_offered"]["ci"][0] > 0
    assert t.comparisons["ridge_vs_rule"]["ic_gain"]["ci"][0] > 0
    assert t.importance["imbalance_z"] == max(t.importance.values())
    # the folds are the classifier's: purged and embargoed, tested after they fit
    assert all(f["purged"] > 0 and f["bounds_ms"][0] < f["bounds_ms"][2] for f in t.folds)
    dec = t.oos["lgbm"]["deciles"]
    assert dec[-1][1] > dec[0][1]  # the best decile earns more than the worst


def test_no_edge_is_not_claimed() -> None:
    t = _train(2_000, edge=0.0)
    for k in ("lgbm", "ridge", "rule"):
        assert not t.evidence[k]["passes"]


def test_too_few_rows_are_refused() -> None:
    with pytest.raises(TooFewRows, match="training needs at least 200"):
        _train(150, edge=25.0)


def test_the_cli_writes_a_regression_card_and_will_not_register_it(tmp_path: Path) -> None:
    data = tmp_path / "d.parquet"
    export_rows(signal_rows(1_200, edge=25.0), data, "parquet")
    report = tmp_path / "report"
    args = ["model", "train", "--dataset", str(data), "--target", "net_5m"]
    assert main([*args, "--report", str(report), "--folds", "3"]) == 0
    (folder,) = (report / "models").iterdir()
    card = json.loads((folder / "card.json").read_text())
    assert card["task"] == "regression" and card["target"] == "net_5m"
    assert len(card["folds"]) == 3 and card["evidence"]["lgbm"]["ci"] is not None
    assert any("IC" in line for line in card["verdict"])
    for png in ("deciles.png", "importance.png", "equity.png"):
        assert (folder / png).stat().st_size > 1000
    page = (folder / "card.md").read_text()
    assert "Spearman IC" in page and "(regression)" in page
    assert len([ln for ln in page.splitlines() if "| lgbm |" in ln]) == len(card["folds"])
    assert main([*args, "--register", "--report", str(report)]) != 0
    assert main([*args, "--learner", "logistic", "--report", str(report)]) != 0
