"""``dexcex run`` and ``dexcex record``: the live engine, and the recorder alone."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, Literal

import typer
from pydantic import ValidationError
from rich.console import Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from dexcex.cli.common import console, err_console, settings_of
from dexcex.config import PipelineSettings, Settings
from dexcex.core import CoreOutput
from dexcex.domain import HealthState
from dexcex.logs import get_logger
from dexcex.pipeline.app import Pipeline
from dexcex.pipeline.runner import (
    running_pipeline,
    serve_until_stopped,
    shard_settings,
    starting,
)
from dexcex.stopping import LATCH

_log = get_logger("dexcex.run")

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
        mode = "[bold red]LIVE[/]" if ex.live is not None else "[bold cyan]PAPER[/]"
        open_n = len(ex.live.trades) if ex.live is not None else ex.paper.open_trades()
        head.append_text(
            Text.from_markup(
                f"\n{mode} · {'auto' if ex.auto else 'click to trade'} · "
                f"{open_n} open positions · {ex.journal.written_orders:,} orders written · "
                f"{ex.labeler.labeled:,} signals labeled"
            )
        )
    streams = Table(box=None, pad_edge=False, show_edge=False)
    for col in ("", "stream", "state", "msgs", "restarts", "last error"):
        streams.add_column(col, overflow="ellipsis", no_wrap=True)
    now = pipe.clock.now_ms()
    for st in pipe.supervisor.status.values():
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
) -> None:
    """Start every configured stream, the core, storage, execution and the One Glance page
    (http://127.0.0.1:8000). Paper mode unless live trading is enabled; the simulated
    market unless `--market real` (or `pipeline.market`)."""
    settings = _with_market(settings_of(ctx), market, scenario, speed)
    if role not in ("all", "collector", "engine", "api"):
        raise typer.BadParameter("all, collector, engine or api", param_hint="--role")
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
    if role == "collector":
        try:
            k, n = (int(x) for x in shard.split("/"))
        except ValueError:
            raise typer.BadParameter("K/N, e.g. 0/2", param_hint="--shard") from None
        settings = shard_settings(settings, k, n)
    if role == "api":
        _until_stopped(_run_api(settings, seconds))
        return
    rec = settings.pipeline.record if record is None else record
    start_run(
        settings,
        record=rec,
        seconds=seconds,
        status=status,
        page=page and role != "collector",
        role=role,  # type: ignore[arg-type]
    )


def start_run(
    settings: Settings,
    *,
    record: bool,
    seconds: float | None,
    status: bool,
    page: bool = True,
    role: Literal["all", "collector", "engine"] = "all",
) -> None:
    _until_stopped(_run(settings, record, seconds, status, page, role))


def _until_stopped(main: Coroutine[Any, Any, None]) -> None:
    """Run ``main``; a stop signal during its start-up is a clean stop too (exit 0): the
    start-up is cancelled, what it had started is closed, and that is said."""
    if LATCH.requested():  # before anything started: nothing to close
        main.close()
        err_console.print(f"stopped before start-up ({LATCH.signal_name})")
        return
    try:
        asyncio.run(main)
    except asyncio.CancelledError:
        if not LATCH.requested():
            raise
        _log.info("stopped during start-up", signal=LATCH.signal_name, phase=LATCH.phase)
        err_console.print(f"stopped during start-up ({LATCH.signal_name} at {LATCH.phase})")
    finally:
        LATCH.detach()


async def _run(
    settings: Settings,
    record: bool,
    seconds: float | None,
    status: bool,
    page: bool,
    role: Literal["all", "collector", "engine"],
) -> None:
    LATCH.attach()
    recent: deque[CoreOutput] = deque(maxlen=8)
    async with (
        running_pipeline(settings, record=record, role=role) as pipe,
        contextlib.AsyncExitStack() as servers,  # closed before the pipeline, whatever happens
    ):
        signals = pipe.subscribe()
        started = time.monotonic()
        if role == "collector" and settings.bus.metrics_port:
            await _serve_metrics(pipe, settings, servers)
        if page and pipe.db is not None:
            await _serve_page(pipe, settings, servers, relay=role == "engine")

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

        await serve_until_stopped(body, seconds)
    err_console.print(
        f"stopped: {pipe.engine.events:,} events, {pipe.engine.signals} signals "
        f"({pipe.engine.stored} stored), {pipe.bus.dropped} dropped"
        + (f"; recorded to {pipe.recorder.directory}" if pipe.recorder else "")
    )


async def _serve_metrics(
    pipe: Pipeline, settings: Settings, servers: contextlib.AsyncExitStack
) -> None:
    from dexcex.api.metrics_server import MetricsServer

    starting("metrics")
    metrics_server = MetricsServer(pipe, settings.api.host, settings.bus.metrics_port)
    servers.push_async_callback(metrics_server.stop)
    await metrics_server.start()
    err_console.print(f"metrics: {metrics_server.url}", highlight=False)


async def _serve_page(
    pipe: Pipeline, settings: Settings, servers: contextlib.AsyncExitStack, *, relay: bool
) -> None:
    from dexcex.api.server import GlanceServer

    starting("page")
    server = GlanceServer(pipe)

    async def stop_page() -> None:
        _log.info("stopping: page")
        await server.stop()

    servers.push_async_callback(stop_page)
    await server.start()
    if relay and settings.bus.page_relay:
        parts = await _relay_page(settings, server)

        async def stop_relay() -> None:
            _log.info("stopping: page relay")
            for part in parts[1:]:
                await part.stop()
            await _close_redis(parts[0])

        servers.push_async_callback(stop_relay)
    _print_page(settings, server.url, server.token)


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
    _until_stopped(_record(settings, seconds))


async def _record(settings: Settings, seconds: float | None) -> None:
    LATCH.attach()
    async with running_pipeline(settings, with_core=False, record=True, use_db=False) as pipe:
        assert pipe.recorder is not None
        err_console.print(f"recording to {pipe.recorder.directory} (Ctrl-C stops)")

        async def body(stop: asyncio.Event) -> None:
            await stop.wait()

        await serve_until_stopped(body, seconds)
    assert pipe.recorder is not None
    err_console.print(
        f"recorded {pipe.recorder.events:,} events, {pipe.recorder.bytes / 1e6:.1f} MB "
        f"compressed, in {len(pipe.recorder.files)} file(s)"
    )


async def _relay_page(settings: Settings, server: Any) -> tuple[Any, ...]:
    """An engine's page, also for API processes elsewhere (``--role api``): its hub's
    messages to Redis, their clicks from Redis. Returns (redis, relay, commands)."""
    import redis.asyncio as aioredis

    from dexcex.api.app import execute_click
    from dexcex.api.relay import CommandServer, PageRelay

    redis = aioredis.Redis.from_url(settings.bus.redis_url)
    relay = PageRelay(redis, server.hub)
    commands = CommandServer(
        redis, lambda signal_id, confirm: execute_click(server.glance, signal_id, confirm)
    )
    server.relayed = True
    await relay.start()
    await commands.start()
    return redis, relay, commands


async def _run_api(settings: Settings, seconds: float | None) -> None:
    """``--role api``: the page of an engine in another process. The engine owns the
    schema (this one only reads it) and answers the clicks."""
    import redis.asyncio as aioredis

    from dexcex.api.server import ApiServer
    from dexcex.store import Database

    LATCH.attach()
    starting("database")
    db = Database.open(settings.database_url(), pool_size=settings.store.pool_size)
    redis = aioredis.Redis.from_url(settings.bus.redis_url)
    server = ApiServer(settings, db, redis)
    try:
        starting("page")
        await server.start()
        # the Redis URL without what precedes '@' (a password)
        behind = f"; the engine behind it: {settings.bus.redis_url.split('@')[-1]}"
        _print_page(settings, server.url, server.token, "One Glance (api)", behind)

        async def body(stop: asyncio.Event) -> None:
            await stop.wait()

        await serve_until_stopped(body, seconds)
    finally:
        _log.info("stopping: page")
        await server.stop()
        await _close_redis(redis)
        db.close()
    err_console.print("stopped: api")


async def _close_redis(redis: Any) -> None:
    try:
        async with asyncio.timeout(3):
            await redis.aclose()
    except (TimeoutError, OSError) as exc:
        _log.warning("redis connection not closed cleanly", error=str(exc) or "timeout")


def _print_page(
    settings: Settings, url: str, token: str, title: str = "One Glance", more: str = ""
) -> None:
    err_console.print(
        f"[bold green]{title}:[/] {url}/#token={token}\n"
        f"  (the token lets the page execute signals; it is kept in "
        f"{settings.data_dir / 'api-token'}{more})",
        highlight=False,
        soft_wrap=True,
    )
