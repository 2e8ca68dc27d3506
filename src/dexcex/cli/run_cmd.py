"""``dexcex run`` and ``dexcex record``: the live engine, and the recorder alone."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Literal

import typer
from pydantic import ValidationError
from rich.console import Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from dexcex.cli.common import console, err_console, settings_of
from dexcex.config import PipelineSettings, Settings
from dexcex.core import CoreOutput
from dexcex.domain import HealthState, TradingMode
from dexcex.pipeline.runner import shard_settings
from dexcex.roots.engine import Pipeline
from dexcex.roots.run import (
    PageInfo,
    run_api,
    run_collector,
    run_engine,
    run_recorder,
    until_stopped,
)

_LIGHT = {
    HealthState.OK: "[green]●[/]",
    HealthState.DEGRADED: "[yellow]●[/]",
    HealthState.STALE: "[yellow]●[/]",
    HealthState.RATE_LIMITED: "[yellow]●[/]",
    HealthState.DOWN: "[red]●[/]",
}


def _with_market(
    settings: Settings, market: str | None, scenario: str | None, speed: float | None
) -> Settings:
    update: dict[str, object] = {}
    if market is not None:
        update["market"] = market
    if scenario is not None:
        update["sim_scenario"] = scenario
    if speed is not None:
        update["sim_speed"] = speed
    if not update:
        return settings
    try:  # validated like the configuration file would be
        pipeline = PipelineSettings.model_validate({**settings.pipeline.model_dump(), **update})
    except ValidationError as exc:
        problems = "; ".join(f"--{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise typer.BadParameter(problems.replace("sim_", "")) from exc

    return settings.model_copy(update={"pipeline": pipeline})


def with_port(settings: Settings, port: int | None) -> Settings:
    if port is None:
        return settings
    return settings.model_copy(update={"api": settings.api.model_copy(update={"port": port})})


def status_view(pipe: Pipeline, recent: deque[CoreOutput], started: float) -> Group:
    elapsed = max(1e-9, time.monotonic() - started)
    head = Text.from_markup(
        f"[bold]dexcex run[/] · {pipe.settings.pipeline.market} market · "
        f"{pipe.engine.events:,} events ({pipe.engine.events / elapsed:,.0f}/s) · "
        f"{pipe.engine.signals} signals · {pipe.bus.dropped:,} dropped · "
        f"active venue {pipe.core.active_venue.value if pipe.core else '—'}"
    )
    ex = pipe.execution
    if ex is not None:
        mode = "[bold red]LIVE[/]" if ex.mode is TradingMode.LIVE else "[bold cyan]PAPER[/]"
        killed = " · [bold red]KILL SWITCH ON[/]" if ex.kill_switch.on else ""
        head.append_text(
            Text.from_markup(
                f"\n{mode}{killed} · {'auto' if ex.auto else 'click to trade'} · "
                f"{ex.executor.open_positions()} open positions · "
                f"{ex.journal.written_orders:,} orders written · "
                f"{ex.labeler.labeled:,} signals labeled"
            )
        )
    streams = Table(box=None, pad_edge=False, show_edge=False)
    for col in ("", "stream", "state", "msgs", "restarts", "last error"):
        streams.add_column(col, overflow="ellipsis", no_wrap=True)
    now = pipe.clock.now_ms()
    for st in pipe.supervisor.status.values() if pipe.supervisor is not None else ():
        age = "" if st.last_msg_ms is None else f" ({(now - st.last_msg_ms) / 1000:.0f}s ago)"
        streams.add_row(
            _LIGHT[st.state],
            Text(st.name),
            st.state.value + age,
            f"{st.messages:,}",
            str(st.restarts),
            Text(st.last_error[:50]),
        )
    sig = Table(box=None, title="latest signals", title_justify="left", pad_edge=False)
    for col in ("time", "asset", "dir", "conf", "bps", "status"):
        sig.add_column(col, no_wrap=True)
    sig.add_column("risk", overflow="ellipsis", no_wrap=True, ratio=1)
    for out in reversed(recent):
        s = out.signal
        sig.add_row(
            time.strftime("%H:%M:%S", time.gmtime(s.ts / 1000)),
            s.asset_id,
            s.direction.value,
            f"{s.confidence:.2f}",
            f"{s.expected_move_bps:.0f}",
            s.status.value,
            Text("approved" if out.decision.approved else out.decision.reasons[0]),
        )
    return Group(head, streams, sig)


def run(
    ctx: typer.Context,
    market: str | None = typer.Option(None, "--market", help="sim (default) or real."),
    scenario: str | None = typer.Option(None, "--scenario", help="Simulator scenario."),
    speed: float | None = typer.Option(None, "--speed", help="Simulator speed."),
    record: bool | None = typer.Option(
        None, "--record/--no-record", help="Also record every event (see `dexcex record`)."
    ),
    record_dir: Path | None = typer.Option(None, "--record-dir", help="Record here (and record)."),
    seconds: float | None = typer.Option(None, "--seconds", help="Stop after this long."),
    status: bool = typer.Option(True, "--status/--no-status", help="Live status view."),
    page: bool = typer.Option(True, "--page/--no-page", help="Serve the One Glance page."),
    role: str = typer.Option(
        "all",
        "--role",
        help="all (one process); collector (streams → Redis); engine (Redis → core, "
        "storage, execution, page); api (the page of an engine elsewhere, from the "
        "store and Redis).",
    ),
    shard: str = typer.Option("0/1", "--shard", help="Collector K of N: its assets only."),
    redis: str | None = typer.Option(None, "--redis", help="Redis URL (bus.redis_url)."),
    sim_connect: Path | None = typer.Option(
        None, "--sim-connect", help="Connect to a running `dexcex sim` (its printed JSON)."
    ),
    metrics_port: int | None = typer.Option(
        None,
        "--metrics-port",
        help="Collector: serve /metrics and /healthz on this port (bus.metrics_port).",
    ),
    page_relay: bool | None = typer.Option(
        None,
        "--page-relay/--no-page-relay",
        help="Engine: show its page through `--role api` processes too (bus.page_relay).",
    ),
    port: int | None = typer.Option(
        None, "--port", min=0, max=65535, help="The page's port (api.port; 0: any free one)."
    ),
) -> None:
    """Start every configured stream, the core, storage, execution and the One Glance page
    (http://127.0.0.1:8000). Paper mode unless live trading is enabled; the simulated
    market unless `--market real` (or `pipeline.market`)."""
    if role not in ("all", "collector", "engine", "api"):
        raise typer.BadParameter("all, collector, engine or api", param_hint="--role")
    settings = with_port(_with_market(settings_of(ctx), market, scenario, speed), port)
    settings = _with_bus(settings, sim_connect, redis, metrics_port, page_relay)
    if role == "collector":
        settings = _with_shard(settings, shard)
    if role == "api":
        _api(settings, seconds)
        return
    settings, rec = _with_record_dir(settings, record, record_dir)
    page = page and role != "collector"
    start_run(settings, record=rec, seconds=seconds, status=status, page=page, role=role)  # type: ignore[arg-type]


def _with_record_dir(
    settings: Settings, record: bool | None, record_dir: Path | None
) -> tuple[Settings, bool]:
    """The settings with ``--record-dir`` applied, and whether this run records."""
    if record_dir is not None:
        record = True if record is None else record
        pipeline = settings.pipeline.model_copy(update={"record_dir": record_dir})
        settings = settings.model_copy(update={"pipeline": pipeline})
    return settings, settings.pipeline.record if record is None else record


def _with_bus(
    settings: Settings,
    sim_connect: Path | None,
    redis: str | None,
    metrics_port: int | None,
    page_relay: bool | None,
) -> Settings:
    if sim_connect is not None:
        settings = settings.model_copy(
            update={"pipeline": settings.pipeline.model_copy(update={"sim_connect": sim_connect})}
        )
    bus_update: dict[str, object] = {}
    if redis is not None:
        bus_update["redis_url"] = redis
    if metrics_port is not None:
        bus_update["metrics_port"] = metrics_port
    if page_relay is not None:
        bus_update["page_relay"] = page_relay
    if bus_update:
        settings = settings.model_copy(update={"bus": settings.bus.model_copy(update=bus_update)})
    return settings


def _with_shard(settings: Settings, shard: str) -> Settings:
    try:
        k, n = (int(x) for x in shard.split("/"))
    except ValueError:
        raise typer.BadParameter("K/N, e.g. 0/2", param_hint="--shard") from None
    return shard_settings(settings, k, n)


def start_run(
    settings: Settings,
    *,
    record: bool,
    seconds: float | None,
    status: bool,
    page: bool = True,
    role: Literal["all", "collector", "engine"] = "all",
) -> None:
    if role == "collector":
        _said(until_stopped(run_collector(settings, seconds, _show_metrics)))
        return
    recent: deque[CoreOutput] = deque(maxlen=8)
    done: list[Pipeline] = []

    def show(pipe: Pipeline, info: PageInfo | None) -> Callable[[asyncio.Event], Awaitable[None]]:
        done.append(pipe)
        if info is not None:
            _print_page(settings, info)
        return _status_body(pipe, recent, status)

    _said(
        until_stopped(
            run_engine(settings, record=record, seconds=seconds, page=page, role=role, show=show)
        )
    )
    if done:
        pipe = done[0]
        err_console.print(
            f"stopped: {pipe.engine.events:,} events, {pipe.engine.signals} signals "
            f"({pipe.engine.stored} stored), {pipe.bus.dropped} dropped"
            + (f"; recorded to {pipe.recorder.directory}" if pipe.recorder else "")
        )


def _said(message: str | None) -> None:
    if message is not None:
        err_console.print(message)


def _show_metrics(url: str | None) -> None:
    if url is not None:
        err_console.print(f"metrics: {url}", highlight=False)


def _status_body(
    pipe: Pipeline, recent: deque[CoreOutput], status: bool
) -> Callable[[asyncio.Event], Awaitable[None]]:
    signals = pipe.subscribe()
    started = time.monotonic()

    async def body(stop: asyncio.Event) -> None:
        live = Live(console=console, refresh_per_second=2, transient=False) if status else None
        if live is not None:
            live.start()
        try:
            while not stop.is_set():
                while signals.qsize():
                    recent.append(signals.get_nowait())
                if live is not None:
                    live.update(status_view(pipe, recent, started))
                await asyncio.sleep(0.5)
        finally:
            if live is not None:
                live.stop()

    return body


def record(
    ctx: typer.Context,
    market: str | None = typer.Option(None, "--market", help="sim (default) or real."),
    scenario: str | None = typer.Option(None, "--scenario", help="Simulator scenario."),
    speed: float | None = typer.Option(None, "--speed", help="Simulator speed."),
    seconds: float | None = typer.Option(None, "--seconds", help="Stop after this long."),
) -> None:
    """Record every normalised event to hourly zstd JSON-lines files (no signals, no
    trading); `dexcex replay` plays them back."""
    settings = _with_market(settings_of(ctx), market, scenario, speed)
    _record(settings, seconds)


def _print_page(
    settings: Settings, info: PageInfo, title: str = "One Glance", more: str = ""
) -> None:
    err_console.print(
        f"[bold green]{title}:[/] {info.url}/#token={info.token}\n"
        f"  (the token lets the page execute signals; it is kept in "
        f"{settings.data_dir / 'api-token'}{more})",
        highlight=False,
        soft_wrap=True,
    )


def _recording(pipe: Pipeline) -> None:
    assert pipe.recorder is not None
    err_console.print(f"recording to {pipe.recorder.directory} (Ctrl-C stops)")


def _record(settings: Settings, seconds: float | None) -> None:
    done: list[Pipeline] = []

    def show(pipe: Pipeline) -> None:
        done.append(pipe)
        _recording(pipe)

    _said(until_stopped(run_recorder(settings, seconds, show)))
    if done and done[0].recorder is not None:
        rec = done[0].recorder
        err_console.print(
            f"recorded {rec.events:,} events, {rec.bytes / 1e6:.1f} MB "
            f"compressed, in {len(rec.files)} file(s)"
        )


def _api(settings: Settings, seconds: float | None) -> None:
    # the Redis URL without what precedes '@' (a password)
    behind = f"; the engine behind it: {settings.bus.redis_url.split('@')[-1]}"

    def show(info: PageInfo) -> None:
        _print_page(settings, info, "One Glance (api)", behind)

    _said(until_stopped(run_api(settings, seconds, show)))
    err_console.print("stopped: api")
