"""``dexcex evaluate``: replay recorded data through the core and judge the signals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from dexcex.cli.common import byte_progress, console, settings_of
from dexcex.evaluation.calibration import write_reliability
from dexcex.evaluation.coarse import relax_for_bars
from dexcex.evaluation.plan import load_plan
from dexcex.evaluation.render import primary_lines, render_assets, render_secondary, write_chart
from dexcex.evaluation.report import build_report
from dexcex.evaluation.runner import open_readers
from dexcex.roots.evaluate import evaluate_replay


def evaluate(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(..., exists=True, help="Files or folders of recorded data."),
    out: Path = typer.Option(
        Path("evaluation"), "--out", "-o", help="Folder for the JSON and PNGs."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the null draws and the bootstrap."),
    plan_file: Path | None = typer.Option(
        None, "--plan", exists=True, help="Evaluation plan (TOML); default: the packaged one."
    ),
) -> None:
    """Replay PATHs (recorder files, simulator logs, Uniswap v3 and Dune trade CSVs,
    Binance klines/aggTrades/bookTicker, freqtrade candles, cryptofeed recordings —
    recognised by content) through the core, and judge the plan's primary metric: the
    verdict line first, then the permutation null, block-bootstrap CIs, the adjusted
    secondary cells, a per-asset table and a reliability diagram."""
    settings = settings_of(ctx)
    plan = load_plan(plan_file)
    readers, _ = open_readers(list(paths))
    core_settings, note = relax_for_bars(settings.core, readers)
    with byte_progress("replaying") as show:
        result = evaluate_replay(
            list(paths), settings.model_copy(update={"core": core_settings}), show
        )
    report = build_report(result, core_settings, seed, plan, [note] if note else [])
    for line in primary_lines(report):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    _inputs(report)
    console.print(render_secondary(report))
    console.print(render_assets(report))
    _extras(report)
    out.mkdir(parents=True, exist_ok=True)
    (out / "evaluation.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    write_chart(report, out / "evaluation.png")
    write_reliability(report["calibration"], out / "reliability.png")
    console.print(
        f"wrote {out / 'evaluation.json'}, {out / 'evaluation.png'} and {out / 'reliability.png'}"
    )


def _inputs(report: dict[str, Any]) -> None:
    for line in report["inputs"]:
        console.print(f"read  {line}", markup=False)
    for line in report["unreadable"]:
        console.print(f"[yellow]could not read[/] {line}")
    for note in report["notes"]:
        console.print(f"[cyan]note[/] {note}")
    sig = report["signals"]
    console.print(
        f"{report['events']:,} events covering {report['span_hours']:.1f} h; signals: "
        f"{sig['candidates']} candidates, {sig['passed_filters']} passed the filters, "
        f"{sig['approved']} approved by risk; live CEX momentum rule: "
        f"{sig['momentum_approved']} approved"
    )
    unused = report["core_counters"].get("unknown_market", 0)
    if unused:
        console.print(
            f"{unused:,} CEX events were for markets no DEX asset in the data maps to (unused)"
        )
    for h, assets in report["horizons_not_measurable"].items():
        console.print(f"{h} cannot be measured for {', '.join(assets)} (CEX data too coarse)")
    if sig["filter_reasons"]:
        console.print(
            "filtered because: " + ", ".join(f"{k} ({v})" for k, v in sig["filter_reasons"].items())
        )


def _extras(report: dict[str, Any]) -> None:
    cal = report["calibration"]
    if cal.get("brier") is not None:
        mv = cal["moves"]
        r = mv["correlation"]
        console.print(
            f"calibration ({cal['group']}, {cal['horizon']}, n={cal['n']}): Brier "
            f"{cal['brier']:.3f}, log loss {cal['log_loss']:.3f} (a constant ½: 0.250, 0.693); "
            f"expected move {mv['mean_expected_bps']:+.1f} bps vs realised "
            f"{mv['mean_realised_bps']:+.1f} bps" + (f", r = {r:.2f}" if r is not None else "")
        )
    sw = report["confidence_sweep"]
    if sw.get("spa_p") is not None:
        best = max(
            (t for t in sw["thresholds"] if t["mean_net_bps"] is not None),
            key=lambda t: t["mean_net_bps"],
            default=None,
        )
        if best is not None:
            console.print(
                f"confidence sweep ({len(sw['thresholds'])} cut-offs, {sw['horizon']}): best "
                f"min_confidence {best['min_confidence']:g} ({best['mean_net_bps']:+.1f} bps, "
                f"n={best['n']}); Hansen SPA p = {sw['spa_p']:.3f} for 'the best beats not trading'"
            )
    if "detection" in report:
        for name, d in report["detection"].items():
            console.print(
                f"against the simulator's truth ({name}): precision {d['precision']:.0%} "
                f"({d['true_positives']}/{d['signals']}), recall {d['recall']:.0%} of "
                f"{d['followed_bursts']} informed bursts, "
                f"{d['decoys_signalled']}/{d['decoys']} decoys signalled"
            )
