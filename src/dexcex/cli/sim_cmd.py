"""``dexcex sim``: the local simulated market (MEXC, Bybit, Birdeye, DexScreener)."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from collections import Counter
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from dexcex.cli.common import console, err_console
from dexcex.sim.market.events import Burst, CexMove, SimEvent
from dexcex.sim.scenario import Scenario, load_scenario
from dexcex.sim.world import SimWorld, run_sim
from dexcex.stopping import LATCH

app = typer.Typer(help="The local simulated market, and sweeps over simulated worlds.")


@app.callback(invoke_without_command=True)
def sim(
    ctx: typer.Context,
    scenario: str = typer.Option("default", "--scenario", "-s", help="Scenario name or TOML path."),
    seed: int | None = typer.Option(None, "--seed", help="Override the scenario's seed."),
    speed: float = typer.Option(
        1.0, "--speed", min=0.01, max=10_000, help="Market time / wall time."
    ),
    log: Path | None = typer.Option(
        None, "--log", help="Write the ground-truth log here (.zst ok)."
    ),
    virtual_hours: float | None = typer.Option(
        None, "--virtual-hours", min=0.001, help="No servers: generate H hours as fast as possible."
    ),
    port: int = typer.Option(0, "--port", help="First port (0 = any free ports)."),
) -> None:
    """Run the simulated market. Prints one JSON line naming every endpoint, then serves
    until interrupted (Ctrl-C). With --virtual-hours it only generates events."""
    if ctx.invoked_subcommand is not None:
        return
    sc = load_scenario(scenario, seed=seed)
    if virtual_hours is not None:
        LATCH.release()  # a batch run: a signal ends it as usual
        _virtual(SimWorld(sc, log_path=log), virtual_hours)
        return
    ports = (
        {"mexc": port, "bybit": port + 1, "birdeye": port + 2, "dexscreener": port + 3}
        if port
        else None
    )
    # the loaded scenario itself (seed applied): a TOML file's, not a packaged one of the
    # same name
    asyncio.run(_serve(sc, speed, log, ports))


async def _serve(
    scenario: Scenario, speed: float, log: Path | None, ports: dict[str, int] | None
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    if LATCH.installed:  # `dexcex sim` from the shell: a signal during start-up too
        stop = LATCH.attach()
    else:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    try:
        async with run_sim(scenario, speed=speed, log_path=log, ports=ports) as world:
            if not stop.is_set():
                sys.stdout.write(json.dumps(world.describe()) + "\n")
                sys.stdout.flush()
            await stop.wait()
    finally:
        LATCH.detach()
    err_console.print("simulator stopped")


def _virtual(world: SimWorld, hours: float) -> None:
    kinds: Counter[str] = Counter()
    bursts: Counter[str] = Counter()

    def count(ev: SimEvent) -> None:
        kinds[type(ev).__name__] += 1
        if isinstance(ev, Burst):
            bursts[f"{ev.kind}{' followed' if ev.followed else ''}"] += 1
        elif isinstance(ev, CexMove):
            bursts["cex moves"] += 1

    world.market.sinks.append(count)
    start = world.market.now
    end = start + int(hours * 3_600_000)
    started = time.perf_counter()
    with Progress(
        TextColumn("[bold]simulating"),
        BarColumn(),
        TextColumn("{task.completed:.2f}/{task.total:.2f} h"),
        TimeElapsedColumn(),
        console=err_console,
    ) as progress:
        task = progress.add_task("sim", total=hours)
        world.run_virtual(end, lambda t: progress.update(task, completed=(t - start) / 3_600_000))
    if world.log is not None:
        world.log.close()
    elapsed = time.perf_counter() - started
    total = world.market.events_emitted
    console.print(
        f"{total:,} events in {elapsed:.1f} s ({total / elapsed:,.0f} events/s); "
        + ", ".join(f"{k}={v:,}" for k, v in sorted(kinds.items()))
    )
    console.print("bursts: " + ", ".join(f"{k}={v}" for k, v in sorted(bursts.items())))
    if world.log is not None:
        console.print(f"ground truth: {world.log.path}")
