"""``dexcex fit-rule``: the confidence weights re-fitted, with their provenance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from dexcex.cli.common import AppState, console, settings_of
from dexcex.cli.model_cmd import rows_of
from dexcex.config import Settings

__all__ = ["fit_rule"]


def _command(ctx: typer.Context, args: list[str]) -> str:
    state = ctx.find_object(AppState)
    cfg = state.config_path if state is not None else None
    return " ".join(["dexcex", *([f"--config {cfg}"] if cfg else []), "fit-rule", *args])


def fit_rule(
    ctx: typer.Context,
    dataset: Path | None = typer.Option(None, "--dataset", help="An exported dataset file."),
    db: str | None = typer.Option(None, "--db", help="Database to read (default: the configured)."),
    scenario: str | None = typer.Option(
        None, "--scenario", help="Collect the data first: a seeded paper run of this scenario."
    ),
    seed: int = typer.Option(7, "--seed", help="With --scenario: the simulator's seed."),
    virtual_hours: float = typer.Option(
        24.0, "--virtual-hours", min=0.01, help="With --scenario: market hours to collect."
    ),
    horizon: str = typer.Option("5m", "--horizon", help="30s … 60m."),
    folds: int = typer.Option(4, "--folds", min=2, max=20),
    l2: float = typer.Option(0.01, "--l2", min=0.0, help="L2 penalty on the weights."),
    out: Path = typer.Option(Path("report/rule"), "--out", help="Folder for the weights."),
) -> None:
    """Re-fit the confidence logistic's weights (all ≥ 0) on labelled signals, judged on
    purged walk-forward folds against the weights in force; writes weights.toml (the
    core.signals.weights table of a configuration) and provenance.json. With --scenario
    it first collects its own data (a seeded paper run, in virtual time) and writes it as
    input.parquet."""
    from dexcex.models.data import frame_of
    from dexcex.models.rule_fit import fit_rule as fit
    from dexcex.models.service import code_version

    settings = settings_of(ctx)
    code = code_version()  # before anything is written (an --out in the tree is no change)
    collected: dict[str, Any] | None = None
    args = [f"--horizon {horizon}", f"--folds {folds}", f"--l2 {l2:g}", f"--out {out}"]
    if scenario is not None:
        rows, digest, collected = _collect(settings, scenario, seed, virtual_hours, horizon, out)
        args = [f"--scenario {scenario}", f"--seed {seed}", f"--virtual-hours {virtual_hours:g}"]
        args += [f"--horizon {horizon}", f"--folds {folds}", f"--l2 {l2:g}", f"--out {out}"]
    else:
        rows, digest = rows_of(ctx, dataset, db)
        args = [f"--dataset {dataset}" if dataset else f"--db {db}" if db else "", *args]
    fr = frame_of(rows, f"label_{horizon}", "scores", digest)
    current = settings.core.signals.weights
    res = fit(fr, current, folds=folds, l2=l2)
    out.mkdir(parents=True, exist_ok=True)
    _write_toml(out, digest, res.rows, horizon, l2, res.weights)
    prov = {
        "command": _command(ctx, [a for a in args if a]),
        "data_sha256": digest,
        "rows": res.rows,
        "span_ms": [int(fr.ts[0]), int(fr.ts[-1])],
        "horizon": horizon,
        "target": "direction hit (gross return > 0; flat left out)",
        "l2": l2,
        "folds_n": folds,
        "code": code,
        "collected": collected,
        "current": current.model_dump(),
        "fitted": res.weights,
        "folds": res.folds,
    }
    (out / "provenance.json").write_text(json.dumps(prov, indent=2) + "\n", encoding="utf-8")
    _print(res.weights, res.folds)
    console.print(f"wrote {out / 'weights.toml'} and {out / 'provenance.json'}")


def _collect(
    settings: Settings, scenario: str, seed: int, hours: float, horizon: str, out: Path
) -> tuple[list[dict[str, Any]], str, dict[str, Any]]:
    """A seeded paper run written as ``out/input.parquet``: its rows, hash and record."""
    from dexcex.models.data import read_dataset
    from dexcex.models.rule_defaults import collect, settings_digest, write_input

    console.print(f"collecting {hours:g} market hours of {scenario} (seed {seed})…")
    got = collect(settings, scenario, seed, hours)
    n = write_input(got.rows, horizon, out / "input.parquet")
    rows, digest = read_dataset(out / "input.parquet")
    return (
        rows,
        digest,
        {
            "scenario": scenario,
            "seed": seed,
            "virtual_hours": hours,
            "start_ms": got.start_ms,
            "signals": len(got.rows),
            "input": "input.parquet",
            "input_rows": n,
            "core_settings_sha256": settings_digest(settings),
        },
    )


def _write_toml(
    out: Path, digest: str, rows: int, horizon: str, l2: float, w: dict[str, float]
) -> None:
    toml = "\n".join(
        [
            f"# dexcex fit-rule: data sha256 {digest}, {rows:,} signals at {horizon}, "
            f"l2 {l2:g}; provenance.json beside this file",
            "[core.signals.weights]",
            *[f"{k} = {v}" for k, v in w.items()],
            "",
        ]
    )
    (out / "weights.toml").write_text(toml, encoding="utf-8")


def _print(weights: dict[str, float], folds: list[dict[str, Any]]) -> None:
    console.print(f"weights: {weights}")
    for f in folds:
        g = f["brier_gain"]
        ci = g["ci"]
        console.print(
            f"  fold {f['index']}: Brier {f['brier_refit']:.4f} refit vs "
            f"{f['brier_current']:.4f} in force; gain {g['value']:+.4f} "
            + (f"[{ci[0]:+.4f}, {ci[1]:+.4f}]" if ci else "[no CI]"),
            highlight=False,
        )
