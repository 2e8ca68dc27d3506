from __future__ import annotations

from pathlib import Path

from dexcex.config.core_settings import CoreSettings
from dexcex.evaluation.plan import load_plan
from dexcex.evaluation.sweep import Grid, break_even, run_sweep, write_sweep_chart
from dexcex.sim.scenario import load_scenario


def _row(move: float, net: float | None) -> dict[str, object]:
    return {
        "move_bps": move,
        "informed_wallets": 4,
        "p_move": 0.8,
        "lag_s": 30.0,
        "mean_net_passed_bps": net,
    }


def test_break_even_interpolates_the_zero_crossing() -> None:
    rows = [_row(10, -20.0), _row(20, -10.0), _row(40, 10.0)]
    assert break_even(rows)[0]["break_even_bps"] == 30.0
    assert break_even([_row(10, -5.0), _row(40, -1.0)])[0]["break_even_bps"] is None
    assert break_even([_row(10, 2.0), _row(40, 5.0)])[0]["break_even_bps"] == 10.0


def test_a_small_sweep_runs_and_draws(tmp_path: Path) -> None:
    grid = Grid(move_bps=[40.0], informed_wallets=[4], p_move=[0.8], lag_s=[30.0])
    res = run_sweep(
        load_scenario("realistic"), grid, CoreSettings(), load_plan(), minutes=20, assets=["wif"]
    )
    (row,) = res["rows"]
    assert row["move_bps"] == 40.0 and 0.0 <= row["recall"] <= 1.0
    write_sweep_chart(res, tmp_path / "s.png")
    assert (tmp_path / "s.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sim_sweep_cli(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from dexcex.cli.main import app

    args = ["sim", "sweep", "--moves", "40", "--wallets", "4", "--minutes", "10"]
    res = CliRunner().invoke(
        app, [*args, "--assets", "wif", "--no-wallet-ids", "-o", str(tmp_path)]
    )
    assert res.exit_code == 0, res.output
    assert "break-even move (4 informed" in res.output and "no wallet ids" in res.output
    assert (tmp_path / "sweep.png").exists() and (tmp_path / "sweep.json").exists()
