"""The confidence weights the engine ships with are fit-rule's output, not hand-set: the
packaged ``config/rule_fit/`` names its input by hash, re-fitting that input gives the
shipped weights, and the command recorded in the provenance collects that very input."""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path
from typing import Any

import pytest

import dexcex.config
from dexcex.config import load_settings
from dexcex.config.core_settings import ScoreWeights
from dexcex.config.rule_weights import fitted_provenance, fitted_weights
from dexcex.labeling.outcomes import HORIZONS
from dexcex.models.data import frame_of, read_dataset
from dexcex.models.rule_defaults import collect, settings_digest, write_input
from dexcex.models.rule_fit import fit_rule

FIT = Path(dexcex.config.__file__).parent / "rule_fit"
ROOT = FIT.parents[3]  # the checkout: the recorded command's paths are relative to it
PREFIX_H = 0.5  # market hours the regeneration test collects


def _command() -> dict[str, str]:
    """The recorded command's options (``--config``, ``--scenario`` …) by name."""
    words = shlex.split(fitted_provenance()["command"])
    assert words[0] == "dexcex" and "fit-rule" in words
    return {w: words[i + 1] for i, w in enumerate(words[:-1]) if w.startswith("--")}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no ./dexcex.toml
    for k in [k for k in os.environ if k.startswith("DEXCEX_")]:
        monkeypatch.delenv(k)


@pytest.mark.usefixtures("clean_env")
def test_the_shipped_weights_are_the_fit_of_the_recorded_input() -> None:
    prov = fitted_provenance()
    assert prov["collected"] is not None, "the shipped weights were not fitted on collected data"
    rows, digest = read_dataset(FIT / prov["collected"]["input"])
    assert digest == prov["data_sha256"], "input.parquet is not the input the provenance names"
    fr = frame_of(rows, f"label_{prov['horizon']}", "scores", digest)
    assert [int(fr.ts[0]), int(fr.ts[-1])] == prov["span_ms"]
    res = fit_rule(fr, ScoreWeights(**prov["current"]), folds=prov["folds_n"], l2=prov["l2"])
    assert res.weights == prov["fitted"] == fitted_weights()
    assert res.rows == prov["rows"] > 2_000
    # what the engine uses by default is that fit, wherever the settings come from
    assert ScoreWeights().model_dump() == res.weights
    assert load_settings(None).core.signals.weights.model_dump() == res.weights
    # collected under the pinned weights, so the fit never fed its own input
    collect_cfg = load_settings(ROOT / _command()["--config"])
    assert collect_cfg.core.signals.weights.model_dump() == prov["current"]
    assert prov["current"] != res.weights
    # the refit is better calibrated than the weights in force on every test fold
    assert all(f["brier_gain"]["ci"][0] > 0 for f in prov["folds"])


@pytest.mark.usefixtures("clean_env")
def test_the_recorded_command_collects_that_input(tmp_path: Path) -> None:
    prov, opts = fitted_provenance(), _command()
    settings = load_settings(ROOT / opts["--config"])
    assert settings_digest(settings) == prov["collected"]["core_settings_sha256"]
    assert (opts["--scenario"], int(opts["--seed"])) == (
        prov["collected"]["scenario"],
        prov["collected"]["seed"],
    )
    horizon = opts["--horizon"]
    # the first PREFIX_H market hours of the same run: no settling hour, so only the
    # signals whose horizon ended before the run did are compared
    got = collect(settings, opts["--scenario"], int(opts["--seed"]), PREFIX_H, settle=False)
    write_input(got.rows, horizon, tmp_path / "prefix.parquet")
    small, _ = read_dataset(tmp_path / "prefix.parquet")
    shipped, _ = read_dataset(FIT / prov["collected"]["input"])
    cutoff = got.start_ms + int(PREFIX_H * 3_600_000) - HORIZONS[horizon] * 1000 - 60_000

    def before(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [r for r in rows if r["created_ms"] < cutoff]

    assert len(before(small)) > 20
    assert before(small) == before(shipped)


def test_the_provenance_is_complete() -> None:
    prov = fitted_provenance()
    for key in ("command", "data_sha256", "rows", "span_ms", "horizon", "l2", "code"):
        assert prov[key], key
    assert "commit" in prov["code"] and not prov["code"]["commit"].endswith("+dirty")
    # `make rule-weights` runs exactly the recorded command
    make = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    recipe = make.split("\nrule-weights:")[1].split("\n")[1]
    assert " ".join(recipe.replace("$(BIN)/dexcex", "dexcex").split()) == prov["command"]
    doc = json.loads((FIT / "provenance.json").read_text())
    assert doc == prov
