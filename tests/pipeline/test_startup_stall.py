"""A venue that stalls for 20 s at start-up, on the simulator (defect 2 of issue 21).

Both venues answer their first requests 20 s late (the simulator's ``slow`` fault, armed
at the scenario's start). A book stream's staleness check gives up on its attempt while
ccxt's shared market-loading task is still waiting; that must not cancel the loading for
the trade streams and the live reconciler waiting on the same task. Once the venue
answers, every CEX book and trade stream delivers and live reconciliation finishes.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from dexcex.config import Settings, load_settings
from dexcex.config.models import PipelineSettings
from dexcex.domain import HealthState, SourceKind, VenueId
from dexcex.roots.connectors import sim_endpoints
from dexcex.roots.engine import Pipeline
from dexcex.sim.scenario import AccountSpec, Fault, FaultKind, load_scenario
from dexcex.sim.world import run_sim
from dexcex.store import Database
from tests.waiting import until

KEY = "sim-stall-key-0123456789"
SECRET = "sim-stall-secret-9876543210"
STALL_S = 20.0
SPEED = 2.0
ASSETS = ("wif", "bonk")


def stalled_settings(base: Settings, urls: dict[str, str]) -> Settings:
    s = sim_endpoints(base, urls, KEY, SECRET)
    venues = s.venues.model_copy(
        update={  # the client waits longer than the stall: only a cancellation ends a wait
            v.value: s.venues.get(v).model_copy(update={"timeout_s": STALL_S + 20}) for v in VenueId
        }
    )
    return s.model_copy(
        update={
            "assets": [a for a in s.assets if a.id in ASSETS],
            "venues": venues,
            "live": s.live.model_copy(update={"enabled": True}),
            "pipeline": PipelineSettings(
                backoff_initial_s=0.2,
                backoff_max_s=1.5,
                stale_book_s=6.0,  # market seconds: 3 s of wall time, well inside the stall
                stale_trades_s=600.0,  # the trade streams only ever see the cancellation
                stale_dex_ws_s=60.0,
                book_check_s=0.0,
            ),
        }
    )


@asynccontextmanager
async def stalled_venues(tmp_path: Path) -> AsyncIterator[Pipeline]:
    stall = [
        Fault(at_s=0, kind=FaultKind.SLOW, target=v, duration_s=2 * SPEED, delay_ms=20_000)
        for v in ("mexc", "bybit")
    ]
    sc = load_scenario("default").model_copy(
        update={
            "faults": stall,
            "assets": list(ASSETS),
            "accounts": [AccountSpec(api_key=KEY, api_secret=SECRET)],
        }
    )
    async with run_sim(sc, speed=SPEED) as world:
        assert world.clock is not None
        db = Database.open(f"sqlite:///{tmp_path / 'stall.sqlite3'}", migrate=True)
        pipe = Pipeline(stalled_settings(load_settings(), world.urls), world.clock, db=db)
        await pipe.start()
        try:
            yield pipe
        finally:
            await pipe.stop()
            db.close()


async def test_a_20s_stall_at_start_up_ends_with_every_cex_stream_and_reconciliation_up(
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    async with stalled_venues(tmp_path) as pipe:
        sup = pipe.supervisor
        cex = [n for n, spec in sup.streams.items() if spec.kind is SourceKind.CEX_VENUE]
        assert len(cex) == 2 * 2 * len(ASSETS)  # book and trades, per market and venue
        assert pipe.execution is not None
        trader = pipe.execution.executor.trader  # type: ignore[attr-defined]

        def delivering(name: str) -> bool:
            st = sup.status[name]
            return st.state is HealthState.OK and st.last_msg_ms is not None

        await until(
            lambda: all(delivering(n) for n in cex) and trader.ready,
            limit_s=STALL_S + 60,
            what="every CEX stream delivering and live reconciled after the stall",
        )
        assert time.monotonic() - started >= STALL_S - 1  # the venues really stalled
        stalled = [n for n in cex if ":book:" in n and sup.status[n].stale_restarts]
        assert stalled, "no book stream gave up during the stall: the test tested nothing"
        for name in cex:  # and they were not dead tasks that happened to have delivered
            assert not sup._tasks[name].done(), name
