from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest
from typer.testing import CliRunner

from dexcex.cli.main import app
from dexcex.config import Settings
from dexcex.config.core_settings import CoreSettings
from dexcex.evaluation.report import build_report, render_table, write_chart
from dexcex.roots.evaluate import evaluate_replay
from tests.evaluation.test_readers import UNI, write_candles


@pytest.fixture(scope="module")
def sim_report(sim_log: Path) -> dict[str, object]:
    return build_report(evaluate_replay([sim_log], Settings()), CoreSettings(), seed=1)


def test_replay_is_deterministic(sim_log: Path) -> None:
    a = evaluate_replay([sim_log], Settings())
    b = evaluate_replay([sim_log], Settings())
    assert a.outputs, "the simulated hour should produce signals"
    enc = msgspec.json.encode
    assert [enc(o) for o in a.outputs] == [enc(o) for o in b.outputs]


def test_detection_quality_on_the_simulator(sim_report: dict) -> None:
    """A regression gate, not a claim about real markets: on the simulator's informed
    bursts, signals that pass the filters must stay mostly right and find a fair share."""
    det = sim_report["detection"]["passed filters"]
    assert det["signals"] >= 10
    assert det["precision"] >= 0.55, det
    assert det["recall"] >= 0.4, det
    assert det["decoys_signalled"] <= 0.15 * det["decoys"], det


def test_report_groups_and_baselines(sim_report: dict, tmp_path: Path) -> None:
    names = [g["name"] for g in sim_report["groups"]]
    assert names == [
        "DEX: all candidates",
        "DEX: passed filters",
        "DEX: risk-approved",
        "random timing",
        "CEX momentum",
    ]
    passed = sim_report["groups"][1]["horizons"]["5m"]
    assert passed["labeled"] > 0 and passed["mean_ci"] is not None
    lo, hi = passed["mean_ci"]
    assert lo <= passed["mean_net_bps"] <= hi
    assert sim_report["horizons_not_measurable"] == []  # the simulator's mids are per second
    write_chart(sim_report, tmp_path / "c.png")
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert render_table(sim_report).row_count == 25


def test_evaluate_cli_on_real_excerpts(tmp_path: Path) -> None:
    candles = write_candles(tmp_path / "eth-1m.csv", [2268.0 + i * 0.5 for i in range(120)])
    (tmp_path / "junk.bin").write_bytes(b"\x00\x01nothing")
    out = tmp_path / "out"
    res = CliRunner().invoke(
        app, ["evaluate", str(UNI), str(candles), str(tmp_path / "junk.bin"), "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert "Uniswap v3 pool events" in res.output and "CEX 1-minute candles" in res.output
    assert "could not read junk.bin" in res.output
    assert "30s, 1m cannot be measured" in res.output
    report = json.loads((out / "evaluation.json").read_text())
    assert report["events"] > 60
    assert (out / "evaluation.png").exists()
