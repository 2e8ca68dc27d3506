"""fit-rule re-fits the confidence weights reproducibly (non-negative, judged on
walk-forward folds); model compare judges a model against the rule with the plan's
statistics."""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path

import numpy as np

from dexcex.cli.main import main
from dexcex.config.core_settings import ScoreWeights
from dexcex.dataset.export import export_rows
from dexcex.evaluation.plan import load_plan
from dexcex.models.compare import compare_on
from dexcex.models.data import frame_of, rows_of_db
from dexcex.models.rule_fit import fit_rule
from tests.models.synth import signal_rows


def test_fit_rule_learns_the_score_that_carries_the_edge() -> None:
    rows, digest = rows_of_db(signal_rows(2_000, edge=25.0))
    fr = frame_of(rows, "label_5m", "scores", digest)
    res = fit_rule(fr, ScoreWeights(), folds=3)
    w = res.weights
    assert all(v >= 0 for k, v in w.items() if k != "bias")
    assert w["orderflow"] > 0.3 and w["orderflow"] > 5 * w["liquidity"]
    assert all(f["brier_refit"] < f["brier_current"] for f in res.folds)


def test_fit_rule_cli_writes_weights_the_settings_accept(tmp_path: Path) -> None:
    data = tmp_path / "d.parquet"
    export_rows(signal_rows(1_200, edge=25.0), data, "parquet")
    out = tmp_path / "rule"
    assert main(["fit-rule", "--dataset", str(data), "--out", str(out)]) == 0
    doc = tomllib.loads((out / "weights.toml").read_text())
    ScoreWeights(**doc["core"]["signals"]["weights"])
    prov = json.loads((out / "provenance.json").read_text())
    assert len(prov["data_sha256"]) == 64 and len(prov["folds"]) == 4


def test_compare_says_which_is_better_with_cis() -> None:
    rng = np.random.default_rng(3)
    rows = []
    for i, r in enumerate(signal_rows(3_000, edge=25.0)):
        z = r["features"]["imbalance_z"]
        r["model_scores"] = {"m": 1 / (1 + math.exp(-2 * z))}
        r["risk_decision"] = "approved" if rng.random() < 0.2 else "rejected"
        r["status"] = "executed" if r["risk_decision"] == "approved" else "filtered"
        rows.append(r | {"id": f"s{i}"})
    res = compare_on(rows, "m", 0.8, load_plan())
    assert res.candidates == 3_000 and res.model_picks > 100 and res.rule_picks > 100
    assert res.model.ci is not None and res.model.ci[0] > 0  # the model's picks have an edge
    assert res.rule.ci is not None and res.rule.ci[1] < 0  # random picks just pay the cost
    assert res.difference.ci is not None and res.difference.ci[0] > 0
    assert any("the model is better" in line for line in res.lines())
