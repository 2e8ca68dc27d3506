"""``dexcex export``: signals, orders, fills, health samples or alerts by time range."""

from __future__ import annotations

from pathlib import Path

import typer

from dexcex.cli.common import console, parse_when, settings_of, with_db
from dexcex.roots.running import open_database
from dexcex.store.export import TABLES, export_table


def export(
    ctx: typer.Context,
    table: str = typer.Argument(..., help=f"One of: {', '.join(TABLES)}."),
    fmt: str = typer.Option("parquet", "--format", "-f", help="parquet or csv."),
    since: str | None = typer.Option(None, "--since", help="ISO time or ms (inclusive)."),
    until: str | None = typer.Option(None, "--until", help="ISO time or ms (exclusive)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Output file."),
    db: str | None = typer.Option(None, "--db", help="Database URL (default: the configured)."),
) -> None:
    """Rows of one table in a time range, as Parquet or CSV (for the ML dataset with
    features and labels, see `dexcex dataset export`)."""
    if table not in TABLES:
        raise typer.BadParameter(f"one of {', '.join(TABLES)}", param_hint="TABLE")
    if fmt not in ("parquet", "csv"):
        raise typer.BadParameter("parquet or csv", param_hint="--format")
    database = open_database(with_db(settings_of(ctx), db))
    try:
        res = export_table(
            database,
            table,
            out or Path(f"dexcex-{table}.{fmt}"),
            fmt,
            parse_when(since),
            parse_when(until),
        )
    finally:
        database.close()
    console.print(f"wrote {res.rows:,} {table} rows to {res.path}")
