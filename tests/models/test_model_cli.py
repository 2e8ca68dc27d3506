"""``dexcex model train`` from an exported file: a card with its folds, page and PNGs;
too little data is one line and exit 1, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dexcex.cli.main import main
from dexcex.dataset.export import export_rows
from tests.models.synth import signal_rows


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_train_writes_a_card(tmp_path: Path, fmt: str) -> None:
    data = tmp_path / f"d.{fmt}"
    export_rows(signal_rows(1_500, edge=25.0), data, fmt)
    rc = main(["model", "train", "--dataset", str(data), "--report", str(tmp_path / "r")])
    assert rc == 0
    (folder,) = (tmp_path / "r" / "models").iterdir()
    card = json.loads((folder / "card.json").read_text())
    assert len(card["folds"]) == 4
    assert card["data"]["rows"] == 1_500 and len(card["data"]["sha256"]) == 64
    assert card["features"][-1] == "direction" and "imbalance_z" in card["features"]
    assert "commit" in card["code"] or "dexcex" in card["code"]
    assert card["serving"]["inference"].startswith("LightGBM C API single-row fast path")
    for k in ("lgbm", "logistic", "rule"):
        assert card["evidence"][k]["ci"] is not None
    assert any("beats rule" in line for line in card["verdict"])
    for f in ("card.md", "reliability.png", "importance.png", "equity.png"):
        assert (folder / f).stat().st_size > 0
    page = (folder / "card.md").read_text()
    # the page carries the verdict, one fold row per learner and fold, and its plots
    assert all(f"- {line}" in page for line in card["verdict"])
    fold_rows = [ln for ln in page.splitlines() if ln.startswith("| ") and "| lgbm |" in ln]
    assert len(fold_rows) == len(card["folds"])
    assert "![equity.png](equity.png)" in page


def test_too_little_data_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "d.csv"
    export_rows(signal_rows(50, edge=25.0), data, "csv")
    rc = main(["model", "train", "--dataset", str(data), "--report", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert rc == 1
    assert "50 labelled DEX signals" in err and "Traceback" not in err
