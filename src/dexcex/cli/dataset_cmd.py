"""``dexcex dataset export`` and ``dexcex dataset stats``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from dexcex.cli.common import console, parse_when, settings_of, with_db
from dexcex.dataset.export import export_rows
from dexcex.dataset.stats import dataset_stats
from dexcex.roots.running import open_database

app = typer.Typer(help="The ML dataset: signals with features and outcomes.", no_args_is_help=True)


@app.command("export")
def export(
    ctx: typer.Context,
    fmt: str = typer.Option("parquet", "--format", "-f", help="parquet or csv."),
    since: str | None = typer.Option(None, "--since", help="ISO time or ms (inclusive)."),
    until: str | None = typer.Option(None, "--until", help="ISO time or ms (exclusive)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Output file."),
    db: str | None = typer.Option(None, "--db", help="Database URL (default: the configured)."),
) -> None:
    """One row per signal: features, context, risk, execution and labels, with a schema
    file; every empty cell says why in `null_reasons`."""
    if fmt not in ("parquet", "csv"):
        raise typer.BadParameter("parquet or csv", param_hint="--format")
    database = open_database(with_db(settings_of(ctx), db))
    try:
        rows = list(database.signals.iter_range(parse_when(since), parse_when(until)))
    finally:
        database.close()
    target = out or Path(f"dexcex-dataset.{fmt}")
    res = export_rows(rows, target, fmt)
    console.print(f"wrote {res.rows:,} rows × {res.columns} columns to {res.path}")
    console.print(f"schema: {res.schema}")


@app.command("stats")
def stats(
    ctx: typer.Context,
    since: str | None = typer.Option(None, "--since", help="ISO time or ms (inclusive)."),
    until: str | None = typer.Option(None, "--until", help="ISO time or ms (exclusive)."),
    db: str | None = typer.Option(None, "--db", help="Database URL (default: the configured)."),
) -> None:
    """Counts per asset, label balance per horizon, missing values per column."""
    database = open_database(with_db(settings_of(ctx), db))
    try:
        st = dataset_stats(database.signals.iter_range(parse_when(since), parse_when(until)))
    finally:
        database.close()
    console.print(
        f"{st.rows:,} signals; by status: "
        + ", ".join(f"{k} {v:,}" for k, v in st.by_status.most_common())
    )
    t = Table(title="signals per asset")
    for col in ("asset", "origin", "signals"):
        t.add_column(col)
    for (asset, origin), n in sorted(st.by_asset.items()):
        t.add_row(asset, origin, f"{n:,}")
    console.print(t)
    lab = Table(title="labels (profitable after fees and slippage)")
    for col in ("horizon", "true", "false", "null", "true share"):
        lab.add_column(col, justify="right")
    for h, c in st.labels.items():
        known = c["true"] + c["false"]
        lab.add_row(
            h,
            f"{c['true']:,}",
            f"{c['false']:,}",
            f"{c['null']:,}",
            f"{c['true'] / known:.0%}" if known else "n/a",
        )
    console.print(lab)
    miss = Table(title="missing values (each explained in null_reasons)")
    for col in ("column", "null", "share"):
        miss.add_column(col)
    for name, n in sorted(st.missing.items(), key=lambda kv: -kv[1]):
        miss.add_row(name, f"{n:,}", f"{n / st.rows:.0%}" if st.rows else "n/a")
    console.print(miss)
    if st.unexplained_nulls:
        console.print(f"[red]{st.unexplained_nulls} null cells without a reason[/]")
