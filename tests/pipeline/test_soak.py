"""Memory soak (``make soak``): the pipeline against 100 simulated assets for 30 market
minutes, accelerated, with the whole engine — execution (paper), labelling, alerts and
the accuracy monitor; the engine process's RSS must stay flat after warm-up (growth
< 5 % over the last two thirds). It prints the RSS per asset.

The simulator runs in its own process (``dexcex sim``), so what is measured is the
engine alone — the simulator keeps a day of rolling per-minute statistics per market and
grows by design. ``SOAK_MINUTES`` and ``SOAK_SPEED`` shorten or speed it up.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from dexcex.config import Settings
from dexcex.config.models import PipelineSettings
from dexcex.roots.connectors import sim_endpoints
from dexcex.roots.engine import Pipeline
from dexcex.sim.scenario import load_scenario
from dexcex.sim.world import SimClock
from dexcex.store import Database
from tests.running import start_sim

MINUTES = float(os.environ.get("SOAK_MINUTES", "30"))
SPEED = float(os.environ.get("SOAK_SPEED", "3"))


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


# the run is long by design: the suite's 300 s per test would end it half-way
@pytest.mark.soak
@pytest.mark.timeout(int(MINUTES * 60 / SPEED * 2) + 300)
async def test_engine_memory_stays_flat_with_100_assets(tmp_path: Path) -> None:
    sim, desc, _ = start_sim("--scenario", "100-assets", "--speed", str(SPEED))
    clock = SimClock(desc["start_ms"], desc["wall0_ms"], desc["speed"])
    sc = load_scenario("100-assets")
    db = Database.open(f"sqlite:///{tmp_path / 'soak.sqlite3'}", migrate=True)
    samples: list[tuple[float, float]] = []
    try:
        base = Settings(
            assets=sc.asset_configs(),
            pipeline=PipelineSettings(book_check_s=30, health_every_s=10),
        )
        pipe = Pipeline(sim_endpoints(base, desc, "sim-key", "sim-secret"), clock, db=db)
        await pipe.start()
        start = clock.now_ms()
        try:
            while (elapsed := (clock.now_ms() - start) / 60_000) < MINUTES:
                await asyncio.sleep(5)
                samples.append((elapsed, rss_mb()))
                down = sum(st.down for st in pipe.supervisor.status.values())
                print(
                    f"{elapsed:5.1f} market min  rss {samples[-1][1]:7.1f} MB  "
                    f"events {pipe.engine.events:,}  dropped {pipe.bus.dropped:,}  "
                    f"signals {pipe.engine.signals}  streams down {down}",
                    flush=True,
                )
        finally:
            await pipe.stop()
    finally:
        db.close()
        sim.terminate()
        sim.wait(timeout=30)
    after_warmup = [mb for t, mb in samples if t >= MINUTES / 3]
    growth = max(after_warmup) / after_warmup[0] - 1
    print(
        f"soak: {pipe.engine.events:,} events, rss {after_warmup[0]:.0f} MB after warm-up, "
        f"{samples[-1][1]:.0f} MB at the end, growth {growth:+.1%} (limit 5 %), "
        f"{samples[-1][1] / len(sc.asset_configs()):.1f} MB per asset"
    )
    assert pipe.engine.events > 100_000
    assert pipe.execution is not None and pipe.execution.journal.written_outcomes > 0
    assert growth < 0.05, (after_warmup[0], max(after_warmup))
