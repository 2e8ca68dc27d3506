"""``dexcex evaluate``: replay recorded data through the core and judge the signals."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from dexcex.cli.common import byte_progress, console, settings_of
from dexcex.evaluation.report import build_report, render_table, write_chart
from dexcex.roots.evaluate import evaluate_replay


def evaluate(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(..., exists=True, help="Files or folders of recorded data."),
    out: Path = typer.Option(
        Path("evaluation"), "--out", "-o", help="Folder for the JSON and PNG."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the random baseline and the bootstrap."),
) -> None:
    """Replay PATHs (the recorder's files, the simulator's ground truth, Uniswap v3 CSVs,
    CEX candles, cryptofeed recordings — recognised by content) through the core with a
    virtual clock, label every signal at 30 s … 60 m net of costs, and compare it with a
    random-timing and a CEX-only momentum baseline."""
    settings = settings_of(ctx)
    with byte_progress("replaying") as show:
        result = evaluate_replay(list(paths), settings, show)
    report = build_report(result, settings.core, seed)
    for line in report["inputs"]:
        console.print(f"read  {line}")
    for line in report["unreadable"]:
        console.print(f"[yellow]could not read[/] {line}")
    sig = report["signals"]
    console.print(
        f"{report['events']:,} events covering {report['span_hours']:.1f} h; signals: "
        f"{sig['candidates']} candidates, {sig['passed_filters']} passed the filters, "
        f"{sig['approved']} approved by risk"
    )
    unused = report["core_counters"].get("unknown_market", 0)
    if unused:
        console.print(
            f"{unused:,} CEX events were for markets no DEX asset in the data maps to (unused)"
        )
    if report["horizons_not_measurable"]:
        console.print(
            f"CEX mids are {report['cex_mid_resolution_s']:.0f} s apart: "
            f"{', '.join(report['horizons_not_measurable'])} cannot be measured"
        )
    if sig["filter_reasons"]:
        console.print(
            "filtered because: " + ", ".join(f"{k} ({v})" for k, v in sig["filter_reasons"].items())
        )
    console.print(render_table(report))
    if "detection" in report:
        for name, d in report["detection"].items():
            console.print(
                f"against the simulator's truth ({name}): precision {d['precision']:.0%} "
                f"({d['true_positives']}/{d['signals']}), recall {d['recall']:.0%} of "
                f"{d['followed_bursts']} informed bursts, "
                f"{d['decoys_signalled']}/{d['decoys']} decoys signalled"
            )
    out.mkdir(parents=True, exist_ok=True)
    (out / "evaluation.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    write_chart(report, out / "evaluation.png")
    console.print(f"wrote {out / 'evaluation.json'} and {out / 'evaluation.png'}")
