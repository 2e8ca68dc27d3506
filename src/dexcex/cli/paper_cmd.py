"""``dexcex paper`` and ``dexcex report``."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dexcex.cli.common import console, err_console, settings_of, with_db
from dexcex.domain import TradingMode
from dexcex.execution.report import OriginStats, performance, summary, write_chart
from dexcex.roots.paper import PaperRunResult, earlier_recording, earlier_run, run_paper
from dexcex.roots.running import open_database
from dexcex.sim.scenario import load_scenario


def paper(
    ctx: typer.Context,
    scenario: str = typer.Option("default", "--scenario", "-s", help="Scenario name or TOML."),
    virtual_hours: float = typer.Option(..., "--virtual-hours", min=0.01, help="Market hours."),
    seed: int | None = typer.Option(None, "--seed", help="Override the scenario's seed."),
    db: str | None = typer.Option(None, "--db", help="Database URL (default: the configured)."),
    settle: bool = typer.Option(
        True, "--settle/--no-settle", help="One more hour, untraded, for the last outcomes."
    ),
    record: Path | None = typer.Option(
        None,
        "--record",
        help="Also record every event to recorder files in this folder: `dexcex replay` "
        "of them (with execution.auto_paper) gives this run's signals, trades and outcomes "
        "(a settling hour is traded by the replay, not here).",
    ),
) -> None:
    """Simulator → pipeline → core → paper execution → labeling, in virtual time, as fast
    as the machine goes. Leaves the signals, orders, fills and outcomes in the database
    for `dexcex dataset export` and `dexcex report`."""
    settings = with_db(settings_of(ctx), db)
    sc = load_scenario(scenario, seed=seed)
    database = open_database(settings)
    started = time.perf_counter()
    try:
        earlier_run(database, sc, virtual_hours)  # before the progress bar: one line
        earlier_recording(record)
        with Progress(
            TextColumn("[bold]paper trading"),
            BarColumn(),
            TextColumn("{task.completed:.1f}/{task.total:.1f} h"),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=err_console,
        ) as progress:
            # + the hour that lets the last outcomes settle
            total = virtual_hours + (1.05 if settle else 0.0)
            task = progress.add_task("", total=total)

            def show(h: float, r: PaperRunResult) -> None:
                progress.update(
                    task,
                    completed=min(h, total),
                    description=f"{r.signals:,} signals, {r.orders:,} orders, "
                    f"{r.labeled:,} labeled",
                )

            res = run_paper(
                settings, sc, virtual_hours, database, show, settle=settle, record=record
            )
    finally:
        database.close()
    trading = f"{virtual_hours:g} trading" + (" + settling" if settle else "")
    _said(res, trading, time.perf_counter() - started)
    console.print(f"database: {settings.database_url()}")
    if record is not None:
        console.print(f"recorded to {record}")


def _said(res: PaperRunResult, trading: str, took: float) -> None:
    console.print(
        f"{res.hours:.1f} market hours ({trading}) in {took:.0f} s: "
        f"{res.events:,} events, {res.signals:,} signals ({res.dex_signals:,} DEX, "
        f"{res.baseline_signals:,} CEX baseline), {res.approved:,} approved, "
        f"{res.orders:,} orders, {res.labeled:,} labeled"
    )


def report(
    ctx: typer.Context,
    db: str | None = typer.Option(None, "--db", help="Database URL (default: the configured)."),
    out: Path = typer.Option(Path("report"), "--out", "-o", help="Folder for JSON and PNG."),
    live: bool = typer.Option(False, "--live", help="Live orders instead of paper."),
) -> None:
    """Hit rate, net expectancy, PnL curve, drawdown and slippage: DEX-led signals next to
    the CEX-only baseline."""
    settings = with_db(settings_of(ctx), db)
    database = open_database(settings)
    try:
        stats = performance(database, TradingMode.LIVE if live else TradingMode.PAPER)
    finally:
        database.close()
    if not any(s.signals for s in stats.values()):
        where = settings.database_url().split("@")[-1]  # without the credentials
        err_console.print(
            f"nothing to report: no {'live' if live else 'paper'} signals in {where}. "
            "Run `dexcex paper` (a simulated session, traded) or `dexcex demo` first.",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)
    table = Table(title="Performance after fees and slippage")
    table.add_column("")
    names = sorted(stats)
    for name in names:
        table.add_column(name, justify="right")

    def row(label: str, fmt: Callable[[OriginStats], str]) -> None:
        table.add_row(label, *(fmt(stats[n]) for n in names))

    row("signals", lambda s: f"{s.signals:,}")
    row("traded", lambda s: f"{s.executed:,}")
    row("round trips", lambda s: f"{len(s.trades):,}")
    row("still open", lambda s: str(s.open_positions))
    row("hit rate", lambda s: f"{s.hit_rate:.0%}" if s.hit_rate is not None else "n/a")
    row(
        "expectancy, bps",
        lambda s: f"{s.expectancy_bps:+.1f}" if s.expectancy_bps is not None else "n/a",
    )
    row(
        "expectancy, USDT",
        lambda s: f"{float(s.expectancy):+.3f}" if s.expectancy is not None else "n/a",
    )
    row("total PnL, USDT", lambda s: f"{float(s.total):+.2f}")
    row("max drawdown, USDT", lambda s: f"{s.max_drawdown:.2f}")
    row(
        "entry slippage p10/50/90, bps",
        lambda s: "/".join(f"{x:.1f}" for x in q) if (q := s.slippage_quantiles()) else "n/a",
    )
    console.print(table)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(summary(stats), indent=2), encoding="utf-8")
    write_chart(stats, out / "report.png")
    console.print(f"wrote {out / 'report.json'} and {out / 'report.png'}")
