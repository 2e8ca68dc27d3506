"""``dexcex replay`` and ``dexcex convert``."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from dexcex.cli.common import byte_progress, console, settings_of, with_db
from dexcex.pipeline.replay import convert as convert_files
from dexcex.roots.replay import replay_files
from dexcex.roots.running import open_database


def _speed(value: str) -> float | None:
    if value == "max":
        return None
    try:
        speed = float(value)
    except ValueError:
        raise typer.BadParameter("a number (1, 10, …) or max") from None
    if speed <= 0:
        raise typer.BadParameter("must be > 0")
    return speed


def replay(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(..., exists=True, help="Recorder files or folders."),
    speed: str = typer.Option("max", "--speed", help="1, 10, … (x real time) or max."),
    store: bool = typer.Option(
        False,
        "--store/--no-store",
        help="Store the signals, paper trades (with execution.auto_paper) and outcomes.",
    ),
    db: str | None = typer.Option(None, "--db", help="Database URL (default: the configured)."),
) -> None:
    """Feed recorded events through the same pipeline and core, on a virtual clock."""
    settings = with_db(settings_of(ctx), db)
    pace = _speed(speed)
    database = open_database(settings) if store else None
    try:
        with byte_progress("replaying") as show:
            res = asyncio.run(replay_files(paths, settings, speed=pace, db=database, progress=show))
    finally:
        if database is not None:
            database.close()
    span = (res.last_ts - res.first_ts) / 3_600_000
    console.print(
        f"{res.events:,} events ({span:.2f} h recorded) in {res.seconds:.1f} s: "
        f"{res.rate:,.0f} events/s; {res.signals} signals"
        + (f", {res.stored} stored, {res.labeled} labelled" if store else "")
    )
    if res.rejected or res.truncated:
        console.print(
            f"[yellow]{res.rejected} lines rejected, {res.truncated} truncated file tail(s)[/]"
        )
        for p in res.problems[:10]:
            console.print(f"  {p}")


def convert(
    paths: list[Path] = typer.Argument(..., exists=True, help="Files or folders to convert."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the recorder files."),
) -> None:
    """Convert recorded data in the formats `dexcex evaluate` reads (Uniswap v3 CSVs, CEX
    candles, cryptofeed recordings, simulator logs) into the recorder's format."""
    n, unreadable, files = convert_files(list(paths), out)
    for line in unreadable:
        console.print(f"[yellow]could not read[/] {line}")
    console.print(f"wrote {n:,} events to {len(files)} file(s) in {out}")
