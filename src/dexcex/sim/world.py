"""The simulated world: the market, what the venues remember, their servers, the faults.

``run_sim()`` starts it on 127.0.0.1 (free ports by default) for tests and the demo;
``SimWorld.run_virtual()`` runs it without servers as fast as the machine allows, for
ground-truth logs, benchmarks and evaluation.

Time: market time starts at the scenario's ``start_ms`` (virtual runs) or at the wall
clock (served runs) and advances ``speed`` times faster than the wall. Timestamps in
market data are market time; signatures and ``/time`` endpoints use the wall clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from dexcex.sim.exchange import Account, SimExchange
from dexcex.sim.faults import FaultController
from dexcex.sim.groundtruth import GroundTruthLog, stream_of
from dexcex.sim.market.book import SimBook
from dexcex.sim.market.events import CexBookDelta, CexTradeEv, DexSwapEv, FaultEv, SimEvent
from dexcex.sim.market.model import MarketSim
from dexcex.sim.scenario import Scenario, load_scenario
from dexcex.sim.servers import make_servers
from dexcex.sim.servers.port import VenueServer
from dexcex.sim.state import CexView, PoolView

__all__ = ["SimClock", "SimWorld", "run_sim"]


@dataclass(frozen=True, slots=True)
class SimClock:
    """Maps the wall clock to market time: ``start_ms + (wall - wall0) * speed``."""

    start_ms: int
    wall0_ms: int
    speed: float

    def now_ms(self) -> int:
        return self.start_ms + int((time.time_ns() // 1_000_000 - self.wall0_ms) * self.speed)


class SimWorld:
    def __init__(
        self,
        scenario: Scenario,
        *,
        speed: float = 1.0,
        start_ms: int | None = None,
        log_path: str | Path | None = None,
    ) -> None:
        if start_ms is not None:
            scenario = scenario.model_copy(update={"start_ms": start_ms})
        self.scenario = scenario
        self.speed = speed
        self.asset_configs = scenario.asset_configs()
        self.market = MarketSim(scenario, self.asset_configs)
        self.log = GroundTruthLog(log_path) if log_path else None
        if self.log is not None:
            self.market.sinks.append(self.log)
        self.faults = FaultController(self.market.emit)
        self.faults.arm(scenario.faults, scenario.start_ms, self.market.schedule)
        self.faults.disconnect_hooks.append(self._disconnect)
        self._stream_n: dict[str, int] = {}
        self.cex_views: dict[tuple[str, str], CexView] = {}
        self.pool_views: dict[str, PoolView] = {}
        self.token_pools: dict[str, list[PoolView]] = {}
        self.exchanges: dict[str, SimExchange] = {}
        self._build_views()
        self.servers: list[VenueServer] = []
        self.ports: dict[str, int] = {}
        self._driver: asyncio.Task[None] | None = None
        self.clock: SimClock | None = None
        self.paused = False
        # The venues' own clock runs this far ahead of the host's (tests change it live).
        self.clock_offset_ms = scenario.realism.clock_offset_ms
        self.market.sinks.append(self._dispatch)

    # --- state -----------------------------------------------------------------------------

    def _build_views(self) -> None:
        decimals = {
            (d.chain.value, d.token if d.chain.value == "solana" else d.token.lower()): d.decimals
            for a in self.asset_configs
            for d in a.dex
        }
        symbols = {a.id: a.symbol for a in self.asset_configs}
        books_by_venue: dict[str, dict[str, SimBook]] = {}
        for a in self.market.assets.values():
            for venue, spec in a.specs.items():
                self.cex_views[(venue, spec.venue_symbol)] = CexView(spec)
                books_by_venue.setdefault(venue, {})[spec.venue_symbol] = a.books[venue]
            for p in a.pools:
                view = PoolView(p, symbols[a.id], decimals.get((p.chain, p.token), 9))
                self.pool_views[p.address] = view
                self.token_pools.setdefault(p.token, []).append(view)
        accounts = [
            Account(
                acc.api_key,
                acc.api_secret,
                dict(acc.balances),
                permissions=frozenset(acc.permissions),
            )
            for acc in self.scenario.accounts
        ]
        for venue, books in books_by_venue.items():
            # Every account can trade every base: give it some of each to sell.
            accts = [
                Account(a.api_key, a.api_secret, dict(a.free), permissions=a.permissions)
                for a in accounts
            ]
            specs = {
                v.spec.venue_symbol: v.spec for (vn, _), v in self.cex_views.items() if vn == venue
            }
            for acct in accts:
                for spec in specs.values():
                    price = self._ref_price(spec.venue_symbol)
                    acct.free.setdefault(spec.base, round(10_000.0 / price, spec.amount_dp))
            self.exchanges[venue] = SimExchange(venue, accts, books, specs, self.market_now)

    def market_now(self) -> int:
        """Market time, ms UTC (``ServerWorld``)."""
        return self.market.now

    def venue_now(self) -> int:
        """The venues' clock, ms UTC: the host's wall clock plus ``clock_offset_ms``."""
        return time.time_ns() // 1_000_000 + self.clock_offset_ms

    def _ref_price(self, venue_symbol: str) -> float:
        for a in self.market.assets.values():
            for spec in a.specs.values():
                if spec.venue_symbol == venue_symbol:
                    return a.mid
        raise KeyError(venue_symbol)

    def _dispatch(self, ev: SimEvent) -> None:
        if isinstance(ev, FaultEv):
            return
        stream = stream_of(ev)
        n = self._stream_n.get(stream, 0) + 1
        self._stream_n[stream] = n
        if isinstance(ev, CexTradeEv):
            self.cex_views[(ev.venue, ev.symbol)].on_trade(ev)
        elif isinstance(ev, DexSwapEv):
            self.pool_views[ev.pool].on_swap(ev)
        elif isinstance(ev, CexBookDelta):
            self.exchanges[ev.venue].on_book(ev.symbol)
        if self.servers:
            what = f"{stream}#{n}"
            for server in self.servers:
                server.publish(ev, what)

    def _disconnect(self, target: str) -> None:
        for server in self.servers:
            if server.name == target:
                server.disconnect_all()

    # --- running ---------------------------------------------------------------------------

    def run_virtual(self, until_ms: int, progress: Callable[[int], None] | None = None) -> None:
        """Advance market time to ``until_ms`` as fast as possible (no servers needed)."""
        step = 60_000
        t = self.market.now
        while t < until_ms:
            t = min(until_ms, t + step)
            self.market.run_until(t)
            if progress is not None:
                progress(t)

    async def start(
        self,
        host: str = "127.0.0.1",
        ports: dict[str, int] | None = None,
        wall0_ms: int | None = None,
    ) -> None:
        """Serve on ``host``; market time ``start_ms`` corresponds to wall time ``wall0_ms``
        (default: now), so with speed 1 market time equals wall time."""
        self.servers = make_servers(self)
        for server in self.servers:
            self.ports[server.name] = await server.start(host, (ports or {}).get(server.name, 0))
        self.host = host
        wall0 = wall0_ms if wall0_ms is not None else time.time_ns() // 1_000_000
        self.clock = SimClock(self.scenario.start_ms, wall0, self.speed)
        self._driver = asyncio.create_task(self._drive(), name="sim-driver")

    async def _drive(self) -> None:
        assert self.clock is not None
        clock = self.clock
        while True:
            if not self.paused:
                self.market.run_until(clock.now_ms())
            await asyncio.sleep(0.005)

    def pause(self) -> None:
        """Freeze the market (tests compare a client's view with the true state).
        Market time catches up, in one go, on ``resume``."""
        self.paused = True

    def resume(self) -> None:
        self.paused = False

    async def stop(self) -> None:
        if self._driver is not None:
            self._driver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._driver
        for server in self.servers:
            server.disconnect_all()
        for server in self.servers:
            await server.stop()
        if self.log is not None:
            self.log.close()

    @property
    def urls(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for server in self.servers:
            out.update(server.url_map(self.ports[server.name]))
        return out

    def describe(self) -> dict[str, object]:
        """What ``dexcex sim`` prints: every endpoint, plus the time mapping."""
        assert self.clock is not None
        return {
            **self.urls,
            "scenario": self.scenario.name,
            "seed": self.scenario.seed,
            "start_ms": self.clock.start_ms,
            "wall0_ms": self.clock.wall0_ms,
            "speed": self.speed,
        }


@asynccontextmanager
async def run_sim(
    scenario: str | Scenario = "default",
    *,
    seed: int | None = None,
    speed: float = 1.0,
    log_path: str | Path | None = None,
    host: str = "127.0.0.1",
    ports: dict[str, int] | None = None,
) -> AsyncIterator[SimWorld]:
    """Start the simulated world on loopback; market time starts at the wall clock."""
    sc = load_scenario(scenario, seed=seed) if isinstance(scenario, str) else scenario
    if seed is not None and not isinstance(scenario, str):
        sc = sc.model_copy(update={"seed": seed})
    now = time.time_ns() // 1_000_000
    world = SimWorld(sc, speed=speed, start_ms=now, log_path=log_path)
    # One book interval first, so every market has a book before the first request.
    world.market.run_until(now + sc.market.book_interval_ms)
    try:
        await world.start(host, ports, wall0_ms=now)  # a stop may cut it short: stop() copes
        yield world
    finally:
        await world.stop()
