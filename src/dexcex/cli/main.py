"""The ``dexcex`` command. Commands are thin: they parse, call one service, print."""

from __future__ import annotations

from dexcex.stopping import LATCH

if __name__ == "__main__":  # `python -m dexcex.cli.main`: before the slow imports below
    LATCH.install()

import contextlib
import faulthandler
import signal
import sys
from pathlib import Path

import typer

from dexcex import __version__
from dexcex.cli import (
    config_cmd,
    dataset_cmd,
    db_cmd,
    doctor_cmd,
    evaluate_cmd,
    export_cmd,
    kill_cmd,
    model_cmd,
    paper_cmd,
    replay_cmd,
    rule_cmd,
    run_cmd,
    sim_cmd,
    sweep_cmd,
)
from dexcex.cli.common import AppState, err_console
from dexcex.domain import ConfigError, DexcexError

app = typer.Typer(
    name="dexcex",
    help="DEX order-flow anomalies → scored, risk-checked CEX signals (paper by default).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(config_cmd.app, name="config")
app.add_typer(db_cmd.app, name="db")
app.add_typer(dataset_cmd.app, name="dataset")
app.add_typer(model_cmd.app, name="model")
sim_cmd.app.command("sweep")(sweep_cmd.sweep)
app.add_typer(sim_cmd.app, name="sim")
app.command("evaluate")(evaluate_cmd.evaluate)
app.command("run")(run_cmd.run)
app.command("record")(run_cmd.record)
app.command("replay")(replay_cmd.replay)
app.command("convert")(replay_cmd.convert)
app.command("paper")(paper_cmd.paper)
app.command("export")(export_cmd.export)
app.command("report")(paper_cmd.report)
app.command("kill")(kill_cmd.kill)
app.command("doctor")(doctor_cmd.doctor)
app.command("fit-rule")(rule_cmd.fit_rule)


# Commands that run until stopped keep the stop latch (``dexcex.stopping``): a signal
# is a request to stop cleanly, at any moment of their start-up too.
_RUNS_UNTIL_STOPPED = frozenset({"run", "demo", "record", "sim"})


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dexcex {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    config: Path | None = typer.Option(
        None, "--config", "-c", help="Config file (default: $DEXCEX_CONFIG or ./dexcex.toml)."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    ctx.obj = AppState(config_path=config)
    if ctx.invoked_subcommand not in _RUNS_UNTIL_STOPPED:
        LATCH.release()  # it ends by itself: a signal has its default effect


@app.command()
def demo(
    ctx: typer.Context,
    seconds: float | None = typer.Option(None, "--seconds", help="Stop after this long."),
    port: int | None = typer.Option(
        None, "--port", min=0, max=65535, help="The page's port (api.port; 0: any free one)."
    ),
    speed: float | None = typer.Option(
        None, "--speed", min=0.001, max=1000, help="Simulator speed (market s per wall s)."
    ),
) -> None:
    """The simulated market (its ``demo`` world unless ``pipeline.sim_scenario`` names
    another), the engine in paper mode and the One Glance page on http://127.0.0.1:8000
    — no API key needed."""
    from dexcex.cli.common import settings_of
    from dexcex.cli.run_cmd import start_run, with_port

    settings = with_port(settings_of(ctx), port)
    update: dict[str, object] = {"market": "sim"}
    if "sim_scenario" not in settings.pipeline.model_fields_set:
        update["sim_scenario"] = "demo"
    if speed is not None:
        update["sim_speed"] = speed
    demo_pipeline = settings.pipeline.model_copy(update=update)
    live = settings.live.model_copy(update={"enabled": False})  # a demo never trades
    start_run(
        settings.model_copy(update={"pipeline": demo_pipeline, "live": live}),
        record=False,
        seconds=seconds,
        status=True,
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point: every expected failure is one line on stderr and a non-zero exit.

    Usage errors are typer's own (exit 2); our errors never show a traceback.
    """
    if hasattr(signal, "SIGUSR1"):
        # `kill -USR1 <pid>` prints every thread's stack to stderr: how a process that
        # does not stop can say where it waits, without stopping it. Not where stderr is
        # no file (an embedding host, a test runner capturing it).
        with contextlib.suppress(OSError, ValueError, AttributeError):
            faulthandler.register(signal.SIGUSR1, all_threads=True)
    try:
        app(args=argv, prog_name="dexcex")
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except ConfigError as exc:
        err_console.print(f"[red]config error:[/] {exc}", highlight=False, soft_wrap=True)
        return 2
    except DexcexError as exc:
        err_console.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
