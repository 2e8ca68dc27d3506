"""Simulator budgets: events generated per second in virtual time (10 assets, target
≥ 200,000) and websocket fan-out latency on loopback (sim emits → client receives)."""

from __future__ import annotations

import asyncio
import json
import statistics
import time

import websockets

from benchmarks.targets import check
from dexcex.sim.market.model import MarketSim
from dexcex.sim.scenario import Scenario, load_scenario
from dexcex.sim.world import run_sim

TARGET_EVENTS_PER_S = 200_000


def generation(assets: int = 10, minutes: int = 30) -> float:
    sc = load_scenario("default").model_copy(update={"assets": assets})
    best = 0.0
    for _ in range(3):
        m = MarketSim(sc)
        started = time.perf_counter()
        m.run_until(sc.start_ms + minutes * 60_000)
        rate = m.events_emitted / (time.perf_counter() - started)
        best = max(best, rate)
    print(
        f"generation, {assets} assets, {minutes} virtual min: {m.events_emitted:,} events, "
        f"best of 3: {best:,.0f} events/s (target {TARGET_EVENTS_PER_S:,}; "
        f"ratio {best / TARGET_EVENTS_PER_S:.2f}; "
        f"{check('simulator generation', best >= TARGET_EVENTS_PER_S)})"
    )
    return best


async def _fanout(clients: int, seconds: float) -> list[float]:
    sc: Scenario = load_scenario("default")
    async with run_sim(sc, speed=1.0) as world:
        sockets = []
        for _ in range(clients):
            ws = await websockets.connect(world.urls["bybit_ws"])
            await ws.send(
                json.dumps(
                    {"op": "subscribe", "args": ["publicTrade.WIFUSDT", "orderbook.50.WIFUSDT"]}
                )
            )
            sockets.append(ws)
        assert world.clock is not None
        clock = world.clock
        lat: list[float] = []

        async def reader(ws: websockets.ClientConnection) -> None:
            end = time.time() + seconds
            while time.time() < end:
                msg = json.loads(await ws.recv())
                if "ts" in msg and "topic" in msg:
                    # ts is the market time the event happened; with speed 1 the clock
                    # maps it back to the wall time the simulator emitted it.
                    lat.append(clock.now_ms() - msg["ts"])

        await asyncio.gather(*(reader(ws) for ws in sockets))
        for ws in sockets:
            await ws.close()
        return lat


def fanout(clients: int = 20, seconds: float = 5.0) -> None:
    lat = asyncio.run(_fanout(clients, seconds))
    lat.sort()
    p50 = statistics.median(lat)
    p99 = lat[int(len(lat) * 0.99)]
    print(
        f"websocket fan-out, {clients} clients, {len(lat):,} frames: "
        f"event → client p50 {p50:.1f} ms, p99 {p99:.1f} ms (includes the 5 ms driver tick)"
    )


def run() -> None:
    generation()
    fanout()


if __name__ == "__main__":
    run()
