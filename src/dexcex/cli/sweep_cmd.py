"""``dexcex sim sweep``: a grid of simulated worlds, each judged like real data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from dexcex.cli.common import console, settings_of
from dexcex.evaluation.plan import load_plan
from dexcex.evaluation.sweep import Grid, run_sweep, write_sweep_chart
from dexcex.sim.scenario import load_scenario


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def sweep(
    ctx: typer.Context,
    scenario: str = typer.Option(
        "realistic", "--scenario", "-s", help="Scenario name or TOML path."
    ),
    moves: str = typer.Option("10,40", "--moves", help="Planted move sizes, bps (comma list)."),
    wallets: str = typer.Option("4,200", "--wallets", help="Informed-wallet counts."),
    follow: str = typer.Option("0.8", "--follow", help="Follow probabilities (p_move)."),
    lags: str = typer.Option("30", "--lags", help="Mean lags, seconds (drawn ±50 %)."),
    minutes: float = typer.Option(60.0, "--minutes", min=5, help="Virtual minutes per cell."),
    assets: str = typer.Option(
        "wif,pepe,bonk", "--assets", help="Configured asset ids to simulate."
    ),
    no_wallets: bool = typer.Option(False, "--no-wallet-ids", help="Ablation: drop trader ids."),
    seed: int = typer.Option(7, "--seed"),
    out: Path = typer.Option(Path("sweep"), "--out", "-o", help="Folder for the JSON and PNG."),
) -> None:
    """Run a grid over move size, informed-wallet count, follow probability and lag;
    print recall, precision, net return and the break-even move. The default grid is
    small (4 cells, about a minute); widen it with the options."""
    settings = settings_of(ctx)
    base = load_scenario(scenario, seed=seed)
    grid = Grid(_floats(moves), [int(x) for x in _floats(wallets)], _floats(follow), _floats(lags))
    result = run_sweep(
        base,
        grid,
        settings.core,
        load_plan(),
        minutes=minutes,
        assets=[a for a in assets.split(",") if a],
        wallets=not no_wallets,
        seed=seed,
    )
    console.print(_table(result, base.name))
    for be in result["break_even"]:
        where = (
            "never within the grid"
            if be["break_even_bps"] is None
            else f"{be['break_even_bps']:.0f} bps"
        )
        console.print(
            f"break-even move ({be['informed_wallets']} informed, p_move {be['p_move']:g}, "
            f"lag {be['lag_s']:g} s): {where}"
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / "sweep.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    write_sweep_chart(result, out / "sweep.png")
    console.print(f"wrote {out / 'sweep.json'} and {out / 'sweep.png'}")


def _table(result: dict[str, Any], name: str) -> Table:
    table = Table(title=f"sim sweep: {name}" + ("" if result["wallet_ids"] else " (no wallet ids)"))
    for col in (
        "move",
        "wallets",
        "p_move",
        "lag s",
        "recall",
        "precision",
        "passed",
        "net bps",
        "verdict",
    ):
        table.add_column(col, justify="right")
    for r in result["rows"]:
        net = r["mean_net_passed_bps"]
        table.add_row(
            f"{r['move_bps']:g}",
            str(r["informed_wallets"]),
            f"{r['p_move']:g}",
            f"{r['lag_s']:g}",
            f"{r['recall']:.0%}",
            f"{r['precision']:.0%}",
            str(r["passed"]),
            "n/a" if net is None else f"{net:+.1f}",
            "edge" if r["edge"] else "no edge",
        )
    return table
