"""``dexcex db``: schema migrations, backup and restore."""

from __future__ import annotations

from pathlib import Path

import typer

from dexcex.cli.common import console, settings_of
from dexcex.store import current_revision, downgrade, head_revision, normalize_url, upgrade

app = typer.Typer(
    help="Database schema (Alembic migrations), backup and restore.", no_args_is_help=True
)

UrlOption = typer.Option(None, "--url", help="Database URL (default: from the configuration).")


def _url(ctx: typer.Context, url: str | None) -> str:
    return url or settings_of(ctx).database_url()


def _shown(url: str) -> str:
    return normalize_url(url).render_as_string(hide_password=True)


@app.command("upgrade")
def upgrade_cmd(
    ctx: typer.Context,
    revision: str = typer.Argument("head", help="Target revision."),
    url: str | None = UrlOption,
) -> None:
    """Migrate the schema up to REVISION (default: the newest)."""
    target = _url(ctx, url)
    upgrade(target, revision)
    console.print(f"[green]schema at {current_revision(target)}[/] ({_shown(target)})")


@app.command("downgrade")
def downgrade_cmd(
    ctx: typer.Context,
    revision: str = typer.Argument("-1", help="Target revision, or -N steps back; 'base' = empty."),
    url: str | None = UrlOption,
) -> None:
    """Migrate the schema down to REVISION (default: one step)."""
    target = _url(ctx, url)
    downgrade(target, revision)
    console.print(f"[yellow]schema at {current_revision(target) or 'base'}[/] ({_shown(target)})")


@app.command("current")
def current_cmd(ctx: typer.Context, url: str | None = UrlOption) -> None:
    """Show the schema revision of the database and the newest one this code knows."""
    target = _url(ctx, url)
    cur, head = current_revision(target), head_revision(target)
    state = "[green]up to date[/]" if cur == head else "[yellow]needs `dexcex db upgrade`[/]"
    console.print(f"{_shown(target)}: at {cur or 'base'}, head {head} — {state}")


@app.command("backup")
def backup_cmd(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="Backup file to write."),
    url: str | None = UrlOption,
) -> None:
    """A consistent copy of the database (SQLite online backup, or pg_dump), safe while
    the engine runs."""
    from dexcex.store.backup import backup, row_counts

    target = _url(ctx, url)
    backup(target, path)
    counts = row_counts(target)
    console.print(
        f"[green]backed up[/] {_shown(target)} to {path} "
        f"({sum(counts.values()):,} rows in {len(counts)} tables)"
    )


@app.command("restore")
def restore_cmd(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="Backup file to read."),
    url: str | None = UrlOption,
    yes: bool = typer.Option(False, "--yes", help="Replace the database's contents."),
) -> None:
    """Replace the database's contents with a backup. Stop the engine first."""
    from dexcex.store.backup import restore, row_counts

    target = _url(ctx, url)
    if not yes:
        raise typer.BadParameter(
            f"this replaces everything in {_shown(target)}: add --yes", param_hint="--yes"
        )
    restore(target, path)
    counts = row_counts(target)
    console.print(
        f"[green]restored[/] {path} into {_shown(target)} "
        f"({sum(counts.values()):,} rows in {len(counts)} tables)"
    )


@app.command("prune")
def prune_cmd(
    ctx: typer.Context,
    signals_days: int | None = typer.Option(
        None,
        "--signals-days",
        min=1,
        help="Keep this many whole days of signals before today "
        "(default: store.retention_signals_days; unset keeps all).",
    ),
    health_days: int | None = typer.Option(
        None,
        "--health-days",
        min=1,
        help="The same for health samples (default: store.retention_health_days).",
    ),
    url: str | None = UrlOption,
) -> None:
    """Apply the retention policy now (the engine also does, every store.prune_every_s):
    PostgreSQL drops whole daily partitions, SQLite deletes rows."""
    import time

    from dexcex.store import Database

    st = settings_of(ctx).store
    target = _url(ctx, url)
    db = Database.open(target)
    try:
        done = db.prune(
            int(time.time() * 1000),
            signals_days=signals_days or st.retention_signals_days,
            health_days=health_days or st.retention_health_days,
        )
    finally:
        db.close()
    if not done:
        console.print("nothing to prune: no retention is set")
    for r in done:
        how = f" ({r.partitions} daily partitions dropped)" if r.partitions else ""
        console.print(f"{r.table}: {r.rows:,} rows removed{how}")
