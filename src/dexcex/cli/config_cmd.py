"""``dexcex config show``: the effective configuration, secrets redacted."""

from __future__ import annotations

import json

import typer

from dexcex.cli.common import console, settings_of
from dexcex.config import effective_config

app = typer.Typer(help="Inspect the configuration.", no_args_is_help=True)


@app.command("show")
def show(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Plain JSON, for scripts."),
) -> None:
    """Print the effective configuration (file + environment), secrets redacted."""
    data = effective_config(settings_of(ctx))
    if as_json:
        typer.echo(json.dumps(data, indent=2, sort_keys=True))
    else:
        console.print_json(data=data)
